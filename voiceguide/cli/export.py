"""``export``: routines to audio files (one, a folder of them, ``--split`` parts, a
``--bundle``) with their sidecars, or to standard output (``-o -``)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import RoutineError, UsageError, VoiceguideError
from ..export.formats import (
    CHAPTER_FILE_FORMATS,
    FORMATS,
    SAMPLE_RATES,
    SUBTITLE_FORMATS,
    ChapterFileFormat,
    SubtitleFormat,
)
from ..formatting import format_ms
from .group import Command
from .mixing import finish_mix, mix_options
from .options import cache_and_pacing_options
from .prepare import order_for, prepare_routine, stream_session
from .progress import Bar, echo_json, error, progress, warn

if TYPE_CHECKING:
    from ..audio.mix import Mix
    from ..export.outputs import Written
    from ..session import Session
    from ..timing.pacing import Layer


EXPORT_EPILOG = """\b
Examples:
  voiceguide export lower-back-massage -o lower-back.mp3
  voiceguide export my.yaml -o session.m4a --rate 140 --subtitles vtt
  voiceguide export lower-back-stretch -o parts/ --split --format mp3
  voiceguide export box-breathing --bundle box/ --format mp3
  voiceguide export scripts/*.yaml -o out/ --format ogg
  voiceguide export box-breathing -o - --format mp3 | mpv -
  voiceguide export - -o mine.mp3 < my.yaml
\b
Files: -o ending in / (or an existing folder) is a folder, created if needed. An
existing file is replaced atomically and the summary says "replaced"; with
--no-clobber it is kept and the export fails (exit 1). Files get the usual
permissions (0666 less the umask). Names made from chapter titles or routine files
never leave the folder; two routines with one name give NAME and NAME-2. Devices,
FIFOs and folders are refused as outputs. -o - writes the audio to standard output
(wav, mp3, ogg, flac or opus; without chapters). ROUTINE - reads standard input.
\b
The summary counts chapters only for files that carry them (mp3, m4a, m4b); --json
gives "chapters" (the session's) and "chapters_in_file" (0 for wav, flac, ogg, opus).
"""


@click.command(cls=Command, epilog=EXPORT_EPILOG)
@click.argument("routines", nargs=-1, required=True, metavar="ROUTINE...")
@click.option(
    "-o",
    "--output",
    type=click.Path(allow_dash=True),
    help=f"Output file (format from its extension: {', '.join(FORMATS)}), a "
    "folder (ending in /, existing, or several routines): one <routine>.<format> each, "
    "or - for standard output.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Force the format (default: the extension; mp3 for folders and bundles, wav for -o -).",
)
@click.option(
    "--subtitles",
    type=click.Choice(SUBTITLE_FORMATS),
    help="Also write subtitles: every spoken cue with its exact times.",
)
@click.option(
    "--chapters-file",
    type=click.Choice(CHAPTER_FILE_FORMATS),
    help="Also write the chapters: Podcasting 2.0 JSON or a CUE sheet.",
)
@click.option(
    "--split", is_flag=True, help="One file per chapter (numbered) plus an M3U playlist, instead of one file."
)
@click.option(
    "--bundle",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write a directory: the audio, subtitles, chapters (JSON and CUE), an M3U "
    "playlist and routine.json.",
)
@click.option(
    "--no-clobber",
    "-n",
    is_flag=True,
    help="Never replace an existing file: report it and fail (exit 1) instead.",
)
@click.option(
    "--sample-rate",
    type=click.Choice([str(r) for r in SAMPLE_RATES]),
    metavar="HZ",
    help="Write the audio at this rate (Hz): "
    + ", ".join(map(str, SAMPLE_RATES))
    + ". Default: the speech engine's (22050). Opus is always 48000.",
)
@mix_options
@cache_and_pacing_options()
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or summary.")
def export(
    routines: tuple[str, ...],
    output: str | None,
    fmt: str | None,
    subtitles: SubtitleFormat | None,
    chapters_file: ChapterFileFormat | None,
    split: bool,
    bundle: Path | None,
    no_clobber: bool,
    sample_rate: str | None,
    cache_dir: Path | None,
    layers: tuple[Layer, ...],
    mix: Mix,
    as_json: bool,
    quiet: bool,
) -> int:
    """Export routines as audio files with exactly timed pauses and a chapter per step.

    mp3 files get ID3 chapters with a table of contents, m4a/m4b files MP4 chapters.
    Every file is written to a temporary name and renamed when complete, so a failure or
    Ctrl-C never leaves a partial file. With several routines, a failure is reported
    and the others are still exported; the exit status is then non-zero.
    """
    from dataclasses import replace

    if sample_rate is not None:
        mix = replace(mix, output_rate=int(sample_rate))
    return export_routines(
        ExportRequest(
            routines,
            mix,
            output,
            fmt,
            subtitles,
            chapters_file,
            split,
            bundle,
            not no_clobber,
            cache_dir,
            layers,
            as_json,
            quiet,
        )
    )


@dataclass(frozen=True)
class ExportRequest:
    """What ``export`` was asked for, parsed: the routines (files, bundled names, ``-``),
    how they sound (``mix``), where they go (``output``: a file, a folder, ``-``; or
    ``bundle``) and what goes with them."""

    routines: tuple[str, ...]
    mix: Mix
    output: str | None = None
    fmt: str | None = None
    subtitles: SubtitleFormat | None = None
    chapters_file: ChapterFileFormat | None = None
    split: bool = False
    bundle: Path | None = None
    clobber: bool = True
    cache_dir: Path | None = None
    layers: tuple[Layer, ...] = ()
    as_json: bool = False
    quiet: bool = False


def export_routines(request: ExportRequest) -> int:
    """``export`` once its arguments are understood: refuse what does not combine, then
    write each routine (a failure reported, the others still written); the exit status."""
    _check(request)
    if request.output == "-":
        return _export_to_stdout(
            request.routines[0],
            request.fmt or "wav",
            request.cache_dir,
            request.layers,
            request.mix,
            request.quiet,
        )
    return _export_each(request, _place(request))


def _check(request: ExportRequest) -> None:
    """Refuse options that do not combine (UsageError, exit 2) before any work."""
    asked = request
    if (asked.output is None) == (asked.bundle is None):
        raise UsageError("give either -o FILE (or -o DIR/) or --bundle DIR")
    sidecars = bool(asked.subtitles or asked.chapters_file)
    if asked.split and (asked.bundle is not None or sidecars):
        raise UsageError(
            "--split writes chapter files and a playlist; it does not combine "
            "with --bundle, --subtitles or --chapters-file"
        )
    if asked.routines.count("-") > 1:
        raise UsageError("- (standard input) can be given only once")
    if asked.output == "-" and (len(asked.routines) > 1 or asked.split or sidecars or asked.as_json):
        raise UsageError(
            "-o - writes one routine's audio to standard output; it does not "
            "combine with several routines, --split, --subtitles, "
            "--chapters-file or --json"
        )


def _place(request: ExportRequest) -> _Place:
    """Where the files go; a single file's format and name are checked before any work."""
    from ..atomic import check_target
    from ..export.encode import format_for

    output, many = request.output, len(request.routines) > 1
    out = Path(output) if output is not None else None
    into_directory = (
        request.bundle is not None
        or many
        or (output is not None and (output.endswith(("/", os.sep)) or os.path.isdir(output)))
    )
    if out is not None and not into_directory:
        format_for(out, request.fmt)  # refuse an unknown format before any work
        check_target(out, clobber=request.clobber)  # and a name too long, a device, …
    return _Place(out, request.bundle, request.fmt, into_directory, many, request.clobber)


def _export_each(request: ExportRequest, place: _Place) -> int:
    """Export every routine in turn, printing a summary line each (or JSON at the end)."""
    routines, many = request.routines, place.many
    silent = request.quiet or request.as_json
    results: list[dict[str, object]] = []
    taken: set[str] = set()
    names = [None if r == "-" else _unique_name(resolve_routine_name(r), taken) for r in routines]
    worst = 0
    with progress("Exporting", quiet=silent) as update:
        for number, (routine, name) in enumerate(zip(routines, names, strict=True), 1):
            label = f"[{number}/{len(routines)}] " if many else ""
            try:
                written, session = _export_one(
                    routine,
                    name,
                    taken,
                    place,
                    request.subtitles,
                    request.chapters_file,
                    request.split,
                    request.cache_dir,
                    request.layers,
                    request.mix,
                    update,
                    label,
                    silent,
                )
            except VoiceguideError as exc:
                worst = worst or exc.exit_code
                _report_failure(routine, exc, many)
                results.append({"routine": routine, "ok": False, "error": exc.format()})
                continue
            results.append(_export_summary(routine, session, written))
            if not silent:
                click.echo(_summary_line(session, written))
    if request.as_json:
        echo_json(results if many else results[0])
    return worst


def resolve_routine_name(routine: str) -> str:
    """What a routine's files are called: its file name without ``.yaml``, as a safe
    file name (one component, no leading dot; ``session`` if nothing is left)."""
    from ..export.outputs import safe_name

    stem = Path(routine).name.removesuffix(".yaml").removesuffix(".yml")
    return safe_name(stem, fallback="session")


def _unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``… if taken (compared as a case-insensitive
    filesystem would); the result is added to ``taken``."""
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name}-{number}"
    taken.add(candidate.casefold())
    return candidate


@dataclass(frozen=True)
class _Place:
    """Where ``export`` writes: ``-o`` (a file or a folder) or ``--bundle``."""

    output: Path | None
    bundle: Path | None
    fmt: str | None
    into_directory: bool
    many: bool
    clobber: bool


def _export_one(
    routine: str,
    name: str | None,
    taken: set[str],
    place: _Place,
    subtitles: SubtitleFormat | None,
    chapters_file: ChapterFileFormat | None,
    split: bool,
    cache_dir: Path | None,
    layers: tuple[Layer, ...],
    mix: Mix,
    bar: Bar,
    label: str,
    quiet: bool,
) -> tuple[list[Written], Session]:
    from ..atomic import check_target
    from ..export.outputs import safe_name
    from ..service import Prepared, write_audio, write_bundle, write_split

    fmt = place.fmt
    if name is not None and place.output is not None and place.into_directory and not split:
        check_target(place.output / f"{name}.{fmt or 'mp3'}", clobber=place.clobber)
    session, clips = prepare_routine(routine, cache_dir, layers, quiet=False, bar=bar, sound=mix.sound)
    warn(session.warnings)
    if name is None:  # standard input: named after the routine's title
        name = _unique_name(safe_name(session.routine.title, fallback="session"), taken)
    bar.describe(f"{label}Measuring loudness of {name}")
    mix = finish_mix(session, clips, mix, quiet)
    bar.describe(f"{label}Writing {name}")
    prepared = Prepared(session, clips)
    if place.bundle is not None:
        directory = place.bundle / name if place.many else place.bundle
        return write_bundle(prepared, directory, name, fmt or "mp3", mix, bar, place.clobber), session
    assert place.output is not None
    target = place.output / f"{name}.{fmt or 'mp3'}" if place.into_directory else place.output
    if split:
        return write_split(prepared, target, fmt, mix, bar, place.clobber), session
    return write_audio(
        prepared,
        target,
        fmt,
        mix,
        subtitles=subtitles,
        chapters_file=chapters_file,
        progress=bar,
        clobber=place.clobber,
    ), session


def _export_to_stdout(
    routine: str, fmt: str, cache_dir: Path | None, layers: tuple[Layer, ...], mix: Mix, quiet: bool
) -> int:
    """``export ROUTINE -o -``: the audio on standard output. Everything else that would
    go to standard output (messages, a library's chatter) goes to standard error."""
    from ..export.encode import export_stream
    from ..export.formats import STREAM_FORMATS
    from ..export.outputs import final_pcm, metadata_for

    if fmt not in STREAM_FORMATS:
        raise UsageError(
            f"{fmt} cannot be written to standard output (it needs a seekable "
            f"file); use --format {' / '.join(STREAM_FORMATS)}, or -o FILE.{fmt}"
        )
    if sys.stdout.isatty():
        raise UsageError(
            "-o - would write audio to the terminal; redirect it (> file.wav) or pipe it to a player"
        )
    sys.stdout.flush()
    audio = os.dup(1)
    os.dup2(2, 1)
    try:
        with progress("Exporting", quiet=quiet) as bar:
            bar.describe("Starting", show=False)
            streamed = stream_session(
                order_for(routine, cache_dir, layers, mix.sound),
                quiet=True,
                need_all=mix.background is not None,
            )
            session = streamed.session()
            warn(session.warnings if streamed.complete else streamed.plan.load_warnings)
            warned_late = streamed.complete
            if streamed.complete:
                mix = finish_mix(session, streamed.clips, mix, quiet)
                total: int | None = session.n_samples
                chunks = final_pcm(session, streamed.clips, mix)
            else:  # the audio flows as its speech is made: its length is not known yet
                total, chunks = None, streamed.pcm(mix)
            bar.describe("Writing to standard output")
            with streamed:
                export_stream(
                    chunks,
                    total,
                    session.sample_rate,
                    audio,
                    fmt,
                    output_rate=mix.output_rate,
                    metadata=metadata_for(session),
                    progress=(lambda done: bar(done, total)) if total else None,
                )
            session = streamed.session()
    finally:
        sys.stdout.flush()
        os.dup2(audio, 1)
        os.close(audio)
    if not warned_late:
        warn(session.timeline.warnings)
    if not quiet:
        click.echo(
            f"wrote {fmt} to standard output ({format_ms(session.timeline.duration_ms)}, no chapters)",
            err=True,
        )
    return 0


def _report_failure(routine: str, exc: VoiceguideError, many: bool) -> None:
    if isinstance(exc, RoutineError):
        warn(exc.diagnostics)
    else:
        error(f"{routine + ': ' if many else ''}{exc.format()}", exc.hint)


def _summary_line(session: Session, written: list[Written]) -> str:
    """``wrote out.mp3 (12:00, 14 chapters)`` (``replaced`` when a file was there), the
    chapters only when the files carry them, then one line per sidecar."""
    audio = [w for w in written if w.kind == "audio"]
    verb = "replaced" if audio[0].replaced else "wrote"
    more = ""
    if len(audio) > 1:
        also = sum(w.replaced for w in audio[1:])
        more = f" (+{len(audio) - 1} more" + (f", {also} replaced" if also else "") + ")"
    carried = sum(w.chapters for w in audio)
    details = format_ms(session.timeline.duration_ms) + (f", {carried} chapters" if carried else "")
    sidecars = "".join(
        f"\n  + {w.path}" + (" (replaced)" if w.replaced else "") for w in written if w.kind != "audio"
    )
    return f"{verb} {audio[0].path}{more} ({details}){sidecars}"


def _export_summary(routine: str, session: Session, written: list[Written]) -> dict[str, object]:
    audio = [w for w in written if w.kind == "audio"]
    summary: dict[str, object] = {
        "routine": routine,
        "ok": True,
        "path": str(audio[0].path),
        "format": audio[0].path.suffix.lstrip("."),
        "duration_ms": session.timeline.duration_ms,
        "bytes": sum(w.path.stat().st_size for w in audio),
        "chapters": len(session.timeline.chapters),
        "chapters_in_file": sum(w.chapters for w in audio),
        "files": [{"path": str(w.path), "kind": w.kind, "replaced": w.replaced} for w in written],
    }
    return summary
