"""Breath tones: a soft swell that rises in pitch and loudness through an inhale and falls
through an exhale; holds are silent.

Each tone is a function of the absolute sample position within its phase, so any stretch
of the session can be made on its own (``play --from``, chunked rendering) and play and
export hear the same samples. A sine glides a fifth (C4 ↔ G4) with a quiet octave above
it for warmth; its amplitude follows a raised cosine between a quarter and full level,
faded in and out over :data:`FADE_MS` at the phase's edges so nothing clicks. The level is
set under the voice's loudness by :data:`UNDER_VOICE_LU`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..pcm.clip import ms_to_samples
from ..timing.timeline import Phase, Timeline

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]

LOW_HZ, HIGH_HZ = 261.63, 392.0  # C4 and G4: a fifth (phone speakers fade out below ≈300 Hz)
OCTAVE_LEVEL = 0.15  # the octave above, against the fundamental
FLOOR = 0.25  # the swell's quietest amplitude, against its loudest
FADE_MS = 60  # in and out at the phase's edges
UNDER_VOICE_LU = 8.0  # how far under the voice's loudness a tone sits at its loudest (≈12 on average)
_SINE_LUFS = -3.01  # BS.1770: a full-scale sine measures this (K-weighting ≈ 0 dB here)

RISING, FALLING = "inhale", "exhale"


def tone_phases(timeline: Timeline) -> list[Phase]:
    """The phases that carry a tone (inhales and exhales of steps that ask for tones)."""
    return [p for p in timeline.phases if p.tone and p.detail in (RISING, FALLING)]


def peak_amplitude(voice_lufs: float) -> float:
    """Sample value (of 32767) of a tone at its loudest, for a voice at ``voice_lufs``."""
    return 32767 * 10 ** ((voice_lufs - UNDER_VOICE_LU - _SINE_LUFS) / 20)


def add_tones(samples: Floats, first: int, phases: list[Phase], rate: int, amplitude: float) -> None:
    """Add the tones of ``phases`` that overlap ``samples`` (which start at absolute sample
    ``first``) into ``samples``, in place."""
    import numpy as np

    last = first + len(samples)
    for phase in phases:
        start, end = ms_to_samples(phase.start_ms, rate), ms_to_samples(phase.end_ms, rate)
        lo, hi = max(start, first), min(end, last)
        if lo >= hi:
            continue
        n = np.arange(lo - start, hi - start, dtype=np.float64)  # samples into the phase
        samples[lo - first : hi - first] += amplitude * _tone(n, end - start, rate, phase.detail == RISING)


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
