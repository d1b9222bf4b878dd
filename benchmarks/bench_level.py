"""Levelling a clip against synthesizing it, on the same texts, both measured in this run.

1. Per clip: each text synthesized in this process by the engine (espeak-ng through
   pyttsx3, or ``--engine piper``) without levelling, timed; then the same clips levelled
   to −16 LUFS by ``level_clip``, timed. Best of ``--repeat`` for both. Prints ms per clip
   and the ratio levelling/synthesis (goal for espeak-ng clips: < 1, levelling cheaper
   than synthesis). The baseline is the synthesis, so the ratio says what levelling adds.
2. ``--cold``: issue 22's line, "cold synthesis of N utterances with espeak-ng vs the
   serial espeak-ng program", levelled as ``voiceguide synthesize`` levels (−16 LUFS) and
   not levelled (as ``bench_synthesis.py`` runs it): ``synthesize_all`` into an empty
   cache in a fresh process, against one ``espeak-ng -w`` per utterance, interleaved.

Usage::

    .venv/bin/python benchmarks/bench_level.py [--engine espeak-ng|piper] [--count 80]
        [--texts FILE] [--repeat 3] [--cold]

``--count N``: N distinct texts: the 80 guidance sentences of ``bench_synthesis.py``,
then the same with " Round 2." and so on appended (``--count 300`` is the issue's 300).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
sys.path.insert(0, str(Path(__file__).parent))

from bench_synthesis import GUIDANCE

from voiceguide.pcm.clip import Clip
from voiceguide.pcm.level import LEVELLING, level_clip
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engine import SpeechEngine, VoiceSpec
from voiceguide.speech.synth import synthesize_all

TARGET_LUFS = -16.0
RATE_WPM = 150


def numbered_texts(count: int) -> list[str]:
    """``count`` distinct guidance texts (the 80 sentences, then "… Round k.")."""
    texts = [text if k == 1 else f"{text} Round {k}." for k in range(1, count // len(GUIDANCE) + 2)
             for text in GUIDANCE]
    return texts[:count]


def make_engine(name: str) -> SpeechEngine:
    if name == "piper":
        from voiceguide.speech.piper import PiperEngine

        return PiperEngine()
    from voiceguide.speech.espeak import Pyttsx3Engine

    return Pyttsx3Engine()


def synthesis_ms(engine: SpeechEngine, texts: list[str], repeat: int) -> tuple[list[Clip], float]:
    """The clips (unlevelled) and the best mean ms per clip over ``repeat`` runs."""
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
    level_clip(clips[0], TARGET_LUFS)  # numpy imported, caches warm
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for clip in clips:
            level_clip(clip, TARGET_LUFS)
        best = min(best, (time.perf_counter() - started) * 1000 / len(clips))
    return best


def cold_seconds(texts: list[str], loudness_lufs: float | None) -> float:
    """Seconds for ``synthesize_all`` (espeak-ng, automatic workers) into an empty cache,
    in a fresh process, so starting pyttsx3 counts as it does for ``voiceguide synthesize``."""
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.txt"
        texts_file.write_text("\n".join(texts), encoding="utf-8")
        command = [sys.executable, __file__, "--child", str(texts_file)]
        if loudness_lufs is not None:
            command += ["--loudness", str(loudness_lufs)]
        result = subprocess.run(command, check=True, capture_output=True, text=True)
        return float(result.stdout)


def child(texts_file: str, loudness_lufs: float | None) -> None:
    from voiceguide.speech.espeak import Pyttsx3Engine

    texts = Path(texts_file).read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        synthesize_all(texts, Pyttsx3Engine, VoiceSpec(None, RATE_WPM, loudness_lufs), ClipCache(Path(tmp)))
        print(time.perf_counter() - started)


def espeak_program_seconds(texts: list[str]) -> float:
    """Seconds for one ``espeak-ng -s RATE -w FILE TEXT`` per text, serially (as
    ``bench_synthesis.py`` measures its baseline)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("espeak-ng is not installed: run `sudo apt-get install espeak-ng`")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for i, text in enumerate(texts):
            out = os.path.join(tmp, f"{i}.wav")
            subprocess.run([espeak, "-s", str(RATE_WPM), "-w", out, text], check=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["espeak-ng", "piper"], default="espeak-ng")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--count", type=int, default=len(GUIDANCE), help="distinct texts")
    source.add_argument("--texts", metavar="FILE", help="one utterance per line")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--cold", action="store_true", help="also synthesize_all vs the espeak-ng program")
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--loudness", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.loudness)
    if args.texts:
        lines = Path(args.texts).read_text(encoding="utf-8").splitlines()
        texts = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    else:
        texts = numbered_texts(args.count)

    clips, synthesis = synthesis_ms(make_engine(args.engine), texts, args.repeat)
    levelling = levelling_ms(clips, args.repeat)
    seconds = statistics.mean(clip.n_samples / clip.sample_rate for clip in clips)
    print(f"{len(texts)} texts, {args.engine}, {RATE_WPM} wpm: clips of {seconds:.2f} s on average "
          f"at {clips[0].sample_rate} Hz; levelling {LEVELLING!r}")
    print(f"synthesis per clip: {synthesis:8.2f} ms (best of {args.repeat})")
    print(f"levelling per clip: {levelling:8.2f} ms (best of {args.repeat})")
    print(f"RATIO levelling/synthesis = {levelling / synthesis:.2f}  (goal < 1 for espeak-ng)")
    if not args.cold:
        return
    levelled, plain, cli = [], [], []
    for _ in range(args.repeat):  # interleaved, so all three see the same machine state
        levelled.append(cold_seconds(texts, TARGET_LUFS))
        plain.append(cold_seconds(texts, None))
        cli.append(espeak_program_seconds(texts))
    print(f"cold synthesize_all, levelled to {TARGET_LUFS:g} LUFS: {min(levelled):.3f} s")
    print(f"cold synthesize_all, not levelled:       {min(plain):.3f} s")
    print(f"espeak-ng -w per utterance, serial:     {min(cli):.3f} s")
    print(f"RATIO levelled synthesis/espeak_cli = {min(levelled) / min(cli):.2f}  (target <= 0.70)")
    print(f"RATIO unlevelled synthesis/espeak_cli = {min(plain) / min(cli):.2f}")


if __name__ == "__main__":
    main()
