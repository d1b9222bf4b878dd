"""Write a rendered session to an audio file.

WAV is written directly (header first: the length is known before rendering), with
silence left as holes in the file (sparse): it reads back as zeros and costs no writes.
Compressed formats are encoded by ffmpeg, fed the PCM stream on its standard
input, so memory stays flat however long the session is. Either way the output
appears only when complete (see :mod:`voiceguide.atomic`).

Chapters: m4a and m4b (the audiobook name for the same file) get them from ffmpeg (an
FFMETADATA input); mp3 gets ID3 ``CHAP`` frames and a ``CTOC`` table of contents from
mutagen (ffmpeg writes no CTOC, which many players need). ffmpeg 5.1 writes none into Ogg
files (tried), and WAV and FLAC carry none: use ``--chapters-file`` for those.

Every tag value and chapter title is put on one line first (control characters become
spaces, :func:`voiceguide.export.sidecars.one_line`), so a title cannot inject chapters or tags.

:func:`export_stream` writes to a pipe (``-o -``): WAV, or any format ffmpeg can write
without seeking (mp3, ogg, flac, opus); such a stream carries no chapters.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import atomic_path, check_target
from ..audio.ffmpeg import feed, find_ffmpeg, pcm_format
from ..audio.render import write_pcm
from ..errors import ExportError, UsageError
from ..pcm.clip import SAMPLE_WIDTH, samples_to_ms
from ..pcm.wavfile import wav_header
from ..timing.timeline import Chapter
from .formats import CHAPTER_FORMATS, CODECS, FORMATS, STREAM_FORMATS, WAV_BY_FFMPEG, Codec
from .sidecars import ffmetadata, one_line

#: title → the tag name used by WAV's LIST/INFO chunk
_WAV_INFO = {"title": "INAM", "artist": "IART", "album": "IPRD", "comment": "ICMT", "genre": "IGNR"}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    duration_ms: int
    size_bytes: int
    chapters: int = 0  # chapters the file carries
    replaced: bool = False  # an existing file was replaced


def format_for(path: Path, explicit: str | None = None) -> str:
    """The output format: ``explicit`` or the file's extension. Raises UsageError (exit 2),
    also for an extension of another format than ``explicit`` (Ogg audio in ``box.mp3``
    trips a phone's player)."""
    named = path.suffix.lstrip(".").lower()
    fmt = (explicit or named).lower()
    if not fmt:
        raise UsageError(
            f"{path} has no extension to tell the format: add one ({path}.mp3; "
            f"one of: {', '.join(FORMATS)}), or end it with / to export into a folder"
        )
    if fmt not in FORMATS:
        raise UsageError(f"cannot export to format {fmt!r} ({path}); use one of: {', '.join(FORMATS)}")
    if explicit and named in FORMATS and named != fmt:
        raise UsageError(
            f"{path} is named .{named} but --format is {fmt}: name it "
            f"{path.with_suffix('.' + fmt)}, or leave --format out"
        )
    return fmt


def export_pcm(
    chunks: Iterable[bytes],
    n_samples: int,
    sample_rate: int,
    out: Path,
    *,
    fmt: str | None = None,
    metadata: Mapping[str, str] | None = None,
    chapters: Sequence[Chapter] = (),
    progress: Callable[[int], None] | None = None,
    clobber: bool = True,
    output_rate: int | None = None,
) -> ExportResult:
    """Write ``n_samples`` of mono 16-bit PCM from ``chunks`` to ``out``, resampled by
    ffmpeg to ``output_rate`` Hz when that is given and differs (``--sample-rate``).

    ``chapters`` (times in ms from the file's start) are embedded where the format
    allows (see the module docstring). ``progress(samples_written)`` is called after
    each chunk. The file appears at ``out`` only when complete; ``clobber`` false keeps
    an existing file (ExportError).
    """
    fmt = format_for(out, fmt)
    metadata = clean_metadata(metadata)
    check_target(out, clobber=clobber)
    replaced = os.path.lexists(out)
    with atomic_path(out, clobber=clobber) as temp:
        codec = CODECS.get(fmt, WAV_BY_FFMPEG)
        output_rate = output_rate or (codec.min_rate if (codec.min_rate or 0) > sample_rate else None)
        resample = output_rate is not None and output_rate != sample_rate and fmt != "opus"
        if fmt == "wav" and not resample:
            _write_wav(chunks, n_samples, sample_rate, temp, metadata, progress)
        else:
            by_ffmpeg = chapters if fmt in ("m4a", "m4b") else ()
            _encode(
                chunks,
                n_samples,
                sample_rate,
                temp,
                codec,
                metadata,
                by_ffmpeg,
                progress,
                output_rate if resample else None,
            )
            if fmt == "mp3":
                write_id3_extras(temp, chapters, metadata)
    carried = len(chapters) if fmt in CHAPTER_FORMATS else 0
    return ExportResult(
        out, fmt, samples_to_ms(n_samples, sample_rate), out.stat().st_size, carried, replaced
    )


def export_stream(
    chunks: Iterable[bytes],
    n_samples: int | None,
    sample_rate: int,
    fd: int,
    fmt: str,
    *,
    metadata: Mapping[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    output_rate: int | None = None,
) -> ExportResult:
    """Write ``n_samples`` of mono 16-bit PCM to the open file descriptor ``fd`` (a pipe,
    ``-o -``) as ``fmt``, one of :data:`STREAM_FORMATS`; no chapters. ``output_rate``: as
    for :func:`export_pcm`. ``n_samples`` None: not known yet (a session streamed while its
    speech is made); a WAV then says so in its header, as ffmpeg's piped WAV does (sizes
    0xFFFFFFFF: players read to the end of the stream)."""
    if fmt not in STREAM_FORMATS:
        raise UsageError(
            f"{fmt} cannot be written to standard output (it needs a seekable file); "
            f"use one of {', '.join(STREAM_FORMATS)}, or -o FILE.{fmt}"
        )
    metadata = clean_metadata(metadata)
    out = Path("-")
    codec = CODECS.get(fmt, WAV_BY_FFMPEG)
    output_rate = output_rate or (codec.min_rate if (codec.min_rate or 0) > sample_rate else None)
    resample = output_rate is not None and output_rate != sample_rate and fmt != "opus"
    start = _file_offset(fd)
    try:
        if fmt == "wav" and not resample:
            info = _wav_info(metadata)
            with os.fdopen(os.dup(fd), "wb") as f:
                f.write(
                    wav_header(n_samples, sample_rate, info=info)
                    if n_samples is not None
                    else _unsized(wav_header(0, sample_rate, info=info))
                )
                written = 0
                for chunk in chunks:
                    f.write(chunk)
                    written += len(chunk) // SAMPLE_WIDTH
                    if progress:
                        progress(written)
            if n_samples is not None and written != n_samples:
                raise ExportError(f"internal error: rendered {written} samples, expected {n_samples}")
        else:
            command = ffmpeg_command(
                find_ffmpeg(),
                sample_rate,
                codec,
                metadata,
                "pipe:1",
                output_rate=output_rate if resample else None,
            )
            # each packet out as soon as it is encoded: a listener at the end of the pipe hears
            # a streamed session start at once (ffmpeg's 32 KiB buffer is 4 s of 64 kb/s mp3)
            command[-1:-1] = ["-flush_packets", "1"]
            _run_encoder(command, chunks, n_samples, out, progress, stdout=fd)
    except BaseException as exc:
        _cut_back(fd, start)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise ExportError(f"cannot write to standard output: {exc.strerror or exc}") from exc
        raise
    return ExportResult(out, fmt, samples_to_ms(n_samples or 0, sample_rate), 0)


def _file_offset(fd: int) -> int | None:
    """Where writing to ``fd`` begins, in bytes, when it is a regular file (``-o - > file``);
    None for a pipe, a terminal or a device."""
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return None
        if _appends(fd):  # `>>`: writes go to the end, wherever the offset is
            return status.st_size
        return os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return None


def _appends(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # not on POSIX: the offset is where writes go
        return False
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)


def _cut_back(fd: int, start: int | None) -> None:
    """A stream into a regular file that failed or was stopped: cut the file back to
    ``start`` (what it held before), so no half-written audio stays in it, as an export to
    a file leaves none. A pipe's reader has what was sent; the exit status tells it."""
    if start is not None:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, start)


def _unsized(header: bytes) -> bytes:
    """A WAV header of 0 samples made to say "size unknown": RIFF and data sizes 0xFFFFFFFF."""
    unknown = b"\xff\xff\xff\xff"
    return header[:4] + unknown + header[8:-4] + unknown


def clean_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Tag values on one line (no control characters: they could inject tags or break
    the ffmpeg command line)."""
    return {key: one_line(value) for key, value in (metadata or {}).items()}


def _wav_info(metadata: Mapping[str, str]) -> dict[str, str]:
    info = {_WAV_INFO[k]: v for k, v in metadata.items() if k in _WAV_INFO and v}
    info["ISFT"] = "voiceguide"
    return info


def _write_wav(
    chunks: Iterable[bytes],
    n_samples: int,
    sample_rate: int,
    path: Path,
    metadata: Mapping[str, str],
    progress: Callable[[int], None] | None,
) -> None:
    with path.open("wb") as f:  # an OSError is reported by atomic_path, naming the output
        f.write(wav_header(n_samples, sample_rate, info=_wav_info(metadata)))
        written = write_pcm(f, chunks, progress)
    if written != n_samples:
        raise ExportError(f"internal error: rendered {written} samples, expected {n_samples}")


_MAX_TOC_ENTRIES = 255  # a CTOC frame counts its entries in one byte


def write_id3_extras(path: Path, chapters: Sequence[Chapter], metadata: Mapping[str, str]) -> None:
    """What ffmpeg's ID3 writing lacks, in the mp3 at ``path``: the comment as a ``COMM``
    frame (ffmpeg writes ``TXXX:comment``, which players do not show), and the chapters:
    a ``CHAP`` frame each (times in ms, exact) under one ordered top-level ``CTOC``."""
    import mutagen.id3

    id3: Any = mutagen.id3  # partly typed: used through Any
    in_order = _id3_in_timeline_order(id3)
    try:
        tags = in_order(path)
    except id3.ID3NoHeaderError:
        tags = in_order()
    if metadata.get("comment"):
        tags.delall("TXXX:comment")
        tags.add(id3.COMM(encoding=3, lang="eng", desc="", text=[metadata["comment"]]))
    tags.delall("CHAP")
    tags.delall("CTOC")
    if not chapters:
        tags.save(path)
        return
    title = metadata.get("title", "")
    ids = [f"chp{n}" for n in range(len(chapters))]
    ordered = id3.CTOCFlags.ORDERED
    if len(ids) <= _MAX_TOC_ENTRIES:
        tables = [("toc", ids)]
    else:  # an entry count is one byte: a top-level table of tables of chapters
        parts = [ids[i : i + _MAX_TOC_ENTRIES] for i in range(0, len(ids), _MAX_TOC_ENTRIES)]
        tables = [("toc", [f"toc{n}" for n in range(len(parts))])]
        tables += [(f"toc{n}", part) for n, part in enumerate(parts)]
    for number, (element_id, children) in enumerate(tables):
        flags = ordered | id3.CTOCFlags.TOP_LEVEL if number == 0 else ordered
        label = title if number == 0 else f"{title} ({number}/{len(tables) - 1})"
        tags.add(
            id3.CTOC(
                element_id=element_id,
                flags=flags,
                child_element_ids=children,
                sub_frames=[id3.TIT2(encoding=3, text=[label])],
            )
        )
    for element_id, chapter in zip(ids, chapters, strict=True):
        tags.add(
            id3.CHAP(
                element_id=element_id,
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                start_offset=0xFFFFFFFF,
                end_offset=0xFFFFFFFF,
                sub_frames=[id3.TIT2(encoding=3, text=[one_line(chapter.title)])],
            )
        )
    tags.save(path)


def _id3_in_timeline_order(id3: Any) -> Any:
    """mutagen's ``ID3`` class, except that it writes the ``CTOC`` and ``CHAP`` frames last
    and in the order they were added. mutagen sorts frames by their size when it saves, and
    ffprobe, ffmpeg and players that read frames in file order then list "Closing" first;
    the table of contents alone does not help them. (Overrides mutagen's ``_write``; a test
    reads the chapters back with ffprobe, so a change in mutagen shows.)"""
    from mutagen.id3 import _tags

    save_frame: Any = _tags.save_frame  # untyped

    class InTimelineOrder(id3.ID3):  # type: ignore[misc]  # mutagen is untyped
        def _write(self, config: Any) -> bytearray:
            keys = [key for key, frame in self.items() if frame.FrameID in ("CTOC", "CHAP")]
            frames = [self[key] for key in keys]
            for key in keys:
                del self[key]
            try:
                others: bytearray = super()._write(config)
            finally:
                for frame in frames:
                    self.add(frame)
            return others + bytearray().join(save_frame(frame, config=config) for frame in frames)

    return InTimelineOrder


def ffmpeg_command(
    ffmpeg: str,
    sample_rate: int,
    codec: Codec,
    metadata: Mapping[str, str],
    out: Path | str,
    chapters_file: Path | None = None,
    output_rate: int | None = None,
) -> list[str]:
    """The ffmpeg command line that encodes raw PCM from stdin into ``out`` (with the
    chapters of an FFMETADATA file, if given; at ``output_rate`` Hz, if given)."""
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]
    command += [*pcm_format(sample_rate), "-i", "pipe:0"]
    if chapters_file is not None:
        command += ["-i", str(chapters_file), "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
    for key, value in metadata.items():
        if value:
            command += ["-metadata", f"{key}={value}"]
    if codec.gain_db:
        command += ["-af", f"volume={codec.gain_db}dB"]  # (what the codec takes: Codec.gain_db)
    if output_rate is not None:
        command += ["-ar", str(output_rate)]  # (swr: the length stays that of the input)
    command += [*codec.args, "-f", codec.muxer, str(out)]
    return command


def _encode(
    chunks: Iterable[bytes],
    n_samples: int,
    sample_rate: int,
    path: Path,
    codec: Codec,
    metadata: Mapping[str, str],
    chapters: Sequence[Chapter],
    progress: Callable[[int], None] | None,
    output_rate: int | None = None,
) -> None:
    with tempfile.TemporaryDirectory(prefix="voiceguide-export-") as work:
        chapters_file = None
        if chapters:
            chapters_file = Path(work) / "chapters.txt"
            chapters_file.write_text(ffmetadata(chapters), encoding="utf-8")
        command = ffmpeg_command(
            find_ffmpeg(), sample_rate, codec, metadata, path, chapters_file, output_rate
        )
        _run_encoder(command, chunks, n_samples, path, progress)


#: errors of a write that ran out of room, as ffmpeg prints them (strerror)
_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _disk_error(returncode: int, messages: str) -> int | None:
    """The errno of a failed ffmpeg that ran out of room: a full disk or quota in its
    messages, or killed by SIGXFSZ (over the file size limit); else None."""
    if returncode == -signal.SIGXFSZ:
        return errno.EFBIG
    if returncode == 0:
        return None
    return next((code for code in _DISK_ERRORS if os.strerror(code) in messages), None)


def _run_encoder(
    command: list[str],
    chunks: Iterable[bytes],
    n_samples: int | None,
    path: Path,
    progress: Callable[[int], None] | None,
    stdout: int = subprocess.DEVNULL,
) -> None:
    written = 0

    def counted() -> Iterator[bytes]:
        nonlocal written
        for chunk in chunks:
            yield chunk
            written += len(chunk) // SAMPLE_WIDTH  # after ffmpeg took it
            if progress:
                progress(written)

    finished = feed(command, counted(), stdout=stdout)
    full = _disk_error(finished.returncode, finished.messages)
    if full is not None:  # named as a write of ours would name it: the target, not ffmpeg's temp
        raise OSError(full, os.strerror(full))
    if finished.returncode != 0:
        raise ExportError(
            f"ffmpeg failed to write {path.suffix.lstrip('.').split('.')[-1]} "
            f"(exit {finished.returncode}): " + (" | ".join(finished.last_lines(3)) or "no message")
        )
    if n_samples is not None and written != n_samples:
        raise ExportError(f"internal error: rendered {written} samples, expected {n_samples}")
