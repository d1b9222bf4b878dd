"""A soft bell, generated in code (no audio assets), with numpy.

Three sine partials, each faded in over :data:`_ATTACK_MS` and then decaying for the rest
of :data:`~voiceguide.timing.timeline.CHIME_MS`, summed. The samples are the ones the
earlier pydub version made (``Sine(...).to_audio_segment().fade_in().fade()`` and
``overlay``; tests/test_sample_maths.py compares them): the same truncation of each sine
sample, the attack's gain stepped every sample, the decay's every millisecond (at pydub's
frame positions, ``int(ms * rate / 1000.0)``), each gain applied with audioop.mul's
rounding (floor), the partials added with clipping.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..pcm.clip import Clip, ms_to_samples
from ..timing.timeline import CHIME_MS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float64]  # whole sample values, as floats while computed
    Gains = npt.NDArray[np.floating[Any]]

#: Partials of a small bell: (frequency Hz, level dBFS). The inharmonic upper partial
#: (≈2.76 × the fundamental) is what makes it sound like a bell rather than a beep.
_PARTIALS = ((660.0, -16.0), (1821.6, -26.0), (1320.0, -28.0))
_ATTACK_MS = 8
_ATTACK_FROM_DB = -120.0  # the attack rises from here to full level, linearly in amplitude
_DECAY_TO_DB = -50.0  # the decay falls to here by the end, linearly in amplitude


#: The other bells, as (frequency Hz, level dBFS, decay time constant ms) partials: a
#: singing bowl (low, inharmonic ratios 1 : 2.71 : 5.15, long ring, slow beating between
#: two close fundamentals) and a wood block (short, hollow, bright knock).
_STRUCK = {
    "bowl": ((392.0, -17.0, 900.0), (394.5, -19.0, 900.0), (1062.3, -27.0, 450.0), (2018.8, -33.0, 220.0)),
    "wood": ((880.0, -14.0, 45.0), (1936.0, -22.0, 25.0), (3168.0, -30.0, 12.0)),
}


@lru_cache(maxsize=8)
def chime_clip(sample_rate: int, bell: str = "bell") -> Clip:
    """The chime as mono 16-bit PCM, exactly :data:`CHIME_MS` long (to the sample):
    ``bell`` (the default), ``bowl``, ``wood``, or ``none`` (silence)."""
    import numpy as np

    if bell != "bell":
        return _struck(sample_rate, bell)

    summed: Samples | None = None
    for frequency, level in _PARTIALS:
        tone = _decayed(_attacked(_sine(frequency, level, sample_rate), sample_rate), sample_rate)
        if summed is None:
            summed = tone
        else:
            summed = _ms_slice(summed, 0, _length_ms(len(summed), sample_rate), sample_rate)
            overlap = min(len(summed), len(tone))
            summed[:overlap] = np.clip(summed[:overlap] + tone[:overlap], -32768, 32767)
    assert summed is not None
    n = ms_to_samples(CHIME_MS, sample_rate)
    pcm = np.zeros(n, dtype="<i2")
    pcm[: min(n, len(summed))] = summed[:n]
    return Clip(pcm.tobytes(), sample_rate)


def _struck(rate: int, bell: str) -> Clip:
    """A bell of :data:`_STRUCK` (or silence for "none"): decaying sines, a 5 ms attack."""
    import numpy as np

    n = ms_to_samples(CHIME_MS, rate)
    t = np.arange(n) / rate
    attack = np.minimum(1.0, t / 0.005)
    fade = np.minimum(1.0, (n - np.arange(n)) / max(1, rate // 50))  # the last 20 ms to zero
    total = np.zeros(n)
    for frequency, level, decay_ms in _STRUCK.get(bell, ()):
        total += np.sin(2 * math.pi * frequency * t) * 10 ** (level / 20) * np.exp(-t * 1000 / decay_ms)
    pcm = np.clip(np.rint(total * attack * fade * 32767), -32768, 32767).astype("<i2")
    return Clip(pcm.tobytes(), rate)


def _sine(frequency: float, level_db: float, rate: int) -> Samples:
    """CHIME_MS of a sine at ``level_db`` dBFS, each sample truncated toward zero."""
    import numpy as np

    step = (frequency * 2 * math.pi) / rate  # radians per sample
    n = int(rate * (CHIME_MS / 1000.0))
    samples: Samples = np.trunc(np.sin(step * np.arange(n)) * 32767 * 10 ** (level_db / 20))
    return samples


def _attacked(tone: Samples, rate: int) -> Samples:
    """The first :data:`_ATTACK_MS` faded in, the gain stepped every sample."""
    import numpy as np

    end = _ATTACK_MS * (rate / 1000.0)  # in samples, fractional
    start_gain = 10 ** (_ATTACK_FROM_DB / 20)
    gains = start_gain + ((1.0 - start_gain) / end) * np.arange(int(end))
    out = _ms_slice(tone, 0, _length_ms(len(tone), rate), rate)
    out[: len(gains)] = _times(tone[: len(gains)], gains)
    return out


def _decayed(tone: Samples, rate: int) -> Samples:
    """From :data:`_ATTACK_MS` to :data:`CHIME_MS` the gain falls linearly (in amplitude)
    to :data:`_DECAY_TO_DB`, one step per ms; after that it stays there."""
    import numpy as np

    length_ms = _length_ms(len(tone), rate)
    start, end = min(length_ms, _ATTACK_MS), min(length_ms, CHIME_MS)
    final_gain = 10 ** (_DECAY_TO_DB / 20)
    step = (final_gain - 1.0) / (end - start)
    parts = [_ms_slice(tone, 0, start, rate)]
    for i in range(end - start):
        parts.append(_times(_ms_slice(tone, start + i, start + i + 1, rate), 1.0 + step * i))
    parts.append(_times(_ms_slice(tone, end, length_ms, rate), final_gain))
    return np.concatenate(parts)


def _times(samples: Samples, gain: float | Gains) -> Samples:
    """``samples × gain`` rounded down and clipped to 16 bits (what audioop.mul did)."""
    import numpy as np

    result: Samples = np.clip(np.floor(samples * gain), -32768, 32767)
    return result


def _frame(ms: int, rate: int) -> int:
    """The sample where pydub put a time in ms."""
    return int(ms * (rate / 1000.0))


def _length_ms(n_samples: int, rate: int) -> int:
    """pydub's length in ms of ``n_samples`` (rounded)."""
    return round(1000 * (n_samples / rate))


def _ms_slice(samples: Samples, start_ms: int, end_ms: int, rate: int) -> Samples:
    """pydub's ``segment[start_ms:end_ms]``: positions by :func:`_frame`, zeros where the
    samples run out (a copy)."""
    import numpy as np

    length = _length_ms(len(samples), rate)
    first, last = _frame(min(start_ms, length), rate), _frame(min(end_ms, length), rate)
    out: Samples = np.zeros(max(0, last - first))
    got = samples[first:last]
    out[: len(got)] = got
    return out
