"""Fit the clip-length estimate (voiceguide/speech/estimate.py) on clips measured here, and
write its table (voiceguide/speech/estimate_table.py).

For each engine (piper, espeak-ng; their default voice) and each rate in RATES, the texts
of the held-out routines (benchmarks/heldout/, at every preset, respelled as the engine
hears them) and bench_synthesis's guidance sentences are synthesized into a cache
(``--cache-dir``, kept between runs), and a least-squares fit of each clip's length (ms)
on the text's features (syllables, words, letters, clause and sentence pauses, a constant)
gives the weights for that rate. The bundled library (scripts/) is not used here: it is
what benchmarks/bench_estimate.py checks the estimate on.

With `--engine`, `--write` refits that engine only and keeps the other's rows as they were.
`--rate` fits those rates, in that order (the presets' first, when time is short; the table
is written sorted, and `--from-log` can write it from the rates a run finished).

Usage: .venv/bin/python benchmarks/calibrate_estimate.py [--engine piper] [--rate 150] [--write]
"""

from __future__ import annotations

import argparse
import ast
import datetime
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from voiceguide.routine.lexicon import lexicon_for
from voiceguide.routine.loader import load_routine
from voiceguide.speech import estimate_table
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.engines import engine_class
from voiceguide.speech.estimate import FEATURES, features
from voiceguide.speech.estimate_table import CALIBRATION
from voiceguide.speech.synth import synthesize_all
from voiceguide.timing.pacing import Layer, resolve_pacing
from voiceguide.timing.timeline import utterances

ROOT = Path(__file__).parent.parent
RATES = (100, 130, 150, 175, 220)
ENGINES = ("piper", "espeak-ng")
TABLE = ROOT / "voiceguide" / "speech" / "estimate_table.py"
#: per engine, (rate in wpm, weights) rows
Fits = dict[str, list[tuple[int, tuple[float, ...]]]]
EXTRA = [str(n) for n in range(1, 11)] + [
    "In",
    "Out",
    "Hold",
    "Breathe in",
    "Breathe out",
    "Long sigh out",
    "Slowly out",
]


def calibration_texts() -> list[str]:
    """The texts the engines hear: held-out routines at every preset, guidance, numbers."""
    texts: list[str] = []
    for path in sorted((ROOT / "benchmarks" / "heldout").glob("*.yaml")):
        routine, _ = load_routine(path)
        respell = lexicon_for(routine).respell
        for preset in ("gentle", "standard", "brisk"):
            pacing = resolve_pacing(routine, [Layer("calibration", {"preset": preset})]).pacing
            texts += [respell(t) for t in utterances(routine, pacing)]
    return list(dict.fromkeys(texts + guidance() + EXTRA))


def guidance() -> list[str]:
    """bench_synthesis.py's GUIDANCE sentences, read from its source (importing it would
    import what it benchmarks)."""
    tree = ast.parse((ROOT / "benchmarks" / "bench_synthesis.py").read_text(encoding="utf-8"))
    value = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "GUIDANCE" for t in node.targets)
    )
    return list(ast.literal_eval(value))


def measure(engine: str, rate: int, texts: list[str], cache: ClipCache) -> dict[str, int]:
    """Each text's clip length (ms) with ``engine`` at ``rate``, synthesized where missing.
    Unlevelled (``--loudness off``): levelling never changes a length, and these cache keys
    do not change when the levelling does."""
    voice = VoiceSpec(None, rate, None)
    return synthesize_all(texts, engine_class(engine), voice, cache)


def fit(texts: list[str], lengths: dict[str, int]) -> tuple[tuple[float, ...], float, float]:
    """Least-squares weights (per feature, then the constant), the mean absolute error per
    clip (ms) and the error of the summed length (%)."""
    import numpy as np

    x = np.array([[*features(t).counts(), 1] for t in texts], dtype=float)
    y = np.array([lengths[t] for t in texts], dtype=float)
    weights, *_ = np.linalg.lstsq(x, y, rcond=None)
    predicted = x @ weights
    mae = float(np.mean(np.abs(predicted - y)))
    total = float(100 * (predicted.sum() - y.sum()) / y.sum())
    return tuple(round(float(w), 3) for w in weights), mae, total


def write_table(fits: Fits, notes: list[str]) -> None:
    lines = [
        '"""The clip-length estimate\'s weights (voiceguide/speech/estimate.py): ms per feature',
        f"({', '.join(FEATURES)}), then a constant ms, per (engine, voice) and",
        "rate (wpm). Written by benchmarks/calibrate_estimate.py; do not edit by hand.",
        "",
        *notes,
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "CALIBRATION: dict[tuple[str, str | None], tuple[tuple[int, tuple[float, ...]], ...]] = {",
    ]
    for engine in sorted(fits, key=lambda e: ENGINES.index(e) if e in ENGINES else len(ENGINES)):
        lines.append(f'    ("{engine}", None): (')
        rows = sorted(fits[engine])
        lines += [f"        ({rate}, {weights!r})," for rate, weights in rows]
        lines.append("    ),")
    lines.append("}")
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def keep_others(fits: Fits, notes: list[str]) -> tuple[Fits, list[str]]:
    """``fits`` and ``notes`` with the table's rows, and notes, for the engines not refitted
    this run (``--engine``) kept as they were."""
    kept = {
        engine: list(rows)
        for (engine, voice), rows in CALIBRATION.items()
        if voice is None and engine not in fits
    }
    old_notes = (estimate_table.__doc__ or "").splitlines()
    mark = " (kept: not refitted in this run)"
    kept_notes = [
        line if line.endswith(mark) else line + mark
        for line in old_notes
        if any(line.startswith(f"- {engine} ") for engine in kept)
    ]
    return {**fits, **kept}, notes + kept_notes


def table_from_log(log: Path) -> None:
    """Write the table from the lines a run printed (``ENGINE RATE wpm: … (weights)``), e.g.
    when the run's clips are no longer in the cache under today's keys."""
    import re

    line = re.compile(r"^(\S+) (\d+) wpm: (\d+) ms per clip, sum (\S+) % (\(.*\))$")
    fits: dict[str, list[tuple[int, tuple[float, ...]]]] = {}
    notes = [
        f"Fitted {datetime.date.today()} (from {log.name}); per rate: mean absolute error",
        "per clip, error of the summed length:",
    ]
    for found in filter(None, map(line.match, log.read_text(encoding="utf-8").splitlines())):
        engine, rate, mae, total, weights = found.groups()
        fits.setdefault(engine, []).append((int(rate), tuple(ast.literal_eval(weights))))
        notes.append(f"- {engine} {rate} wpm: {mae} ms per clip, sum {total} %")
    write_table(fits, notes)
    print(f"wrote {TABLE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, action="append")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/voiceguide-estimate-cache"))
    parser.add_argument(
        "--rate", type=int, action="append", help=f"a rate (wpm) to fit, in this order (default {RATES})"
    )
    parser.add_argument("--write", action="store_true", help=f"write {TABLE.relative_to(ROOT)}")
    parser.add_argument("--from-log", type=Path, help="write the table from a run's printed lines")
    args = parser.parse_args()
    if args.from_log:
        table_from_log(args.from_log)
        return
    cache = ClipCache(args.cache_dir)
    texts = calibration_texts()
    rates = tuple(args.rate or RATES)
    print(f"{len(texts)} calibration texts, rates {rates}")
    fits: dict[str, list[tuple[int, tuple[float, ...]]]] = {}
    notes = [
        f"Fitted {datetime.date.today()} on {len(texts)} texts (held-out routines, guidance,",
        "numbers); per rate: mean absolute error per clip, error of the summed length:",
    ]
    for engine in args.engine or ENGINES:
        fits[engine] = []
        for rate in rates:
            lengths = measure(engine, rate, texts, cache)
            weights, mae, total = fit(texts, lengths)
            fits[engine].append((rate, weights))
            line = f"{engine} {rate} wpm: {mae:.0f} ms per clip, sum {total:+.2f} %"
            print(line, weights, flush=True)
            notes.append(f"- {line}")
    if args.write:
        write_table(*keep_others(fits, notes))
        print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
