"""The cost of checked takes (issue 24 item 2): hearing a take against making it.

For the distinct texts of a routine (default: box-breathing and lower-back-massage), each
text is synthesized once with piper (levelled, as the cache stores it) and that take is
heard twice by Whisper tiny.en (:mod:`voiceguide.speech.hearing`): in the reference's 30 s
window (the baseline: how takes were checked before) and in the window takes are checked
in now (:data:`hearing.CHECK_WINDOW_MS`: as long as the take, at least 20 s), one after
the other on one thread, in alternating order. The CPU time of each
(``time.process_time``; onnxruntime and CTranslate2 are given one thread each, as the
synthesis scheduler runs them) and the wall time are summed. Printed: ms of CPU per cue
for synthesis and for each way of hearing, their ratios (all measured in this run), and
what checking decides each way on the same takes: first takes heard right, kept
(:func:`takes.good_enough`) or made again (each costs another synthesis and hearing, up
to :data:`takes.MAX_TAKES`), and the takes on which the two disagree.

Usage:

    .venv/bin/python benchmarks/bench_checking.py
    .venv/bin/python benchmarks/bench_checking.py --routines desk-break --limit 20
    .venv/bin/python benchmarks/bench_checking.py --short --routines box-breathing,coherent-breathing

``--short`` keeps the texts of one or two words only (:data:`takes.SHORT_WORDS`: the breath
words, which get up to :data:`takes.SHORT_TAKES` takes) and prints what their worst case,
every take made, costs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.loader import load_routine
from voiceguide.speech import hearing, takes
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
    parser.add_argument("--window-ms", type=int, default=hearing.CHECK_WINDOW_MS, help="the check's window")
    parser.add_argument("--short", action="store_true", help="texts of one or two words only")
    args = parser.parse_args()
    if not hearing.is_available() or not PiperEngine.is_available():
        sys.exit(f"needs piper and the hearing extra: {hearing.INSTALL_COMMAND}")
    texts = texts_of(args.routines.split(","))
    if args.short:
        texts = [t for t in texts if takes.tries_for(t) == takes.SHORT_TAKES]
    if args.limit:
        texts = texts[: args.limit]
    engine = PiperEngine()
    engine.use_threads(1)
    voice = VoiceSpec(None, Pacing().rate_wpm, -16.0)
    ways = {"30 s window": hearing.WhisperListener(), "check window": hearing.WhisperListener(args.window_ms)}
    # loading each model once, outside the measurement
    warm = spoken(engine, "Warm up.", voice)
    for listener in ways.values():
        listener.transcribe(warm)

    synth_cpu = synth_wall = 0.0
    cpu = dict.fromkeys(ways, 0.0)
    wall = dict.fromkeys(ways, 0.0)
    heard: dict[str, list[hearing.Heard]] = {way: [] for way in ways}
    for n, text in enumerate(texts):
        c0, w0 = time.process_time(), time.perf_counter()
        clip = spoken(engine, text, voice)
        synth_cpu, synth_wall = synth_cpu + time.process_time() - c0, synth_wall + time.perf_counter() - w0
        for way in list(ways)[:: 1 if n % 2 else -1]:  # alternating: neither always runs second
            c0, w0 = time.process_time(), time.perf_counter()
            heard[way].append(hearing.judge(text, ways[way].transcribe(clip)))
            cpu[way], wall[way] = cpu[way] + time.process_time() - c0, wall[way] + time.perf_counter() - w0
    n = len(texts)
    base, check = ways

    def per_cue(cpu_s: float, wall_s: float) -> str:
        return f"{1000 * cpu_s / n:6.0f} ms CPU per cue ({1000 * wall_s / n:.0f} ms wall)"

    print(f"{n} distinct texts of {args.routines}, piper, one thread each; check window {args.window_ms} ms")
    print(f"synthesis:             {per_cue(synth_cpu, synth_wall)}")
    for way in ways:
        print(f"hearing, {way + ':':14}{per_cue(cpu[way], wall[way])}")
    print(
        f"hearing / synthesis: {cpu[base] / synth_cpu:.2f}x CPU in the 30 s window,"
        f" {cpu[check] / synth_cpu:.2f}x in the check's"
    )
    print(f"check window / 30 s window: {cpu[check] / cpu[base]:.2f}x CPU")
    if args.short:
        one = 1000 * (synth_cpu + cpu[check]) / n  # ms of CPU: a take made and heard
        print(
            f"a short text's worst case, {takes.SHORT_TAKES} takes made and heard in the check window:"
            f" {takes.SHORT_TAKES * one:.0f} ms CPU ({takes.MAX_TAKES} takes: {takes.MAX_TAKES * one:.0f})"
        )
    for way in ways:
        right = sum(h.right for h in heard[way])
        kept = sum(takes.good_enough(h) for h in heard[way])
        found, words = sum(h.found for h in heard[way]), sum(h.words for h in heard[way])
        print(
            f"{way}: first takes heard right {right} of {n}, kept {kept} (made again {n - kept}),"
            f" words heard {found} of {words} ({found / words:.1%})"
        )
    pairs = zip(heard[base], heard[check], strict=True)
    differ = [(a, b) for a, b in pairs if takes.good_enough(a) != takes.good_enough(b)]
    print(f"decided differently: {len(differ)} of {n}")
    for a, b in differ:
        print(f"  {a.text[:40]!r}: {a.found}/{a.words} {a.transcript[:40]!r}")
        print(f"  {'':42}  {b.found}/{b.words} {b.transcript[:40]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
