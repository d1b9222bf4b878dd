"""``play`` answers at once (a new user's tryout, at load 7-13): a cold ``play`` quit with
``q`` gave the prompt back after 35 s, then ``terminate called without an active
exception`` (exit 134); the display stayed blank for 15 s while the lead-in was made and a
``q`` typed meanwhile was lost; keys pressed quickly were not all acted on. Real engines, a
real ALSA device (a pipe read at a sound card's pace), keys through a pseudo-terminal;
every wait is for something shown or an exit, never a fixed time."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from .helpers.alsa import alsa_env, alsa_home
from .helpers.run import VOICEGUIDE, private_environment
from .helpers.terminal import PlayTerminal

#: ALSA writes into a pipe read no faster than 22050 Hz mono int16 plays
PACER = """\
import sys, time
out = open(sys.argv[1], "ab")
began, done = time.monotonic(), 0
while chunk := sys.stdin.buffer.read(2205):
    out.write(chunk)
    out.flush()
    done += len(chunk)
    time.sleep(max(0.0, began + done / 44100 - time.monotonic()))
"""

#: s from q to the process's end allowed on a busy machine (it took 35 s; now about 1 s)
QUIT_BOUND_S = 10.0


def _environment(tmp_path: Path, engine: str, hearing: bool) -> dict[str, str]:
    home = alsa_home(tmp_path)
    (home / "pacer.py").write_text(PACER)
    (home / ".asoundrc").write_text(
        f'pcm.!default {{ type file; slave.pcm "null"; '
        f'file "| {sys.executable} {home / "pacer.py"} {home / "heard.raw"}"; format "raw" }}\n'
    )
    env = dict(os.environ) | private_environment(tmp_path, engine) | alsa_env(home)
    env |= {"TERM": "xterm-256color"}
    if hearing:  # takes checked by Whisper: the longest native calls a clip makes
        env.pop("VOICEGUIDE_HEARING", None)
    for name in ("COLUMNS", "LINES"):
        env.pop(name, None)
    return env


def _long_routine(tmp_path: Path) -> Path:
    """Enough distinct sentences that synthesis is still running when q comes."""
    path = tmp_path / "long.yaml"
    path.write_text(
        "title: Long\nsteps:\n"
        + "".join(
            f"  - {{name: Step {i}, say: This is sentence number {i} of a long cold session., hold: 1s}}\n"
            for i in range(1, 121)
        )
    )
    return path


def _engines() -> list[tuple[str, bool]]:
    from voiceguide.speech.piper import PiperEngine

    cases = [("espeak-ng", False)]
    if PiperEngine.is_available():
        cases.append(("piper", True))
    return cases


@pytest.mark.espeak
@pytest.mark.alsa
@pytest.mark.slow
@pytest.mark.parametrize(("engine", "hearing"), _engines(), ids=lambda value: str(value))
def test_q_during_a_cold_play_ends_the_process_at_once(tmp_path: Path, engine: str, hearing: bool) -> None:
    env = _environment(tmp_path, engine, hearing)
    cache = tmp_path / "cache"
    terminal = PlayTerminal([str(VOICEGUIDE), "play", str(_long_routine(tmp_path))], env)
    try:
        terminal.until("sentence number 1 of", 300)  # the first step's sentence is heard
        pressed = time.monotonic()
        terminal.press("q")
        code = terminal.wait(QUIT_BOUND_S)
        took = time.monotonic() - pressed
    finally:
        terminal.close()
    output = terminal.raw.decode(errors="replace")
    assert code == 0, output[-2000:]  # not 134 (SIGABRT), not still running (None)
    assert took < QUIT_BOUND_S
    assert "To resume" in output and "terminate called" not in output
    assert [p for p in cache.rglob(".*") if p.is_file()] == []  # no partial cache entry


STUCK = """\
import sys, threading
from voiceguide.pcm.clip import Clip
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine
from voiceguide.speech.scheduler import scheduler
from voiceguide.cli.app import main

inside = threading.Event()

class Stuck(FakeEngine):  # a native call that outlasts the command (piper, Whisper, a model's load)
    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        inside.set()
        threading.Event().wait(3600)
        raise AssertionError("never")

scheduler().request(["Never made."], Stuck, VoiceSpec(None, 150), ClipCache(sys.argv[1]))
assert inside.wait(60)
sys.argv = ["voiceguide", "schema"]
main()
"""


def test_a_command_ends_without_waiting_for_a_synthesis_thread_stuck_in_an_engine(tmp_path: Path) -> None:
    """The command's own output is all written (flushed before os._exit) and its exit code
    kept, though a synthesis thread is still inside an engine call (it kept a quit ``play``
    for 30 s: Scheduler.close at exit)."""
    import subprocess

    script = tmp_path / "stuck.py"
    script.write_text(STUCK)
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ) | private_environment(tmp_path, "fake"),
    )
    took = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("}")  # the whole schema, flushed
    assert took < QUIT_BOUND_S, took  # the grace (0.3 s), not the 30 s close
    assert [p for p in (tmp_path / "cache").rglob(".*") if p.is_file()] == []


KEYS_ROUTINE = "title: Keys\nsteps:\n" + "".join(
    f"  - {{name: {name}, say: {name} now., hold: 30s}}\n"
    for name in ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot")
)


@pytest.mark.alsa
@pytest.mark.slow
def test_the_display_comes_at_once_and_keys_pressed_quickly_are_all_acted_on(tmp_path: Path) -> None:
    """Warm cache: three n at once go three steps on, p p at once the step before, q ends."""
    import subprocess

    path = tmp_path / "keys.yaml"
    path.write_text(KEYS_ROUTINE)
    env = _environment(tmp_path, "fake", hearing=False)
    made = subprocess.run([str(VOICEGUIDE), "synthesize", str(path), "-q"], env=env, capture_output=True)
    assert made.returncode == 0, made.stderr
    terminal = PlayTerminal([str(VOICEGUIDE), "play", str(path)], env)
    try:
        terminal.until("q quit")  # the display, with the keys read, before the lead-in is heard
        terminal.until("/6  Alpha")  # it plays
        for keys, step in (("nnn", "Delta"), ("pp", "Charlie"), ("n", "Delta"), ("nn", "Foxtrot")):
            terminal.press(keys)
            terminal.until(f"/6  {step}")
        terminal.press("q")
        code = terminal.wait(60)
    finally:
        terminal.close()
    assert code == 0
    assert "To resume" in terminal.raw.decode(errors="replace")
