"""The speech-engine seam: text in, :class:`~voiceguide.pcm.clip.Clip` out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..pcm.clip import Clip


@dataclass(frozen=True)
class VoiceSpec:
    """What to synthesize with: a voice name or id (None = engine default), a rate, and the
    loudness every clip is levelled to when it enters the cache (LUFS; None = as the engine
    made it). Engines read the name and rate; the synthesis layer applies the loudness."""

    name: str | None
    rate_wpm: int
    loudness_lufs: float | None = None


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers."""

    id: str
    name: str
    languages: tuple[str, ...] = ()
    gender: str | None = None


def find_voice(offered: Iterable[VoiceInfo], name: str) -> VoiceInfo | None:
    """The voice of ``offered`` whose id or name is ``name`` (any case), else the first that
    speaks the language ``name`` (``en-us``, as ``voiceguide voices`` lists languages), else
    None."""
    wanted = name.casefold()
    voices = list(offered)
    return next((v for v in voices if wanted in (v.id.casefold(), v.name.casefold())), None) or next(
        (v for v in voices if wanted in (language.casefold() for language in v.languages)), None
    )


@runtime_checkable
class SpeechEngine(Protocol):
    """A text-to-speech engine.

    ``engine_id`` and ``version`` are part of every cache key, so clips from
    different engines (or engine versions) never mix.
    """

    engine_id: str
    sample_rate: int  # Hz of every clip it returns

    @property
    def version(self) -> str: ...

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        """Speak ``text`` (already normalized, no pause marks) into mono 16-bit PCM."""
        ...

    def voices(self) -> list[VoiceInfo]: ...

    def close(self) -> None: ...
