"""The clip-length estimate's weights (voiceguide/speech/estimate.py): ms per feature
(syllables, words, letters, clause_pauses, sentence_pauses), then a constant ms, per (engine, voice) and
rate (wpm). Written by benchmarks/calibrate_estimate.py; do not edit by hand.

Fitted 2026-12-05 (from calib.log); per rate: mean absolute error
per clip, error of the summed length:
- piper 150 wpm: 233 ms per clip, sum -0.00 %
- piper 130 wpm: 290 ms per clip, sum +0.00 %
- piper 175 wpm: 198 ms per clip, sum +0.00 %
- piper 100 wpm: 372 ms per clip, sum +0.00 %
- piper 220 wpm: 154 ms per clip, sum +0.00 %
- espeak-ng 100 wpm: 348 ms per clip, sum -0.00 %
- espeak-ng 130 wpm: 254 ms per clip, sum -0.00 %
- espeak-ng 150 wpm: 223 ms per clip, sum -0.00 %
- espeak-ng 175 wpm: 192 ms per clip, sum +0.00 %
- espeak-ng 220 wpm: 150 ms per clip, sum -0.00 %
"""

from __future__ import annotations

CALIBRATION: dict[tuple[str, str | None], tuple[tuple[int, tuple[float, ...]], ...]] = {
    ("piper", None): (
        (100, (106.344, 48.829, 65.618, 678.72, 1012.128, 377.867)),
        (130, (80.137, 32.89, 51.057, 534.925, 830.487, 325.433)),
        (150, (63.203, 28.633, 46.904, 452.975, 684.866, 280.681)),
        (175, (61.24, 18.887, 39.42, 376.04, 599.576, 238.233)),
        (220, (51.61, 28.503, 31.046, 298.488, 432.151, 182.478)),
    ),
    ("espeak-ng", None): (
        (100, (44.87, 108.683, 79.493, 674.238, 1161.308, 220.918)),
        (130, (20.279, 74.592, 65.392, 480.658, 801.238, 168.464)),
        (150, (14.718, 60.949, 59.49, 406.879, 661.427, 146.35)),
        (175, (4.971, 49.41, 54.831, 341.194, 548.087, 134.768)),
        (220, (-1.314, 33.519, 46.618, 249.044, 392.409, 110.911)),
    ),
}
