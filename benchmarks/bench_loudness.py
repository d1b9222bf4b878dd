"""Loudness after encoding: every export format, with and without a bed or breath tones,
measured on the encoded file (issue 24 item 5).

Each routine is exported through the command line in every format (wav, flac, mp3, ogg,
opus, m4a), as it is (``plain``), over a brown-noise bed (``bed``), with breath tones
instead of the breath words (``tones``) and under them (``both``; breathing routines
only), and with ``--loudness off`` (``off``); each file is measured by ffmpeg's
``ebur128=peak=true`` (integrated loudness, true peak). Target: −16 ± 0.5 LUFS and a
true peak at or under −1 dBTP; ``off`` may be quieter but must not clip (true peak ≤ −1
dBTP too). A cell out of target is marked ``!``.

Usage:

    .venv/bin/python benchmarks/bench_loudness.py                          # espeak-ng, three routines
    .venv/bin/python benchmarks/bench_loudness.py --engine piper --routines desk-break
    .venv/bin/python benchmarks/bench_loudness.py --variants plain,tones --formats mp3,wav
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from voiceguide.routine.bundled import bundled_routines

FORMATS = ("wav", "flac", "mp3", "ogg", "opus", "m4a")
VARIANTS: dict[str, tuple[str, ...]] = {
    "plain": (),
    "bed": ("--background", "brown-noise"),
    "tones": ("--breath-sound", "tones"),
    "both": ("--breath-sound", "both"),
    "off": ("--loudness", "off"),
}
TARGET_LUFS, TOLERANCE_LU, MAX_TRUE_PEAK_DBTP = -16.0, 0.5, -1.0
ROUTINES = ("desk-break", "box-breathing", "lower-back-massage")
BREATHING = (
    "box-breathing",
    "4-7-8-breathing",
    "coherent-breathing",
    "physiological-sigh",
    "evening-wind-down",
)


def measure(path: Path) -> tuple[float, float]:
    """(integrated loudness LUFS, true peak dBTP) of an audio file, by ffmpeg's ebur128."""
    meter = ["-af", "ebur128=peak=true", "-f", "null", "-"]
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), *meter],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = result.stderr[result.stderr.rfind("Summary:") :]
    loudness = re.search(r"I:\s+(-?[\d.]+|-inf)\s+LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf)\s+dBFS", summary)
    assert loudness and peak, result.stderr[-500:]
    return float(loudness.group(1)), float(peak.group(1))


def export(routine: Path, fmt: str, options: tuple[str, ...], engine: str, out: Path, cache: Path) -> Path:
    target = out / f"{routine.stem}.{fmt}"
    command = [
        str(Path(sys.executable).parent / "voiceguide"),
        "export",
        str(routine),
        "-o",
        str(target),
        "-q",
        "--engine",
        engine,
        "--cache-dir",
        str(cache),
        *options,
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return target


def in_target(variant: str, loudness: float, peak: float) -> bool:
    if peak > MAX_TRUE_PEAK_DBTP:
        return False
    return variant == "off" or abs(loudness - TARGET_LUFS) <= TOLERANCE_LU


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routines", default=",".join(ROUTINES))
    parser.add_argument("--engine", default="espeak-ng")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--cache-dir", type=Path, help="speech cache to use and keep")
    args = parser.parse_args()
    available = dict(bundled_routines())
    formats = args.formats.split(",")
    misses = 0
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache_dir or Path(scratch) / "cache"
        print(f"{'routine':<22} {'variant':<6} " + " ".join(f"{f:>13}" for f in formats))
        for name in args.routines.split(","):
            for variant in args.variants.split(","):
                if variant in ("tones", "both") and name not in BREATHING:
                    continue
                cells = []
                for fmt in formats:
                    path = export(available[name], fmt, VARIANTS[variant], args.engine, Path(scratch), cache)
                    loudness, peak = measure(path)
                    path.unlink()
                    ok = in_target(variant, loudness, peak)
                    misses += not ok
                    cells.append(f"{loudness:6.1f}/{peak:5.1f}{' ' if ok else '!'}")
                print(f"{name:<22} {variant:<6} " + " ".join(cells), flush=True)
    limits = f"{TARGET_LUFS:g} ± {TOLERANCE_LU} LUFS or over {MAX_TRUE_PEAK_DBTP:g} dBTP"
    print(f"\nLUFS/dBTP per file; '!': out of {limits}")
    print(f"{misses} file(s) out of target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
