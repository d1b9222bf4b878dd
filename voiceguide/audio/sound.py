"""How a session sounds, apart from its timing: loudness target, voice and chime levels, the bell.

One :class:`Sound` value is chosen per run (``--loudness``, ``--voice-volume``,
``--chime-volume``, ``--bell``) and used by every path that makes samples, so play and
export hear the same thing. The timing never depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..pcm.clip import Clip
from ..pcm.level import DEFAULT_LOUDNESS_LUFS, held_under, level_clip, scaled_clip

#: The bells ``--bell`` offers (see :mod:`voiceguide.audio.chime`); "none" rings nothing.
BELLS = ("bell", "bowl", "wood", "none")
#: How far under the voice's loudness the chime is levelled (LU): a signal, not a shout.
CHIME_UNDER_VOICE_LU = 4.0
#: The loudest and quietest volume offsets ``--voice-volume``/``--chime-volume`` take (dB).
VOLUME_RANGE_DB = (-40.0, 0.0)


@dataclass(frozen=True)
class Sound:
    """``loudness_lufs``: what every clip is levelled to (None: as the engine made it);
    ``voice_db``/``chime_db``: offsets from there (≤ 0 dB, so the true-peak ceiling holds);
    ``bell``: one of :data:`BELLS`."""

    loudness_lufs: float | None = DEFAULT_LOUDNESS_LUFS
    voice_db: float = 0.0
    chime_db: float = 0.0
    bell: str = "bell"

    def voice_clip(self, clip: Clip) -> Clip:
        """A speech clip from the cache (already levelled) at ``voice_db``."""
        return scaled_clip(clip, self.voice_db)

    def chime(self, sample_rate: int) -> Clip:
        """The chime, levelled under the voice and at ``chime_db``."""
        return _chime(sample_rate, self.bell, self.loudness_lufs, self.chime_db)


DEFAULT_SOUND = Sound()


@lru_cache(maxsize=8)
def _chime(sample_rate: int, bell: str, loudness_lufs: float | None, chime_db: float) -> Clip:
    from .chime import chime_clip

    clip = chime_clip(sample_rate, bell)
    if loudness_lufs is None:
        clip = held_under(clip)
    else:
        clip = level_clip(clip, loudness_lufs - CHIME_UNDER_VOICE_LU)
    return scaled_clip(clip, chime_db)
