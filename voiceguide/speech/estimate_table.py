"""The clip-length estimate's weights (voiceguide/speech/estimate.py): ms per feature
(syllables, words, letters, clause_pauses, sentence_pauses), then a constant ms, per (engine, voice) and
rate (wpm). Written by benchmarks/calibrate_estimate.py; do not edit by hand.

Fitted 2026-12-05 on 187 texts (held-out routines, guidance,
numbers); per rate: mean absolute error per clip, error of the summed length:
- espeak-ng 100 wpm: 294 ms per clip, sum +0.00 %
- espeak-ng 130 wpm: 221 ms per clip, sum -0.00 %
- espeak-ng 150 wpm: 190 ms per clip, sum +0.00 %
- espeak-ng 175 wpm: 163 ms per clip, sum +0.00 %
- espeak-ng 220 wpm: 129 ms per clip, sum +0.00 %
"""

from __future__ import annotations

CALIBRATION: dict[tuple[str, str | None], tuple[tuple[int, tuple[float, ...]], ...]] = {
    ('espeak-ng', None): (
        (100, (29.97, 86.792, 71.059, 553.521, 943.989, 186.121)),
        (130, (11.117, 62.624, 59.35, 403.872, 653.455, 149.881)),
        (150, (7.106, 46.447, 54.522, 337.767, 546.771, 134.144)),
        (175, (-0.053, 39.159, 48.932, 276.536, 430.007, 115.569)),
        (220, (-4.228, 23.653, 42.368, 197.913, 311.047, 98.517)),
    ),
}
