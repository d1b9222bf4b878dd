"""Instant start: CPU time of quick commands against a bare Python, and warm `play`'s first
sound.

1. CPU time (user + system, best of N) of `voiceguide --help`, `voiceguide list` and
   `voiceguide validate --no-speech SMALL.yaml`, each against `python -c pass` of the same
   interpreter measured in the same run (target ratio ≤ 4).
2. Warm `play` (cache filled first): wall time from starting the process to the first
   non-silent sample reaching ALSA (the `file` plugin in a temporary HOME, so no sound card;
   target < 0.3 s).
3. Warm `play` as a person starts it, on a pseudo-terminal with the lead-in and the live
   display, through `.venv/bin/voiceguide` and through `bin/voiceguide` (its setup check
   first): seconds to the first display and to the first sound (the display should come
   first; issue 14 item 7).

Usage: .venv/bin/python benchmarks/bench_startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
VOICEGUIDE = BIN / "voiceguide"
SMALL = """\
title: Small
steps:
  - {name: Reach, say: Reach up., hold: 5s, countdown: 3}
  - breathe: {pattern: 4-4, cycles: 2}
"""


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    """User + system CPU time of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best_cpu(command: list[str], env: dict[str, str], repeat: int) -> float:
    return min(cpu_seconds(command, env) for _ in range(repeat))


def first_sound_s(routine: Path, env: dict[str, str], home: Path) -> float:
    """Seconds from starting `play` to the first non-silent sample written to ALSA."""
    capture = home / "capture.raw"
    capture.unlink(missing_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(VOICEGUIDE), "play", str(routine), "--lead-in", "0", "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    heard = None
    while heard is None and time.perf_counter() - started < 10:
        if capture.exists():
            data = capture.read_bytes()
            if data.strip(b"\x00"):
                heard = time.perf_counter() - started
        time.sleep(0.002)
    process.wait()
    if heard is None:
        raise SystemExit("play wrote no sound within 10 s")
    return heard


def display_and_sound_s(program: str, routine: str, env: dict[str, str], home: Path) -> tuple[float, float]:
    """(seconds to the live display's first frame, seconds to the first sound) of `play`
    on a pseudo-terminal, from the process start."""
    import pty
    import select

    capture = home / "capture.raw"
    capture.unlink(missing_ok=True)
    leader, follower = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen(
        [program, "play", routine],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**env, "TERM": "xterm", "COLUMNS": "100"},
        cwd=REPO,
    )
    os.close(follower)
    shown, display, sound = b"", math.inf, math.inf
    while time.perf_counter() - started < 20 and math.inf in (display, sound):
        if select.select([leader], [], [], 0.002)[0]:
            shown += os.read(leader, 65536)
            if display == math.inf and "╭".encode() in shown:
                display = time.perf_counter() - started
        if sound == math.inf and capture.exists() and capture.read_bytes().strip(b"\x00"):
            sound = time.perf_counter() - started
    process.terminate()
    process.wait()
    os.close(leader)
    return display, sound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as work:
        tmp = Path(work)
        routine = tmp / "small.yaml"
        routine.write_text(SMALL)
        home = tmp / "home"
        (home / "runtime").mkdir(parents=True)
        (home / ".asoundrc").write_text(
            f'pcm.!default {{ type file; slave.pcm "null"; file "{home / "capture.raw"}"; format "raw" }}\n'
        )
        env = dict(
            os.environ,
            VOICEGUIDE_CACHE_DIR=str(tmp / "cache"),
            VOICEGUIDE_CONFIG_DIR=str(tmp / "cfg"),
            HOME=str(home),
            XDG_RUNTIME_DIR=str(home / "runtime"),
            PULSE_SERVER="none",
        )
        # as installed: byte code written once and reused (some shells turn that off)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(
            [str(VOICEGUIDE), "validate", "--no-speech", str(routine)],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )  # writes the byte code
        base = best_cpu([sys.executable, "-c", "pass"], env, args.repeat)
        print(f"bare python: {base * 1000:.1f} ms CPU (best of {args.repeat})")
        for label, command in [
            ("--help", [str(VOICEGUIDE), "--help"]),
            ("list", [str(VOICEGUIDE), "list"]),
            ("validate --no-speech", [str(VOICEGUIDE), "validate", "--no-speech", str(routine)]),
        ]:
            spent = best_cpu(command, env, args.repeat)
            print(f"{label:<22} {spent * 1000:6.1f} ms CPU  ratio {spent / base:4.1f} (target ≤ 4)")
        subprocess.run([str(VOICEGUIDE), "synthesize", str(routine), "-q"], env=env, check=True)
        first = min(first_sound_s(routine, env, home) for _ in range(5))
        print(f"warm play, first sound   {first * 1000:6.0f} ms from process start (target < 300)")
        subprocess.run([str(VOICEGUIDE), "synthesize", "lower-back-massage", "-q"], env=env, check=True)
        for program in (str(VOICEGUIDE.relative_to(REPO)), "bin/voiceguide"):
            runs = [display_and_sound_s(program, "lower-back-massage", env, home) for _ in range(3)]
            display, sound = min(runs, key=lambda run: run[1])
            print(
                f"{program}: display {display * 1000:.0f} ms, first sound {sound * 1000:.0f} ms "
                "(warm lower-back-massage with its lead-in, on a terminal; best of 3)"
            )


if __name__ == "__main__":
    main()
