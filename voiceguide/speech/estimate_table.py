"""The clip-length estimate's weights (voiceguide/speech/estimate.py): ms per feature
(syllables, words, letters, clause_pauses, sentence_pauses), then a constant ms, per (engine, voice) and
rate (wpm). Written by benchmarks/calibrate_estimate.py; do not edit by hand.

Fitted 2026-12-05 (from calib-clean.log); per rate: mean absolute error
per clip, error of the summed length:
- piper 100 wpm: 309 ms per clip, sum -0.00 %
- piper 130 wpm: 242 ms per clip, sum +0.00 %
- piper 150 wpm: 209 ms per clip, sum -0.00 %
- piper 175 wpm: 167 ms per clip, sum -0.00 %
- piper 220 wpm: 120 ms per clip, sum +0.00 %
- espeak-ng 100 wpm: 293 ms per clip, sum -0.00 %
- espeak-ng 130 wpm: 222 ms per clip, sum +0.00 %
- espeak-ng 150 wpm: 191 ms per clip, sum +0.00 %
- espeak-ng 175 wpm: 161 ms per clip, sum +0.00 %
- espeak-ng 220 wpm: 129 ms per clip, sum +0.00 %
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
        (100, (33.754, 83.049, 70.945, 550.937, 946.29, 184.39)),
        (130, (14.997, 61.351, 58.573, 402.753, 652.873, 148.663)),
        (150, (9.725, 45.738, 54.013, 335.731, 546.706, 131.818)),
        (175, (2.099, 36.4, 49.032, 274.31, 432.403, 114.73)),
        (220, (-1.651, 20.694, 42.366, 196.338, 312.806, 97.85)),
    ),
}
