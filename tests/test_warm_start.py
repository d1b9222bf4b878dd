"""Warm-cache play (issue 14 item 7): no `Synthesizing speech 0/?` bar when nothing needs
synthesis, and the display on the screen before the first sound."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest
from rich.console import Console

from voiceguide.cli import prepare, progress

from .helpers.alsa import alsa_env, alsa_home
from .helpers.run import REPO, VOICEGUIDE, private_environment


def test_the_speech_bar_shows_only_when_something_is_synthesized(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(progress, "console", lambda err=False: terminal)
    for name, value in private_environment(tmp_path, "fake").items():
        monkeypatch.setenv(name, value)
    prepare.prepare_routine("box-breathing", None, (), quiet=False)  # cold: the bar, with a count
    assert "Synthesizing speech" in screen.getvalue()
    screen.truncate(0)
    screen.seek(0)
    prepare.prepare_routine("box-breathing", None, (), quiet=False)  # warm: nothing at all
    assert screen.getvalue() == ""
    with progress.progress("Exporting") as bar:  # a label given to show is shown
        bar.describe("Synthesizing speech for x", show=False)
        bar(0, 0)
        assert screen.getvalue() == ""
        bar.describe("Writing x")
    assert "Writing x" in screen.getvalue()


@pytest.mark.slow  # a real play on a pseudo-terminal, into an ALSA capture file
@pytest.mark.alsa
def test_warm_play_shows_the_display_before_the_first_sound(tmp_path: Path) -> None:
    home = alsa_home(tmp_path)
    env = {
        **os.environ,
        **private_environment(tmp_path, "fake"),
        **alsa_env(home),
        "TERM": "xterm",
        "COLUMNS": "100",
        "LINES": "40",
    }
    env.pop("VOICEGUIDE_DEBUG", None)
    subprocess.run([str(VOICEGUIDE), "synthesize", "box-breathing", "-q"], env=env, check=True)
    capture = home / "capture.raw"
    master, slave = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(VOICEGUIDE), "play", "box-breathing"], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO
    )
    os.close(slave)
    shown = b""
    display = sound = None
    try:
        while time.perf_counter() - started < 20 and (display is None or sound is None):
            if select.select([master], [], [], 0.002)[0]:
                shown += os.read(master, 65536)
                if display is None and "╭".encode() in shown:
                    display = time.perf_counter() - started
            if sound is None and capture.exists() and capture.read_bytes().strip(b"\0"):
                sound = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)
        os.close(master)
    assert display is not None and sound is not None, shown.decode(errors="replace")
    assert display <= sound + 0.05, (display, sound)
    assert b"Synthesizing" not in shown
