"""Running `voiceguide`: where the installed console script and the repository are, and
the variables that keep a run away from the user's own cache, pacing file and history."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

VOICEGUIDE = Path(sys.executable).parent / "voiceguide"  # the installed console script
REPO = Path(__file__).resolve().parents[2]

#: The `vg` and `vg_in_process` fixtures: ``run(*args, engine=, env=, cwd=, …)``.
Runner = Callable[..., subprocess.CompletedProcess[str]]


def private_environment(tmp_path: Path, engine: str) -> dict[str, str]:
    """The variables that keep a run away from the user's cache, pacing file, history and engine."""
    return {
        "VOICEGUIDE_CACHE_DIR": str(tmp_path / "cache"),
        "VOICEGUIDE_CONFIG_DIR": str(tmp_path / "no-config"),  # no user pacing file unless a test writes one
        "VOICEGUIDE_DATA_DIR": str(tmp_path / "data"),  # the play history
        "VOICEGUIDE_ENGINE": engine,
        # new takes unchecked: a piper test then costs no recognizer time (checked takes are
        # tested in test_takes.py, which patches the listener in)
        "VOICEGUIDE_HEARING": "off",
    }


def wait_for_line(process: subprocess.Popen[str], wanted: str, seconds: float = 120.0) -> str:
    """Read ``process``'s standard output until a line holds ``wanted`` (``play`` prints a
    line as each step begins when it is not on a terminal); that line. An event, not a time:
    fails only after ``seconds`` (a busy machine is slow) or when the output ends first."""
    assert process.stdout is not None
    descriptor = process.stdout.fileno()  # (read itself: select() misses lines a reader buffered)
    deadline = time.monotonic() + seconds
    partial = b""
    while time.monotonic() < deadline:
        if select.select([descriptor], [], [], 0.1)[0]:
            data = os.read(descriptor, 65536)
            if not data:
                break
            *lines, partial = (partial + data).split(b"\n")
            for line in lines:
                if wanted in line.decode(errors="replace"):
                    return line.decode(errors="replace") + "\n"
    raise AssertionError(f"{wanted!r} never printed (exit {process.poll()})")
