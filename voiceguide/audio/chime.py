"""A soft bell, generated in code (no audio assets), with pydub's generators and fades."""

from __future__ import annotations

import warnings
from functools import lru_cache

from ..timing.timeline import CHIME_MS
from .clip import Clip, ms_to_samples

#: Partials of a small bell: (frequency Hz, level dBFS). The inharmonic upper partial
#: (≈2.76 × the fundamental) is what makes it sound like a bell rather than a beep.
_PARTIALS = ((660.0, -16.0), (1821.6, -26.0), (1320.0, -28.0))
_ATTACK_MS = 8


@lru_cache(maxsize=4)
def chime_clip(sample_rate: int) -> Clip:
    """The chime as mono 16-bit PCM, exactly :data:`CHIME_MS` long (to the sample)."""
    with warnings.catch_warnings():  # pydub probes for ffmpeg on import and warns: not used
        warnings.filterwarnings("ignore", "Couldn't find ff", RuntimeWarning)
        from pydub.generators import Sine

    bell = None
    for frequency, level in _PARTIALS:
        tone = Sine(frequency, sample_rate=sample_rate, bit_depth=16).to_audio_segment(
            duration=CHIME_MS, volume=level
        )
        # decay: gain falls linearly in dB, i.e. exponentially in amplitude
        tone = tone.fade_in(_ATTACK_MS).fade(to_gain=-50.0, start=_ATTACK_MS, end=CHIME_MS)
        bell = tone if bell is None else bell.overlay(tone)
    assert bell is not None
    pcm = bell.set_channels(1).set_sample_width(2).raw_data
    n = ms_to_samples(CHIME_MS, sample_rate)
    pcm = pcm[: n * 2].ljust(n * 2, b"\0")
    return Clip(pcm, sample_rate)
