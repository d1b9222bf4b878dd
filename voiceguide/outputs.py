"""Everything ``voiceguide export`` can write for one session: the audio file with its
chapters and metadata, sidecar files, one file per chapter (``--split``), or a bundle
directory. Each file is written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_path
from .clip import SAMPLE_WIDTH, ms_to_samples
from .document import timeline_document
from .export import export_pcm, format_for
from .mix import NO_MIX, Mix, apply_mix
from .pacing import summary
from .render import render_pcm
from .session import ClipSource, Session
from .sidecars import PlaylistEntry, chapters_json, cue_sheet, m3u, srt, webvtt

Progress = Callable[[int, int], None]  # (samples written, samples in all)

SUBTITLE_FORMATS = ("vtt", "srt")
CHAPTER_FILE_FORMATS = ("json", "cue")


@dataclass(frozen=True)
class Written:
    """A file an export wrote; ``kind`` is "audio", "subtitles", "chapters", "playlist"
    or "document"."""

    path: Path
    kind: str


def metadata_for(session: Session, title: str | None = None, track: str | None = None) -> dict[str, str]:
    """Tags for an exported file: title, album (the routine), artist, genre, and a
    comment naming the pacing."""
    tags = {
        "title": title or session.routine.title,
        "album": session.routine.title,
        "artist": "voiceguide",
        "genre": "Guided exercise",
        "comment": f"voiceguide pacing: {summary(session.pacing)}",
    }
    if track:
        tags["track"] = track
    return tags


def export_audio(
    session: Session,
    clips: ClipSource,
    out: Path,
    fmt: str | None = None,
    *,
    subtitles: str | None = None,
    chapters_file: str | None = None,
    mix: Mix = NO_MIX,
    progress: Progress | None = None,
) -> list[Written]:
    """The whole session as one file with its chapters (and ``mix``'s background and
    gain), plus the sidecars asked for (``out`` with the suffix ``.vtt``/``.srt``,
    ``.chapters.json`` or ``.cue``)."""
    fmt = format_for(out, fmt)
    total = session.n_samples
    export_pcm(
        final_pcm(session, clips, mix),
        total,
        session.sample_rate,
        out,
        fmt=fmt,
        metadata=metadata_for(session),
        chapters=session.timeline.chapters,
        progress=(lambda done: progress(done, total)) if progress else None,
    )
    written = [Written(out, "audio")]
    if subtitles:
        written.append(write_subtitles(session, out.with_suffix(f".{subtitles}"), subtitles))
    if chapters_file:
        written.append(write_chapters_file(session, out, fmt, chapters_file))
    return written


def write_subtitles(session: Session, path: Path, kind: str) -> Written:
    text = webvtt(session.timeline) if kind == "vtt" else srt(session.timeline)
    write_text(path, text)
    return Written(path, "subtitles")


def write_chapters_file(session: Session, audio: Path, fmt: str, kind: str) -> Written:
    if kind == "json":
        path = audio.with_suffix(".chapters.json")
        write_text(path, chapters_json(session.timeline))
    else:
        path = audio.with_suffix(".cue")
        write_text(path, cue_sheet(session.timeline, audio.name, fmt))
    return Written(path, "chapters")


def final_pcm(session: Session, clips: ClipSource, mix: Mix, start_sample: int = 0) -> Iterator[bytes]:
    """What is written (and played): the rendered session from ``start_sample``, mixed."""
    def render(start: int) -> Iterator[bytes]:
        return render_pcm(session.timeline, clips, session.sample_rate, start_sample=start)

    return apply_mix(render, mix, session.timeline, session.sample_rate, start_sample)


def export_split(
    session: Session, clips: ClipSource, out: Path, fmt: str | None = None,
    progress: Progress | None = None, mix: Mix = NO_MIX,
) -> list[Written]:
    """One file per chapter beside ``out`` ("<stem> 01 - <chapter>.<ext>"), exactly the
    session cut at the chapter starts, and "<stem>.m3u" listing them in order."""
    fmt = format_for(out, fmt)
    timeline, rate = session.timeline, session.sample_rate
    total = session.n_samples
    written: list[Written] = []
    entries: list[PlaylistEntry] = []
    done_before = 0
    count = len(timeline.chapters)
    for number, chapter in enumerate(timeline.chapters, 1):
        start = ms_to_samples(chapter.start_ms, rate)
        end = total if number == count else ms_to_samples(chapter.end_ms, rate)
        path = out.with_name(f"{out.stem} {number:02d} - {safe_name(chapter.title)}.{fmt}")
        export_pcm(
            _take(final_pcm(session, clips, mix, start), end - start),
            end - start,
            rate,
            path,
            fmt=fmt,
            metadata=metadata_for(session, chapter.title, f"{number}/{count}"),
            progress=_offset(progress, done_before, total),
        )
        done_before += end - start
        written.append(Written(path, "audio"))
        entries.append(PlaylistEntry(path.name, _ms(end - start, rate), chapter.title))
    playlist = out.with_name(f"{out.stem}.m3u")
    write_text(playlist, m3u(entries))
    return [*written, Written(playlist, "playlist")]


def export_bundle(
    session: Session, clips: ClipSource, directory: Path, name: str, fmt: str = "mp3",
    progress: Progress | None = None, mix: Mix = NO_MIX,
) -> list[Written]:
    """``directory`` with the audio ("<name>.<fmt>"), WebVTT and SRT subtitles, JSON
    chapters, a CUE sheet, an M3U playlist and ``routine.json`` (the ``show --json``
    document)."""
    audio = directory / f"{name}.{fmt}"
    written = export_audio(session, clips, audio, fmt, subtitles="vtt", chapters_file="json",
                           mix=mix, progress=progress)
    written.append(write_subtitles(session, audio.with_suffix(".srt"), "srt"))
    written.append(write_chapters_file(session, audio, fmt, "cue"))
    playlist = directory / f"{name}.m3u"
    write_text(playlist, m3u([PlaylistEntry(audio.name, session.timeline.duration_ms,
                                            session.routine.title)]))
    document = directory / "routine.json"
    write_text(document, json.dumps(timeline_document(session), indent=2, ensure_ascii=False) + "\n")
    return [*written, Written(playlist, "playlist"), Written(document, "document")]


def write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8, atomically."""
    with atomic_path(path) as temp:
        temp.write_text(text, encoding="utf-8")


def safe_name(title: str) -> str:
    """A chapter title as a file name: no path separators or control characters."""
    cleaned = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', " ", title)
    return " ".join(cleaned.split())[:80] or "chapter"


def _offset(progress: Progress | None, before: int, total: int) -> Callable[[int], None] | None:
    """``progress`` for one part of a split export that starts ``before`` samples in."""
    if progress is None:
        return None
    return lambda done: progress(before + done, total)


def _take(chunks: Iterator[bytes], n_samples: int) -> Iterator[bytes]:
    """The first ``n_samples`` of a PCM chunk stream."""
    left = n_samples * SAMPLE_WIDTH
    for chunk in chunks:
        if left <= 0:
            return
        yield chunk[:left]
        left -= min(left, len(chunk))


def _ms(samples: int, rate: int) -> int:
    return samples * 1000 // rate
