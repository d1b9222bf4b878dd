"""The length estimate's error on the bundled library, per routine, and what it costs.

For each engine (piper, espeak-ng) and preset, every bundled routine (scripts/*.yaml) is
previewed on an empty cache (every clip's length estimated: what `show` and `list` say
before any synthesis) and then prepared for real (synthesized into ``--cache-dir``, kept
between runs, and measured: what `play` and `export` use). Prints each routine's total
length both ways and the error, then the median and the worst routine per engine and
preset. Goal (issue 22): median <= 3 %, worst routine <= 8 %. Holds, rests and breaths are
exact, so the error of the speech alone (the sum of its clips) is printed beside it.

Cost, each against a baseline measured in the same run: previewing the whole library on
an empty cache against preparing it warm (every clip cached: the fastest the old `show`
could be) and against synthesizing it cold (what the old `show` and `list` cost the first
time); and starting espeak-ng's pyttsx3 engine in a process, or one `espeak-ng -q -x`
(phonemes), against estimating a whole routine.

The estimate is calibrated on other texts (benchmarks/calibrate_estimate.py: the held-out
routines), so this is an error on texts it was not fitted to.

Usage: .venv/bin/python benchmarks/bench_estimate.py [--engine piper] [--preset standard]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from voiceguide.audio.sound import Sound
from voiceguide.preview import preview
from voiceguide.session import prepare
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engines import engine_class
from voiceguide.timing.pacing import Layer
from voiceguide.timing.timeline import SPEECH, Timeline

ROOT = Path(__file__).parent.parent
ENGINES = ("piper", "espeak-ng")
PRESETS = ("gentle", "standard", "brisk")
#: clips unlevelled (``--loudness off``): levelling never changes a length, and these cache
#: keys survive a change of the levelling
SOUND = Sound(loudness_lufs=None)


def layers(engine: str, preset: str) -> list[Layer]:
    return [Layer("benchmark", {"engine": engine, "preset": preset})]


def speech_ms(timeline: Timeline) -> int:
    """The time spent speaking (ms): the sum of the speech events' lengths."""
    return sum(e.end_ms - e.start_ms for e in timeline.events if e.kind == SPEECH)


def error_table(
    engine: str, preset: str, cache: ClipCache, sound: Sound
) -> tuple[list[float], list[float], float, float]:
    """Each routine's error (%) on its total and on its speech alone, and the seconds to
    preview the library on an empty cache and to prepare it (synthesizing what ``cache``
    lacks)."""
    errors: list[float] = []
    speech_errors: list[float] = []
    preview_s = prepare_s = 0.0
    with tempfile.TemporaryDirectory() as empty:
        for path in sorted((ROOT / "scripts").glob("*.yaml")):
            started = time.perf_counter()
            estimated = preview(path, ClipCache(empty), layers=layers(engine, preset), sound=sound)
            preview_s += time.perf_counter() - started
            started = time.perf_counter()
            session, _ = prepare(
                path, engine_class(engine), cache, layers=layers(engine, preset), sound=sound
            )
            prepare_s += time.perf_counter() - started
            measured_ms = session.timeline.duration_ms
            estimate_ms = estimated.session.timeline.duration_ms
            error = 100 * (estimate_ms - measured_ms) / measured_ms
            errors.append(error)
            spoken, guessed = speech_ms(session.timeline), speech_ms(estimated.session.timeline)
            speech_errors.append(100 * (guessed - spoken) / spoken)
            print(
                f"  {path.stem:<32} measured {measured_ms / 1000:8.1f} s  estimated "
                f"{estimate_ms / 1000:8.1f} s  {error:+6.2f} %   speech alone "
                f"{spoken / 1000:6.1f} s {speech_errors[-1]:+6.2f} %",
                flush=True,
            )
    return errors, speech_errors, preview_s, prepare_s


def warm_prepare_s(engine: str, preset: str, cache: ClipCache, sound: Sound) -> float:
    started = time.perf_counter()
    for path in sorted((ROOT / "scripts").glob("*.yaml")):
        prepare(path, engine_class(engine), cache, layers=layers(engine, preset), sound=sound)
    return time.perf_counter() - started


def startup_costs() -> None:
    """pyttsx3's start in a fresh process and one espeak-ng phoneme call, against
    estimating a whole routine in that process."""
    code = (
        "import time; from voiceguide.speech.espeak import Pyttsx3Engine; e = Pyttsx3Engine(); "
        "t = time.perf_counter(); e.voices(); print(time.perf_counter() - t)"
    )
    pyttsx3_s = float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
    )
    started = time.perf_counter()
    subprocess.run(
        ["espeak-ng", "-q", "-x", "Lie on your back with your knees bent."], capture_output=True, check=True
    )
    phonemes_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as empty:
        path = ROOT / "scripts" / "lower-back-massage.yaml"
        preview(path, ClipCache(empty), layers=layers("espeak-ng", "standard"))  # imports
        started = time.perf_counter()
        preview(path, ClipCache(empty), layers=layers("espeak-ng", "standard"))
        routine_s = time.perf_counter() - started
    print(
        f"preview of lower-back-massage (load, estimate, compile): {1000 * routine_s:.1f} ms; "
        f"starting pyttsx3 in a process {1000 * pyttsx3_s:.0f} ms (×{pyttsx3_s / routine_s:.1f}); "
        f"one `espeak-ng -q -x` {1000 * phonemes_s:.0f} ms (×{phonemes_s / routine_s:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, action="append")
    parser.add_argument("--preset", choices=PRESETS, action="append")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/voiceguide-estimate-cache"))
    parser.add_argument(
        "--levelled",
        action="store_true",
        help="prepare the clips levelled as export levels them (the same lengths; shares a "
        "cache with bench_pace.py's exports)",
    )
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up costs")
    args = parser.parse_args()
    sound = Sound() if args.levelled else SOUND
    cache = ClipCache(args.cache_dir)
    if not args.no_startup:
        startup_costs()
    summary = []
    for engine in args.engine or ENGINES:
        for preset in args.preset or PRESETS:
            print(f"{engine}, preset {preset}:")
            errors, speech_errors, preview_s, cold_s = error_table(engine, preset, cache, sound)
            warm_s = warm_prepare_s(engine, preset, cache, sound)
            worst = max(errors, key=abs)
            median = statistics.median(abs(e) for e in errors)
            line = (
                f"{engine:<9} {preset:<8} median |error| {median:.2f} %, worst {worst:+.2f} %, "
                f"mean {sum(errors) / len(errors):+.2f} % (speech alone: median "
                f"{statistics.median(abs(e) for e in speech_errors):.1f} %, worst "
                f"{max(speech_errors, key=abs):+.1f} %); preview of "
                f"the library {preview_s:.2f} s = ×{preview_s / warm_s:.2f} a warm prepare "
                f"({warm_s:.2f} s), ×{preview_s / cold_s:.3f} this run's prepare ({cold_s:.1f} s)"
            )
            print(line, flush=True)
            summary.append(line)
    print("\n".join(["", "summary (goal: median <= 3 %, worst <= 8 %):", *summary]))


if __name__ == "__main__":
    main()
