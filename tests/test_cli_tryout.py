"""Small command-line fixes found by a new user's tryout, each through the real CLI:
``validate -`` reads standard input once, ``cache prune`` sizes, ``list --max``, messages."""

from __future__ import annotations

import os
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
