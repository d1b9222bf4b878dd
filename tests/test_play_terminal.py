"""What `play` draws on a terminal (issue 25 item 9): the sentence heard wraps inside the
panel (the command line's console soft-wraps, which cut it at the box edge), and `n`/`p`
leave nothing of the old panel above the new one (alsa-lib wrote "ALSA lib …: underrun
occurred" to the terminal between two frames when a stream restarted). The screen is
read back through tests/helpers/terminal.Screen, which wraps and moves the cursor as a
terminal does."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from voiceguide.play.display import panel
from voiceguide.play.player import Status
from voiceguide.timing.timeline import Chapter

from .helpers.pulse import PulseUnavailable, pulse_null_sink
from .helpers.run import VOICEGUIDE, private_environment
from .helpers.terminal import PlayTerminal

COLUMNS = 110
SAFETY = (
    "Stop at once if you feel sharp pain, numbness, tingling or dizziness, and talk to a doctor "
    "before you start if you have had a recent injury, surgery or a replaced hip."
)


def _status(speaking: str) -> Status:
    chapter = Chapter("Safety", 0, 20_000, "Safety")
    return Status(3_000, 60_000, False, chapter, None, None, 1, speaking)


def _inside(screen: str) -> str:
    """The text inside the panel's box, its lines joined."""
    rows = [line for line in screen.splitlines() if line.startswith("│")]
    return " ".join(row.strip("│ ") for row in rows)


@pytest.mark.parametrize("big", [False, True])
def test_the_sentence_heard_wraps_inside_the_panel(big: bool) -> None:
    out = io.StringIO()  # the command line's console: soft_wrap=True (cli.progress.console)
    console = Console(file=out, width=COLUMNS, force_terminal=True, color_system=None, soft_wrap=True)
    console.print(panel("Routine", _status(SAFETY), 5, True, big=big))
    lines = out.getvalue().splitlines()
    assert all(len(line) == COLUMNS for line in lines), lines  # inside the box, every line
    assert SAFETY in _inside(out.getvalue())  # whole, over two lines
    assert not any(SAFETY in line for line in lines)


ALSA_ERROR = """
import ctypes, ctypes.util, sys
if sys.argv[1] == "quiet":
    from voiceguide.play.sink import quiet_alsa
    assert quiet_alsa()
library = ctypes.CDLL(ctypes.util.find_library("asound"))
handle = ctypes.c_void_p()
print(library.snd_pcm_open(ctypes.byref(handle), b"no-such-device", 0, 0))
"""


@pytest.mark.parametrize("quiet", [False, True])
def test_alsa_lib_writes_nothing_to_the_terminal_once_a_sink_is_made(quiet: bool) -> None:
    """The control (quiet False) shows alsa-lib writing "ALSA lib …" to file descriptor 2."""
    run = subprocess.run(
        [sys.executable, "-c", ALSA_ERROR, "quiet" if quiet else "loud"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert int(run.stdout) < 0, run  # the device does not exist: an error code either way
    assert ("ALSA lib" in run.stderr) is not quiet, run.stderr


ROUTINE = f"""\
title: Terminal
safety:
  - {SAFETY}
steps:
  - {{name: Reach, say: Reach up., hold: 30s}}
  - {{name: Fold, say: Fold forward., hold: 30s}}
  - {{name: Stand, say: Stand tall., hold: 30s}}
"""


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private PulseAudio null sink (real-time playback); skipped where it cannot start."""
    try:
        with pulse_null_sink(tmp_path) as env:
            yield env
    except PulseUnavailable as why:
        pytest.skip(str(why))


@pytest.mark.slow
def test_n_and_p_leave_one_panel_on_the_screen(pulse: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "terminal.yaml").write_text(ROUTINE)
    env = pulse | private_environment(tmp_path, "fake") | {"TERM": "xterm-256color"}
    for name in ("COLUMNS", "LINES"):
        env.pop(name, None)
    terminal = PlayTerminal(
        [str(VOICEGUIDE), "play", str(tmp_path / "terminal.yaml"), "--lead-in", "0"], env, COLUMNS
    )
    try:
        terminal.until("q quit")  # the keys line: the loop reads keys
        terminal.until("replaced hip.")  # the safety sentence, heard and shown whole
        assert SAFETY in _inside(terminal.last_panel())
        for keys, chapter in (("n", "Reach"), ("n", "Fold"), ("n", "Stand"), ("pp", "Fold")):
            terminal.press(keys)  # p twice at once: the step before
            terminal.until(f"  {chapter}")  # the panel's head: "3/4  Fold"
        terminal.press("q")
        terminal.until("To resume")
        assert terminal.process.wait(60) == 0
    finally:
        terminal.close()
    screen = terminal.text()
    assert screen.count("╭") == 1, screen  # one panel: no top of an old one above it
    assert "ALSA lib" not in terminal.raw.decode(errors="replace")
    assert all(len(line) <= COLUMNS for line in screen.splitlines())
