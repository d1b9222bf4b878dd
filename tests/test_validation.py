"""Loading and validating routines: every problem at once, with file:line:col."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from textwrap import dedent

import jsonschema
import pytest
import yaml

from voiceguide.errors import RoutineError, UsageError
from voiceguide.routine import pacing_settings
from voiceguide.routine import schema as keys
from voiceguide.routine.bundled import bundled_routines, resolve_routine
from voiceguide.routine.loader import load_routine, parse_routine
from voiceguide.routine.model import BreathPattern, Group, Step
from voiceguide.timing.pacing import resolve_pacing
from voiceguide.timing.timeline import utterances

from .helpers.run import Runner


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_routine(dedent(text).encode(), "r.yaml")


def problems(text: str | bytes) -> list[str]:
    source = text if isinstance(text, bytes) else dedent(text).encode()
    with pytest.raises(RoutineError) as err:
        parse_routine(source, "r.yaml")
    assert err.value.exit_code == 2
    return [str(d) for d in err.value.diagnostics]


FULL = """\
version: 1
title: Everything
description: All the keys.
voice: {rate: 140, name: English (America)}
pacing: {preset: gentle, hold_scale: 1.5, breath: 4-7-8, countdown: off}
intro: Hello. [pause 1s] Welcome.
safety: Stop if it hurts.
steps:
  - name: Knee
    say: Pull your {side} knee in.
    sides: [left, right]
    hold: 1m30s
    rest: 0
    countdown: 3
    chime: true
    cues:
      - {at: 45s, say: Halfway.}
      - {at: "0:10", say: "Breathe, slowly."}
  - name: Box
    say: Breathe with me.
    breathe:
      pattern: 4-4-4-4
      cycles: 2
      say: {hold_out: ""}
  - breathe: {inhale: 3s, exhale: 4500ms, cycles: 1}
  - name: Tilts
    repeat: 3
    rest: 5s
    steps:
      - {say: Tilt., hold: 5}
outro: Bye.
"""


def test_a_routine_using_every_key_builds_the_model() -> None:
    r, warnings = parse(FULL)
    assert warnings == ()
    assert (r.title, r.voice.rate, r.voice.name) == ("Everything", 140, "English (America)")
    assert dict(r.pacing) == {
        "preset": "gentle",
        "hold_scale": 1.5,
        "breath": BreathPattern(4000, 7000, 8000, 0),
        "countdown": 0,
    }  # YAML 1.1: off is false, which means no countdown
    assert r.safety == ("Stop if it hurts.",)
    knee, box, plain_breath, tilts = r.steps
    assert (knee.hold_ms, knee.rest_ms, knee.countdown, knee.sides, knee.chime) == (
        90_000,
        0,
        3,
        ("left", "right"),
        True,
    )
    assert [(c.at_ms, c.text) for c in knee.cues] == [(10_000, "Breathe, slowly."), (45_000, "Halfway.")]
    assert box.rest_ms is None and box.breathe is not None
    assert box.breathe.pattern == BreathPattern(4000, 4000, 4000, 4000) and box.breathe.cycles == 2
    assert box.breathe.words["hold_out"] == "" and box.breathe.words["inhale"] == "Breathe in"
    assert plain_breath.breathe is not None and plain_breath.breathe.pattern == BreathPattern(
        3000, 0, 4500, 0
    )
    assert isinstance(tilts, Group) and tilts.repeat == 3 and tilts.rest_ms == 5000
    assert tilts.steps[0].hold_ms == 5000  # type: ignore[union-attr]
    assert str(knee.where) == "r.yaml:9:5"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "title: x\nsteps:\n  - say: a\n    hodl: 5s\n",
            'r.yaml:4:5: unknown key "hodl" in a step (did you mean "hold"?)',
        ),
        (
            "tittle: x\nsteps: [{say: a}]\n",
            'r.yaml:1:1: unknown key "tittle" in the routine (did you mean "title"?)',
        ),
        ("title: x\nsteps: [{breathe: {pattern: 4-4, cyles: 2}}]\n", '(did you mean "cycles"?)'),
        ("title: x\nsteps: [{repaet: 2, steps: [{say: a}]}]\n", '(did you mean "repeat"?)'),
        ("title: x\nvoice: {rte: 100}\nsteps: [{say: a}]\n", '(did you mean "rate"?)'),
        ("title: x\nsteps: [{say: a, zzzz: 1}]\n", 'unknown key "zzzz" in a step'),
    ],
)
def test_unknown_keys_with_suggestions(text: str, expected: str) -> None:
    found = problems(text)
    assert any(expected in p for p in found), found
    if "zzzz" in text:
        assert "did you mean" not in found[0]


def test_every_problem_is_reported_at_once() -> None:
    found = problems("""\
        title: x
        steps:
          - say: a
            hold: -3s
          - say: b
            hold: 10s
            cues: [{at: 12s, say: late}]
          - say: ""
    """)
    assert found == [
        "r.yaml:4:11: hold: duration must not be negative, got '-3s'",
        "r.yaml:7:17: cue at 12s is past the end of the 10s hold",
        "r.yaml:8:10: say is empty",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: x\nsteps:\n  - {say: a, hold: [1]}\n", "r.yaml:3:20: hold must be a duration"),
        ("title: x\nsteps: x\n", "r.yaml:2:8: steps must be a list"),
        ("title: 5\nsteps: [{say: a}]\n", "r.yaml:1:8: title must be text, got the number 5"),
        ("title: x\nsteps: [{say: a, sides: left}]\n", "sides must be a list"),
        ("title: x\nsteps: [{say: a, hold: 5 mins}]\n", 'use seconds (30), "90s"'),
        ("title: x\nsteps: [{say: a, hold: 25h}]\n", "longer than 24 hours"),
        ("title: x\nsteps: [{repeat: 1000, steps: [{say: a, hold: 2m}]}]\n", "more than 24 hours"),
        ("title: x\nsteps: [{say: a, cues: [{at: 1s, say: b}]}]\n", "this step has no hold"),
        (
            "title: x\nsteps: [{say: a, hold: 2s, countdown: 3}]\n",
            "countdown of 3 s is longer than the 2s hold",
        ),
        ("title: x\nsteps: [{name: nothing}]\n", "this step does nothing"),
        ("title: x\nsteps: []\n", "steps is empty"),
        ("steps: [{say: a}]\n", 'missing "title:"'),
        ("title: x\n", 'missing "steps:"'),
        ("version: 2\ntitle: x\nsteps: [{say: a}]\n", "unsupported format version 2"),
        ("title: x\nsteps: [{say: 'a [pause soon] b'}]\n", "bad [pause …] in say"),
        ("title: x\nsteps: [{say: 'hi {name}'}]\n", 'unknown placeholder "{name}"'),
        ("title: x\nsteps: [{breathe: {pattern: 4-4, inhale: 4}}]\n", "either pattern: or the phase lengths"),
        ("title: x\nsteps: [{breathe: {cycles: 3}}]\n", "breathe needs a pattern"),
        ("title: x\nsteps: [{breathe: {pattern: 4-x}}]\n", "not all numbers"),
        ("title: x\nsteps: [{steps: [{say: a}]}]\n", 'needs "repeat:"'),
        ("title: x\nsteps: [{say: a, say: b}]\n", '"say" appears twice'),
        ("title: x\npacing: {preset: gentel}\nsteps: [{say: a}]\n", 'did you mean "gentle"'),
        (
            "title: x\nsteps: [{say: a, hold: 5s, cues: [{at: 1s, say: Squeeze, lift}]}]\n",
            "put text with commas in quotes",
        ),
        (
            "title: x\nsteps: [{breathe: {pattern: 4-4}, hold: 5s}]\n",
            '"hold" does not belong in a breathing step',
        ),
    ],
)
def test_invalid_routines(text: str, expected: str) -> None:
    found = problems(text)
    assert any(expected in p for p in found), found
    assert all(p.startswith("r.yaml:") for p in found)


def test_side_placeholder_without_sides_is_a_warning() -> None:
    _, warnings = parse("title: x\nsteps: [{say: 'your {side} leg'}]\n")
    assert [str(w) for w in warnings] == [
        "r.yaml:2:15: warning: {side} in say of a step without sides: it will be left out"
    ]


def nested_groups(depth: int) -> str:
    text = "{say: a}"
    for _ in range(depth):
        text = f"{{repeat: 1, steps: [{text}]}}"
    return f"title: x\nsteps: [{text}]\n"


def test_groups_nest_eight_deep_but_not_nine() -> None:
    parse(nested_groups(8))
    assert any("nested more than 8 deep" in p for p in problems(nested_groups(9)))


def test_alias_bombs_are_refused_before_they_expand() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    started = time.monotonic()
    found = problems("\n".join(lines) + "\n")
    assert time.monotonic() - started < 10  # expanded, the last alias is 9**10 strings: never ends
    assert found == [
        "r.yaml:1:4: anchors and aliases (& and *) are not supported in a routine; "
        "a text that starts with & or * must be in quotes"
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"[" * 10_000, "nest"),  # ours at 24 levels, or libyaml's own limit first
        (b"a: " + b"[" * 30, "r.yaml:1:27: nested more than 24 levels deep"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "r.yaml:3:1: binary data (a NUL byte)"),
        ("title: x\nsteps: [{say: caf\xe9}]\n".encode("latin-1"), "r.yaml:2:18: not valid UTF-8 (byte 0xE9)"),
        (b"- a\n- b\n", "r.yaml:1:1: the top level must be a mapping"),
        (b"just text\n", "the top level must be a mapping"),
        (b"", "the file is empty"),
        (b"title: a\nsteps: [{say: a}]\n---\ntitle: b\n", "more than one YAML document"),
        (b"title: [unclosed\nsteps: x\n", "r.yaml:1:8: this [ is never closed: close it with ]"),
    ],
)
def test_hostile_and_broken_files(source: bytes, expected: str) -> None:
    found = problems(source)
    assert len(found) == 1 and expected in found[0], found


def test_encodings_with_a_bom_are_fine() -> None:
    text = "title: Café\nsteps: [{say: Olé}]\n"
    assert parse_routine(b"\xef\xbb\xbf" + text.encode(), "r.yaml")[0].title == "Café"
    assert parse_routine(text.encode("utf-16"), "r.yaml")[0].title == "Café"


def test_files_over_a_mebibyte_are_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * ((1 << 20) + 1))
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a huge file"))
    with pytest.raises(RoutineError, match="limited to 1 MiB"):
        load_routine(big)


def test_missing_file_and_directory_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such routine file") as err:
        load_routine(tmp_path / "nope.yaml")
    assert err.value.exit_code == 2
    with pytest.raises(UsageError, match="is a directory"):
        load_routine(tmp_path)


# ---- the JSON Schema agrees with the loader --------------------------------------------


def test_schema_accepts_the_bundled_routines_and_the_full_example() -> None:
    validator = jsonschema.Draft202012Validator(keys.json_schema())
    jsonschema.Draft202012Validator.check_schema(keys.json_schema())
    for _, path in bundled_routines():
        validator.validate(yaml.safe_load(path.read_text()))
    validator.validate(yaml.safe_load(FULL))


@pytest.mark.parametrize(
    "text",
    [
        "title: x\nsteps: [{say: a, hodl: 5}]\n",
        "steps: [{say: a}]\n",
        "title: x\nsteps: [{say: a, hold: [1]}]\n",
        "title: x\nsteps: [{repeat: 0, steps: [{say: a}]}]\n",
    ],
)
def test_schema_rejects_what_the_loader_rejects(text: str) -> None:
    problems(text)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text), keys.json_schema())


def test_schema_property_names_are_the_loader_keys() -> None:
    s = keys.json_schema()
    defs = s["$defs"]
    assert set(s["properties"]) == set(keys.TOP_KEYS)
    assert set(defs["step"]["properties"]) == set(keys.STEP_KEYS)
    assert set(defs["breathing_step"]["properties"]) == set(keys.BREATH_STEP_KEYS)
    assert set(defs["group"]["properties"]) == set(keys.GROUP_KEYS)
    assert set(defs["breathing_step"]["properties"]["breathe"]["properties"]) == set(keys.BREATHE_KEYS)
    assert set(s["properties"]["pacing"]["properties"]) == set(pacing_settings.KEYS)
    assert json.loads(json.dumps(s)) == s


# ---- bundled routines ---------------------------------------------------------------------


def test_bundled_routines_are_a_library_and_valid_without_warnings() -> None:
    names = [name for name, _ in bundled_routines()]
    assert len(names) >= 12
    assert {
        "4-7-8-breathing",
        "box-breathing",
        "lower-back-massage",
        "lower-back-stretch",
        "partner-back-massage",
    } <= set(names)
    for name, path in bundled_routines():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name
        routine, warnings = load_routine(path)
        assert warnings == (), name
        assert routine.description and "minute" in routine.description, name  # says its length
        assert routine.safety, name  # red flags are spoken first


def spoken(name: str) -> str:
    """Every text a bundled routine speaks, in order, as one lower-case string."""
    routine, _ = load_routine(resolve_routine(name))
    return " ".join(utterances(routine, resolve_pacing(routine).pacing)).lower()


def test_bundled_routines_speak_plain_words() -> None:
    for name, _ in bundled_routines():
        text = spoken(name)
        # symbols and abbreviations espeak reads badly or literally
        assert not re.search(r"[/&%+=@#*<>]|\be\.g\.|\bi\.e\.|\betc\b|\bmins?\b|\bsecs?\b|\d-\d", text), name
        digits = [w for w in re.findall(r"\b\d+\b", text) if not 1 <= int(w) <= 10]
        assert digits == [], (name, digits)  # the countdown's numbers are the only digits


def test_resolving_routine_arguments(tmp_path: Path) -> None:
    assert resolve_routine("box-breathing").name == "box-breathing.yaml"
    assert resolve_routine("box-breathing.yaml").name == "box-breathing.yaml"
    mine = tmp_path / "mine.yaml"
    mine.write_text("title: x\nsteps: [{say: a}]\n")
    assert resolve_routine(str(mine)) == mine
    with pytest.raises(UsageError, match='did you mean "lower-back-massage"'):
        resolve_routine("lower-back-masage")


def test_the_massage_routine_follows_the_source() -> None:
    r, _ = load_routine(resolve_routine("lower-back-massage"))
    safety = " ".join(r.safety).lower()
    for sign in ("severe", "numbness", "accident", "spine", "listen to your body"):
        assert sign in safety, sign
    names = [s.name or "" for s in r.steps]
    order = [
        next(i for i, n in enumerate(names) if t in n)
        for t in ("Effleurage", "Petrissage", "Trigger point", "Myofascial", "Stretching")
    ]
    assert order == sorted(order)
    assert "water" in r.outro and "regular" in r.outro
    # red flags before benefits: the intro (spoken before the safety points) claims nothing
    assert "endorphins" not in r.intro
    first = r.steps[0]
    assert isinstance(first, Step) and first.say
    first_said = first.say
    assert "endorphins" in first_said and "water" in first_said


RED_FLAGS = (
    "bladder",
    "bowel",
    "groin",
    "cancer",
    "osteoporosis",
    "fall",
    "blood thinners",
    "bleed",
    "fever",
    "pregnant",
)


@pytest.mark.parametrize("name", ["lower-back-massage", "partner-back-massage"])
def test_massage_routines_say_every_red_flag_first(name: str) -> None:
    r, _ = load_routine(resolve_routine(name))
    safety = " ".join(r.safety).lower()
    for flag in RED_FLAGS:
        assert flag in safety, flag
    first = r.safety[0].lower()  # the emergency, grouped and named as one
    assert first.startswith("get help now") and "bladder" in first and "emergency" in first


def test_the_self_massage_is_for_yourself_and_its_positions_agree() -> None:
    text = spoken("lower-back-massage")
    assert "partner" not in text
    assert "on your front" not in text  # no weight can rest on a ball under a back facing up
    assert "wall" in text and "tennis ball" in text


def test_the_partner_massage_speaks_to_the_giver() -> None:
    text = spoken("partner-back-massage")
    assert "your partner" in text and "giver" in text
    assert text.count("your partner") > 10


@pytest.mark.espeak
@pytest.mark.parametrize(
    ("source", "where"),
    [
        ("title: T\nvoice:\n  name: Klingonese\nsteps:\n  - say: Hello.\n", "v.yaml:3:9:"),
        ("title: T\nvoice: {rate: 150, name: Klingonese}\nsteps:\n  - say: Hello.\n", "v.yaml:2:26:"),
        ("title: T\npacing: {voice: Klingonese}\nsteps:\n  - say: Hello.\n", "v.yaml:2:9:"),
    ],
)
def test_an_unknown_voice_in_a_routine_is_reported_where_it_is_named(
    vg_in_process: Runner, tmp_path: Path, source: str, where: str
) -> None:
    (tmp_path / "v.yaml").write_text(source)
    result = vg_in_process("show", "v.yaml", engine="espeak-ng")
    assert result.returncode == 2, result.stderr
    assert f"{where} unknown voice 'Klingonese'" in result.stderr, result.stderr
    assert 'did you mean "Klingon"' in result.stderr


def test_voice_errors_are_placed_only_for_the_routine_s_own_voice() -> None:
    from voiceguide.timing.pacing import place_voice_error

    routine, _ = parse_routine(b"title: T\nvoice: {name: Klingonese}\nsteps: [{say: Hi}]\n", "v.yaml")
    error = UsageError("unknown voice 'Klingonese'")
    placed = place_voice_error(error, routine, "routine voice:")
    assert isinstance(placed, RoutineError) and placed.format() == "v.yaml:2:15: unknown voice 'Klingonese'"
    assert place_voice_error(error, routine, "command line") is error
    from_file = place_voice_error(error, routine, "pacing file p.yaml")
    assert from_file.exit_code == 2 and "(the voice is set in the pacing file p.yaml)" in from_file.message


# ---- problems in file order ---------------------------------------------------------------

OUT_OF_ORDER = """\
title: T
steps:
  - say: Hello.
    hold: 10s
    cues: [{at: 20s, say: Late.}]
  - say: Three
    holdd: 5s
  - breathe: {pattern: 4-4, cycles: 0}
pacing: {rate: 5}
"""
#: warnings of the loader (line 3, 8) and of the timeline (line 5, 6, 7), seen in that order
WARNED = """\
title: T
steps:
  - say: Hello {side}. Lie down on your back.
    hold: 2s
    cues: [{at: 1s, say: A very long cue that keeps talking for a while longer than the hold.}]
  - say: Stand up now.
  - breathe: {pattern: 1-1, cycles: 2, say: {inhale: Breathe in slowly and deeply please}}
  - say: Sit {side} down on the floor.
"""


def _places(lines: list[str]) -> list[tuple[int, int]]:
    return [(int(m[1]), int(m[2])) for m in (re.search(r":(\d+):(\d+): ", line) for line in lines) if m]


def test_errors_are_reported_in_file_order() -> None:
    found = problems(OUT_OF_ORDER)  # the pacing: block at the end is read first
    assert _places(found) == [(5, 17), (7, 5), (8, 37), (9, 16)], found


def test_validate_prints_errors_and_warnings_in_file_order(vg_in_process: Runner, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(OUT_OF_ORDER)
    (tmp_path / "warned.yaml").write_text(WARNED)
    result = vg_in_process("validate", "bad.yaml", "warned.yaml")
    assert result.returncode == 2  # one invalid: exit 2, after every routine was checked
    lines = result.stderr.splitlines()
    bad = [line for line in lines if line.startswith("bad.yaml:")]
    warned = [line for line in lines if line.startswith("warned.yaml:")]
    assert lines == bad + warned and len(bad) == 4
    for kind in ("warning: {side}", "warning: the cue", "changes position", "inhale phase"):
        assert any(kind in line for line in warned), (kind, warned)  # the loader's and the timeline's
    for shown in (bad, warned):
        assert _places(shown) == sorted(_places(shown)), shown
    assert "ok: warned.yaml" in result.stdout
    report = json.loads(vg_in_process("validate", "bad.yaml", "warned.yaml", "--json").stdout)
    for checked, human in zip(report, (bad, warned), strict=True):
        places = [(p["line"], p["column"]) for p in checked["problems"]]
        assert places == sorted(places) == _places(human)
