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


def voice_suggestion(offered: Iterable[VoiceInfo], name: str) -> str:
    """``' (did you mean "en-gb"?)'``: how ``name``, which none of ``offered`` answers to,
    was likely meant (:func:`meant_voice`), else the closest id, name or language; ``''``
    when none is near."""
    from ..routine.suggest import did_you_mean

    voices = list(offered)
    meant = meant_voice(voices, name)
    if meant is not None:
        return f' (did you mean "{meant}"?)'
    spellings = [v.name for v in voices] + [v.id for v in voices] + [x for v in voices for x in v.languages]
    return did_you_mean(name, spellings)


def meant_voice(offered: Iterable[VoiceInfo], name: str) -> str | None:
    """The spelling of one of ``offered`` that ``name`` stands for: itself when a voice
    answers to it (:func:`find_voice`), a language or id written with ``_`` for ``-`` or in
    another case (``en_GB``: ``en-gb``), or the id of a voice whose id or name holds it as
    a word of three letters or more (``joe``: ``en_US-joe-medium``); else None."""
    voices = list(offered)
    if find_voice(voices, name) is not None:
        return name
    dashed = name.strip().replace("_", "-").casefold()
    for voice in voices:
        for spelling in (voice.id, *voice.languages):
            if spelling.replace("_", "-").casefold() == dashed:
                return spelling
    if len(dashed) >= 3:
        for voice in voices:
            if dashed in {w for part in (voice.id, voice.name) for w in _words(part)}:
                return voice.id
    return None


def _words(text: str) -> list[str]:
    """The words of a voice's id or name, in lower case (``en_US-joe-medium``: en, us, joe,
    medium)."""
    import re

    return re.findall(r"[a-z0-9]+", text.casefold())


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
