"""One error style (issue 14 item 9): `voiceguide: error: …` on one line and the hint, if
any, on the next, for click's usage errors and voiceguide's own alike; no Python reprs in
messages; -v/--verbose documented and giving the details of an internal error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voiceguide.cli import app as cli
from voiceguide.cli import listing

from .helpers.run import Runner

CASES = [
    (["play", "box-breathing", "--frm", "2"], "--frm"),  # unknown option
    (["show", "box-breathing", "--rate", "fast"], "--rate"),  # bad value
    (["show"], "ROUTINE"),  # missing argument
    (["shwo", "box-breathing"], "shwo"),  # unknown command
    (["show", "box-breathing", "--breath", "4-x"], "breathing pattern"),
    (["show", "nothing-like-this"], "no routine named"),  # voiceguide's UsageError
    (["export", "box-breathing"], "-o"),
    (["play", "box-breathing", "--from", "nowhere"], "no step named"),
]


@pytest.mark.parametrize(("args", "says"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_every_error_is_one_line_then_the_hint(
    vg_in_process: Runner, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str
) -> None:
    # a sound device is there: `play` looks for one before the timeline --from is found in
    monkeypatch.setattr("voiceguide.play.sink.check_output", lambda device="default": None)
    result = vg_in_process(*args)
    assert result.returncode == 2
    lines = result.stderr.rstrip("\n").split("\n")
    assert lines[0].startswith("voiceguide: error: ") and says in lines[0], result.stderr
    assert len(lines) <= 2, result.stderr  # the message, then at most one line of hint
    assert not any(line.startswith(("Usage:", "Error:")) for line in lines), result.stderr
    assert not re.search(r"\[['\"]|\(['\"].*['\"],", result.stderr), result.stderr  # no reprs


def test_a_usage_error_hints_at_the_help_of_its_command(vg_in_process: Runner) -> None:
    result = vg_in_process("play", "box-breathing", "--frm", "2")
    assert result.stderr.splitlines()[1] == "Try 'voiceguide play --help' for help."


def test_an_unknown_routine_gives_the_hint_on_its_own_line(vg_in_process: Runner) -> None:
    first, hint = vg_in_process("show", "box-breathin").stderr.splitlines()
    assert "did you mean" in first and "box-breathing" in first
    assert "voiceguide list" in hint


def test_verbose_is_documented_in_the_top_level_help(vg_in_process: Runner) -> None:
    out = vg_in_process("--help").stdout
    assert re.search(r"-v, --verbose\s+\S", out), out


def test_an_internal_error_says_to_run_again_with_verbose(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.delenv("VOICEGUIDE_DEBUG", raising=False)
    monkeypatch.setattr(listing, "bundled_routines", broken)
    assert cli.run(["list"]) == 1
    first, hint = capsys.readouterr().err.splitlines()
    assert first == "voiceguide: error: internal error: RuntimeError: boom"
    assert "-v" in hint and "report" in hint
    assert cli.run(["-v", "list"]) == 1  # the details: the traceback
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err
    assert cli.run(["list", "--verbose"]) == 1  # after the command too
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_runtime_error_has_the_same_style(vg_in_process: Runner, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = vg_in_process("export", "box-breathing", "-o", str(tmp_path / "file" / "x.wav"))
    assert result.returncode in (1, 2)
    assert result.stderr.startswith("voiceguide: error: "), result.stderr


@pytest.mark.parametrize("args", [[], ["cache"]])
def test_no_command_shows_the_help_not_an_error(vg_in_process: Runner, args: list[str]) -> None:
    result = vg_in_process(*args)
    shown = result.stdout + result.stderr
    assert "Usage: voiceguide" in shown and "Commands:" in shown
    assert "error:" not in shown


def test_a_misspelled_command_suggests_the_command_meant(vg: Runner) -> None:
    result = vg("plya", "lower-back-stretch")  # the real console script, as a user types it
    assert result.returncode == 2
    first, hint = result.stderr.splitlines()
    assert first == "voiceguide: error: No such command 'plya'. Did you mean 'play'?"
    assert hint.startswith("Try '") and hint.endswith(" --help' for help.")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["expotr"], "Did you mean 'export'?"),
        (["Play", "box-breathing"], "No such command 'Play'. Did you mean 'play'?"),
        (["rendr", "box-breathing"], "Did you mean 'render'?"),  # a hidden alias is a command too
        (["cache", "stast"], "No such command 'stast'. Did you mean 'stats'?"),  # a subgroup's
        (["xyzzy"], "No such command 'xyzzy'."),  # nothing close: no guess
    ],
)
def test_the_guess_comes_from_the_group_asked(vg_in_process: Runner, args: list[str], says: str) -> None:
    result = vg_in_process(*args)
    assert result.returncode == 2
    first = result.stderr.splitlines()[0]
    assert first.endswith(says), first
    assert says.endswith("?") or "Did you mean" not in first


def test_a_routine_typed_where_the_command_goes_suggests_playing_it(vg: Runner, tmp_path: Path) -> None:
    mine = tmp_path / "routines"  # the user's routines folder
    mine.mkdir()
    (mine / "my-stretch.yaml").write_text("title: My stretch\nsteps:\n  - say: Hello.\n")
    env = {"VOICEGUIDE_ROUTINES_DIR": str(mine)}
    for args, meant in (
        (["lower-back-stretch"], "play lower-back-stretch"),  # a bundled routine
        (["lower-back-stretch", "--preset", "gentle"], "play lower-back-stretch --preset gentle"),
        (["my-stretch"], "play my-stretch"),  # one of the user's
        (["My Stretch"], 'play "My Stretch"'),  # as `new "My Stretch"` named it: play finds it
    ):
        result = vg(*args, env=env)  # the real console script, as a user types it
        assert result.returncode == 2, result.stderr
        first, hint = result.stderr.splitlines()
        said = re.escape(f"voiceguide: error: No such command '{args[0]}'. Did you mean '")
        assert re.fullmatch(rf"{said}\S*voiceguide {re.escape(meant)}'\?", first), first
        assert hint.startswith("Try '") and hint.endswith(" --help' for help.")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["mine.yaml"], "No such command 'mine.yaml'. Did you mean 'voiceguide play mine.yaml'?"),  # a file
        (["notes.txt"], "No such command 'notes.txt'."),  # a file, but no routine
        (["lower-back-strech"], "No such command 'lower-back-strech'."),  # no routine of that name
        (["cache", "box-breathing"], "No such command 'box-breathing'."),  # cache cannot play it
    ],
)
def test_only_a_routine_play_finds_is_suggested(
    vg_in_process: Runner, tmp_path: Path, args: list[str], says: str
) -> None:
    (tmp_path / "mine.yaml").write_text("title: Mine\nsteps:\n  - say: Hello.\n")
    (tmp_path / "notes.txt").write_text("not a routine\n")
    result = vg_in_process(*args)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"voiceguide: error: {says}", result.stderr
