"""Intelligibility: how many of the spoken words an independent speech recognizer recovers.

For each routine and each engine (espeak-ng, piper), the routine is exported at the
default settings to WAV with WebVTT subtitles (every spoken cue with its start and end).
Each cue's audio is cut out (with 250 ms of silence either side), resampled to 16 kHz
(band-limited, by FFT) and transcribed by pocketsphinx 5 with its default en-US model,
which ships in the wheel (no download). A cue's word recall is the share of its words
(lower case, punctuation dropped, digits spelled out) found in the transcript, each
transcript word matched at most once; a number's exact homophones count as the number on
both sides (a countdown's "2" heard as "to" was heard right). A routine's "words" figure
is the share of all its words recovered (its word recall); "recall" is the mean over its
cues and "distinct" the mean over its distinct cue texts. The per-cue means are stricter: a
breathing routine repeats "Breathe in", "In" and "Hold" dozens of times, and the recognizer,
hearing one or two words without context, mishears them ("read them", "and", "oh") at any
speed or voice setting tried.

The target (issue 13): word recall >= 65 % with the default engine "on a routine you did
not write": the routines in benchmarks/heldout/, written by someone who saw neither the
library nor this script (see its README), are measured beside the bundled ones, and the
verdict is theirs (their per-cue means are printed beside it). The bundled routines'
figures are reported for each routine and engine.

Setup (pocketsphinx is in the `bench` extra, not a runtime dependency):

    .venv/bin/pip install -e '.[bench]'     # or: .venv/bin/pip install 'pocketsphinx>=5'

Usage:

    .venv/bin/python benchmarks/bench_recall.py                      # every bundled routine
    .venv/bin/python benchmarks/bench_recall.py --routines box-breathing,lower-back-massage
    .venv/bin/python benchmarks/bench_recall.py --engines piper --worst 5 --cache-dir /tmp/vgc
    .venv/bin/python benchmarks/bench_recall.py --routines none --files my-routine.yaml

On 2 shared CPUs the whole run takes several minutes (piper synthesizes every cue once
into the cache; the recognizer runs at a fraction of real time): 15 minutes for the first
five routines under a load of 5. --cache-dir keeps the clips for a second run; --results
FILE keeps each routine's figures as it is measured, and a later run with the same file
measures only what is missing (delete the file to measure again). A routine whose export
fails is reported and left out.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import NoReturn

import numpy as np

sys.path.insert(0, str(Path(__file__).parent.parent))

from voiceguide.routine.bundled import bundled_routines
from voiceguide.speech.engines import default_engine_name

TARGET = 0.65  # word recall the default engine must reach on every held-out routine
HELDOUT = Path(__file__).parent / "heldout"  # routines not written by the library's authors
RECOGNIZER_RATE = 16_000  # Hz: what pocketsphinx's en-US model expects
PAD_MS = 250  # silence either side of a cut cue
ENGINES = ("espeak-ng", "piper")

_ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
#: words that sound exactly like a number word, compared as that number on both sides: the
#: recognizer hearing "2" writes "to" or "too" (it has no way to know a count is meant)
SOUNDS_LIKE = {"to": "two", "too": "two", "for": "four", "fore": "four", "won": "one", "ate": "eight"}
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


@dataclass(frozen=True)
class Cue:
    """A subtitle cue: its text and where it is spoken, in ms from the start of the file."""

    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class Heard:
    """A cue, what the recognizer heard, and the share of the cue's words recovered."""

    cue: Cue
    transcript: str
    found: int
    words: int

    @property
    def recall(self) -> float:
        return self.found / self.words if self.words else 1.0


def spell_number(n: int) -> str:
    """0-999 in words ("forty two"); larger numbers digit by digit."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return f"{_ONES[n // 100]} hundred" + ("" if rest == 0 else " " + spell_number(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def words_of(text: str) -> list[str]:
    """Lower-case words without punctuation; numbers spelled out; "[pause 2s]" marks dropped;
    the homophones of a number written as that number (see :data:`SOUNDS_LIKE`)."""
    text = re.sub(r"\[[^\]]*\]", " ", text.lower().replace("’", "'"))
    text = re.sub(r"\d+", lambda m: f" {spell_number(int(m.group()))} ", text)
    words = (w.strip("'") for w in re.findall(r"[a-z']+", text))
    return [SOUNDS_LIKE.get(w, w) for w in words if w]


def recovered(expected: list[str], transcript: list[str]) -> int:
    """How many expected words appear in the transcript, each transcript word used once."""
    available = Counter(transcript)
    found = 0
    for word in expected:
        if available[word] > 0:
            available[word] -= 1
            found += 1
    return found


def _vtt_ms(stamp: str) -> int:
    hours, minutes, seconds = stamp.split(":")
    whole, _, millis = seconds.partition(".")
    return ((int(hours) * 60 + int(minutes)) * 60 + int(whole)) * 1000 + int(millis.ljust(3, "0"))


def read_vtt(path: Path) -> list[Cue]:
    """The cues of a WebVTT file voiceguide wrote (text lines joined by spaces)."""
    cues: list[Cue] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        start, end = (part.strip().split()[0] for part in lines[timing].split("-->"))
        cues.append(Cue(_vtt_ms(start), _vtt_ms(end), " ".join(lines[timing + 1 :])))
    return cues


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono 16-bit samples (as float) and the sample rate."""
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2, "expected mono 16-bit"
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    return samples, rate


def resample(samples: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Band-limited resampling by FFT (the spectrum cut or padded to the new length)."""
    if rate == new_rate or len(samples) == 0:
        return samples
    length = round(len(samples) * new_rate / rate)
    spectrum = np.fft.rfft(samples)
    kept = np.zeros(length // 2 + 1, dtype=complex)
    n = min(len(kept), len(spectrum))
    kept[:n] = spectrum[:n]
    return np.fft.irfft(kept, length) * (length / len(samples))


def cue_pcm(samples: np.ndarray, rate: int, cue: Cue) -> bytes:
    """The cue's audio at 16 kHz, 16-bit little-endian, with silence either side."""
    piece = samples[cue.start_ms * rate // 1000 : cue.end_ms * rate // 1000]
    pad = np.zeros(PAD_MS * RECOGNIZER_RATE // 1000)
    out = np.concatenate([pad, resample(piece, rate, RECOGNIZER_RATE), pad])
    return np.clip(np.round(out), -32768, 32767).astype("<i2").tobytes()


class Recognizer:
    """pocketsphinx with its default en-US model (loaded once)."""

    def __init__(self) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            sys.exit("bench_recall needs pocketsphinx: .venv/bin/pip install -e '.[bench]'")
        self._decoder = Decoder(loglevel="FATAL")

    def transcribe(self, pcm: bytes) -> str:
        self._decoder.start_utt()
        self._decoder.process_raw(pcm, full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""


def export(routine: Path, engine: str, out_dir: Path, cache_dir: Path) -> tuple[Path, Path]:
    """Export ``routine`` with ``engine`` at the default settings: (the WAV, its WebVTT)."""
    wav = out_dir / f"{routine.stem}-{engine}.wav"
    command = [
        str(Path(sys.executable).parent / "voiceguide"),
        "export",
        str(routine),
        "-o",
        str(wav),
        "--engine",
        engine,
        "--subtitles",
        "vtt",
        "-q",
        "--cache-dir",
        str(cache_dir),
    ]
    subprocess.run(command, check=True)
    return wav, wav.with_suffix(".vtt")


def heard_as(cue: Cue, transcript: str) -> Heard:
    """``cue`` scored against what the recognizer wrote for it (scored again when results
    are read back, so a run kept in --results follows the current scoring)."""
    expected = words_of(cue.text)
    return Heard(cue, transcript, recovered(expected, words_of(transcript)), len(expected))


def measure(
    routine: Path, engine: str, recognizer: Recognizer, out_dir: Path, cache_dir: Path
) -> list[Heard]:
    """Every spoken cue of ``routine`` with ``engine``, as the recognizer heard it."""
    wav, vtt = export(routine, engine, out_dir, cache_dir)
    samples, rate = read_wav(wav)
    heard: list[Heard] = []
    for cue in read_vtt(vtt):
        heard.append(heard_as(cue, recognizer.transcribe(cue_pcm(samples, rate, cue))))
    wav.unlink()
    return heard


def load_results(path: Path | None) -> dict[tuple[str, str], list[Heard]]:
    """What an earlier run recorded in ``path`` (routine, engine → heard cues)."""
    if path is None or not path.exists():
        return {}
    return {
        (row["routine"], row["engine"]): [
            heard_as(Cue(c["start_ms"], c["end_ms"], c["text"]), c["transcript"]) for c in row["cues"]
        ]
        for row in json.loads(path.read_text(encoding="utf-8"))
    }


def save_results(path: Path | None, results: dict[tuple[str, str], list[Heard]]) -> None:
    if path is None:
        return
    rows = [
        {
            "routine": name,
            "engine": engine,
            "cues": [
                {
                    "start_ms": h.cue.start_ms,
                    "end_ms": h.cue.end_ms,
                    "text": h.cue.text,
                    "transcript": h.transcript,
                    "found": h.found,
                    "words": h.words,
                }
                for h in heard
            ],
        }
        for (name, engine), heard in results.items()
    ]
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    temporary.replace(path)


def summary(heard: list[Heard]) -> tuple[float, float, float]:
    """(mean recall over cues, mean over distinct cue texts, recall over all words)."""
    words = sum(h.words for h in heard)
    by_text: dict[str, list[float]] = {}
    for h in heard:
        by_text.setdefault(" ".join(words_of(h.cue.text)), []).append(h.recall)
    return (
        mean(h.recall for h in heard),
        mean(mean(r) for r in by_text.values()),
        sum(h.found for h in heard) / words if words else 1.0,
    )


def chosen_routines(
    routines: str | None, files: list[Path], heldout: bool, error: Callable[[str], NoReturn]
) -> dict[str, tuple[Path, bool]]:
    """Label → (routine file, held out?): the bundled ones asked for ("none": no bundled
    routine), the held-out set unless left out, and any files given."""
    available = dict(bundled_routines())
    names = [] if routines == "none" else routines.split(",") if routines else list(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        error(f"not bundled: {', '.join(unknown)}")
    chosen = {name: (available[name], False) for name in names}
    if heldout:
        chosen |= {f"heldout/{p.stem}": (p, True) for p in sorted(HELDOUT.glob("*.yaml"))}
    for path in files:
        if not path.is_file():
            error(f"no such routine file: {path}")
        chosen[str(path)] = (path, True)  # a routine of the user's: not written by us either
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--routines", help="comma-separated bundled names (default: all; none: no bundled one)"
    )
    parser.add_argument(
        "--files",
        type=Path,
        nargs="*",
        default=[],
        help="routine files to measure too (judged like the held-out set)",
    )
    parser.add_argument(
        "--no-heldout", action="store_true", help=f"leave out the held-out routines in {HELDOUT.name}/"
    )
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated (default: both)")
    parser.add_argument(
        "--worst",
        type=int,
        default=3,
        help="cues to show for a routine where the default engine misses the target",
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="speech cache to use and keep (default: a temporary one)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="JSON file of per-cue results: read (measured pairs are skipped) and updated",
    )
    args = parser.parse_args()

    chosen = chosen_routines(args.routines, args.files, not args.no_heldout, parser.error)
    engines = args.engines.split(",")
    os.environ.pop("VOICEGUIDE_ENGINE", None)  # the default as a fresh install has it
    default_engine = default_engine_name()[0]
    recognizer = Recognizer()

    earlier = load_results(args.results)
    results: dict[tuple[str, str], list[Heard]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache_dir or Path(scratch) / "cache"
        print(
            f"{'routine':<34} {'engine':<10} {'cues':>5} {'words':>6} {'recall':>7} "
            f"{'distinct':>9} {'words':>6}"
        )
        for label, (path, _) in chosen.items():
            for engine in engines:
                heard = earlier.get((label, engine), [])
                if not heard:
                    try:
                        heard = measure(path, engine, recognizer, Path(scratch), cache)
                    except subprocess.CalledProcessError:
                        print(f"{label:<34} {engine:<10} export failed (above); left out", flush=True)
                        continue
                results[label, engine] = heard
                save_results(args.results, earlier | results)
                per_cue, distinct, per_word = summary(heard)
                print(
                    f"{label:<34} {engine:<10} {len(heard):>5} {sum(h.words for h in heard):>6} "
                    f"{per_cue:>7.0%} {distinct:>9.0%} {per_word:>6.0%}",
                    flush=True,
                )

    print()
    for engine in engines:
        for held_out, group in ((False, "bundled"), (True, "held-out")):
            every = [
                h
                for (label, e), heard in results.items()
                if e == engine and chosen[label][1] == held_out
                for h in heard
            ]
            if not every:
                continue
            per_cue, distinct, per_word = summary(every)
            print(
                f"{group:<9} {engine:<10} recall {per_cue:.0%} (distinct texts {distinct:.0%}, "
                f"all words {per_word:.0%})"
            )

    judged = {
        label: summary(heard)
        for (label, e), heard in results.items()
        if e == default_engine and chosen[label][1]
    }
    if judged:
        worst = min(judged, key=lambda label: judged[label][2])
        verdict = "met" if judged[worst][2] >= TARGET else "MISSED"
        print(
            f"\ntarget: word recall >= {TARGET:.0%} with the default engine ({default_engine}) on "
            f"every held-out routine: {verdict} (lowest: {worst}, {judged[worst][2]:.0%})"
        )
        print("  per cue: " + ", ".join(f"{label} {figures[0]:.0%}" for label, figures in judged.items()))
    else:
        print(f"\ntarget: not judged (no held-out routine measured with {default_engine})")

    for (label, engine), heard in results.items():
        if engine != default_engine or min(summary(heard)) >= TARGET or args.worst <= 0:
            continue
        print(
            f"\n{label} with {engine} (under {TARGET:.0%} by one measure): "
            f"the {args.worst} worst distinct cues"
        )
        texts = {h.cue.text: h for h in heard}.values()
        for h in sorted(texts, key=lambda h: (h.recall, -h.words))[: args.worst]:
            print(f"  {h.recall:4.0%}  said:  {h.cue.text}\n        heard: {h.transcript or '(nothing)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
