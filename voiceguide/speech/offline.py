"""An engine that is not installed, standing in for it where its clips are all cached.

The cache key names the engine, its version and its sample rate (see
:func:`voiceguide.speech.cache.key_for`). The cache records those for each engine it has
clips of (:meth:`voiceguide.speech.cache.ClipCache.remember_engine`), so a session whose speech is
all cached can be played and exported after the engine was removed, or on a machine
that never had it (a copied cache). Only a text that is not cached needs the engine, and
then the error says what to install.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import EngineUnavailable
from ..pcm.clip import Clip
from .engine import VoiceInfo, VoiceSpec


@dataclass(frozen=True)
class EngineIdentity:
    """What a cache key needs of an engine: its id, version and sample rate (Hz)."""

    engine_id: str
    version: str
    sample_rate: int


class OfflineEngine:
    """Implements :class:`~voiceguide.speech.engine.SpeechEngine` from a recorded identity;
    :meth:`synthesize` raises :class:`EngineUnavailable` with ``missing``'s message."""

    def __init__(self, identity: EngineIdentity, missing: str) -> None:
        self.engine_id = identity.engine_id
        self.sample_rate = identity.sample_rate
        self._version = identity.version
        self._missing = missing

    @property
    def version(self) -> str:
        return self._version

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        shown = text if len(text) <= 60 else text[:57] + "…"
        raise EngineUnavailable(
            f"{self._missing}. Only speech already in the cache can be used without it, and {shown!r} is not"
        )

    def voices(self) -> list[VoiceInfo]:
        raise EngineUnavailable(self._missing)

    def close(self) -> None:
        pass


class OfflineFactory:
    """A picklable zero-argument factory of :class:`OfflineEngine` (synthesis workers
    call their factory)."""

    def __init__(self, identity: EngineIdentity, missing: str) -> None:
        self.identity = identity
        self.missing = missing

    def __call__(self) -> OfflineEngine:
        return OfflineEngine(self.identity, self.missing)
