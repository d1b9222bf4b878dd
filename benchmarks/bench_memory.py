"""Peak memory of long exports: ≤ 40 MB for 3 hours, and flat in the number of events
(issue 22: 61 MB before the streaming session).

Every run is a fresh ``voiceguide`` process; its peak RSS is the ``ru_maxrss`` that
``os.wait4`` returns for it (the process alone: a WAV export starts no ffmpeg). The fake
engine (``VOICEGUIDE_ENGINE=fake``) on a warm cache (``voiceguide synthesize`` first), so
the figure is the export's own: planning, compiling, rendering and writing. Measured in
the same run, best (lowest) of ``--repeat``:

- baseline ``python -c "import voiceguide.cli"`` (the interpreter and the command line);
- the export of a 1-minute generated routine (``benchmarks/generated.py``): the same
  process doing the least work;
- the exports of a 1-hour and a 3-hour generated routine (``--minutes``).

Prints RATIO 3h/1min and 3h/1h (flat = 1.0) and whether the 3-hour peak is within 40 MB.
``--trace``: also runs the longest export under ``tracemalloc`` in this process and prints
where its peak Python allocations were made (the top lines by size).
Uses only the command line, so it also measures an older checkout (``PYTHONPATH=CHECKOUT``).

Usage: .venv/bin/python benchmarks/bench_memory.py [--repeat 3] [--minutes 60 180] [--trace]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generated import write_routine

GOAL_MB = 40.0


def peak_mb(command: list[str], env: dict[str, str]) -> float:
    """Peak RSS in MB (ru_maxrss) of one run of ``command``, which must succeed."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {errors.decode()[-2000:]}")
    return usage.ru_maxrss / 1024  # KB on Linux


def events(routine: Path, voiceguide: str, env: dict[str, str]) -> int:
    """The number of lines ``voiceguide show`` prints: proportional to the events."""
    out = subprocess.run(
        [voiceguide, "show", str(routine)], env=env, capture_output=True, text=True, check=True
    )
    return len(out.stdout.splitlines())


def trace(routine: Path, out: Path, env: dict[str, str]) -> None:
    """Run one export in this process under tracemalloc and print where the Python
    allocations held at their peak were made (a snapshot taken by a watching thread
    each time the traced total grows by 2 MB). tracemalloc counts what is allocated, not
    what is resident: a large buffer never written to counts here, not in RSS."""
    import runpy
    import threading
    import time
    import tracemalloc

    os.environ.update(env)
    sys.argv = ["voiceguide", "export", str(routine), "-o", str(out), "-q"]
    highest: list[tracemalloc.Snapshot] = []
    done = threading.Event()

    def watch() -> None:
        seen = 0
        while not done.is_set():
            current, _ = tracemalloc.get_traced_memory()
            if current > seen + 2 * 2**20:
                seen = current
                highest[:] = [tracemalloc.take_snapshot()]
            time.sleep(0.001)

    tracemalloc.start(25)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    code: object = 0
    try:
        runpy.run_module("voiceguide", run_name="__main__")
    except SystemExit as stop:
        code = stop.code
    done.set()
    watcher.join()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"tracemalloc: exit {code}, peak {peak / 2**20:.1f} MB of Python allocations; "
        "held at the peak, by line:"
    )
    for stat in highest[0].statistics("lineno")[:10] if highest else []:
        print(f"  {stat.size / 2**20:7.2f} MB  {stat.count:7d} blocks  {stat.traceback[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the lowest peak counts")
    parser.add_argument("--minutes", type=int, nargs="+", default=[60, 180], help="long routines")
    parser.add_argument("--trace", action="store_true", help="tracemalloc the longest export")
    args = parser.parse_args()
    voiceguide = str(Path(sys.executable).parent / "voiceguide")
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        work = Path(tmp)
        env = dict(
            os.environ,
            VOICEGUIDE_ENGINE="fake",
            VOICEGUIDE_CACHE_DIR=str(work / "cache"),
            VOICEGUIDE_CONFIG_DIR=str(work / "config"),
            VOICEGUIDE_DATA_DIR=str(work / "data"),
        )
        lengths = [1, *args.minutes]
        routines = {minutes: write_routine(work, minutes) for minutes in lengths}
        for routine in routines.values():
            subprocess.run([voiceguide, "synthesize", str(routine), "-q"], env=env, check=True)
        base = min(peak_mb([sys.executable, "-c", "import voiceguide.cli"], env) for _ in range(args.repeat))
        print(f"python -c 'import voiceguide.cli': peak RSS {base:.1f} MB (best of {args.repeat})")
        peaks = {}
        for minutes, routine in routines.items():
            out = work / "out.wav"
            peaks[minutes] = min(
                peak_mb([voiceguide, "export", str(routine), "-o", str(out), "-q"], env)
                for _ in range(args.repeat)
            )
            size_mb = out.stat().st_size / 2**20
            out.unlink()
            print(
                f"WAV export, {minutes:4d} min ({events(routine, voiceguide, env):5d} lines of show, "
                f"{size_mb:6.0f} MB file): peak RSS {peaks[minutes]:.1f} MB (best of {args.repeat})",
                flush=True,
            )
        longest = max(args.minutes)
        print(f"RATIO rss_{longest}m/rss_1m = {peaks[longest] / peaks[1]:.2f}  (flat = 1.0)")
        for minutes in (m for m in args.minutes if m != longest):
            ratio = peaks[longest] / peaks[minutes]
            print(f"RATIO rss_{longest}m/rss_{minutes}m = {ratio:.2f}  (flat = 1.0)")
        print(f"RATIO rss_{longest}m/import_cli = {peaks[longest] / base:.2f}")
        verdict = "met" if peaks[longest] <= GOAL_MB else "MISSED"
        print(f"{longest}-minute export: {peaks[longest]:.1f} MB, goal <= {GOAL_MB:.0f} MB: {verdict}")
        if args.trace:
            trace(routines[longest], work / "traced.wav", env)


if __name__ == "__main__":
    main()
