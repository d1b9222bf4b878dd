"""Small command-line fixes found by a new user's tryout, each through the real CLI:
``validate -`` reads standard input once, ``cache prune`` sizes, ``list --max``, messages."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

from .helpers.run import VOICEGUIDE, private_environment

VALID = "title: From a pipe\nsteps:\n  - {say: Breathe in., hold: 2s}\n"


def piped(tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """The console script with ``stdin`` on its standard input (a pipe), privately."""
    env = dict(os.environ) | private_environment(tmp_path, "fake")
    env.pop("VOICEGUIDE_DEBUG", None)
    command = [str(VOICEGUIDE), *args]
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )


def test_validate_reads_standard_input_once(tmp_path: Path) -> None:
    # the timing lint loaded the routine a second time, from a standard input already read
    for extra in ((), ("--no-speech",)):
        result = piped(tmp_path, "validate", "-", *extra, stdin=VALID)
        assert result.returncode == 0, result.stderr
        assert "empty" not in result.stderr
        assert result.stdout.startswith("ok: <stdin> (From a pipe"), result.stdout


def on_terminal(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """The console script with its standard error on a pseudo-terminal (where progress bars
    are drawn) and its output on a pipe: exit code, output, what the terminal received."""
    env = dict(os.environ) | private_environment(tmp_path, "fake") | {"TERM": "xterm", "COLUMNS": "100"}
    env.pop("VOICEGUIDE_DEBUG", None)
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [str(VOICEGUIDE), *args], stdout=subprocess.PIPE, stderr=follower, env=env, cwd=tmp_path, text=True
    ) as process:
        os.close(follower)
        received = b""
        while True:  # until the terminal's other end is closed: the process has exited
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: no writer left
                break
            if not chunk:
                break
            received += chunk
        output = process.stdout.read() if process.stdout else ""
        code = process.wait(timeout=120)
    os.close(leader)
    return code, output, received.decode(errors="replace")


def test_validate_shows_the_speech_bar_on_a_terminal(tmp_path: Path) -> None:
    # a cold cache took 96 s with piper and said nothing meanwhile
    code, output, terminal = on_terminal(tmp_path, "validate", "box-breathing")
    assert code == 0 and output.startswith("ok: "), terminal
    assert "Synthesizing speech" in terminal
    cold = ("--cache-dir", "other")
    code, output, terminal = on_terminal(tmp_path, "validate", "box-breathing", "--json", *cold)
    assert code == 0 and output.startswith("["), terminal
    assert "Synthesizing speech" not in terminal  # JSON asks for quiet
