"""Breath tones: a soft swell that rises in pitch and loudness through an inhale and falls
through an exhale; holds are silent.

Each tone is a function of the absolute sample position within its phase, so any stretch
of the session can be made on its own (``play --from``, chunked rendering) and play and
export hear the same samples. A sine glides a fifth (C4 ↔ G4) with a quiet octave above
it for warmth; its amplitude follows a raised cosine between a quarter and full level,
faded in and out over :data:`FADE_MS` at the phase's edges so nothing clicks.

Each phase's tone is levelled as a speech clip is: placed in silence, it measures the
session's loudness target (:func:`tone_amplitude`). A session of levelled clips, levelled
tones and silence then measures the target whatever its share of tones (issue 24: tones
13 LU under the voice passed the relative gate and pulled a session 1.7-4 LU under it),
with nothing measured on the session, so a session with tones plays before its speech is
all made, as one without. Where speech sounds over a tone (``both``), the tone is ducked
by :data:`DUCK_DB` (see :mod:`voiceguide.audio.mix`): the word stays clear, the sum under
the true-peak ceiling.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

from ..pcm.clip import ms_to_samples
from ..pcm.level import DEFAULT_LOUDNESS_LUFS, TRUE_PEAK_CEILING_DBTP, placed_loudness_lufs
from ..timing.timeline import Phase, Timeline

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]

LOW_HZ, HIGH_HZ = 261.63, 392.0  # C4 and G4: a fifth (phone speakers fade out below ≈300 Hz)
OCTAVE_LEVEL = 0.15  # the octave above, against the fundamental
FLOOR = 0.25  # the swell's quietest amplitude, against its loudest
FADE_MS = 60  # in and out at the phase's edges
DUCK_DB = -30.0  # a tone under speech (both words and tones), ramped as a bed is ducked
_FULL_SCALE = 32768.0  # a sample value of ±1.0 in the loudness meter's terms

RISING, FALLING = "inhale", "exhale"


def tone_phases(timeline: Timeline) -> list[Phase]:
    """The phases that carry a tone (inhales and exhales of steps that ask for tones)."""
    return [p for p in timeline.phases if p.tone and p.detail in (RISING, FALLING)]


def tone_amplitude(length: int, rising: bool, rate: int, loudness_lufs: float | None) -> float:
    """The sample value (of 32768) by which a phase's unit tone (``length`` samples) is
    scaled so that, placed in silence, it measures ``loudness_lufs`` (None, ``--loudness
    off``: the default target), its peak at most the true-peak ceiling."""
    target = DEFAULT_LOUDNESS_LUFS if loudness_lufs is None else loudness_lufs
    unit_lufs, unit_peak = _unit_tone(length, rising, rate)
    gain_db = min(target - unit_lufs, TRUE_PEAK_CEILING_DBTP - 20 * math.log10(unit_peak))
    return _FULL_SCALE * 10 ** (gain_db / 20)


@lru_cache(maxsize=64)
def _unit_tone(length: int, rising: bool, rate: int) -> tuple[float, float]:
    """(loudness placed in silence in LUFS, peak) of a phase's tone at unit level."""
    import numpy as np

    unit = _tone(np.arange(length, dtype=np.float64), max(1, length), rate, rising)
    return placed_loudness_lufs(unit, rate), float(np.abs(unit).max(initial=1e-9))


def add_tones(
    samples: Floats, first: int, phases: list[Phase], rate: int, loudness_lufs: float | None
) -> None:
    """Add the tones of ``phases`` that overlap ``samples`` (which start at absolute sample
    ``first``), each levelled to ``loudness_lufs`` (see :func:`tone_amplitude`), into
    ``samples``, in place."""
    import numpy as np

    last = first + len(samples)
    for phase in phases:
        start, end = ms_to_samples(phase.start_ms, rate), ms_to_samples(phase.end_ms, rate)
        lo, hi = max(start, first), min(end, last)
        if lo >= hi:
            continue
        rising = phase.detail == RISING
        amplitude = tone_amplitude(end - start, rising, rate, loudness_lufs)
        n = np.arange(lo - start, hi - start, dtype=np.float64)  # samples into the phase
        samples[lo - first : hi - first] += amplitude * _tone(n, end - start, rate, rising)


def _tone(n: Floats, length: int, rate: int, rising: bool) -> Floats:
    """Samples ``n`` (within a phase of ``length`` samples) of the swell, at unit level."""
    import numpy as np

    progress = n / length  # 0 → 1 through the phase
    if rising:
        f0, f1 = LOW_HZ, HIGH_HZ
        swell = FLOOR + (1 - FLOOR) * 0.5 * (1 - np.cos(math.pi * progress))
    else:
        f0, f1 = HIGH_HZ, LOW_HZ
        swell = FLOOR + (1 - FLOOR) * 0.5 * (1 + np.cos(math.pi * progress))
    seconds = n / rate
    duration = length / rate
    # the phase of a linear glide from f0 to f1 over the phase: 2π(f0·t + (f1−f0)·t²/2T)
    angle = 2 * math.pi * (f0 * seconds + (f1 - f0) * seconds * seconds / (2 * duration))
    fade_samples = max(1, rate * FADE_MS // 1000)
    edges = np.minimum(1.0, np.minimum(n + 1, length - n) / fade_samples)
    edges = 0.5 * (1 - np.cos(math.pi * edges))  # raised-cosine fades
    wave = (np.sin(angle) + OCTAVE_LEVEL * np.sin(2 * angle)) / (1 + OCTAVE_LEVEL)
    result: Floats = wave * swell * edges
    return result
