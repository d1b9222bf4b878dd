"""Text that travels with an exported session, made from its timeline (pure).

* WebVTT and SRT subtitles: every spoken cue in readable pieces (:func:`subtitle_cues`: at
  most two lines of about 42 characters, split at sentence and then clause boundaries),
  each timed inside its speech's own window;
* chapters as JSON (the Podcasting 2.0 ``chapters`` format, times in seconds with
  millisecond precision) or a CUE sheet (whose frames are 1/75 s, so its times are the
  chapter starts rounded down to a frame);
* an M3U playlist;
* FFMETADATA, which ffmpeg reads to write chapters into m4a files.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..timing.timeline import SPEECH, Chapter, Timeline


def _clock(ms: int, separator: str) -> str:
    """``3723004`` → ``01:02:03.004`` (``separator`` before the milliseconds)."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


#: a subtitle line's characters at most (the usual broadcast limit), and a cue's lines
LINE_CHARS = 42
CUE_LINES = 2
#: where a text may be cut into cues, best first: after a sentence, after a clause, between words
_BOUNDARIES = (
    re.compile(r"(?<=[.!?…])\s+"),
    re.compile(r"(?<=[,;:])\s+|\s+(?=[—–]\s)"),
    re.compile(r"\s+"),
)


@dataclass(frozen=True)
class SubtitleCue:
    """One subtitle: a piece of spoken event number ``utterance`` (from 1, in timeline
    order), its ``piece`` (from 1; 0 when the event is one cue), shown from ``start_ms``
    to ``end_ms`` (inside the event's own start and end), as ``lines``."""

    utterance: int
    piece: int
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]

    @property
    def identifier(self) -> str:
        """``"7"``, or ``"7.2"`` for the second piece of event 7 (WebVTT's cue identifier)."""
        return f"{self.utterance}.{self.piece}" if self.piece else str(self.utterance)


def subtitle_cues(timeline: Timeline) -> list[SubtitleCue]:
    """Every spoken event as cues a reader can follow: its text cut into pieces of at most
    :data:`CUE_LINES` lines of :data:`LINE_CHARS` characters (a word longer than a line is a
    cue of its own), at sentence ends where they fit, else at clause ends (``,;:`` and
    dashes), else between words; each piece timed in proportion to its characters within
    the event's window, in whole ms, the pieces back to back from its start to its end."""
    cues: list[SubtitleCue] = []
    speech = [e for e in timeline.events if e.kind == SPEECH]
    for number, event in enumerate(speech, 1):
        pieces = readable_pieces(one_line(event.text))
        length = event.end_ms - event.start_ms
        if len(pieces) > 1 and length < len(pieces):  # no ms for each: one cue
            pieces = [" ".join(pieces)]
        total = sum(len(piece) for piece in pieces)
        done = 0
        for index, piece in enumerate(pieces):
            start = event.start_ms + length * done // total
            done += len(piece)
            end = event.start_ms + length * done // total
            piece_number = index + 1 if len(pieces) > 1 else 0
            cues.append(SubtitleCue(number, piece_number, start, end, _lines(piece)))
    return cues


def readable_pieces(text: str, level: int = 0) -> list[str]:
    """``text`` (one line) cut into pieces that fit a cue: whole, or at the boundaries of
    ``_BOUNDARIES[level]`` with neighbouring parts joined while they fit, a part too long
    cut at the next kind of boundary. Joined by spaces, the pieces are ``text``."""
    if _fits(text):
        return [text] if text else []
    if level == len(_BOUNDARIES):  # one word longer than a line: a piece of its own
        return [text]
    parts = _BOUNDARIES[level].split(text)
    if len(parts) == 1:
        return readable_pieces(text, level + 1)
    pieces: list[str] = []
    current = ""
    for part in parts:
        if not _fits(part):
            pieces += [current] if current else []
            pieces += readable_pieces(part, level + 1)
            current = ""
        elif current and not _fits(f"{current} {part}"):
            pieces.append(current)
            current = part
        else:
            current = f"{current} {part}" if current else part
    return pieces + ([current] if current else [])


def _fits(text: str) -> bool:
    if len(text) <= LINE_CHARS:
        return True
    if len(text) > CUE_LINES * (LINE_CHARS + 1):  # the lines and the spaces between them
        return False
    lines = textwrap.wrap(text, LINE_CHARS, break_long_words=False)
    return len(lines) <= CUE_LINES and all(len(line) <= LINE_CHARS for line in lines)


def _lines(piece: str) -> tuple[str, ...]:
    """``piece`` on one line when it fits, else on two of lengths as even as the words
    allow, each at most LINE_CHARS (a word longer than that on a line of its own)."""
    if len(piece) <= LINE_CHARS:
        return (piece,)
    words = piece.split(" ")
    cuts = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    fitting = [cut for cut in cuts if max(len(cut[0]), len(cut[1])) <= LINE_CHARS]
    if fitting:
        return min(fitting, key=lambda cut: abs(len(cut[0]) - len(cut[1])))
    return tuple(textwrap.wrap(piece, LINE_CHARS, break_long_words=False))


def webvtt(timeline: Timeline) -> str:
    """WebVTT subtitles: each spoken event in readable cues (:func:`subtitle_cues`), each
    cue named by its event and piece (``7``, ``7.1``, ``7.2``)."""
    lines = ["WEBVTT", f"NOTE {_vtt_text(timeline.title)}", ""]
    for cue in subtitle_cues(timeline):
        timing = f"{_clock(cue.start_ms, '.')} --> {_clock(cue.end_ms, '.')}"
        lines += [cue.identifier, timing, *(_vtt_text(line) for line in cue.lines), ""]
    return "\n".join(lines)


def srt(timeline: Timeline) -> str:
    """SubRip subtitles: the cues of :func:`subtitle_cues`, numbered."""
    lines: list[str] = []
    for number, cue in enumerate(subtitle_cues(timeline), 1):
        lines += [
            str(number),
            f"{_clock(cue.start_ms, ',')} --> {_clock(cue.end_ms, ',')}",
            *(line.replace("-->", "->") for line in cue.lines),
            "",
        ]
    return "\n".join(lines)


def chapters_json(timeline: Timeline) -> str:
    """Podcasting 2.0 JSON chapters (``startTime``/``endTime`` in seconds, exact to the ms)."""
    document = {
        "version": "1.2.0",
        "title": timeline.title,
        "chapters": [
            {"startTime": c.start_ms / 1000, "endTime": c.end_ms / 1000, "title": c.title}
            for c in timeline.chapters
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def cue_sheet(timeline: Timeline, audio_name: str, audio_format: str) -> str:
    """A CUE sheet for ``audio_name``: one track per chapter (INDEX in 1/75 s frames)."""
    file_type = {"wav": "WAVE", "mp3": "MP3", "flac": "WAVE"}.get(audio_format, "WAVE")
    lines = [
        f'TITLE "{_quoted(timeline.title)}"',
        'PERFORMER "voiceguide"',
        f'FILE "{_quoted(audio_name)}" {file_type}',
    ]
    for number, chapter in enumerate(timeline.chapters, 1):
        frames = chapter.start_ms * 75 // 1000
        minutes, rest = divmod(frames, 75 * 60)
        seconds, frame = divmod(rest, 75)
        lines += [
            f"  TRACK {number:02d} AUDIO",
            f'    TITLE "{_quoted(chapter.title)}"',
            f"    INDEX 01 {minutes:02d}:{seconds:02d}:{frame:02d}",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PlaylistEntry:
    path: str  # as written in the playlist (relative to it)
    duration_ms: int
    title: str


def m3u(entries: Sequence[PlaylistEntry]) -> str:
    """An extended M3U playlist, in order."""
    lines = ["#EXTM3U"]
    for entry in entries:
        seconds = -(-entry.duration_ms // 1000)
        path = one_line(entry.path)
        lines += [f"#EXTINF:{seconds},{one_line(entry.title)}", f"./{path}" if path.startswith("#") else path]
    return "\n".join(lines) + "\n"


def ffmetadata(chapters: Sequence[Chapter], offset_ms: int = 0) -> str:
    """ffmpeg's FFMETADATA1 with one ``[CHAPTER]`` per chapter (timebase 1/1000)."""
    lines = [";FFMETADATA1"]
    for chapter in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={chapter.start_ms - offset_ms}",
            f"END={chapter.end_ms - offset_ms}",
            f"title={_ffescape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def one_line(text: str) -> str:
    """``text`` on one line, safe for any sidecar or tag: every control character
    (``\\r``, ``\\0``, ESC, …) and line or paragraph separator becomes a space, and runs
    of whitespace one space."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return " ".join(cleaned.split())


def _vtt_text(text: str) -> str:
    """One line of WebVTT cue text (or NOTE): entities escaped, so it holds no ``-->``."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quoted(text: str) -> str:
    return one_line(text).replace('"', "'")


def _ffescape(text: str) -> str:
    text = one_line(text)
    for special in ("\\", "=", ";", "#"):
        text = text.replace(special, "\\" + special)
    return text
