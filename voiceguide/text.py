"""Spoken text: ``[pause 2s]`` markers, ``{side}`` substitution, normalization."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .durations import parse_duration

PAUSE_MARK = re.compile(r"\[\s*pause\s+([^\]]*)\]", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Speak:
    """A piece of text to be spoken as one clip (already normalized)."""

    text: str


@dataclass(frozen=True)
class Pause:
    """Silence inside a text, in ms."""

    ms: int


Segment = Speak | Pause


def normalize(text: str) -> str:
    """Collapse runs of white space and trim: the form that is spoken and cached."""
    return _SPACE.sub(" ", text).strip()


def split_pauses(text: str) -> tuple[Segment, ...]:
    """``"Tilt. [pause 2s] Release."`` → ``(Speak("Tilt."), Pause(2000), Speak("Release."))``.

    Empty pieces are dropped. Raises ``ValueError`` (from the duration parser) for a
    malformed pause; the loader reports it with a position.
    """
    segments: list[Segment] = []
    position = 0
    for match in PAUSE_MARK.finditer(text):
        before = normalize(text[position : match.start()])
        if before:
            segments.append(Speak(before))
        segments.append(Pause(parse_duration(match.group(1).strip())))
        position = match.end()
    rest = normalize(text[position:])
    if rest:
        segments.append(Speak(rest))
    return tuple(segments)


def with_side(text: str, side: str | None) -> str:
    """Replace ``{side}`` with the side's name (or with nothing when there is no side)."""
    return text.replace("{side}", side or "").replace("  ", " ")
