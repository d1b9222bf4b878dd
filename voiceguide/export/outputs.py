"""Everything ``voiceguide export`` can write for one session: the audio file with its
chapters and metadata, sidecar files, one file per chapter (``--split``), or a bundle
directory. Each file is written to a temporary name and renamed when complete.

Names made from titles or routine files (:func:`safe_name`) are one path component:
no separators, control characters or leading dots, cut to fit the file-name limit in
bytes. Every target is checked before the session is rendered (:func:`check_targets`):
names too long, special files, and existing files when ``clobber`` is false.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..atomic import NAME_MAX, check_target, create_temp, link_into_place, write_text
from ..audio.mix import NO_MIX, Mix, apply_mix
from ..errors import ExportError, UsageError
from ..pcm.clip import SAMPLE_WIDTH, ms_to_samples
from ..session import ClipSource, Session, render
from ..timing.pacing import summary
from .document import timeline_document
from .encode import export_pcm, format_for
from .formats import ChapterFileFormat, SubtitleFormat
from .sidecars import PlaylistEntry, chapters_json, cue_sheet, m3u, one_line, srt, webvtt

Progress = Callable[[int, int], None]  # (samples written, samples in all)
#: what a written file is, as the export summary (and --json) names it
FileKind = Literal["audio", "subtitles", "chapters", "playlist", "document"]

#: bytes a name made from a title or a routine file may take: room is left for the
#: longest sidecar suffix (".chapters.json") and the numbering of --split parts
DERIVED_NAME_BYTES = 200


@dataclass(frozen=True)
class Written:
    """A file an export wrote; ``kind`` is "audio", "subtitles", "chapters", "playlist"
    or "document"; ``replaced`` when a file was there before; ``chapters`` the number
    of chapters an audio file carries."""

    path: Path
    kind: FileKind
    replaced: bool = False
    chapters: int = 0


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
    subtitles: SubtitleFormat | None = None,
    chapters_file: ChapterFileFormat | None = None,
    mix: Mix = NO_MIX,
    progress: Progress | None = None,
    clobber: bool = True,
) -> list[Written]:
    """The whole session as one file with its chapters (and ``mix``'s background and
    gain), plus the sidecars asked for (``out`` with the suffix ``.vtt``/``.srt``,
    ``.chapters.json`` or ``.cue``). ``clobber`` false: an existing file is an error,
    found before anything is written."""
    fmt = format_for(out, fmt)
    total = session.n_samples
    sidecars = [out.with_suffix(f".{subtitles}")] if subtitles else []
    if chapters_file:
        sidecars.append(_chapters_file_path(out, chapters_file))
    check_targets([out, *sidecars], clobber)
    result = export_pcm(
        final_pcm(session, clips, mix),
        total,
        session.sample_rate,
        out,
        fmt=fmt,
        metadata=metadata_for(session),
        chapters=session.timeline.chapters,
        progress=(lambda done: progress(done, total)) if progress else None,
        clobber=clobber,
        output_rate=mix.output_rate,
    )
    written = [Written(out, "audio", result.replaced, result.chapters)]
    if subtitles:
        written.append(write_subtitles(session, out.with_suffix(f".{subtitles}"), subtitles, clobber))
    if chapters_file:
        written.append(write_chapters_file(session, out, fmt, chapters_file, clobber))
    return written


def check_targets(paths: list[Path], clobber: bool = True) -> None:
    """Refuse, before any work, what could not be written (see :func:`check_target`)."""
    for path in paths:
        check_target(path, clobber=clobber)


def write_subtitles(session: Session, path: Path, kind: SubtitleFormat, clobber: bool = True) -> Written:
    text = webvtt(session.timeline) if kind == "vtt" else srt(session.timeline)
    return Written(path, "subtitles", write_text(path, text, clobber))


def _chapters_file_path(audio: Path, kind: ChapterFileFormat) -> Path:
    return audio.with_suffix(".chapters.json" if kind == "json" else ".cue")


def write_chapters_file(
    session: Session, audio: Path, fmt: str, kind: ChapterFileFormat, clobber: bool = True
) -> Written:
    path = _chapters_file_path(audio, kind)
    if kind == "json":
        text = chapters_json(session.timeline)
    else:
        text = cue_sheet(session.timeline, audio.name, fmt)
    return Written(path, "chapters", write_text(path, text, clobber))


def final_pcm(session: Session, clips: ClipSource, mix: Mix, start_sample: int = 0) -> Iterator[bytes]:
    """What is written (and played): the rendered session from ``start_sample``, mixed."""
    return apply_mix(
        lambda start: render(session, clips, start), mix, session.timeline, session.sample_rate, start_sample
    )


def split_paths(session: Session, out: Path, fmt: str) -> list[Path]:
    """The parts :func:`export_split` writes: "<stem> 01 - <chapter>.<fmt>" beside
    ``out``, each title cut to fit the file-name limit."""
    return [
        out.with_name(fit_name(f"{out.stem} {number:02d} - ", safe_name(chapter.title), f".{fmt}"))
        for number, chapter in enumerate(session.timeline.chapters, 1)
    ]


def export_split(
    session: Session,
    clips: ClipSource,
    out: Path,
    fmt: str | None = None,
    progress: Progress | None = None,
    mix: Mix = NO_MIX,
    clobber: bool = True,
) -> list[Written]:
    """One file per chapter beside ``out`` ("<stem> 01 - <chapter>.<ext>"), exactly the
    session cut at the chapter starts, and "<stem>.m3u" listing them in order.

    All or nothing, like one file: every part is written under a temporary name first,
    and only once all are complete are they renamed into place and the playlist written.
    Stopped before (Ctrl-C, SIGTERM, a full disk), no part and no playlist appears; a
    failure while renaming removes the parts it had placed (a part that replaced a file
    of the same name cannot bring that file back)."""
    fmt = format_for(out, fmt)
    timeline, rate = session.timeline, session.sample_rate
    total = session.n_samples
    entries: list[PlaylistEntry] = []
    staged: list[tuple[Path, Path, int]] = []  # (temporary, final, chapters carried)
    named: list[Path] = []  # every temporary part, named before it exists
    done_before = 0
    count = len(timeline.chapters)
    paths = split_paths(session, out, fmt)
    playlist = out.with_name(f"{out.stem}.m3u")
    check_targets([*paths, playlist], clobber)
    try:
        for number, (chapter, path) in enumerate(zip(timeline.chapters, paths, strict=True), 1):
            start = ms_to_samples(chapter.start_ms, rate)
            end = total if number == count else ms_to_samples(chapter.end_ms, rate)
            temp = _stage(path, named)
            result = export_pcm(
                _take(final_pcm(session, clips, mix, start), end - start),
                end - start,
                rate,
                temp,
                fmt=fmt,
                metadata=metadata_for(session, chapter.title, f"{number}/{count}"),
                progress=_offset(progress, done_before, total),
                output_rate=mix.output_rate,
            )
            staged.append((temp, path, result.chapters))
            done_before += end - start
            entries.append(PlaylistEntry(path.name, _ms(end - start, rate), chapter.title))
        written = _place(staged, clobber)
        try:
            replaced = write_text(playlist, m3u(entries), clobber)
        except BaseException:
            _unplace(written)
            raise
    finally:
        for temp in named:  # renamed into place, or to be removed
            with contextlib.suppress(OSError):
                temp.unlink()
    return [*written, Written(playlist, "playlist", replaced)]


def _stage(target: Path, named: list[Path]) -> Path:
    """A temporary file beside ``target`` for a part of a split export, its name added to
    ``named`` before it exists (named as :mod:`~voiceguide.atomic` names them, so what a
    killed export leaves is removed by the next run)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return create_temp(target, 0o666, named)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _place(staged: list[tuple[Path, Path, int]], clobber: bool) -> list[Written]:
    """Rename each complete part onto its name (hard-linked when ``clobber`` is false, so
    a file that appeared meanwhile is kept); on any failure the parts placed so far are
    removed again and the error raised."""
    placed: list[Written] = []
    try:
        for temp, path, chapters in staged:
            replaced = os.path.lexists(path)
            try:
                if clobber:
                    os.replace(temp, path)
                elif not link_into_place(temp, path):
                    raise ExportError(f"{path} already exists; kept it (--no-clobber)")
            except OSError as exc:
                raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
            placed.append(Written(path, "audio", replaced, chapters))
    except BaseException:
        _unplace(placed)
        raise
    return placed


def _unplace(placed: list[Written]) -> None:
    """Remove the parts of a split export that were placed (not those that replaced a file)."""
    for part in placed:
        if not part.replaced:
            with contextlib.suppress(OSError):
                part.path.unlink()


def export_bundle(
    session: Session,
    clips: ClipSource,
    directory: Path,
    name: str,
    fmt: str = "mp3",
    progress: Progress | None = None,
    mix: Mix = NO_MIX,
    clobber: bool = True,
) -> list[Written]:
    """``directory`` with the audio ("<name>.<fmt>"), WebVTT and SRT subtitles, JSON
    chapters, a CUE sheet, an M3U playlist and ``routine.json`` (the ``show --json``
    document)."""
    audio = directory / f"{name}.{fmt}"
    playlist = directory / f"{name}.m3u"
    document = directory / "routine.json"
    check_targets([audio.with_suffix(".srt"), audio.with_suffix(".cue"), playlist, document], clobber)
    written = export_audio(
        session,
        clips,
        audio,
        fmt,
        subtitles="vtt",
        chapters_file="json",
        mix=mix,
        progress=progress,
        clobber=clobber,
    )
    written.append(write_subtitles(session, audio.with_suffix(".srt"), "srt", clobber))
    written.append(write_chapters_file(session, audio, fmt, "cue", clobber))
    entry = PlaylistEntry(audio.name, session.timeline.duration_ms, session.routine.title)
    written.append(Written(playlist, "playlist", write_text(playlist, m3u([entry]), clobber)))
    text = json.dumps(timeline_document(session), indent=2, ensure_ascii=False) + "\n"
    written.append(Written(document, "document", write_text(document, text, clobber)))
    return written


def safe_name(title: str, fallback: str = "chapter", limit: int = DERIVED_NAME_BYTES) -> str:
    """A title (or a routine's file name) as one file-name component: no path
    separators, control characters or characters Windows refuses, no leading dots (so
    never ``.`` or ``..``), at most ``limit`` bytes of UTF-8 (cut at a character)."""
    cleaned = re.sub(r'[/\\:*?"<>|]+', " ", one_line(title))
    cleaned = " ".join(cleaned.split()).lstrip(". ")
    cut = cleaned.encode()[:limit].decode(errors="ignore").rstrip(". ")
    return cut or fallback


def fit_name(prefix: str, middle: str, suffix: str) -> str:
    """``prefix + middle + suffix`` with ``middle`` cut (at a character) to fit
    :data:`~voiceguide.atomic.NAME_MAX` bytes. Raises UsageError when even one character
    of ``middle`` does not fit."""
    room = NAME_MAX - len((prefix + suffix).encode())
    cut = middle.encode()[: max(room, 0)].decode(errors="ignore").rstrip(". ")
    if not cut:
        raise UsageError(f"the file name is too long ({prefix}…{suffix}): choose a shorter -o")
    return prefix + cut + suffix


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
