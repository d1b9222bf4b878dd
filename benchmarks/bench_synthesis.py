"""Cold synthesis of every distinct utterance of a routine vs the espeak-ng CLI, serially.

Ours: `synthesize_all` into an empty cache (pyttsx3 in spawned workers when it pays).
Baseline: `espeak-ng -s RATE -w out.wav "text"` run once per utterance, one after another.
Target ratio (ours / baseline) ≤ 0.7.
Usage: .venv/bin/python benchmarks/bench_synthesis.py [--routine lower-back-massage] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from voiceguide.bundled import resolve_routine
from voiceguide.cache import ClipCache
from voiceguide.loader import load_routine
from voiceguide.pacing import resolve_pacing
from voiceguide.session import voice_for
from voiceguide.synth import synthesize_all
from voiceguide.timeline import utterances
from voiceguide.tts.espeak import Pyttsx3Engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routine", default="lower-back-massage")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    routine, _ = load_routine(resolve_routine(args.routine))
    pacing = resolve_pacing(routine)
    texts = utterances(routine, pacing)
    voice = voice_for(pacing)
    espeak = shutil.which("espeak-ng") or "espeak-ng"
    ours, theirs = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            synthesize_all(texts, Pyttsx3Engine, voice, ClipCache(Path(tmp)))
            ours.append(time.perf_counter() - start)
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            for i, text in enumerate(texts):
                subprocess.run([espeak, "-s", str(voice.rate_wpm), "-w", f"{tmp}/{i}.wav", text], check=True)
            theirs.append(time.perf_counter() - start)
    print(f"{args.routine}: {len(texts)} distinct utterances")
    print(f"cold synthesis (best of {args.repeat}): voiceguide {min(ours):.3f} s; "
          f"espeak-ng -w per utterance, serial {min(theirs):.3f} s")
    print(f"RATIO synthesis/espeak_cli = {min(ours) / min(theirs):.2f}  (target <= 0.7)")


if __name__ == "__main__":
    main()
