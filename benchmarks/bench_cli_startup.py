"""The command line's start-up cost against click alone (issue 26 item 2: within 2x).

CPU time (user + system of the child process, from ``os.wait4``), best of ``--repeat``, of

- the baseline ``python -c "import click"`` (click itself is the floor: every command pays it);
- ``voiceguide --help``, ``voiceguide list`` (its index made first, as a second ``list``
  finds it) and ``voiceguide play --help``,

each run through the console script's own two lines (``from voiceguide.cli import main;
main()``) in the same interpreter, so the figure is the package's, not an installer's
wrapper. Bytecode is written on a first run of each (``PYTHONDONTWRITEBYTECODE`` is
dropped: an installed package has its bytecode), and ``list`` finds its index. The runs
are interleaved (one of each, round after round), so a machine whose load
changes during the run slows them all alike. Prints each command's best, and its RATIO to
the baseline (goal ≤ 2.0).

Uses only the command line, so it also measures an older checkout (``PYTHONPATH=CHECKOUT``).

Usage: .venv/bin/python benchmarks/bench_cli_startup.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

GOAL = 2.0
BASELINE = [sys.executable, "-c", "import click"]
CLI = [
    sys.executable,
    "-c",
    "import sys; from voiceguide.cli import main; sys.argv[0] = 'voiceguide'; main()",
]
COMMANDS: dict[str, list[str]] = {
    "voiceguide --help": ["--help"],
    "voiceguide list": ["list"],
    "voiceguide play --help": ["play", "--help"],
}


def cpu_seconds(command: list[str], env: dict[str, str], cwd: str) -> float:
    """User + system CPU time of one run of ``command`` (the child alone, in ``cwd``: not a
    checkout, whose package ``python -c`` would import first), which must succeed."""
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {errors.decode()}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs of each command (best is kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(
            os.environ,
            VOICEGUIDE_CACHE_DIR=str(Path(folder) / "cache"),
            VOICEGUIDE_CONFIG_DIR=str(Path(folder) / "config"),
            VOICEGUIDE_DATA_DIR=str(Path(folder) / "data"),
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled once, as an installed package is
        for arguments in COMMANDS.values():  # the bytecode, and the list's index, as later runs find them
            cpu_seconds([*CLI, *arguments], env, folder)
        runs: dict[str, list[float]] = {"python -c 'import click'": []} | {name: [] for name in COMMANDS}
        for _ in range(args.repeat):
            runs["python -c 'import click'"].append(cpu_seconds(BASELINE, env, folder))
            for name, arguments in COMMANDS.items():
                runs[name].append(cpu_seconds([*CLI, *arguments], env, folder))
    baseline = min(runs["python -c 'import click'"])
    print(f"CPU time, best of {args.repeat} (user + system, ms); goal: each ≤ {GOAL:g}x the baseline")
    print(f"  {'python -c import click':<26} {baseline * 1000:7.1f}  (baseline)")
    for name in COMMANDS:
        best = min(runs[name])
        ratio = best / baseline
        print(f"  {name:<26} {best * 1000:7.1f}  RATIO {ratio:.2f}  {'ok' if ratio <= GOAL else 'over'}")


if __name__ == "__main__":
    main()
