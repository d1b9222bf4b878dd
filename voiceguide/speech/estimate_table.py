"""The clip-length estimate's weights (voiceguide/speech/estimate.py): ms per feature
(syllables, words, letters, clause_pauses, sentence_pauses), then a constant ms, per (engine, voice) and
rate (wpm). Written by benchmarks/calibrate_estimate.py; do not edit by hand.

Fitted 2026-12-05 on 187 texts (held-out routines, guidance,
numbers); per rate: mean absolute error per clip, error of the summed length:
- espeak-ng 100 wpm: 348 ms per clip, sum -0.00 %
- espeak-ng 130 wpm: 254 ms per clip, sum -0.00 %
- espeak-ng 150 wpm: 223 ms per clip, sum -0.00 %
- espeak-ng 175 wpm: 192 ms per clip, sum +0.00 %
- espeak-ng 220 wpm: 150 ms per clip, sum -0.00 %
- piper 100 wpm: 309 ms per clip, sum -0.00 % (kept: not refitted in this run)
- piper 130 wpm: 242 ms per clip, sum +0.00 % (kept: not refitted in this run)
- piper 150 wpm: 209 ms per clip, sum -0.00 % (kept: not refitted in this run)
- piper 175 wpm: 167 ms per clip, sum -0.00 % (kept: not refitted in this run)
- piper 220 wpm: 120 ms per clip, sum +0.00 % (kept: not refitted in this run)
"""

from __future__ import annotations

CALIBRATION: dict[tuple[str, str | None], tuple[tuple[int, tuple[float, ...]], ...]] = {
    ("piper", None): (
        (100, (95.297, 24.769, 56.451, 587.905, 742.254, 363.449)),
        (130, (68.957, 26.338, 45.292, 440.784, 548.507, 280.881)),
        (150, (65.694, 12.765, 40.005, 394.372, 476.419, 252.786)),
        (175, (48.439, 17.071, 35.948, 314.106, 376.185, 205.705)),
        (220, (38.021, 23.225, 28.212, 225.753, 282.952, 161.16)),
    ),
    ("espeak-ng", None): (
        (100, (44.87, 108.683, 79.493, 674.238, 1161.308, 220.918)),
        (130, (20.279, 74.592, 65.392, 480.658, 801.238, 168.464)),
        (150, (14.718, 60.949, 59.49, 406.879, 661.427, 146.35)),
        (175, (4.971, 49.41, 54.831, 341.194, 548.087, 134.768)),
        (220, (-1.314, 33.519, 46.618, 249.044, 392.409, 110.911)),
    ),
}
