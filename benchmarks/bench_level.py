"""Levelling a clip against synthesizing it, on the same texts, both measured in this run.

Each text is synthesized in this process by the engine (espeak-ng through pyttsx3, or
``--engine piper``) without levelling, timed; then the same clips are levelled to
−16 LUFS by ``level_clip``, timed. Best of ``--repeat`` for both. Prints ms per clip and
the ratio levelling/synthesis (goal for espeak-ng clips: < 1, levelling cheaper than
synthesis, issue 22). The baseline is the synthesis, so the ratio says what levelling
adds to a cold synthesis; ``bench_synthesis.py`` measures the whole of it (levelled and
not) against the espeak-ng program.

Usage::

    .venv/bin/python benchmarks/bench_level.py [--engine espeak-ng|piper] [--count 300]
        [--texts FILE] [--repeat 3]

``--count N``: N distinct texts, as ``bench_synthesis.py --count`` makes them (its 80
guidance sentences, then the same with " Round 2." and so on appended).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
sys.path.insert(0, str(Path(__file__).parent))

from bench_synthesis import numbered_texts

from voiceguide.pcm.clip import Clip
from voiceguide.pcm.level import LEVELLING, level_clip
from voiceguide.speech.engine import SpeechEngine, VoiceSpec

TARGET_LUFS = -16.0
RATE_WPM = 150


def make_engine(name: str) -> SpeechEngine:
    if name == "piper":
        from voiceguide.speech.piper import PiperEngine

        return PiperEngine()
    from voiceguide.speech.espeak import Pyttsx3Engine

    return Pyttsx3Engine()


def synthesis_ms(engine: SpeechEngine, texts: list[str], repeat: int) -> tuple[list[Clip], float]:
    """The clips (not levelled) and the best mean ms per clip over ``repeat`` runs."""
    voice = VoiceSpec(None, RATE_WPM)
    engine.synthesize(texts[0], voice)  # started (pyttsx3, the piper model) before timing
    best, clips = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        clips = [engine.synthesize(text, voice) for text in texts]
        best = min(best, (time.perf_counter() - started) * 1000 / len(texts))
    return clips, best


def levelling_ms(clips: list[Clip], repeat: int) -> float:
    """Best mean ms per clip of ``level_clip`` over ``repeat`` runs."""
    level_clip(clips[0], TARGET_LUFS)  # numpy imported before timing
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for clip in clips:
            level_clip(clip, TARGET_LUFS)
        best = min(best, (time.perf_counter() - started) * 1000 / len(clips))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["espeak-ng", "piper"], default="espeak-ng")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--count", type=int, default=300, help="distinct texts (default 300)")
    source.add_argument("--texts", metavar="FILE", help="one utterance per line")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    if args.texts:
        lines = Path(args.texts).read_text(encoding="utf-8").splitlines()
        texts = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    else:
        texts = numbered_texts(args.count)

    clips, synthesis = synthesis_ms(make_engine(args.engine), texts, args.repeat)
    levelling = levelling_ms(clips, args.repeat)
    seconds = statistics.mean(clip.n_samples / clip.sample_rate for clip in clips)
    print(
        f"{len(texts)} texts, {args.engine}, {RATE_WPM} wpm: clips of {seconds:.2f} s on average "
        f"at {clips[0].sample_rate} Hz; levelling {LEVELLING!r}"
    )
    print(f"synthesis per clip: {synthesis:8.2f} ms (best of {args.repeat})")
    print(f"levelling per clip: {levelling:8.2f} ms (best of {args.repeat})")
    print(f"RATIO levelling/synthesis = {levelling / synthesis:.2f}  (goal < 1 for espeak-ng)")


if __name__ == "__main__":
    main()
