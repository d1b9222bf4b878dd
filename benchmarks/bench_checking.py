"""The cost of checked takes (issue 24 item 2): hearing a take against making it.

For the distinct texts of a routine (default: box-breathing and lower-back-massage), each
text is synthesized once with piper (levelled, as the cache stores it) and heard once by
Whisper tiny.en (:mod:`voiceguide.speech.hearing`), one after the other on one thread,
and the CPU time of each (``time.process_time``; onnxruntime and CTranslate2 are given one
thread each, as the synthesis scheduler runs them) and the wall time are summed. Printed:
ms of CPU per cue for synthesis and for hearing, their ratio (hearing / synthesis, both
measured in this run), and how many first takes were heard wrong (each such one costs
another synthesis and hearing, up to four takes).

Whisper pads every clip to 30 s, so hearing costs about the same for "Hold" as for a long
sentence; synthesis grows with the text.

Usage:

    .venv/bin/python benchmarks/bench_checking.py
    .venv/bin/python benchmarks/bench_checking.py --routines desk-break --limit 20
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.loader import load_routine
from voiceguide.speech import hearing
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.piper import PiperEngine
from voiceguide.speech.synth import spoken
from voiceguide.timing.pacing import Pacing
from voiceguide.timing.timeline import utterances


def texts_of(names: list[str]) -> list[str]:
    available = dict(bundled_routines())
    texts: dict[str, None] = {}
    for name in names:
        texts |= dict.fromkeys(utterances(load_routine(available[name])[0], Pacing()))
    return list(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routines", default="box-breathing,lower-back-massage")
    parser.add_argument("--limit", type=int, default=0, help="at most this many texts (0: all)")
    args = parser.parse_args()
    if not hearing.is_available() or not PiperEngine.is_available():
        sys.exit(f"needs piper and the hearing extra: {hearing.INSTALL_COMMAND}")
    texts = texts_of(args.routines.split(","))
    if args.limit:
        texts = texts[: args.limit]
    engine = PiperEngine()
    engine.use_threads(1)
    voice = VoiceSpec(None, Pacing().rate_wpm, -16.0)
    listener = hearing.WhisperListener()
    # loading each model once, outside the measurement
    listener.transcribe(spoken(engine, "Warm up.", voice))

    synth_cpu = hear_cpu = synth_wall = hear_wall = 0.0
    wrong: list[tuple[str, str]] = []
    for text in texts:
        c0, w0 = time.process_time(), time.perf_counter()
        clip = spoken(engine, text, voice)
        c1, w1 = time.process_time(), time.perf_counter()
        heard = hearing.judge(text, listener.transcribe(clip))
        c2, w2 = time.process_time(), time.perf_counter()
        synth_cpu, synth_wall = synth_cpu + c1 - c0, synth_wall + w1 - w0
        hear_cpu, hear_wall = hear_cpu + c2 - c1, hear_wall + w2 - w1
        if not heard.right:
            wrong.append((text, heard.transcript))
    n = len(texts)
    print(f"{n} distinct texts of {args.routines}, piper, one thread each")
    print(f"synthesis: {1000 * synth_cpu / n:6.0f} ms CPU per cue ({1000 * synth_wall / n:.0f} ms wall)")
    print(f"hearing:   {1000 * hear_cpu / n:6.0f} ms CPU per cue ({1000 * hear_wall / n:.0f} ms wall)")
    print(f"hearing / synthesis: {hear_cpu / synth_cpu:.2f}x CPU")
    print(f"first takes heard wrong: {len(wrong)} of {n} ({len(wrong) / n:.0%}), each made again")
    for text, transcript in wrong:
        print(f"  {text[:60]!r} heard as {transcript[:60]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
