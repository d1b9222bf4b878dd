"""Issue 26 item 1: one description of the pacing settings (routine/pacing_settings.py), and
every place that lists them agreeing with it: the Pacing value and its layers' type, the
command line's options, the loader, the published schema, the server's check of the page
and the page's JSON (the page's form in a real browser: tests/test_serve_page.py)."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any, get_type_hints

import click
import pytest
import yaml
from starlette.testclient import TestClient

from voiceguide.cli import cli
from voiceguide.errors import RoutineError
from voiceguide.routine import model, schema
from voiceguide.routine.loader import parse_routine
from voiceguide.routine.pacing_settings import (
    BY_KEY,
    KEYS,
    PAGE_KEYS,
    SETTINGS,
    Setting,
    page_description,
    parse,
)
from voiceguide.serve.jobs import PacingError, check_pacing
from voiceguide.timing.pacing import KEY_FIELDS, PRESETS, Pacing

from .helpers.run import REPO

NUMBERED = [s for s in SETTINGS if s.minimum is not None]


def command(name: str) -> click.Command:
    found = cli.get_command(click.Context(cli), name)
    assert found is not None, name
    return found


def option(name: str, setting: Setting) -> click.Option:
    [found] = [p for p in command(name).params if isinstance(p, click.Option) and setting.option in p.opts]
    return found


def test_every_setting_sets_a_pacing_field_whose_default_it_states() -> None:
    pacing_fields = {f.name for f in dataclasses.fields(Pacing)}
    assert list(KEYS) == [s.key for s in SETTINGS] and len(set(KEYS)) == len(KEYS)
    for setting in SETTINGS:
        assert setting.field in pacing_fields, setting.key
        assert getattr(PRESETS["standard"], setting.field) == setting.default, setting.key
    assert set(get_type_hints(model.PacingValues)) == set(KEYS)  # the layers' type
    assert dict(KEY_FIELDS) == {s.key: s.field for s in SETTINGS if s.key != "preset"}
    assert BY_KEY["preset"].choices == tuple(PRESETS)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_the_command_line_option_is_the_description(setting: Setting) -> None:
    play = option("play", setting)
    assert play.help == setting.help
    if setting.kind == "flag":
        assert play.is_flag and play.flag_value is (setting.default is False)  # --no-cues, --listen
        return
    kind = play.type
    if setting.kind == "choice":
        assert isinstance(kind, click.Choice) and tuple(kind.choices) == setting.choices
    if isinstance(kind, click.IntRange | click.FloatRange):
        assert (kind.min, kind.max) == (setting.minimum, setting.maximum)
    elif setting.kind in ("integer", "number", "seconds"):
        pytest.fail(f"{setting.option} has no range")
    for name in ("export", "show", "synthesize", "validate", "pacing"):
        offered = [p for p in command(name).params if setting.option in getattr(p, "opts", ())]
        assert len(offered) == (1 if name == "pacing" or not setting.play_only else 0), name


def _limits_in_schema(fragment: dict[str, Any]) -> tuple[Any, Any]:
    if "anyOf" in fragment:  # countdown: the whole numbers first
        fragment = fragment["anyOf"][0]
    return fragment.get("minimum"), fragment.get("maximum")


def test_the_schema_is_the_description() -> None:
    pacing = schema.json_schema()["properties"]["pacing"]
    assert list(pacing["properties"]) == list(KEYS)
    for setting in SETTINGS:
        published = pacing["properties"][setting.key]
        if setting.kind == "choice":
            assert published["enum"] == list(setting.choices)
        elif setting.kind in ("integer", "number", "countdown"):
            assert _limits_in_schema(published) == (setting.minimum, setting.maximum), setting.key
        elif setting.kind == "seconds":  # each whole second, or a duration written as text
            low, high = setting.whole_bounds()
            assert len(published["anyOf"]) == high - low + 2
        elif setting.kind == "duration":
            shortest = published["anyOf"][0]
            assert setting.minimum is not None and setting.maximum is not None
            assert math.isclose(
                shortest.get("minimum", shortest.get("exclusiveMinimum")),
                setting.minimum / 1000,
                abs_tol=0.001,
            )
            assert math.floor(shortest["maximum"]) == setting.maximum // 1000


def _past(setting: Setting) -> list[str]:
    """Values just outside ``setting``'s limits, as text."""
    if setting.kind == "duration":
        assert setting.maximum is not None
        return ["999ms", f"{setting.maximum + 1}ms"]
    low, high = setting.minimum, setting.maximum
    assert low is not None and high is not None
    step = 0.01 if setting.kind == "number" else 1
    return [str(v) for v in (low - step, high + step) if v >= 0]


def _edges(setting: Setting) -> list[str]:
    if setting.kind == "duration":
        return ["1s", "24h"]
    return [f"{setting.minimum:g}", f"{setting.maximum:g}"]


@pytest.mark.parametrize("setting", NUMBERED, ids=lambda s: s.key)
def test_the_command_line_the_loader_and_the_server_share_the_limits(
    setting: Setting, tmp_path: Path
) -> None:
    name = "pacing" if setting.play_only else "show"
    for text in _edges(setting):
        described = parse(setting, text)
        assert option(name, setting).type.convert(text, None, None) == described, text
        assert parse_routine(_routine(setting, text), "r.yaml")[0].pacing == {setting.key: described}
        if setting.key in PAGE_KEYS:
            assert check_pacing({setting.key: text}).values == {setting.key: described}
    for text in _past(setting):
        with pytest.raises(ValueError):
            parse(setting, text)
        with pytest.raises(click.BadParameter):
            option(name, setting).type.convert(text, None, None)
        with pytest.raises(RoutineError) as refused:
            parse_routine(_routine(setting, text), "r.yaml")
        assert str(refused.value).startswith("r.yaml:2:") and setting.key in str(refused.value)
        if setting.key in PAGE_KEYS:
            with pytest.raises(PacingError) as error:
                check_pacing({setting.key: text})
            assert error.value.field == setting.key


def _routine(setting: Setting, text: str) -> bytes:
    value = f'"{text}"' if setting.kind in ("duration", "seconds") else text
    return f"title: T\npacing: {{{setting.key}: {value}}}\nsteps: [{{say: Go.}}]\n".encode()


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.kind == "choice"], ids=lambda s: s.key)
def test_choices_are_the_description_everywhere(setting: Setting) -> None:
    for choice in setting.choices:
        assert check_pacing({setting.key: choice}).values == {setting.key: choice}
        assert option("show", setting).type.convert(choice, None, None) == choice
    with pytest.raises(PacingError, match=", ".join(setting.choices)):
        check_pacing({setting.key: "nope"})


def test_the_server_takes_only_what_the_page_offers() -> None:
    assert set(PAGE_KEYS) == {s["key"] for s in page_description()}
    for setting in SETTINGS:
        if setting.key not in PAGE_KEYS:
            with pytest.raises(PacingError) as error:
                check_pacing({setting.key: "1"})
            assert error.value.field == setting.key and "not a pacing setting" in str(error.value)


def test_the_page_gets_the_description(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voiceguide.serve.app import ServeConfig, create_app

    monkeypatch.setenv("VOICEGUIDE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VOICEGUIDE_ENGINE", "fake")
    app = create_app(ServeConfig(routines=(), static_dir=tmp_path, measure_lengths=False, token=None))
    with TestClient(app) as client:
        answer = client.get("/api/pacing-settings")
    assert answer.status_code == 200
    settings = answer.json()["settings"]
    assert settings == page_description()
    cycles = next(s for s in settings if s["key"] == "cycles")
    assert (cycles["minimum"], cycles["maximum"]) == (1, schema.MAX_CYCLES)  # it said 100 once
    for shown in settings:
        setting = BY_KEY[shown["key"]]
        assert (shown["control"], shown["minimum"], shown["maximum"]) == (
            setting.page,
            setting.minimum,
            setting.maximum,
        )


def test_the_readme_lists_every_setting() -> None:
    section = (REPO / "README.md").read_text().split("\n## Pacing\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `--")]
    listed = {name for row in rows for name in re.findall(r"`(--[a-z-]+)", row.split(" | ")[0])}
    assert listed == {s.option for s in SETTINGS} | {"--pacing"}
    example = section.split("A pacing file uses the keys", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    assert set(yaml.safe_load(example)) == set(KEYS)  # the pacing file example uses every key


@pytest.mark.parametrize("key", ["duration", "countdown"])
def test_off_is_a_value_everywhere(key: str) -> None:
    """`duration: off` (not fitted, whatever a lower layer says: what a quick session pins,
    so that `play --resume` replays it unfitted) and `countdown: off`, on the command line,
    in a file (quoted or YAML's plain off, which is false), on the page and in the schema."""
    from voiceguide.routine.pacing_settings import OFF
    from voiceguide.timing.pacing import Layer, resolve_pacing

    setting = BY_KEY[key]
    assert parse(setting, "off") == OFF
    assert option("show", setting).type.convert("off", None, None) == OFF
    for written in ("off", '"off"'):
        source = f"title: T\npacing: {{{key}: {written}}}\nsteps: [{{say: Go.}}]\n".encode()
        routine = parse_routine(source, "r.yaml")[0]
        assert routine.pacing == {key: OFF}
        assert schema_valid(source)
    if key in PAGE_KEYS:
        assert check_pacing({key: "off"}).values == {key: OFF}
    fitted = parse_routine(f"title: T\npacing: {{{key}: 12}}\nsteps: [{{say: Go.}}]\n".encode(), "r.yaml")[0]
    resolved = resolve_pacing(fitted, [Layer("command line", {key: OFF})])  # type: ignore[misc]
    value = getattr(resolved.pacing, setting.field)
    assert value == (None if key == "duration" else 0) and resolved.sources[setting.field] == "command line"
    assert getattr(resolve_pacing(fitted).pacing, setting.field) == (12_000 if key == "duration" else 12)


def schema_valid(source: bytes) -> bool:
    import jsonschema

    return not list(jsonschema.Draft202012Validator(schema.json_schema()).iter_errors(yaml.safe_load(source)))
