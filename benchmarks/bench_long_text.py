"""One long ``say`` text through each engine: seconds and clip length per size.

Each size runs in a fresh process (so a crash, such as libespeak-ng's segfault on one
very long utterance, is reported as an exit status instead of ending the benchmark).
The text is guidance sentences repeated up to the word count.

Usage: .venv/bin/python benchmarks/bench_long_text.py [--engine espeak-ng|piper] [WORDS ...]
(default sizes: 1000 and 2000 words, and the most words within the loader's limit,
voiceguide.routine.text.MAX_TEXT_CHARS)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
sys.path.insert(0, str(Path(__file__).parent))

from bench_synthesis import GUIDANCE

from voiceguide.routine.text import MAX_TEXT_CHARS
from voiceguide.speech.engine import VoiceSpec


def long_text(words: int) -> str:
    """Guidance sentences repeated until the text has exactly ``words`` words."""
    sentences = [s for s in GUIDANCE if len(s.split()) > 3]
    out: list[str] = []
    i = 0
    while len(out) < words:
        out += sentences[i % len(sentences)].split()
        i += 1
    out = out[:words]
    return " ".join(out).rstrip(".,") + "."


def words_within(n_chars: int) -> int:
    """The most words whose :func:`long_text` has at most ``n_chars`` characters."""
    words = n_chars // 5
    while len(long_text(words + 1)) <= n_chars:
        words += 1
    while len(long_text(words)) > n_chars:
        words -= 1
    return words


def child(engine_name: str, words: int) -> None:
    """Synthesize one text of ``words`` words and print seconds and clip length."""
    if engine_name == "piper":
        from voiceguide.speech.piper import PiperEngine

        engine: object = PiperEngine()
    else:
        from voiceguide.speech.espeak import Pyttsx3Engine

        engine = Pyttsx3Engine()
    engine.synthesize("Warm up.", VoiceSpec(None, 150))  # type: ignore[attr-defined]
    started = time.perf_counter()
    clip = engine.synthesize(long_text(words), VoiceSpec(None, 150))  # type: ignore[attr-defined]
    print(f"{time.perf_counter() - started:.2f} {clip.duration_ms}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("words", nargs="*", type=int)
    parser.add_argument("--engine", default="espeak-ng")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.engine, args.words[0])
        return
    sizes = args.words or [1000, 2000, words_within(MAX_TEXT_CHARS)]
    print(f"engine {args.engine}; one text per fresh process")
    print(f"{'words':>6} {'bytes':>7} {'seconds':>8} {'audio':>8}")
    for words in sizes:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, __file__, "--child", "--engine", args.engine, str(words)],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        size = len(long_text(words).encode())
        if result.returncode != 0:
            wall = time.perf_counter() - started
            print(f"{words:>6} {size:>7} exit {result.returncode} after {wall:.1f} s")
            continue
        seconds, audio_ms = result.stdout.split()[-2:]
        print(f"{words:>6} {size:>7} {float(seconds):>8.2f} {int(audio_ms) / 1000:>7.1f}s")


if __name__ == "__main__":
    main()
