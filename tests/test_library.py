"""The routine library (issue 16): metadata in the format, `voiceguide list` filtering,
sorting and measuring, and the README's table of the library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from voiceguide import service
from voiceguide.cli import listing as commands
from voiceguide.errors import RoutineError
from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.library import (
    INDEX_NAME,
    Entry,
    list_entries,
    markdown_table,
    record_lengths,
    select,
    sort_entries,
)
from voiceguide.routine.loader import load_routine, parse_routine
from voiceguide.routine.schema import json_schema
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.fake import FakeEngine, fake_speech_ms
from voiceguide.timing.pacing import Layer, resolve_pacing
from voiceguide.timing.timeline import compile, utterances

from .helpers.library_table import readme_table, seconds, table_rows
from .helpers.run import Runner

FULL = b"""title: T
tags: [back, self-massage]
level: moderate
equipment: [tennis ball, mat]
author: Ann Example
license: CC0-1.0
standard_minutes: {min: 9, max: 10.5}
steps: [{say: Go., hold: 2s}]
"""


def test_the_metadata_keys_load_into_the_model() -> None:
    routine, warnings = parse_routine(FULL, "r.yaml")
    about = routine.about
    assert about.tags == ("back", "self-massage") and about.level == "moderate"
    assert about.equipment == ("tennis ball", "mat")
    assert (about.author, about.license) == ("Ann Example", "CC0-1.0")
    assert about.standard_length_ms == (540_000, 630_000)
    assert warnings == ()
    for nothing in (b"[]", b"[none]"):  # both mean: nothing needed
        plain, _ = parse_routine(b"title: T\nequipment: " + nothing + b"\nsteps: [{say: Go.}]\n", "r.yaml")
        assert plain.about.equipment == ()
    unstated, _ = parse_routine(b"title: T\nsteps: [{say: Go.}]\n", "r.yaml")
    assert unstated.about.equipment is None and unstated.about.tags == ()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("level: moderat", "r.yaml:2:8: unknown level 'moderat' (did you mean \"moderate\"?)"),
        ("tags: [Back]", "r.yaml:2:8: each of tags must be lowercase words"),
        ("tags: [back, back]", 'r.yaml:2:14: "back" is listed twice in tags'),
        ("tags: back", "r.yaml:2:7: tags must be a list"),
        ("equipment: [Tennis-Ball!]", "r.yaml:2:13: each of equipment must be lowercase words"),
        ("license: ''", "r.yaml:2:10: license is empty"),
        ("author: [a]", "r.yaml:2:9: author must be text, got a list"),
        ("standard_minutes: {min: 12, max: 10}", "r.yaml:2:19: standard_minutes min is more than its max"),
        ("standard_minutes: {min: 9}", 'r.yaml:2:19: standard_minutes needs "max:"'),
        ("standard_minutes: {min: 9, max: .inf}", "r.yaml:2:33: standard_minutes max must be a number"),
        ("standard_minutes: {min: 9, mx: 10}", 'r.yaml:2:28: unknown key "mx" in standard_minutes'),
        ("standard_minute: {min: 9, max: 10}", 'unknown key "standard_minute" in the routine (did you mean'),
    ],
)
def test_bad_metadata_is_an_error_at_its_place(line: str, message: str) -> None:
    with pytest.raises(RoutineError) as caught:
        parse_routine(f"title: T\n{line}\nsteps: [{{say: Go.}}]\n".encode(), "r.yaml")
    assert message in caught.value.format()
    assert caught.value.exit_code == 2


def test_the_schema_describes_the_metadata_keys() -> None:
    import yaml

    validator = jsonschema.Draft202012Validator(json_schema())
    assert not list(validator.iter_errors(yaml.safe_load(FULL)))
    for bad in (
        {"level": "easy"},
        {"tags": ["Back"]},
        {"equipment": "mat"},
        {"standard_minutes": {"min": 9}},
        {"license": ""},
    ):
        assert list(validator.iter_errors(yaml.safe_load(FULL) | bad)), bad


def fake_length_ms(path: Path, preset: str) -> tuple[int, tuple[str, ...]]:
    """The session's length (ms) and lint warnings at ``preset`` with the fake engine's
    speech lengths: the same compile as `show`, without synthesizing tones."""
    routine, warnings = load_routine(path)
    pacing = resolve_pacing(routine, [Layer("test", {"preset": preset})]).pacing
    speech = {t: fake_speech_ms(t, pacing.rate_wpm) for t in utterances(routine, pacing)}
    timeline = compile(routine, pacing, speech)
    return timeline.duration_ms, tuple(str(w) for w in warnings + timeline.warnings)


@pytest.mark.parametrize(("name", "path"), bundled_routines())
def test_every_bundled_routine_states_its_metadata_and_keeps_to_its_length(name: str, path: Path) -> None:
    """The quick loop's share of the library check (the real engine at every preset is in
    tests/test_integration.py): metadata, safety, lint-clean and inside the stated band
    at the standard preset with the fake engine."""
    routine, _ = load_routine(path)
    about = routine.about
    assert about.license == "CC0-1.0" and about.author == "voiceguide contributors"
    assert about.tags and about.level in ("gentle", "moderate", "demanding")
    assert about.equipment is not None and about.standard_length_ms is not None
    assert routine.safety, f"{name} has no safety notes"
    length, warnings = fake_length_ms(path, "standard")
    assert warnings == ()
    low, high = about.standard_length_ms
    assert low <= length <= high, f"{name}: {length / 60_000:.2f} min, outside {low}–{high} ms"


def entry(
    name: str,
    tags: tuple[str, ...] = (),
    equipment: tuple[str, ...] | None = (),
    length_ms: int | None = None,
) -> Entry:
    return Entry(
        name, Path(f"{name}.yaml"), name.title(), "", tags=tags, equipment=equipment, length_ms=length_ms
    )


def test_select_and_sort() -> None:
    a = entry("a", ("back", "desk"), ("chair",), 600_000)
    b = entry("b", ("back",), (), 300_000)
    c = entry("c", ("sleep",), None, None)  # equipment not stated, not measured
    d = entry("d", ("back",), ("mat", "chair"), 599_999)
    every = [a, b, c, d]
    assert select(every) == every
    assert select(every, tags=["back"]) == [a, b, d]
    assert select(every, tags=["back", "desk"]) == [a]  # all tags must match
    assert select(every, have=()) == [b]  # --equipment none
    assert select(every, have=["chair"]) == [a, b]  # needs nothing beyond a chair
    assert select(every, have=["chair", "mat"]) == [a, b, d]
    assert select(every, max_ms=599_999) == [b, d]  # at most; unmeasured never matches
    assert select(every, max_ms=600_000) == [a, b, d]
    assert sort_entries(every, "length") == [b, d, a, c]
    assert sort_entries([d, c, b, a], "name") == every


def test_list_filters_by_tag_and_equipment(vg_in_process: Runner) -> None:
    rows = json.loads(vg_in_process("list", "--json", "--tag", "back", "--equipment", "none").stdout)
    assert rows == []  # every back routine needs something
    rows = json.loads(vg_in_process("list", "--json", "--tag", "breathing", "--equipment", "none").stdout)
    names = {r["name"] for r in rows}
    assert {"box-breathing", "4-7-8-breathing", "physiological-sigh"} <= names
    assert "evening-wind-down" not in names  # a breathing routine that needs a mat
    row = rows[0]
    assert set(row) >= {
        "name",
        "title",
        "description",
        "tags",
        "level",
        "equipment",
        "author",
        "license",
        "length_ms",
        "path",
    }
    assert row["license"] == "CC0-1.0" and row["equipment"] == [] and row["length_ms"] is None
    back = vg_in_process("list", "--tag", "back", "--tag", "partner").stdout
    assert back.startswith("partner-back-massage") and "tags: back, massage, partner" in back
    assert "needs: mat, pillow" in back and "11–14 min" in back
    none = vg_in_process("list", "--tag", "back", "--equipment", "none")
    assert none.returncode == 0 and none.stdout == "" and "no routine matches" in none.stderr
    bad = vg_in_process("list", "--max", "ten minutes")
    assert bad.returncode == 2 and "--max" in bad.stderr


@pytest.mark.parametrize(
    ("option", "typed", "said"),
    [
        ("--tag", "bak", "no routine has the tag 'bak' (did you mean \"back\"?)"),
        ("--equipment", "matt", "no routine needs 'matt' (did you mean \"mat\"?)"),
        ("--tag", "zzzz", "(known: back, breathing,"),
    ],
)
def test_an_unknown_tag_or_equipment_is_a_usage_error_with_a_suggestion(
    vg_in_process: Runner, option: str, typed: str, said: str
) -> None:
    """Issue 25 item 11: a typo was "no routine matches" (exit 0), an unknown item of
    equipment was ignored (every routine listed)."""
    for output in ((), ("--json",), ("--markdown",)):
        result = vg_in_process("list", option, typed, *output)
        assert result.returncode == 2 and result.stdout == "", result
        assert said in result.stderr and "Traceback" not in result.stderr


def tiny_library(tmp_path: Path) -> list[tuple[str, Path]]:
    library = []
    for name, hold in (("long", 40), ("short", 5), ("middle", 20)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            f"title: {name}\ntags: [{name}]\nequipment: []\n"
            f"steps: [{{say: Hold it., hold: {hold}s, rest: 0}}]\n"
        )
        library.append((name, path))
    return library


def test_list_measures_lengths_once_then_reads_them_from_the_index(
    vg_in_process: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = tiny_library(tmp_path)
    monkeypatch.setattr(commands, "bundled_routines", lambda: library)
    first = vg_in_process("list", "--json", "--sort", "length", "--max", "30s", "--lengths")
    assert first.returncode == 0, first.stderr
    rows = json.loads(first.stdout)
    assert [r["name"] for r in rows] == ["short", "middle"]
    assert all(r["preset"] is None and r["length_ms"] > 0 and not r["estimated"] for r in rows)
    assert rows[1]["length_ms"] - rows[0]["length_ms"] == 15_000  # the holds' difference
    shown = json.loads(vg_in_process("show", str(tmp_path / "middle.yaml"), "--json").stdout)
    assert rows[1]["length_ms"] == shown["duration_ms"]  # the same path as show
    assert shown["estimated"] is False  # its speech is in the cache now

    def no_speech(*args: object, **kwargs: object) -> None:
        raise AssertionError("measured again")

    monkeypatch.setattr(commands, "prepare_routine", no_speech)
    again = vg_in_process("list", "--json", "--sort", "length", "--max", "30s")
    assert again.returncode == 0 and json.loads(again.stdout) == rows
    brisk = vg_in_process("list", "--preset", "brisk")  # another key: estimated, not measured
    assert brisk.returncode == 0, brisk.stderr
    assert "≈0:" in brisk.stdout and "≈ estimated" in brisk.stderr
    measured = vg_in_process("list", "--preset", "brisk", "--lengths")  # measured: fails here
    assert measured.returncode == 1 and "measured again" in measured.stderr


def test_lengths_are_kept_per_preset_engine_and_routine_file(tmp_path: Path) -> None:
    library = tiny_library(tmp_path)
    index = tmp_path / "index.json"
    list_entries(library, index)
    record_lengths(index, "k1", {library[0][1]: 41_000})
    assert list_entries(library, index, "k1")[0].length_ms == 41_000
    assert list_entries(library, index, "k2")[0].length_ms is None
    library[0][1].write_text(library[0][1].read_text() + "outro: Done.\n")  # the file changed
    assert list_entries(library, index, "k1")[0].length_ms is None


def test_the_lengths_key_names_the_preset_the_engine_and_the_pacing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEGUIDE_ENGINE", "fake")
    monkeypatch.setenv("VOICEGUIDE_CONFIG_DIR", str(tmp_path / "config"))
    cache = tmp_path / "cache"
    before = commands.lengths_key("gentle", cache)
    assert commands.lengths_key("brisk", cache) != before
    ClipCache(cache).remember_engine(FakeEngine())  # the engine's version is known now
    known = commands.lengths_key("gentle", cache)
    assert known != before
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "pacing.yaml").write_text("rate: 120\n")
    assert commands.lengths_key("gentle", cache) != known


def test_lengths_recorded_by_another_version_of_the_program_are_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A safety set or a preset changed lengths without touching the routine file: a warm
    index showed lower-back-stretch at 12:41, measured 12:38. The key names the program."""
    package = tmp_path / "package"
    (package / "routine").mkdir(parents=True)
    (package / "routine" / "safety_sets.py").write_text("BACK = 'Get help now.'\n")
    first = service.program_fingerprint(package)
    assert service.program_fingerprint(package) == first and len(first) == 16
    service.program_fingerprint.cache_clear()
    (package / "routine" / "safety_sets.py").write_text("BACK = 'Get help now, today.'\n")
    assert service.program_fingerprint(package) != first
    service.program_fingerprint.cache_clear()

    monkeypatch.setenv("VOICEGUIDE_ENGINE", "fake")
    cache = tmp_path / "cache"
    this_program = commands.lengths_key("standard", cache)
    monkeypatch.setattr(service, "program_fingerprint", lambda package: "another version")
    assert commands.lengths_key("standard", cache) != this_program


def test_a_warm_measured_list_imports_nothing_heavy(tmp_path: Path) -> None:
    """`list --max 10m --sort length` with every length in the index: no YAML, no session."""
    env = dict(
        os.environ,
        VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"),
        VOICEGUIDE_ENGINE="fake",
        VOICEGUIDE_CONFIG_DIR=str(tmp_path / "config"),
    )
    code = f"""
import json, os, sys
os.environ.update({
        json.dumps(
            {k: env[k] for k in ("VOICEGUIDE_CACHE_DIR", "VOICEGUIDE_ENGINE", "VOICEGUIDE_CONFIG_DIR")}
        )
    })
from pathlib import Path
from voiceguide.cli.listing import lengths_key
from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.library import list_entries, record_lengths
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.fake import FakeEngine
cache = Path(os.environ["VOICEGUIDE_CACHE_DIR"])
ClipCache(cache).remember_engine(FakeEngine())
routines = bundled_routines()
list_entries(routines, cache / {INDEX_NAME!r})
record_lengths(cache / {INDEX_NAME!r}, lengths_key(None, None),
               {{path: 60_000 * (i + 1) for i, (_, path) in enumerate(routines)}})
"""
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    probe = (
        "import sys, io, contextlib\nfrom voiceguide.cli import run\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    assert run(['list', '--max', '3m', '--sort', 'length']) == 0\n"
        "print(out.getvalue(), file=sys.__stdout__)\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.__stderr__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines() if line and not line[0].isspace()]
    assert names == [n for n, _ in bundled_routines()[:3]]  # 1, 2 and 3 minutes
    loaded = set(result.stderr.split())
    assert not loaded & {"yaml", "voiceguide.session", "rich.progress", "numpy", "pyttsx3"}


def test_the_readme_table_lists_every_routine_as_it_is_now() -> None:
    """Everything but the lengths is checked here (the lengths, measured with espeak-ng,
    in tests/test_integration.py): regenerate the table with the README's own lengths."""
    table = readme_table()
    lengths: dict[str, dict[str, int | None]] = {}
    for cells in table_rows(table):
        lengths[cells[0].strip("`")] = {
            preset: seconds(text) * 1000
            for preset, text in zip(("gentle", "standard", "brisk"), cells[2:5], strict=True)
        }
    entries = list_entries(bundled_routines(), None)
    assert markdown_table([(e, lengths.get(e.name, {})) for e in entries]) == table
