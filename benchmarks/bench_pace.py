"""The pace heard: words per minute of each spoken cue, measured on real exports.

For each routine, engine (piper, espeak-ng) and preset (gentle, standard, brisk), the
routine is exported to WAV with WebVTT subtitles through the command line. Each cue's
audio is cut out by its subtitle times; its speech duration is the span from its first
to its last sample at or above -50 dBFS (|s| >= 100), less any quiet run inside it longer
than 1 s (a ``[pause]`` mark's silence is not speech; a pause between two sentences, a
few hundred ms, is). Its rate is its words / that duration. Only cues of three words or
more count (a countdown number or "Hold" says nothing about a pace). Printed: the median
rate per routine, engine and preset, and the median over every cue of the library; the
target (issue 24) is a standard-preset median between 125 and 160 wpm, gentle slower,
brisk faster.

Usage:

    .venv/bin/python benchmarks/bench_pace.py                                # every bundled routine
    .venv/bin/python benchmarks/bench_pace.py --routines box-breathing,desk-break --engines piper
    .venv/bin/python benchmarks/bench_pace.py --presets standard --cache-dir /tmp/vg-pace

piper synthesizes every cue once per preset (the rate is in the cache key): on 2 shared
CPUs the whole library takes several minutes per preset; --cache-dir keeps the clips.

``--calibrate`` measures the tables of ``voiceguide/speech/pace.py`` instead: the distinct
cue texts of three words or more of a few routines (``--routines``, default
:data:`CALIBRATION_ROUTINES`), spoken by espeak-ng at several nominal rates and by piper at
several length_scales, levelled as the cache levels them, each table row the median rate
of those texts measured as above. Paste the printed tables into pace.py.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).parent.parent))

from bench_recall import read_vtt  # one reader: joins the pieces a long cue is shown in

from voiceguide.pcm.clip import Clip
from voiceguide.pcm.level import level_clip
from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.loader import load_routine
from voiceguide.speech import pace
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.espeak import Pyttsx3Engine
from voiceguide.speech.piper import PiperEngine
from voiceguide.timing.pacing import resolve_pacing
from voiceguide.timing.timeline import utterances

ENGINES = ("piper", "espeak-ng")
PRESETS = ("gentle", "standard", "brisk")
QUIET = 100  # |sample| under this is silence (-50 dBFS)
LONG_QUIET_MS = 1000  # a quiet run inside a cue longer than this is a pause, not speech
MIN_WORDS = 3
TARGET = (125, 160)  # wpm, the standard preset's median (issue 24)
HELDOUT = Path(__file__).parent / "heldout"
CALIBRATION_ROUTINES = ("lower-back-massage", "desk-break", "box-breathing", "body-scan-for-sleep")
ESPEAK_NOMINAL = (80, 100, 125, 150, 200, 250, 325, 450)  # wpm
PIPER_SCALES = (0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.9, 2.3, 2.8)


def words_of(text: str) -> list[str]:
    """The words of a cue as a listener counts them (numbers are words)."""
    return re.findall(r"[A-Za-z0-9']+", text)


def speech_ms(samples: np.ndarray, rate: int) -> int:
    """Milliseconds of speech in ``samples``: first to last loud sample, less long quiet runs."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= QUIET)
    if len(loud) == 0:
        return 0
    gaps = np.diff(loud)
    long_gap = LONG_QUIET_MS * rate // 1000
    span = int(loud[-1] - loud[0] + 1) - int(gaps[gaps > long_gap].sum())
    return span * 1000 // rate


def cue_rates(wav: Path, vtt: Path) -> list[float]:
    """Words per minute of every cue of three words or more."""
    with wave.open(str(wav), "rb") as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    rates = []
    for cue in read_vtt(vtt):
        words = len(words_of(cue.text))
        if words < MIN_WORDS:
            continue
        ms = speech_ms(samples[cue.start_ms * rate // 1000 : cue.end_ms * rate // 1000], rate)
        if ms > 0:
            rates.append(words * 60_000 / ms)
    return rates


def clip_rate(text: str, clip: Clip) -> float:
    """Words per minute of ``text`` in ``clip``, levelled as the cache levels it."""
    levelled = level_clip(clip, -16.0)
    samples = np.frombuffer(levelled.pcm, dtype="<i2")
    return len(words_of(text)) * 60_000 / max(1, speech_ms(samples, clip.sample_rate))


def calibration_texts(names: list[str]) -> list[str]:
    """The distinct texts of three words or more the routines say at their own pacing."""
    available = dict(bundled_routines())
    texts: dict[str, None] = {}
    for name in names:
        routine, _ = load_routine(available[name])
        for text in utterances(routine, resolve_pacing(routine).pacing):
            if len(words_of(text)) >= MIN_WORDS:
                texts[text] = None
    return list(texts)


def calibrate(
    names: list[str], engines: list[str], scales: tuple[float, ...], nominal_rates: tuple[int, ...]
) -> None:
    """Measure and print pace.py's tables (see the module docstring)."""
    texts = calibration_texts(names)
    print(f"{len(texts)} texts of {', '.join(names)}", flush=True)
    if "espeak-ng" in engines:
        espeak = Pyttsx3Engine()
        rows = []
        for nominal in nominal_rates:
            voice = VoiceSpec(None, nominal)
            heard = median(clip_rate(t, espeak.speak(t, voice, nominal)) for t in texts)
            rows.append(f"({nominal}, {heard:.1f})")
            print(f"espeak-ng nominal {nominal}: heard {heard:.1f} wpm", flush=True)
        print("ESPEAK_HEARD_WPM = (" + ", ".join(rows) + ")")
    if "piper" in engines:
        piper = PiperEngine()
        rows = []
        for scale in scales:
            # the pause between sentences is that of the rate this scale is heard at:
            # the old table's guess (one word's time changes by a few per cent at most)
            guess = 1 / pace._interpolate(tuple(sorted((s, 1 / w) for s, w in pace.PIPER_HEARD_WPM)), scale)
            voice = VoiceSpec(None, round(guess))
            heard = median(clip_rate(t, piper.speak(t, voice, scale)) for t in texts)
            rows.append(f"({scale}, {heard:.1f})")
            print(f"piper length_scale {scale}: heard {heard:.1f} wpm (pause of {round(guess)})", flush=True)
        print("PIPER_HEARD_WPM = (" + ", ".join(rows) + ")")


def export(routine: Path, engine: str, preset: str, out_dir: Path, cache: Path) -> tuple[Path, Path]:
    """The routine exported at ``preset`` with ``engine``: (the WAV, its WebVTT)."""
    wav = out_dir / f"{routine.stem}-{engine}-{preset}.wav"
    command = [
        str(Path(sys.executable).parent / "voiceguide"),
        "export",
        str(routine),
        "-o",
        str(wav),
        "--engine",
        engine,
        "--preset",
        preset,
        "--subtitles",
        "vtt",
        "-q",
        "--cache-dir",
        str(cache),
    ]
    subprocess.run(command, check=True)
    return wav, wav.with_suffix(".vtt")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routines", help="comma-separated bundled names (default: all)")
    parser.add_argument("--heldout", action="store_true", help=f"also the routines in {HELDOUT.name}/")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--cache-dir", type=Path, help="speech cache to use and keep")
    parser.add_argument("--calibrate", action="store_true", help="measure pace.py's tables instead")
    parser.add_argument("--scales", help="piper length_scales to calibrate, comma-separated")
    parser.add_argument("--nominal", help="espeak-ng nominal rates to calibrate, comma-separated")
    args = parser.parse_args()
    if args.calibrate:
        names = args.routines.split(",") if args.routines else list(CALIBRATION_ROUTINES)
        scales = tuple(float(x) for x in args.scales.split(",")) if args.scales else PIPER_SCALES
        nominal = tuple(int(x) for x in args.nominal.split(",")) if args.nominal else ESPEAK_NOMINAL
        calibrate(names, args.engines.split(","), scales, nominal)
        return 0

    available = dict(bundled_routines())
    names = args.routines.split(",") if args.routines else list(available)
    chosen = {name: available[name] for name in names}
    if args.heldout:
        chosen |= {f"heldout/{p.stem}": p for p in sorted(HELDOUT.glob("*.yaml"))}
    engines, presets = args.engines.split(","), args.presets.split(",")
    os.environ.pop("VOICEGUIDE_ENGINE", None)

    every: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache_dir or Path(scratch) / "cache"
        print(f"{'routine':<34} {'engine':<10} " + " ".join(f"{p:>9}" for p in presets), flush=True)
        for label, path in chosen.items():
            for engine in engines:
                cells = []
                for preset in presets:
                    wav, vtt = export(path, engine, preset, Path(scratch), cache)
                    rates = cue_rates(wav, vtt)
                    wav.unlink()
                    every.setdefault((engine, preset), []).extend(rates)
                    cells.append(f"{median(rates):>9.0f}" if rates else f"{'-':>9}")
                print(f"{label:<34} {engine:<10} " + " ".join(cells), flush=True)
    print()
    for engine in engines:
        cells = []
        for preset in presets:
            rates = every.get((engine, preset), [])
            cells.append(f"{median(rates):>9.0f}" if rates else f"{'-':>9}")
        print(f"{'all cues (median)':<34} {engine:<10} " + " ".join(cells))
    for engine in engines:
        rates = every.get((engine, "standard"), [])
        if rates:
            low, high = TARGET
            verdict = "within" if low <= median(rates) <= high else "OUTSIDE"
            middle = median(rates)
            print(f"{engine}: standard median {middle:.0f} wpm, {verdict} {low}-{high} ({len(rates)} cues)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
