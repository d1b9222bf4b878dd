"""Spoken text: ``[pause 2s]`` markers, ``{side}`` substitution, normalization, and the
chunks a long text is spoken in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .durations import parse_duration
from .schema import MAX_TEXT_CHARS as MAX_TEXT_CHARS  # the longest text (re-exported)

PAUSE_MARK = re.compile(r"\[\s*pause\s+([^\]]*)\]", re.IGNORECASE)
_SPACE = re.compile(r"\s+")

#: A text longer than this (characters) is spoken in chunks of at most this length, cut
#: at sentence ends where possible (:func:`synthesis_chunks`). Shorter texts, which is
#: every text of the bundled routines, are spoken in one piece exactly as before.
CHUNK_CHARS = 1_000
#: Where a text may be cut, best first: after a sentence's end, after a clause, at a space.
_CUTS = (
    re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+"),
    re.compile(r"(?<=[,;:])\s+"),
    re.compile(r"\s+"),
)


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


def synthesis_chunks(text: str, max_chars: int = CHUNK_CHARS) -> tuple[str, ...]:
    """The pieces a normalized ``text`` is spoken in, each at most ``max_chars`` long.

    A text of at most ``max_chars`` characters is one piece, unchanged. A longer one is
    cut after sentence ends, packing as many whole sentences into each piece as fit; a
    sentence longer than a piece is cut after commas, semicolons and colons, then at
    spaces, and a single longer word at ``max_chars``. Joining the pieces with single
    spaces gives ``text`` back (unless a word had to be cut).
    """
    if len(text) <= max_chars:
        return (text,)
    chunks: list[str] = []
    for piece in _pieces(text, max_chars, 0):
        if chunks and len(chunks[-1]) + 1 + len(piece) <= max_chars:
            chunks[-1] += " " + piece
        else:
            chunks.append(piece)
    return tuple(chunks)


def _pieces(text: str, max_chars: int, level: int) -> list[str]:
    """``text`` cut at :data:`_CUTS` from ``level`` on, until every piece fits."""
    if len(text) <= max_chars:
        return [text]
    if level == len(_CUTS):
        return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
    pieces: list[str] = []
    for part in _CUTS[level].split(text):
        if part:
            pieces += _pieces(part, max_chars, level + 1)
    return pieces
