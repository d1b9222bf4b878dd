"""The command the user can actually run (issue 14 item 6): hints and the resume line say
`bin/voiceguide`, `.venv/bin/voiceguide`, `voiceguide` (when that name on PATH is this
program) or `python3 -m voiceguide`, as it was started; `install-shell` puts a link in
~/.local/bin and says whether that folder is on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceguide.cli.invocation import command_name

from .helpers.run import REPO, VOICEGUIDE, Runner, private_environment

SCRIPT = str(VOICEGUIDE)


def test_the_name_as_it_was_typed() -> None:
    def nowhere(name: str) -> str | None:
        return None

    assert command_name(SCRIPT, {}, nowhere) == SCRIPT
    assert command_name(SCRIPT, {"VOICEGUIDE_PROG": str(REPO / "bin" / "voiceguide")}, nowhere) == str(
        REPO / "bin" / "voiceguide"
    )
    assert command_name(SCRIPT, {"VOICEGUIDE_PROG": "/no/such/bin/voiceguide"}, nowhere) == SCRIPT
    assert command_name(SCRIPT, {}, lambda name: SCRIPT) == "voiceguide"  # on PATH: this program
    assert command_name(SCRIPT, {}, lambda name: "/usr/bin/true") == SCRIPT  # another one
    main = str(REPO / "voiceguide" / "__main__.py")
    assert command_name(main, {}, lambda name: sys.executable, sys.executable) == (
        f"{Path(sys.executable).name} -m voiceguide"
    )
    assert command_name("/x/pytest", {}, nowhere) == "voiceguide"  # inside a test runner


def _run(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**private_environment(tmp_path, "fake"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("typed", ["bin/voiceguide", ".venv/bin/voiceguide"])
def test_hints_name_the_command_as_typed(typed: str, tmp_path: Path) -> None:
    if typed.startswith(".venv") and not (REPO / typed).exists():
        pytest.skip("no .venv in this checkout")
    result = _run([typed, "show", "no-such-routine"], tmp_path)
    assert result.returncode == 2
    assert f"`{typed} list`" in result.stderr, result.stderr
    usage = _run([typed, "show", "--frm"], tmp_path)
    assert f"Try '{typed} show --help' for help." in usage.stderr, usage.stderr


def test_python_dash_m_is_named_so(tmp_path: Path) -> None:
    result = _run([sys.executable, "-m", "voiceguide", "play", "box-breathing", "--frm"], tmp_path)
    assert "-m voiceguide play --help" in result.stderr, result.stderr


def test_resume_line_names_the_runnable_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from voiceguide.audio.mix import NO_MIX
    from voiceguide.cli import play

    from .helpers.players import make_player

    player, _, _, _ = make_player()
    player.last_position = 3 * 22050 * 4  # somewhere in a later step
    monkeypatch.setattr(sys, "argv", [".venv/bin/voiceguide"])
    monkeypatch.setenv("VOICEGUIDE_PROG", "bin/voiceguide")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.chdir(REPO)
    request = play.PlayRequest("my routine.yaml", NO_MIX, arguments=("--rate", "140"))
    play._resume_hint(request, player, "stopped", kept=True)
    first, second = capsys.readouterr().err.splitlines()
    assert 'To resume: bin/voiceguide play "my routine.yaml" --rate 140 --from "' in first, first
    assert second == "(or: bin/voiceguide play --resume)"


def test_history_suggests_resuming_as_the_program_was_started(
    vg_in_process: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 25 item 12: `history` said `voiceguide play --resume` where only bin/voiceguide
    exists."""
    from datetime import UTC, datetime

    from voiceguide.play.history import HISTORY_FILE, PlayRecord, save

    data = tmp_path / "data"
    stopped = PlayRecord(
        routine="box-breathing",
        title="Box breathing",
        arguments=(),
        pacing="standard",
        started=datetime.now(UTC),
        duration_ms=600_000,
        stopped_ms=125_000,
        step_index=2,
        step_title="Round 2",
        completed=False,
    )
    save(stopped, data / HISTORY_FILE)
    monkeypatch.setattr(sys, "argv", [".venv/bin/voiceguide"])
    monkeypatch.setenv("VOICEGUIDE_PROG", "bin/voiceguide")  # as bin/voiceguide sets it
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no voiceguide on PATH
    result = vg_in_process("history", cwd=REPO, env={"VOICEGUIDE_DATA_DIR": str(data)})
    assert result.returncode == 0, result.stderr
    assert 'To carry on Box breathing at "Round 2": bin/voiceguide play --resume' in result.stdout


def test_shell_words_read_back_unchanged() -> None:
    import shlex

    from voiceguide.cli.invocation import shell_word

    for text in [
        "box-breathing",
        "my routine.yaml",
        "Knee to chest — left",
        'Say "hi"',
        "it's $5 `now`!",
        "a\\b",
    ]:
        assert shlex.split(shell_word(text)) == [text]
        assert shlex.split(shell_word(text, quote=True)) == [text]
    assert shell_word("box-breathing") == "box-breathing"
    assert shell_word("Reach", quote=True) == '"Reach"'
    assert shell_word("Knee to chest — left") == '"Knee to chest — left"'


def test_install_shell_links_into_local_bin(vg_in_process: Runner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = vg_in_process("install-shell", env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    link = home / ".local" / "bin" / "voiceguide"
    assert link.is_symlink() and os.path.samefile(link, VOICEGUIDE)
    assert "not on your PATH" in result.stdout and "export PATH" in result.stdout
    again = vg_in_process(
        "install-shell", env={"HOME": str(home), "PATH": f"{home / '.local' / 'bin'}:/usr/bin"}
    )
    assert again.returncode == 0 and "already" in again.stdout
    assert "is on your PATH" in again.stdout and "not on" not in again.stdout
    link.unlink()
    link.write_text("someone else's")
    taken = vg_in_process("install-shell", env={"HOME": str(home)})
    assert taken.returncode == 1 and taken.stderr.startswith("voiceguide: error: ")
    assert link.read_text() == "someone else's"


def test_setup_and_readme_tell_about_install_shell() -> None:
    assert "install-shell" in (REPO / "bin" / "setup").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "bin/voiceguide install-shell" in readme
