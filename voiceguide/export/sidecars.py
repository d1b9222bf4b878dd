"""Text that travels with an exported session, made from its timeline (pure).

* WebVTT and SRT subtitles: every spoken cue with its exact start and end;
* chapters as JSON (the Podcasting 2.0 ``chapters`` format, times in seconds with
  millisecond precision) or a CUE sheet (whose frames are 1/75 s, so its times are the
  chapter starts rounded down to a frame);
* an M3U playlist;
* FFMETADATA, which ffmpeg reads to write chapters into m4a files.
"""

from __future__ import annotations

import json
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


def webvtt(timeline: Timeline) -> str:
    """WebVTT subtitles: one cue per spoken event."""
    lines = ["WEBVTT", f"NOTE {_vtt_text(timeline.title)}", ""]
    for event in timeline.events:
        if event.kind == SPEECH:
            text = _vtt_text(event.text)
            lines += [f"{_clock(event.start_ms, '.')} --> {_clock(event.end_ms, '.')}", text, ""]
    return "\n".join(lines)


def srt(timeline: Timeline) -> str:
    """SubRip subtitles: one numbered cue per spoken event."""
    lines: list[str] = []
    speech = [e for e in timeline.events if e.kind == SPEECH]
    for number, event in enumerate(speech, 1):
        lines += [
            str(number),
            f"{_clock(event.start_ms, ',')} --> {_clock(event.end_ms, ',')}",
            one_line(event.text).replace("-->", "->"),
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
