"""The pace heard: ``--rate`` (words per minute *as heard*) as each engine's own setting.

A rate is what a listener hears: words per minute of a cue, from its first sound to its
last (the pauses between its sentences included), as ``benchmarks/bench_pace.py``
measures it on an export. Neither engine speaks at the rate it is given:

- espeak-ng's rate is nominal; asked for 150 it is heard at 177 (the median of 107 cues
  of three words or more): :data:`ESPEAK_HEARD_WPM`, measured. Its slowest, 80, is heard
  at 98: a slower rate is spoken at that.
- piper has no rate, only ``length_scale`` (phoneme durations): :data:`PIPER_HEARD_WPM`,
  measured the same way, with the pause that :mod:`voiceguide.speech.piper` puts between
  two sentences (:func:`~voiceguide.speech.chunked.chunk_pause_ms`).

Each table is inverted here, interpolating in minutes per word (close to linear in
either setting) and extending linearly past its ends. ``bench_pace.py --calibrate``
measures both tables again. Before (issue 24), a rate went to espeak-ng as it was, and
to piper as the length_scale matching espeak-ng's heard rate: the standard preset's 150
was heard at 170–190 wpm by routine.
"""

from __future__ import annotations

#: espeak-ng's nominal rate → the median heard wpm of the library's cues (measured).
ESPEAK_HEARD_WPM: tuple[tuple[int, float], ...] = (
    (80, 98.5),
    (100, 116.1),
    (125, 146.0),
    (150, 176.8),
    (200, 238.9),
    (250, 301.1),
    (325, 400.0),
    (450, 540.1),
)
#: piper's length_scale → the median heard wpm of 79 cues (desk-break, box-breathing,
#: lower-back-massage) with en_US-joe-medium, sentences apart by
#: :func:`~voiceguide.speech.chunked.chunk_pause_ms`: 0.6, 1.0 and 1.3 measured; 1.6, 2.0
#: and 2.5 were the earlier table's (total words over total time, no pause between
#: sentences) × 1.038, the two measures' ratio at 1.3. Measured on 2026-12-05
#: (``bench_pace.py --calibrate --scales 1.6,2.0,2.5``, 107 texts of four routines):
#: 143.1, 118.0 and 97.4 wpm, 0.35, 0.17 and 0.93 % over the values below. Those are
#: kept: the presets' rates (130, 150) would be spoken 0.3 % slower (length_scale
#: 1.784 → 1.789, 1.514 → 1.518; 100 wpm 2.403 → 2.426), and every cached piper clip at
#: those rates would be made again for it.
PIPER_HEARD_WPM: tuple[tuple[float, float], ...] = (
    (0.6, 305.9),
    (1.0, 209.1),
    (1.3, 172.1),
    (1.6, 142.6),
    (2.0, 117.8),
    (2.5, 96.5),
)
#: espeak-ng's own limits on its nominal rate (speak_lib.h: 80–450 wpm).
ESPEAK_RATE_RANGE = (80, 450)
MIN_LENGTH_SCALE, MAX_LENGTH_SCALE = 0.3, 3.0


def _interpolate(points: tuple[tuple[float, float], ...], x: float) -> float:
    """Piecewise-linear through ``points`` (sorted by x), extended linearly at both ends."""
    if x <= points[0][0]:
        (x0, y0), (x1, y1) = points[0], points[1]
    elif x >= points[-1][0]:
        (x0, y0), (x1, y1) = points[-2], points[-1]
    else:
        i = next(i for i in range(1, len(points)) if points[i][0] >= x)
        (x0, y0), (x1, y1) = points[i - 1], points[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _setting_for(table: tuple[tuple[float, float], ...], rate_wpm: int) -> float:
    """The setting at which ``table`` (setting → heard wpm) is heard at ``rate_wpm``:
    interpolated over minutes per word."""
    by_minutes = tuple(sorted((1 / wpm, setting) for setting, wpm in table))
    return _interpolate(by_minutes, 1 / rate_wpm)


def espeak_rate_for(rate_wpm: int) -> int:
    """espeak-ng's nominal rate (wpm) at which it is heard at ``rate_wpm``, within its limits."""
    low, high = ESPEAK_RATE_RANGE
    nominal = _setting_for(tuple((float(r), w) for r, w in ESPEAK_HEARD_WPM), rate_wpm)
    return min(high, max(low, round(nominal)))


def length_scale_for(rate_wpm: int) -> float:
    """piper's length_scale at which it is heard at ``rate_wpm`` (3 decimals)."""
    scale = _setting_for(PIPER_HEARD_WPM, rate_wpm)
    return round(min(MAX_LENGTH_SCALE, max(MIN_LENGTH_SCALE, scale)), 3)
