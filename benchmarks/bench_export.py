"""Warm export speed and mp3 encoding overhead.

1. Warm WAV export of a generated 60-minute routine vs copying a file of the same
   size (target ratio ≤ 3).
2. mp3 export of the same routine vs `ffmpeg -i same.wav out.mp3` on the same audio
   (target ratio ≤ 1.15).

Both sides run in this process's run, one after the other, best of N, so machine noise
hits both alike. Usage: .venv/bin/python benchmarks/bench_export.py [--minutes 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generated import write_routine

from voiceguide.cli import run


def best_of(repeat: int, action) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        routine = write_routine(work, args.minutes)
        cache = ["--cache-dir", str(work / "cache")]
        assert run(["synthesize", str(routine), "-q", *cache]) == 0  # warm the cache
        wav = work / "session.wav"

        def export_wav() -> None:
            assert run(["export", str(routine), "-o", str(wav), "-q", *cache]) == 0

        ours = best_of(args.repeat, export_wav)
        size = wav.stat().st_size
        copy = best_of(args.repeat, lambda: shutil.copyfile(wav, work / "copy.wav"))
        print(
            f"warm wav export, {args.minutes} min ({size / 1e6:.0f} MB): {ours:.3f} s; "
            f"copying a file of that size: {copy:.3f} s"
        )
        print(f"RATIO wav_export/copy = {ours / copy:.2f}  (target <= 3)")

        mp3 = work / "session.mp3"
        ours_mp3 = best_of(args.repeat, lambda: run(["export", str(routine), "-o", str(mp3), "-q", *cache]))
        plain = work / "plain.mp3"
        ffmpeg = [
            shutil.which("ffmpeg") or "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(wav),
            "-c:a",
            "libmp3lame",
            "-q:a",
            "5",
            str(plain),
        ]
        theirs = best_of(args.repeat, lambda: subprocess.run(ffmpeg, check=True))
        print(f"mp3 export: {ours_mp3:.3f} s; ffmpeg -i same.wav out.mp3: {theirs:.3f} s")
        print(f"RATIO mp3_export/ffmpeg = {ours_mp3 / theirs:.2f}  (target <= 1.15)")
        os.sync()


if __name__ == "__main__":
    main()
