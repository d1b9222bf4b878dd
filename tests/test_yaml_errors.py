"""YAML syntax errors in plain words (routine.yamlsyntax): the common mistakes of a new user
said as what is wrong and the fix, at file:line:col, exit 2, through the real `validate`,
for pacing files too, and the same words from the page's validate API."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest
import yaml
from starlette.testclient import TestClient

from voiceguide.errors import RoutineError
from voiceguide.routine import yamlguard
from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.loader import parse_routine

from .helpers.run import Runner
from .helpers.serving import TOKEN, make_client, serve_folder

#: (name, the routine, the line `validate` prints for it, without the file's name)
CASES = [
    (
        "a colon inside a say",
        """\
        title: Shoulders
        steps:
          - say: Roll your shoulders: slowly
        """,
        '3:29: a colon inside the text: put the text in quotes: say: "Roll your shoulders: slowly"',
    ),
    (
        "a colon inside a cue in braces",
        """\
        title: Shoulders
        steps:
          - say: Hold.
            hold: 20s
            cues:
              - {at: 10s, say: Halfway: keep going}
        """,
        '6:31: a colon inside the text: put the text in quotes: say: "Halfway: keep going"',
    ),
    (
        "cues over-indented",
        """\
        title: Shoulders
        steps:
          - say: Hold.
            hold: 20s
              cues:
                - {at: 10s, say: Halfway.}
        """,
        "5:7: this line is indented more than the lines above it expect: "
        "line up cues: with hold: on line 4 (column 5)",
    ),
    (
        "a key under-indented",
        """\
        title: Shoulders
        steps:
          - say: Hold.
            hold: 20s
           rest: 5s
        """,
        "5:4: this line is indented less than the lines above it expect: "
        "line up rest: with hold: on line 4 (column 5)",
    ),
    (
        "a step's key at the dash's column",
        """\
        title: Shoulders
        steps:
          - say: Hold.
          hold: 20s
        """,
        "4:3: this line is indented less than the lines above it expect: "
        "line up hold: with say: on line 3 (column 5)",
    ),
    (
        "a cue's dash out of line",
        """\
        title: Shoulders
        steps:
          - say: Hold.
            hold: 20s
            cues:
              - at: 5s
                say: Breathe.
               - at: 10s
                 say: Halfway.
        """,
        "8:8: this line is indented more than the lines above it expect: "
        "line up the - with the - on line 6 (column 7)",
    ),
    (
        "a tab",
        "title: Shoulders\nsteps:\n\t- say: Hold.\n",
        "3:1: a tab: indent with spaces, not tabs",
    ),
    (
        "a tab after spaces",
        "title: Shoulders\nsteps:\n  - say: Hold.\n  \thold: 20s\n",
        "4:3: a tab: indent with spaces, not tabs",
    ),
    (
        "a quote never closed",
        """\
        title: Shoulders
        steps:
          - say: "Hold.
          - say: Rest.
        """,
        '3:10: this " is never closed: end the text with "',
    ),
    (
        "a quote closed on a later line",
        """\
        title: Shoulders
        steps:
          - say: "Hold.
          - say: "Rest."
        """,
        '3:10: the text opened with " on line 3 is closed only on line 4: close it with " on line 3',
    ),
    (
        "an apostrophe in single quotes",
        """\
        title: Shoulders
        steps:
          - say: 'It's fine.'
        """,
        '3:14: an apostrophe ends a text in single quotes: use double quotes: say: "It\'s fine."',
    ),
    (
        "text after a quoted word",
        """\
        title: Shoulders
        steps:
          - say: "Roll" slowly.
        """,
        "3:17: text after the closing quote: put the whole text in quotes: say: '\"Roll\" slowly.'",
    ),
    (
        "a bracket never closed",
        """\
        title: Shoulders
        tags: [neck, shoulders
        steps:
          - say: Hold.
        """,
        "2:7: this [ is never closed: close it with ] (if the [ is part of the text, put the text in quotes)",
    ),
    (
        "a text starting with a pause",
        """\
        title: Shoulders
        steps:
          - say: [pause 2s] Breathe in.
        """,
        '3:10: a text that starts with [ must be in quotes: say: "[pause 2s] Breathe in."',
    ),
    (
        "no space after a colon",
        """\
        title: Shoulders
        steps:
          - say: Hold.
            hold:20s
        """,
        "4:9: a missing space after ':': write hold: 20s",
    ),
    (
        "no space after a colon, then a key",
        """\
        title:Shoulders
        steps:
          - say: Hold.
        """,
        "1:6: a missing space after ':': write title: Shoulders",
    ),
    (
        "no space after a dash",
        """\
        title: Shoulders
        steps:
          - say: Hold.
          -say: Rest.
        """,
        "4:3: a missing space after '-': write - say: Rest.",
    ),
    (
        "a text starting with @",
        """\
        title: Shoulders
        steps:
          - say: @home, sit tall.
        """,
        '3:10: a text cannot start with @: put the text in quotes: say: "@home, sit tall."',
    ),
    (
        "a text starting with *",
        """\
        title: Shoulders
        steps:
          - say: *slowly* now.
        """,
        "3:10: a text cannot start with * (YAML reads *… as an alias): "
        'put the text in quotes: say: "*slowly* now."',
    ),
    (
        "a backslash in double quotes",
        """\
        title: Shoulders
        steps:
          - say: "Left\\side"
        """,
        '3:15: a backslash inside "…" starts an escape such as \\n: write \\\\ for a backslash, '
        "or use single quotes: say: 'Left\\side'",
    ),
    (
        "the first line indented",
        "  title: Shoulders\nsteps:\n  - say: Hold.\n",
        "1:3: the first line is indented: start the top-level lines at column 1, without spaces before them",
    ),
    (
        "a line that is not key: value",
        """\
        title: Shoulders
        steps:
          - say: Hold
            your breath.
            hold: 5s
        """,
        "4:5: this line is not key: value; if it goes on with the text above, "
        "indent it further than say: (column 5)",
    ),
    (
        "a list begun on its key's line",
        """\
        title: Shoulders
        safety: - Stop if it hurts.
        steps:
          - say: Hold.
        """,
        "2:9: a list cannot start on the line of its key: put each - item on a line of its own below "
        "safety:, indented (if the - is part of the text, put the text in quotes)",
    ),
    (
        "a text starting with >",
        """\
        title: Shoulders
        steps:
          - say: > Breathe in.
        """,
        "3:10: a text cannot start with > (YAML reads >… as the start of a text on the lines below): "
        'put the text in quotes: say: "> Breathe in."',
    ),
    (
        "a text before the first key",
        """\
        Shoulders, gently.
        title: Shoulders
        steps:
          - say: Hold.
        """,
        "1:1: this line is not key: value (each line at the top is a key, a colon, a value)",
    ),
    (
        "a control character",
        "title: Shoulders\x07\nsteps:\n  - say: Hold.\n",
        "1:17: a control character (U+0007) that YAML does not allow: delete it",
    ),
    (
        "a tag",
        """\
        title: Shoulders
        steps:
          - say: !Important sit tall.
        """,
        "3:10: tags (!name) are not supported in a routine; a text that starts with ! must be in quotes",
    ),
]
IDS = [name for name, _, _ in CASES]


def source(text: str) -> bytes:
    return dedent(text).encode()


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=IDS)
def test_validate_says_what_is_wrong_and_the_fix(
    vg_in_process: Runner, tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(source(text))
    result = vg_in_process("validate", "--no-speech", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"{path}:{expected}"]
    assert "YAML syntax error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("loader", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)])
@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=IDS)
def test_the_words_are_the_same_from_either_yaml_loader(
    monkeypatch: pytest.MonkeyPatch, loader: type, name: str, text: str, expected: str
) -> None:
    """libyaml (CSafeLoader) and pure-Python PyYAML word their errors differently."""
    monkeypatch.setattr(yamlguard, "_YAML_LOADER", loader)
    with pytest.raises(RoutineError) as err:
        parse_routine(source(text), "r.yaml")
    assert [str(d) for d in err.value.diagnostics] == [f"r.yaml:{expected}"]


#: the fix a message gives: the line rewritten as ``key: value`` (or ``- key: value``)
_FIX = re.compile(r"(?:quotes:|write) (?P<fix>(?P<dash>- )?(?P<key>[a-z]+): .+)$")


def _fixable(case: tuple[str, str, str]) -> bool:
    _, text, expected = case
    line = dedent(text).splitlines()[int(expected.split(":")[0]) - 1]
    return _FIX.search(expected) is not None and "{" not in line  # a block line, not a { … } item


FIXABLE = [case for case in CASES if _fixable(case)]


@pytest.mark.parametrize(("name", "text", "expected"), FIXABLE, ids=[name for name, _, _ in FIXABLE])
def test_the_fix_given_makes_the_routine_valid(name: str, text: str, expected: str) -> None:
    """The line rewritten as the message says, from its key on, loads, and the text is as
    the message wrote it."""
    fix = _FIX.search(expected)
    assert fix is not None
    lines = dedent(text).splitlines()
    number = int(expected.split(":")[0]) - 1
    old = lines[number]
    start = len(old) - len(old.lstrip()) if fix["dash"] else old.index(fix["key"] + ":")
    lines[number] = old[:start] + fix["fix"]
    routine, _ = parse_routine("\n".join(lines).encode(), "r.yaml")
    written = yaml.safe_load(fix["fix"].removeprefix("- "))[fix["key"]]
    if fix["key"] == "title":
        assert routine.title == written
    elif fix["key"] == "say":
        assert written in [getattr(step, "say", None) for step in routine.steps]


def test_a_pacing_file_says_the_same(vg_in_process: Runner, tmp_path: Path) -> None:
    routine = tmp_path / "r.yaml"
    routine.write_text("title: Shoulders\nsteps:\n  - say: Hold.\n")
    pacing = tmp_path / "pacing.yaml"
    pacing.write_text("preset: gentle\n\trate: 120\n")
    result = vg_in_process("validate", "--no-speech", "--pacing", str(pacing), str(routine))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{pacing}:2:1: a tab: indent with spaces, not tabs"]
    pacing.write_text("preset: gentle\nrate:120\n")
    result = vg_in_process("validate", "--no-speech", "--pacing", str(pacing), str(routine))
    assert result.stderr.splitlines() == [f"{pacing}:2:5: a missing space after ':': write rate: 120"]


def test_the_console_script_prints_it_and_exits_2(vg: Runner, tmp_path: Path) -> None:
    _, text, expected = CASES[0]
    (tmp_path / "r.yaml").write_bytes(source(text))
    result = vg("validate", "--no-speech", "r.yaml")
    assert (result.returncode, result.stderr) == (2, f"r.yaml:{expected}\n")


def test_an_error_no_rule_knows_keeps_pyyaml_words(vg_in_process: Runner, tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("%title: Shoulders\nsteps:\n  - say: Hold.\n")  # a YAML directive, misspelled
    result = vg_in_process("validate", "--no-speech", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{path}:1:7: YAML syntax error: ")


def test_missing_spaces_that_are_valid_yaml_are_named_by_the_loader() -> None:
    """`-say: hi`, `- say:hi` and `- Stop if: it hurts.` are valid YAML (a key "-say", a
    text "say:hi", a mapping)."""
    for text, expected in (
        (
            "title: T\nsteps:\n  -say: Hold.\n",
            "r.yaml:3:3: steps must be a list (lines starting with -): "
            "a missing space after '-': write - say:",
        ),
        (
            "title: T\nsteps:\n  - say:Hold.\n",
            "r.yaml:3:5: each step must be a mapping (name:, say:, hold: …), "
            "got \"say:Hold.\": a missing space after ':': write say: Hold.",
        ),
        (
            "title: T\nsafety:\n  - Stop if: it hurts.\nsteps:\n  - say: Hold.\n",
            "r.yaml:3:5: a safety item must be text, got a mapping: "
            'a colon inside the text: put the text in quotes: "Stop if: it hurts."',
        ),
        (
            "title: T\nsteps:\n  - say: [pause 2s]\n",
            "r.yaml:3:10: say must be text, got a list: a text that starts with [ or { must be in quotes",
        ),
    ):
        with pytest.raises(RoutineError) as err:
            parse_routine(text.encode(), "r.yaml")
        assert [str(d) for d in err.value.diagnostics] == [expected]


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with make_client(serve_folder(tmp_path, monkeypatch)) as test_client:
        test_client.headers["authorization"] = f"Bearer {TOKEN}"
        yield test_client


@pytest.mark.parametrize(("name", "text", "expected"), CASES[:8], ids=IDS[:8])
def test_the_page_is_told_the_same(client: TestClient, name: str, text: str, expected: str) -> None:
    answer = client.post("/api/validate", json={"yaml": dedent(text)})
    assert answer.status_code == 200
    result = answer.json()
    line, column, message = expected.split(":", 2)
    assert result["ok"] is False
    [diagnostic] = result["diagnostics"]
    assert (diagnostic["line"], diagnostic["col"], diagnostic["message"]) == (
        int(line),
        int(column),
        message[1:],
    )


#: what a slip of the keyboard puts into a routine
_SLIPS = (
    "\t",
    ":",
    ": ",
    '"',
    "'",
    "[",
    "{",
    "]",
    "}",
    "- ",
    "-",
    "  ",
    "@",
    "*",
    "&",
    "!",
    "#",
    "|",
    ">",
    "\\",
    ",",
    "\n",
)


@pytest.mark.parametrize("loader", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)])
def test_any_slip_in_a_bundled_routine_is_a_routine_error(
    monkeypatch: pytest.MonkeyPatch, loader: type
) -> None:
    """Every rule reads the lines defensively: a character added, removed or an indent
    changed anywhere gives a RoutineError with a position in the file, never a crash."""
    monkeypatch.setattr(yamlguard, "_YAML_LOADER", loader)
    rng = random.Random(27)
    for _, path in bundled_routines()[:3]:
        text = path.read_text(encoding="utf-8")
        lines_in_file = text.count("\n") + 1
        for _ in range(40 if loader is yaml.SafeLoader else 300):  # pure Python is slow
            at = rng.randrange(len(text))
            slip = rng.choice(_SLIPS)
            changed = text[:at] + slip + text[at:] if rng.random() < 0.7 else text[:at] + text[at + 1 :]
            try:
                parse_routine(changed.encode(), "r.yaml")
            except RoutineError as err:
                assert all(1 <= d.position.line <= lines_in_file + 1 for d in err.diagnostics)
                assert all(d.position.column >= 1 for d in err.diagnostics)
