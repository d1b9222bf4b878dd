"""The neural engine against espeak-ng on the same texts, both measured in this run.

1. Cold synthesis time per cue: every distinct utterance of a routine synthesized into an
   empty cache by voiceguide's own path (synthesize_all, automatic worker count), with
   piper and with espeak-ng. Prints the ratio piper/espeak-ng.
2. Words per minute as heard (silence trimmed) at a few rates, for both engines: how
   close the rate → length_scale mapping keeps them.
3. piper serially against two worker processes (one onnxruntime thread each) on more texts.
4. A warm export (every clip cached) with each engine, through the command line: the
   model is never loaded when nothing is missing, so both should cost the same.

Usage: .venv/bin/python benchmarks/bench_piper.py [--routine lower-back-massage]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
sys.path.insert(0, str(Path(__file__).parent))

from bench_synthesis import GUIDANCE

from voiceguide.routine.bundled import resolve_routine
from voiceguide.routine.loader import load_routine
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engine import SpeechEngine, VoiceSpec
from voiceguide.speech.espeak import Pyttsx3Engine
from voiceguide.speech.piper import PiperEngine, length_scale_for
from voiceguide.speech.synth import synthesize_all
from voiceguide.timing.pacing import resolve_pacing
from voiceguide.timing.timeline import utterances


def cold_seconds(texts: list[str], factory: type[SpeechEngine], workers: int | None = None) -> float:
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        synthesize_all(texts, factory, VoiceSpec(None, 150), ClipCache(Path(cache)), workers=workers)
        return time.perf_counter() - started


def heard_wpm(engine: SpeechEngine, texts: list[str], rate: int) -> float:
    words = sum(len(t.split()) for t in texts)
    ms = sum(engine.synthesize(t, VoiceSpec(None, rate)).duration_ms for t in texts)
    return words / (ms / 60_000)


def warm_export_seconds(routine: str, engine: str, cache: Path, out: Path) -> float:
    command = [str(Path(sys.executable).parent / "voiceguide"), "export", routine, "-o", str(out),
               "-q", "--engine", engine]
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(cache))
    subprocess.run(command, env=env, check=True)  # fills the cache
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routine", default="lower-back-massage")
    args = parser.parse_args()
    PiperEngine.ensure_available()
    routine, _ = load_routine(resolve_routine(args.routine))
    texts = utterances(routine, resolve_pacing(routine).pacing)

    piper_s = cold_seconds(texts, PiperEngine)
    espeak_s = cold_seconds(texts, Pyttsx3Engine)
    n = len(texts)
    print(f"cold synthesis of {args.routine}'s {n} utterances: piper {piper_s:.2f} s "
          f"({1000 * piper_s / n:.0f} ms per cue, model load included); espeak-ng {espeak_s:.2f} s "
          f"({1000 * espeak_s / n:.0f} ms per cue)")
    print(f"RATIO cold_per_cue piper/espeak-ng = {piper_s / espeak_s:.2f}")

    long_texts = [t for t in texts if len(t.split()) >= 6]
    piper, espeak = PiperEngine(), Pyttsx3Engine()
    for rate in (100, 150, 200):
        p, e = heard_wpm(piper, long_texts, rate), heard_wpm(espeak, long_texts, rate)
        print(f"--rate {rate}: heard {e:.0f} wpm espeak-ng, {p:.0f} wpm piper "
              f"(length_scale {length_scale_for(rate)}); RATIO wpm piper/espeak-ng = {p / e:.2f}")

    many = list(GUIDANCE)
    serial = cold_seconds(many, PiperEngine, workers=1)
    parallel = cold_seconds(many, PiperEngine, workers=2)
    print(f"piper, {len(many)} texts: one process {serial:.2f} s, two worker processes "
          f"{parallel:.2f} s; RATIO parallel/serial = {parallel / serial:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        warm = {e: warm_export_seconds(args.routine, e, work / "cache", work / "out.wav")
                for e in ("piper", "espeak-ng")}
    print(f"warm WAV export of {args.routine}: piper {warm['piper']:.3f} s, espeak-ng "
          f"{warm['espeak-ng']:.3f} s; RATIO warm piper/espeak-ng = {warm['piper'] / warm['espeak-ng']:.2f}")


if __name__ == "__main__":
    main()
