"""Hostile numbers and values wherever a user gives one: routines, pacing files, options.

Not finite (nan, inf), absurdly large (1e308, 10**400, 5000 digits), negative zero,
non-ASCII digits, out-of-range clock fields: each is a clear error (exit 2, with
``file:line:col`` for files) or a well-defined value, never a crash or a silent misreading.
"""

from __future__ import annotations

import math
from pathlib import Path
from textwrap import dedent
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceguide.cli.options import pacing_options
from voiceguide.errors import RoutineError, UsageError, VoiceguideError
from voiceguide.routine.durations import DurationSyntaxError, parse_duration
from voiceguide.routine.loader import load_pacing_file, parse_routine
from voiceguide.routine.model import BreathPattern, Step
from voiceguide.speech.fake import fake_speech_ms
from voiceguide.timing.pacing import Layer, resolve_pacing
from voiceguide.timing.timeline import compile, utterances

from .helpers.rendering import render_ends
from .helpers.run import Runner

HUGE_DIGITS = "9" * 5000  # past Python's 4300-digit int/str conversion limit
MAX_MESSAGE = 400  # characters: a message quotes a hostile value, shortened

ROUTINE = """\
title: T
pacing: {PACING}
steps:
  - say: Hello.
    hold: {HOLD}
    cues: [{at: 1, say: Now.}]
  - breathe: {pattern: 4-4, cycles: 2}
"""


def load(pacing: str = "{}", hold: str = "5") -> Any:
    text = ROUTINE.replace("{PACING}", pacing).replace("{HOLD}", hold)
    return parse_routine(text.encode(), "r.yaml")[0]


def refused(pacing: str = "{}", hold: str = "5") -> str:
    """The loader's message for a refused value; checks it is short and placed."""
    with pytest.raises(RoutineError) as err:
        load(pacing, hold)
    assert err.value.exit_code == 2
    message = err.value.format()
    assert message.startswith(("r.yaml:2:", "r.yaml:5:")), message
    assert "\n" not in message, "one problem, reported once"
    assert len(message) < MAX_MESSAGE, message
    return message


# ---- the two crashes -------------------------------------------------------------


def test_an_infinite_breath_pattern_is_an_error_with_position() -> None:
    assert "r.yaml:2:18:" in refused("{breath: inf-4}")


def test_an_absurd_lead_in_is_an_error_with_position() -> None:
    assert "r.yaml:2:19:" in refused("{lead_in: 4.58e16}")
    assert "r.yaml:2:19:" in refused("{lead_in: 4.58e+16}")


# ---- durations in a routine --------------------------------------------------------------

HOSTILE_DURATIONS = [
    ".inf",
    "-.inf",
    ".nan",
    "1.0e+400",
    "1e308",
    "1.0e+308",
    "'1e999'",
    "'inf'",
    "'nan'",
    "1" + "0" * 400,
    HUGE_DIGITS,
    f"'{HUGE_DIGITS}s'",
    f"'{HUGE_DIGITS}ms'",
    f"'1:{HUGE_DIGITS}'",
    f"'{HUGE_DIGITS}:00'",
    "'1:99'",
    "'1:60'",
    "'1:60:00'",
    "'1:00:60'",
    "'٣s'",
    "'٣'",
    "'２s'",
    "'1:٣0'",
    "'-1'",
    "-1",
    "-.5",
    "'1e2s'",
]


@pytest.mark.parametrize("value", HOSTILE_DURATIONS)
def test_hostile_hold_durations_are_refused_with_position(value: str) -> None:
    assert "r.yaml:5:" in refused(hold=value)


@pytest.mark.parametrize("value", HOSTILE_DURATIONS)
def test_hostile_pacing_durations_are_refused_with_position(value: str) -> None:
    refused(f"{{duration: {value}}}")
    refused(f"{{lead_in: {value}}}")


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        ("-0.0", 0),
        ("'-0'", None),
        ("0", 0),
        ("'1:59'", 119_000),
        ("'0:59.5'", 59_500),
        ("'90:00'", 5_400_000),
        ("'1:05:09'", 3_909_000),
        ("1:30", 90_000),
        ("'1.999999999999999999999999999999999s'", 2000),
    ],
)
def test_edge_durations_have_one_meaning(value: str, ms: int | None) -> None:
    source = f"title: T\nsteps:\n  - say: Hi\n    hold: {value}\n".encode()
    if ms is None:
        with pytest.raises(RoutineError, match=r"r\.yaml:4:11: hold: duration must not be negative"):
            parse_routine(source, "r.yaml")
    else:
        parsed = parse_routine(source, "r.yaml")[0].steps[0]
        assert isinstance(parsed, Step) and parsed.hold_ms == ms


def test_clock_fields_must_be_under_sixty() -> None:
    assert "1:99" in refused(hold="'1:99'")
    assert "under 60" in refused(hold="'1:99'")
    assert "under 60" in refused(hold="'1:60:00'")
    assert "did you mean 2:39?" in refused(hold="'1:99'")


@pytest.mark.parametrize(
    ("value", "meant", "meant_ms"),
    [
        ("1m99s", "2m39s", 159_000),  # a new user's rest: 1m99s was played as 2:39
        ("2m60s", "3m", 180_000),
        ("1m99.5s", "2m39.5s", 159_500),
        ("1h99m", "2h39m", 9_540_000),
        ("1h2m99s", "1h3m39s", 3_819_000),
        ("1h90s", "1h1m30s", 3_690_000),
        ("1M 60S", "2m", 120_000),
    ],
)
def test_a_unit_after_a_larger_one_must_be_under_sixty(value: str, meant: str, meant_ms: int) -> None:
    message = refused(hold=f"'{value}'")
    assert message.startswith("r.yaml:5:11: hold: "), message
    assert "must be under 60" in message and message.endswith(f"did you mean {meant}?")
    assert parse_duration(meant) == meant_ms  # the suggestion reads back as what the parts add up to


@pytest.mark.parametrize(
    ("value", "ms"),
    [("90s", 90_000), ("99m", 5_940_000), ("1m59.999s", 119_999), ("30s1m", 90_000), ("1h59m59s", 7_199_000)],
)
def test_a_unit_alone_or_before_a_larger_one_may_be_60_or_more(value: str, ms: int) -> None:
    assert parse_duration(value) == ms


@pytest.mark.usefixtures("no_user_pacing")
def test_options_and_pause_marks_refuse_1m99s_too(vg_in_process: Runner) -> None:
    for args in (["show", "box-breathing", "--duration", "1m99s"], ["timer", "--rest", "1m99s", "--yaml"]):
        result = vg_in_process(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "did you mean 2m39s?" in result.stderr, result.stderr
    with pytest.raises(RoutineError, match=r"r\.yaml:3:.*did you mean 2m39s\?"):
        parse_routine(b"title: T\nsteps:\n  - say: 'Hi [pause 1m99s] there'\n", "r.yaml")


def test_only_ascii_digits() -> None:
    with pytest.raises(DurationSyntaxError):
        parse_duration("٣s")
    with pytest.raises(DurationSyntaxError):
        parse_duration("٣")
    with pytest.raises(ValueError):
        BreathPattern.parse("٣-4")


@pytest.mark.parametrize(
    "value", [math.inf, -math.inf, math.nan, 1e308, 10**400, HUGE_DIGITS, "1e999", "-0.0s"]
)
def test_parse_duration_refuses_without_crashing(value: object) -> None:
    with pytest.raises(DurationSyntaxError) as err:
        parse_duration(value)
    assert len(str(err.value)) < MAX_MESSAGE


def test_negative_zero_is_zero() -> None:
    assert parse_duration(-0.0) == 0
    assert parse_duration(0) == 0


# ---- breathing patterns, scales, whole numbers ----------------------------------------------

HOSTILE_PATTERNS = [
    "inf-4",
    "4-inf",
    "1e999-4",
    "nan-4",
    "1e1-4",
    "4-+3",
    "4_0-4",
    "٣-4",
    "4-٣",
    f"{HUGE_DIGITS}-4",
    "-0-4",
    "4--0",
    "0x10-4",
    "4-7-8-9-1",
]


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_hostile_breath_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError) as err:
        BreathPattern.parse(pattern)
    assert len(str(err.value)) < MAX_MESSAGE
    assert "r.yaml:2:" in refused(f"{{breath: '{pattern}'}}")
    with pytest.raises(RoutineError):
        parse_routine(f"title: T\nsteps:\n  - breathe: {{pattern: '{pattern}'}}\n".encode(), "r.yaml")
    with pytest.raises(RoutineError):
        parse_routine(
            f"title: T\nsteps:\n  - breathe: {{pattern: 4-4, ramp: {{to: '{pattern}'}}}}\n".encode(),
            "r.yaml",
        )


def test_decimal_patterns_still_work() -> None:
    assert BreathPattern.parse("3.5-3.5") == BreathPattern(3500, 0, 3500, 0)
    assert BreathPattern.parse(" 4 - 7 - 8 ") == BreathPattern(4000, 7000, 8000, 0)
    assert BreathPattern.parse(f"4-1.{HUGE_DIGITS}") == BreathPattern(4000, 0, 2000, 0)


HOSTILE_NUMBERS = [
    ".inf",
    "-.inf",
    ".nan",
    "1.0e+308",
    "1" + "0" * 400,
    "-0.0",
    "-0",
    "1e999",
    HUGE_DIGITS,
    "'٣'",
    "0x10",
    "1_0",
]


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
@pytest.mark.parametrize("key", ["rate", "hold_scale", "rest_scale", "cycles", "countdown"])
def test_hostile_pacing_numbers(key: str, value: str) -> None:
    try:
        routine = load(f"{{{key}: {value}}}")
    except RoutineError as exc:
        assert "r.yaml:2:" in exc.format()
        assert len(exc.format()) < MAX_MESSAGE
        return
    # accepted: only a well-defined value in range
    accepted = routine.pacing[key]
    assert isinstance(accepted, int | float) and math.isfinite(accepted), accepted
    resolved = resolve_pacing(routine).pacing
    _compile_and_render(routine, resolved)


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
@pytest.mark.parametrize(
    "where",
    [
        "voice: {rate: VALUE}",
        "steps: [{say: Hi, hold: 70, countdown: VALUE}]",
        "steps: [{repeat: VALUE, steps: [{say: Hi}]}]",
        "steps: [{breathe: {pattern: 4-4, cycles: VALUE}}]",
    ],
)
def test_hostile_whole_numbers_in_a_routine(where: str, value: str) -> None:
    text = "title: T\n" + where.replace("VALUE", value) + "\n"
    if not text.count("steps:"):
        text += "steps: [{say: Hi}]\n"
    try:
        routine, _ = parse_routine(text.encode(), "r.yaml")
    except RoutineError as exc:
        assert exc.format().startswith("r.yaml:2:"), exc.format()
        assert len(exc.format()) < MAX_MESSAGE
        return
    _compile_and_render(routine, resolve_pacing(routine).pacing)


def test_a_huge_cue_at_is_refused() -> None:
    text = "title: T\nsteps:\n  - say: Hi\n    hold: 5\n    cues: [{at: .inf, say: x}]\n"
    with pytest.raises(RoutineError, match=r"r\.yaml:5:"):
        parse_routine(text.encode(), "r.yaml")
    text = text.replace(".inf", "'1:99'")
    with pytest.raises(RoutineError, match=r"r\.yaml:5:"):
        parse_routine(text.encode(), "r.yaml")


def test_a_huge_pause_is_refused() -> None:
    for pause in ("1e999s", HUGE_DIGITS, "٣s", "1:99"):
        text = f"title: T\nsteps:\n  - say: 'Hi [pause {pause}] there'\n"
        with pytest.raises(RoutineError, match=r"r\.yaml:3:") as err:
            parse_routine(text.encode(), "r.yaml")
        assert len(err.value.format()) < MAX_MESSAGE


# ---- pacing files ---------------------------------------------------------------------------

PACING_KEYS_AND_VALUES = [
    (key, value)
    for key in ("rate", "hold_scale", "rest_scale", "breath", "cycles", "countdown", "lead_in", "duration")
    for value in (
        ".inf",
        ".nan",
        "-.inf",
        "1.0e+308",
        "1" + "0" * 400,
        "-0.0",
        "'1e999'",
        "inf-4",
        "'1:99'",
        "'٣'",
        HUGE_DIGITS,
    )
]


@pytest.mark.parametrize(("key", "value"), PACING_KEYS_AND_VALUES)
def test_hostile_pacing_file_values(tmp_path: Path, key: str, value: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"preset: gentle\n{key}: {value}\n")
    try:
        values = load_pacing_file(path)
    except RoutineError as exc:
        assert exc.format().startswith(f"{path}:2:"), exc.format()
        assert len(exc.format()) < MAX_MESSAGE + len(str(path))
        return
    routine = load()
    pacing = resolve_pacing(routine, [Layer("pacing file", values)]).pacing
    _compile_and_render(routine, pacing)


# ---- command-line options -------------------------------------------------------------------

HOSTILE_OPTION_VALUES = [
    "nan",
    "inf",
    "-inf",
    "1e999",
    "1e308",
    "-0",
    "-0.0",
    HUGE_DIGITS,
    "٣",
    "1:99",
    "inf-4",
    "",
    " ",
]
OPTIONS = [
    "--rate",
    "--hold-scale",
    "--rest-scale",
    "--breath",
    "--cycles",
    "--countdown",
    "--duration",
    "--lead-in",
    "--voice",
]


@pytest.fixture
def no_user_pacing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_CONFIG_DIR", str(tmp_path / "no-config"))


def _command_layers(args: list[str]) -> tuple[int, tuple[Layer, ...] | None, str]:
    """Parse ``args`` with the real pacing options; (exit code, layers, output)."""
    captured: list[tuple[Layer, ...]] = []

    @click.command()
    @pacing_options(lead_in=True)
    def command(layers: tuple[Layer, ...]) -> None:
        captured.append(layers)

    result = CliRunner().invoke(command, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, captured[0] if captured else None, result.output


@pytest.mark.usefixtures("no_user_pacing")
@pytest.mark.parametrize("value", HOSTILE_OPTION_VALUES)
@pytest.mark.parametrize("option", OPTIONS)
def test_hostile_option_values(option: str, value: str) -> None:
    code, layers, output = _command_layers([option, value])
    if value in ("", " ") or (value in ("٣", "nan") and option != "--voice"):
        assert layers is None, f"{option} {value!r} must be refused"
    if layers is None:
        assert code == 2, output
        assert option in output, output
        assert len(output) < 1000, output
        return
    assert code == 0
    values = layers[0].values
    for accepted in values.values():
        if isinstance(accepted, float):
            assert math.isfinite(accepted)
    if option == "--voice":
        assert values["voice"].strip(), "an empty --voice is refused"
    routine = load()
    _compile_and_render(routine, resolve_pacing(routine, layers).pacing)


@pytest.mark.usefixtures("no_user_pacing")
@pytest.mark.parametrize("option", ["--hold-scale", "--rest-scale"])
def test_a_nan_scale_is_refused(option: str) -> None:
    code, layers, output = _command_layers([option, "nan"])
    assert code == 2 and layers is None
    assert "nan" in output


@pytest.mark.usefixtures("no_user_pacing")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(OPTIONS),
        st.one_of(
            st.sampled_from(HOSTILE_OPTION_VALUES),
            st.sampled_from(
                ["1", "2", "0.5", "4", "80", "400", "off", "4-7-8", "12m", "10", "0:30", "3.5-3.5", "voice"]
            ),
            st.text(max_size=8),
        ),
        max_size=5,
    )
)
def test_any_mix_of_options_is_an_error_or_a_session(options: dict[str, str]) -> None:
    args = [part for option, value in options.items() for part in (option, value)]
    code, layers, output = _command_layers(args)
    if layers is None:
        assert code == 2, output
        return
    routine = load()
    _compile_and_render(routine, resolve_pacing(routine, layers).pacing)


# ---- mixing and cache options (the real console script) ---------------------------------------


MIX_OPTIONS = ["--background-db", "--duck-db", "--loudness"]


@pytest.mark.parametrize("option", MIX_OPTIONS)
def test_a_nan_mix_level_exits_2(vg_in_process: Runner, tmp_path: Path, option: str) -> None:
    result = vg_in_process(
        "export", "box-breathing", "-o", str(tmp_path / "x.wav"), "--background", "brown-noise", option, "nan"
    )
    assert result.returncode == 2, result.stderr
    assert option in result.stderr
    assert "internal error" not in result.stderr
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize("option", MIX_OPTIONS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "-nan", "٣", "-١٦", HUGE_DIGITS])
def test_mix_levels_must_be_finite(option: str, value: str) -> None:
    from voiceguide.cli import cli
    from voiceguide.cli.group import all_commands

    assert isinstance(cli, click.Group)
    export = all_commands(cli)["export"]
    param = next(p for p in export.params if p.opts == [option])
    with pytest.raises(click.BadParameter) as err:
        param.type.convert(value, param, None)
    assert len(str(err.value)) < MAX_MESSAGE
    assert param.type.convert("-6", param, None) == -6.0  # what is fine stays fine


@pytest.mark.parametrize(
    "size", ["inf", "nan", "1e999", "-inf", "infM", "1e400G", "٣M", HUGE_DIGITS, "", "-1", "1e308G", "NaNk"]
)
def test_cache_prune_refuses_sizes_that_are_not_finite(size: str) -> None:
    from voiceguide.cli.cache import _parse_size

    with pytest.raises(UsageError, match="--max-size") as err:
        _parse_size(size)
    assert err.value.exit_code == 2
    assert len(err.value.message) < MAX_MESSAGE


def test_cache_prune_inf_exits_2(vg_in_process: Runner) -> None:
    result = vg_in_process("cache", "prune", "--max-size", "inf")
    assert result.returncode == 2, result.stderr
    assert "--max-size: 'inf' is not a size" in result.stderr


def test_cache_prune_parses_sizes_exactly() -> None:
    from voiceguide.cli.cache import _parse_size

    assert _parse_size("200M") == 200_000_000
    assert _parse_size("1.5G") == 1_500_000_000
    assert _parse_size("1000000B") == 1_000_000
    assert _parse_size("1e3k") == 1_000_000
    assert _parse_size("-0") == 0  # negative zero is zero: keep nothing


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_from_is_refused_before_any_work(vg_in_process: Runner, value: str) -> None:
    result = vg_in_process("play", "box-breathing", "--from", value)
    assert result.returncode == 2, result.stderr
    assert "--from" in result.stderr and "must not be empty" in result.stderr


def test_find_chapter_refuses_empty_text_and_reads_only_ascii_numbers() -> None:
    from voiceguide.play.player import find_chapter

    routine = load()
    pacing = resolve_pacing(routine).pacing
    speech = {t: fake_speech_ms(t, pacing.rate_wpm) for t in utterances(routine, pacing)}
    timeline = compile(routine, pacing, speech)
    assert find_chapter(timeline, "2") == 1
    for wanted in ("", " ", "٢", "²", HUGE_DIGITS):
        with pytest.raises(UsageError) as err:
            find_chapter(timeline, wanted)
        assert len(err.value.message) < MAX_MESSAGE + 200


# ---- helpers -----------------------------------------------------------------------------------


def _compile_and_render(routine: Any, pacing: Any) -> None:
    """Compile at ``pacing`` with the fake engine's lengths and render the start and the
    end: only a VoiceguideError may stop it."""
    speech = {t: fake_speech_ms(t, pacing.rate_wpm) for t in utterances(routine, pacing)}
    try:
        timeline = compile(routine, pacing, speech)
    except VoiceguideError:
        return
    render_ends(timeline, speech)


def test_the_routine_template_is_valid() -> None:
    routine = load()
    assert dedent(ROUTINE)  # the template itself loads and renders
    _compile_and_render(routine, resolve_pacing(routine).pacing)


@pytest.mark.parametrize("side", ["[pause 1000000h]", "[pause x]", "{x}", "left]"])
def test_a_side_cannot_make_a_pause_mark(side: str) -> None:
    """Found by the schema property test: `say: "{side}"` with such a side became a broken
    pause mark after the loader had checked the text."""
    from voiceguide.errors import RoutineError
    from voiceguide.routine.loader import parse_routine

    text = f"title: T\nsteps:\n  - {{say: '{{side}}', sides: ['{side}'], hold: 2s}}\n"
    with pytest.raises(RoutineError, match="a side is a word"):
        parse_routine(text.encode(), "t.yaml")
