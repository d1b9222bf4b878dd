"""Clicks at onsets: every clip of a speech cache scanned for a sound that starts out of
silence too loud (issue 24 item 4).

An onset is where a phrase of a clip starts: its first sample at or above −60 dBFS, and
any such sample after 120 ms or more under it (``voiceguide.pcm.fade.onsets``; shorter
silences are a stop's closure inside a word). The level of an onset is the peak of its
first millisecond from where it leaves digital silence (``pcm.fade.onset_peaks``); above
−40 dBFS it is a step heard as a click.
Printed per engine: clips, onsets, how many above −40 dBFS, the loudest onset, and the
worst few texts. The bells (``audio.sound``) are scanned too.

With ``--fade-ms N`` the clips are faded in here first (``pcm.fade.fade_onsets``, N ms),
to see what a fade of that length would do to clips cached without one (0: as cached).

Usage:

    .venv/bin/python benchmarks/bench_onsets.py --cache-dir audio_cache
    .venv/bin/python benchmarks/bench_onsets.py --routines desk-break,box-breathing   # a fresh cache
    .venv/bin/python benchmarks/bench_onsets.py --cache-dir /tmp/old --fade-ms 10
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from voiceguide.audio.sound import Sound
from voiceguide.pcm.clip import Clip
from voiceguide.pcm.fade import fade_onsets, onset_peaks
from voiceguide.pcm.wavfile import read_wav
from voiceguide.routine.bundled import bundled_routines

LIMIT_DBFS = -40.0
ENGINES = ("piper", "espeak-ng")


def dbfs(peak: float) -> float:
    return 20 * math.log10(max(peak, 1) / 32768)


def onset_levels(clip: Clip) -> list[float]:
    """dBFS of the first millisecond of each onset of ``clip`` (``pcm.fade.onset_peaks``)."""
    return [dbfs(peak) for peak in onset_peaks(clip)]


def cached_clips(cache: Path) -> list[tuple[str, str, Clip]]:
    """(engine, text, clip) of every entry of the cache in ``cache``."""
    found = []
    for path in sorted(cache.glob("??/*.wav")):
        wav = read_wav(path.read_bytes())
        meta = json.loads(wav.chunks[b"vgmd"])
        found.append((str(meta.get("engine")), str(meta.get("text")), Clip(wav.pcm, wav.sample_rate)))
    return found


def fill(cache: Path, routines: list[str], engines: list[str]) -> None:
    """Synthesize the routines into ``cache`` at the default settings, through the command line."""
    available = dict(bundled_routines())
    command = [str(Path(sys.executable).parent / "voiceguide"), "synthesize", "-q", "--cache-dir", str(cache)]
    for engine in engines:
        subprocess.run([*command, "--engine", engine, *(str(available[r]) for r in routines)], check=True)


def report(label: str, clips: list[tuple[str, Clip]], worst: int) -> None:
    levels = [(level, text) for text, clip in clips for level in onset_levels(clip)]
    over = sorted((lv for lv in levels if lv[0] > LIMIT_DBFS), reverse=True)
    loudest = max((lv for lv, _ in levels), default=-math.inf)
    clicked = len({text for lv, text in levels if lv > LIMIT_DBFS})
    print(
        f"{label:<12} {len(clips):>6} clips {len(levels):>6} onsets  {len(over):>4} over {LIMIT_DBFS:g} dBFS "
        f"(in {clicked} clips)  loudest {loudest:6.1f} dBFS"
    )
    for level, text in over[:worst]:
        print(f"{'':<12} {level:6.1f} dBFS  {text[:70]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache-dir", type=Path, help="the cache to scan (default: a fresh one, filled)")
    parser.add_argument("--routines", help="bundled routines to synthesize into a fresh cache (default: all)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--fade-ms", type=int, default=0, help="fade the clips in here first (0: as cached)")
    parser.add_argument("--worst", type=int, default=5)
    args = parser.parse_args()
    engines = args.engines.split(",")

    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache_dir
        if cache is None:
            cache = Path(scratch)
            names = args.routines.split(",") if args.routines else [n for n, _ in bundled_routines()]
            fill(cache, names, engines)
        clips = cached_clips(cache)
    if args.fade_ms:
        clips = [(engine, text, fade_onsets(clip, args.fade_ms)) for engine, text, clip in clips]
    for engine in engines:
        report(engine, [(text, clip) for e, text, clip in clips if e == engine], args.worst)
    bells = [(name, Sound(bell=name).chime(22050)) for name in ("bell", "bowl", "wood")]
    report("bells", bells, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
