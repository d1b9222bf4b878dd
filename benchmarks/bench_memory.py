"""Peak memory exporting long routines: must stay flat (≤ 150 MB for 3 hours).

Runs each export in a fresh process and reads its peak RSS (and ffmpeg's, for mp3).
The baseline is the same export of a 10-minute routine in the same run: a ratio near
1.0 means memory does not grow with the session's length.
Usage: .venv/bin/python benchmarks/bench_memory.py [--minutes 180]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generated import write_routine

PROBE = """
import json, resource, sys
from voiceguide.cli.commands import run
code = run(sys.argv[1:])
print(json.dumps({"code": code,
  "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def peak(args: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, out.stderr
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=180)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cache = ["--cache-dir", str(work / "cache")]
        for minutes in (10, args.minutes):
            routine = write_routine(work, minutes)
            peak(["synthesize", str(routine), "-q", *cache])
        results = {}
        for fmt in ("wav", "mp3"):
            for minutes in (10, args.minutes):
                routine = work / f"generated-{minutes}m.yaml"
                out = work / f"out-{minutes}.{fmt}"
                results[fmt, minutes] = peak(["export", str(routine), "-o", str(out), "-q", *cache])
                out.unlink()
        for fmt in ("wav", "mp3"):
            short, long = results[fmt, 10], results[fmt, args.minutes]
            print(
                f"{fmt}: peak RSS {long['self_mb']:.0f} MB for {args.minutes} min "
                f"(ffmpeg {long['children_mb']:.0f} MB); 10 min: {short['self_mb']:.0f} MB"
            )
            print(
                f"RATIO {fmt}_rss_{args.minutes}m/10m = {long['self_mb'] / short['self_mb']:.2f}"
                f"  (flat = 1.0; absolute target <= 150 MB: "
                f"{'met' if long['self_mb'] + long['children_mb'] <= 150 else 'MISSED'})"
            )


if __name__ == "__main__":
    main()
