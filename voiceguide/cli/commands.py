"""The command line: the only place that parses arguments, prints, and exits.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid routine, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ..errors import (
    EXIT_FAILURE,
    EXIT_USAGE,
    Diagnostic,
    RoutineError,
    Stopped,
    UsageError,
    VoiceguideError,
    interruption,
)
from ..export.formats import (
    CHAPTER_FILE_FORMATS,
    FORMATS,
    SAMPLE_RATES,
    SUBTITLE_FORMATS,
    ChapterFileFormat,
    SubtitleFormat,
)
from ..formatting import format_ms, format_seconds, shown
from ..routine.bundled import bundled_routines, resolve_routine
from ..routine.schema import PRESETS
from .options import AsciiIntRange, EngineChoice, NonEmptyText
from .options import _Duration as DurationType  # 10m, 9:30, 600 (seconds) → ms
from .quick import breathe, new_routine, timer
from .serving import feed, serve

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.progress import Progress, TaskID

    from ..audio.mix import Mix
    from ..audio.sound import Sound
    from ..export.outputs import Written
    from ..play.keys import KeyReader
    from ..play.player import Player
    from ..routine.library import Entry
    from ..service import Order
    from ..session import ClipSource, GrowingSession, Session
    from ..speech.cache import ClipCache
    from ..speech.engine import VoiceInfo
    from ..timing.pacing import Layer



@functools.cache
def _console(err: bool = False) -> Console:
    """The rich console on stdout (or stderr), made on first use: importing rich costs
    more than the whole of ``voiceguide --help``."""
    from rich.console import Console

    return Console(stderr=err, highlight=False, soft_wrap=True)


def _echo_json(document: object) -> None:
    import json

    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _warn(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
    for d in diagnostics:
        click.echo(str(d), err=True)


class _Bar:
    """``bar(done, total)`` updates a rich progress bar; ``bar.describe(text)`` relabels it.
    The bar appears only once there is something to show: a count of work (``total`` > 0:
    a warm cache reports 0 of 0 and shows nothing) or a label given with ``show``."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task
        self.shown = False

    def _show(self) -> None:
        if not self.shown:
            self._progress.start()
            self.shown = True

    def __call__(self, done: int, total: int) -> None:
        if total <= 0 and not self.shown:
            return
        self._show()
        self._progress.update(self._task, completed=done, total=total)
        self._progress.refresh()

    def describe(self, text: str, *, show: bool = True) -> None:
        self._progress.update(self._task, description=text, completed=0, total=None)
        if show:
            self._show()
        if self.shown:
            self._progress.refresh()


@contextmanager
def _progress(description: str, *, quiet: bool = False) -> Iterator[_Bar]:
    """A rich progress bar on stderr (only on a terminal); yields a :class:`_Bar`."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_console(err=True),
        transient=True,
        disable=quiet or not _console(err=True).is_terminal,
        auto_refresh=False,  # no refresh thread: speech workers may be forked meanwhile
    )
    task = bar.add_task(description, total=None)
    shown = _Bar(bar, task)
    try:
        yield shown
    finally:
        if shown.shown:
            bar.stop()


# ---- shared options -------------------------------------------------------------------


def _cache_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where synthesized speech is kept (default: $VOICEGUIDE_CACHE_DIR, ./audio_cache "
        "in a checkout, else the user cache directory).",
    )(f)


def _pacing_options(*, lead_in: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The pacing options (see :mod:`voiceguide.cli.options`) and --cache-dir."""
    from .options import pacing_options

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        return _cache_option(pacing_options(lead_in=lead_in)(f))

    return decorate


class _Loudness(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    name = "LUFS|off"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float) or value == "off":
            return value
        try:
            lufs = float(value) if str(value).isascii() else math.nan
        except ValueError:
            lufs = math.nan
        if not math.isfinite(lufs):
            self.fail(f"{shown(value)} is not a loudness in LUFS (e.g. -16) or 'off'", param, ctx)
        if not -40 <= lufs <= -5:
            self.fail(f"{lufs:g} LUFS is outside -40 to -5", param, ctx)
        return lufs


def _mix_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--background, --background-db, --duck-db, --loudness, --voice-volume, --chime-volume,
    --bell → one ``mix`` argument (its ``sound`` also goes to synthesis: clips are levelled
    as they enter the cache)."""
    import functools

    from .options import FiniteFloatRange

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..audio.mix import Mix, check_background

        background = kwargs.pop("background")
        sound = _sound(kwargs)
        if background is not None:
            check_background(background)
        # with a bed, the mixed session is measured and brought to the target as a whole
        mix = Mix(background, kwargs.pop("background_db"), kwargs.pop("duck_db"),
                  sound.loudness_lufs if background is not None else None, sound=sound)
        return f(*args, mix=mix, **kwargs)

    options = [
        click.option("--background", metavar="FILE|brown-noise",
                     help="Mix a bed under the voice: a sound file (looped or cut to the "
                     "session) or generated brown noise."),
        click.option("--background-db", type=FiniteFloatRange(-60, 0), default=-20.0,
                     show_default=True, metavar="DB", help="The bed's level against its own."),
        click.option("--duck-db", type=FiniteFloatRange(-60, 0), default=-12.0,
                     show_default=True, metavar="DB",
                     help="How much lower the bed is while the voice speaks (smooth ramps)."),
        *_SOUND_OPTIONS,
    ]
    decorated: Callable[..., Any] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def _sound(kwargs: dict[str, Any]) -> Sound:
    """The ``Sound`` of --loudness, --voice-volume, --chime-volume and --bell (popped)."""
    from ..audio.sound import Sound

    return Sound(_loudness_target(kwargs.pop("loudness")), kwargs.pop("voice_volume"),
                 kwargs.pop("chime_volume"), kwargs.pop("bell"))


def _loudness_target(loudness: float | str) -> float | None:
    """--loudness as a target in LUFS; None for 'off' (the engine's own level)."""
    return None if loudness == "off" else float(loudness)


def _sound_options() -> list[Callable[..., Any]]:
    from ..audio.sound import BELLS, VOLUME_RANGE_DB
    from .options import FiniteFloatRange

    return [
        click.option("--loudness", type=_Loudness(), default=-16.0, show_default=True,
                     help="Level every clip (speech, chime) to this loudness in LUFS, so the "
                     "session lands on it with true peaks at or under -1 dBTP; 'off': as the "
                     "speech engine made it."),
        click.option("--voice-volume", type=FiniteFloatRange(*VOLUME_RANGE_DB), default=0.0,
                     show_default=True, metavar="DB", help="The voice, quieter by this much."),
        click.option("--chime-volume", type=FiniteFloatRange(*VOLUME_RANGE_DB), default=0.0,
                     show_default=True, metavar="DB",
                     help="The chime, quieter by this much (it sits 4 dB under the voice)."),
        click.option("--bell", type=click.Choice(BELLS), default="bell", show_default=True,
                     help="The sound that ends a hold: a small bell, a singing bowl, a wood "
                     "block, or none."),
    ]


_SOUND_OPTIONS = _sound_options()


def _finish_mix(session: Session, clips: ClipSource, mix: Mix, quiet: bool) -> Mix:
    """``mix`` with its loudness gain measured on this session (a full render, once)."""
    from ..service import Prepared, finish_loudness

    loudness = finish_loudness(Prepared(session, clips), mix).loudness
    if loudness is None:
        return mix
    if not quiet:
        click.echo(f"loudness {loudness.before_lufs:.1f} LUFS → ≈{loudness.after_lufs:.1f} LUFS "
                   f"(gain {loudness.mix.gain_db:+.1f} dB)", err=True)
    return loudness.mix


def _open_cache(cache_dir: Path | None) -> ClipCache:
    from ..service import open_cache

    return open_cache(cache_dir)


def _order(routine: str, cache_dir: Path | None, layers: tuple[Layer, ...],
           sound: Sound | None = None) -> Order:
    """The service's order for ``routine`` (a file, a bundled name or ``-``)."""
    from ..audio.sound import Sound
    from ..service import Order

    return Order(resolve_routine(routine), layers, sound or Sound(), cache_dir)


def _prepare(
    routine: str, cache_dir: Path | None, layers: tuple[Layer, ...], quiet: bool,
    bar: _Bar | None = None, sound: Sound | None = None,
) -> tuple[Session, ClipSource]:
    """Resolve, load, synthesize and compile a routine, with a progress bar for speech
    (``bar``, relabelled, when the caller already shows one); ``sound``: how clips are
    levelled (default: :class:`~voiceguide.audio.sound.Sound`'s)."""
    from ..service import prepare

    order = _order(routine, cache_dir, layers, sound)
    if bar is not None:
        bar.describe(f"Synthesizing speech for {order.routine.name}", show=False)  # shown if any
        prepared = prepare(order, bar)
    else:
        with _progress("Synthesizing speech", quiet=quiet) as update:
            prepared = prepare(order, update)
    return prepared.session, prepared.clips


# ---- the command group ----------------------------------------------------------------

_verbose: list[bool] = [False]  # set by -v/--verbose, read when an unexpected error is reported


def _set_verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _verbose[0] = True


def _verbose_option() -> click.Option:
    return click.Option(["-v", "--verbose"], is_flag=True, expose_value=False, is_eager=True,
                        callback=_set_verbose,
                        help="On an unexpected error, print the details (a traceback) to report.")


def _format_sections(command: click.Command, ctx: click.Context,
                     formatter: click.HelpFormatter) -> None:
    """Options under "Options", except those that name a ``help_section`` (the pacing
    options: see :mod:`voiceguide.cli.options`), each listed under that heading."""
    sections: dict[str, list[tuple[str, str]]] = {"Options": []}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None and not isinstance(param, click.Argument):
            sections.setdefault(getattr(param, "help_section", "Options"), []).append(record)
    for heading, records in sections.items():
        if records:
            with formatter.section(heading):
                formatter.write_dl(records)


class _Command(click.Command):
    """A command whose pacing options have their own heading in --help."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _format_sections(self, ctx, formatter)


class _Group(click.Group):
    """The command group: -v/--verbose on every command, pacing options under their own
    heading, and each command's summary whole (click cuts them with "...")."""

    command_class = _Command
    group_class = type  # subgroups are _Group too

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if type(cmd) is click.Command:  # made with click.command elsewhere (quick.py…)
            cmd.__class__ = _Command
        if not any(p.name == "verbose" for p in cmd.params):
            cmd.params.append(_verbose_option())
        super().add_command(cmd, name)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _format_sections(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

EPILOG = """\b
Examples:
  voiceguide list
  voiceguide show lower-back-massage
  voiceguide export lower-back-massage -o lower-back.mp3
  voiceguide validate my-routine.yaml
"""


@click.group(cls=_Group, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="voiceguide", prog_name="voiceguide")  # read when asked
@click.option("-v", "--verbose", is_flag=True, expose_value=False, is_eager=True,
              callback=_set_verbose,
              help="On an unexpected error, print the details (a traceback) to report; "
              "also after the command (voiceguide play … -v).")
def cli() -> None:
    """Turn routine scripts into spoken, exactly timed guided sessions.

    ROUTINE arguments are a path to a .yaml file or the name of a bundled routine
    (see `voiceguide list`).
    """


@cli.command(
    epilog="\b\nExamples:\n  voiceguide validate scripts/*.yaml\n  voiceguide validate my.yaml --json\n"
    "  voiceguide validate lower-back-stretch --preset brisk   # timing lint at that pacing"
)
@click.argument("routines", nargs=-1, required=True, metavar="ROUTINE...")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--no-speech", is_flag=True,
              help="Check the file only: skip the timing lint, which measures speech.")
@_pacing_options()
def validate(routines: tuple[str, ...], as_json: bool, no_speech: bool, cache_dir: Path | None,
             layers: tuple[Layer, ...]) -> int:
    """Check routine scripts: every problem is reported as file:line:col.

    Then, at the chosen pacing, measure the speech (synthesizing into the cache) and
    warn where a cue outlasts its breath phase or hold, or runs into the countdown.
    Exit 0 when all are valid (warnings allowed), 2 when any is invalid.
    """
    from ..errors import EngineUnavailable
    from ..routine.loader import load_routine

    results = []
    worst = 0
    for arg in routines:
        try:
            path = resolve_routine(arg)
            routine, warnings = load_routine(path)
            timing = "skipped (--no-speech)" if no_speech else "checked"
            if not no_speech:
                try:
                    warnings = _prepare(arg, cache_dir, layers, quiet=True)[0].warnings
                except EngineUnavailable as exc:
                    timing = f"not checked: {exc.message}"
            results.append(
                {
                    "routine": arg,
                    "path": str(path),
                    "valid": True,
                    "title": routine.title,
                    "timing": timing,
                    "problems": [_diag(d) for d in warnings],
                }
            )
            if not as_json:
                _warn(warnings)
                note = "" if timing == "checked" else f"; timing {timing}"
                click.echo(f"ok: {path} ({routine.title}{note})")
        except RoutineError as exc:
            worst = EXIT_USAGE
            results.append(
                {"routine": arg, "valid": False, "problems": [_diag(d) for d in exc.diagnostics]}
            )
            if not as_json:
                _warn(exc.diagnostics)
        except UsageError as exc:
            worst = EXIT_USAGE
            results.append(
                {
                    "routine": arg,
                    "valid": False,
                    "problems": [{"message": exc.message, "severity": "error"}],
                }
            )
            if not as_json:
                _error(exc.message, exc.hint)
    if as_json:
        _echo_json(results)
    return worst


def _diag(d: Diagnostic) -> dict[str, str | int]:
    """``{"path", "line", "column", "severity", "message"}``."""
    from dataclasses import asdict

    return {**asdict(d.position), "severity": d.severity, "message": d.message}


@cli.command(
    epilog="\b\nExamples:\n  voiceguide show lower-back-stretch\n"
    "  voiceguide show box-breathing --json | jq .duration_ms\n"
    "  voiceguide show lower-back-massage --measure\n"
    "\b\nSpeech not yet in the cache is not synthesized: its length is estimated from the\n"
    "text, and the times that depend on it are marked ≈ (\"estimated\": true in JSON).\n"
    "--measure synthesizes it first, as play and export do."
)
@click.argument("routine")
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON (times in ms).")
@click.option("--measure", is_flag=True,
              help="Synthesize missing speech into the cache first, so every time is measured.")
@_pacing_options()
def show(routine: str, as_json: bool, measure: bool, cache_dir: Path | None,
         layers: tuple[Layer, ...]) -> int:
    """Print the timed script: every sound, hold, rest and breath with its start time.

    At once: speech in the cache is measured, the rest estimated (marked ≈).
    """
    if measure:
        session, _ = _prepare(routine, cache_dir, layers, quiet=as_json)
        shown_session = _Shown(session, frozenset(), None)
    else:
        from ..preview import preview

        found = preview(resolve_routine(routine), _open_cache(cache_dir), layers=layers)
        shown_session = _Shown(found.session, found.estimated, found.exact_until_ms)
    _warn(shown_session.session.warnings)
    if as_json:
        from ..export.document import timeline_document

        _echo_json({**timeline_document(shown_session.session),
                    **_estimate_fields(shown_session)})
        return 0
    _print_script(shown_session)
    return 0


@dataclass(frozen=True)
class _Shown:
    """What ``show`` prints: a session, the texts whose length is estimated, and the time
    (ms) up to which every time is exact (None: all measured)."""

    session: Session
    estimated: frozenset[str]
    exact_until_ms: int | None

    def mark(self, ms: int) -> str:
        """``≈`` before a time that depends on an estimate, else a space."""
        return "≈" if self.exact_until_ms is not None and ms > self.exact_until_ms else " "


def _estimate_fields(shown_session: _Shown) -> dict[str, object]:
    """``show --json``'s marks: ``estimated`` (the total and the times after
    ``exact_until_ms`` are estimates), ``exact_until_ms``, and the estimated texts."""
    return {"estimated": bool(shown_session.estimated),
            "exact_until_ms": shown_session.exact_until_ms,
            "estimated_texts": sorted(shown_session.estimated)}


def _print_script(shown_session: _Shown) -> None:
    session = shown_session.session
    timeline = session.timeline
    routine = session.routine
    total = format_ms(timeline.duration_ms)
    _console().print(
        f"[bold]{routine.title}[/bold]  ({'≈' if shown_session.estimated else ''}{total}, "
        f"{len(timeline.chapters)} chapters, {session.pacing.rate_wpm} wpm, "
        f"preset {session.pacing.preset})"
    )
    if routine.description:
        _console().print(routine.description)
    if routine.safety:
        _console().print("[bold]Safety[/bold]")
        for item in routine.safety:
            _console().print(f"  • {item}")
    rows: list[tuple[int, int, str]] = []  # (start, order, text)
    for number, c in enumerate(timeline.chapters, 1):  # numbered as play --from N counts
        rows.append((c.start_ms, 0, f"[bold cyan]── {number}. {c.title}[/bold cyan]  "
                     f"({format_seconds(c.end_ms - c.start_ms)})"))
    for p in timeline.phases:
        label = f"{p.detail.replace('_', ' ')} (cycle {p.cycle})" if p.kind == "breath" else p.kind
        label += " ∿ tone" if p.tone and p.detail in ("inhale", "exhale") else ""
        rows.append((p.start_ms, 1, f"[dim]{label} {format_seconds(p.end_ms - p.start_ms)}[/dim]"))
    for e in timeline.events:
        text = "[magenta]♪ chime[/magenta]" if e.kind == "chime" else f"“{e.text}”"
        rows.append((e.start_ms, 2, text))
    for start, _, text in sorted(rows, key=lambda r: (r[0], r[1])):
        _console().print(f"{shown_session.mark(start)}{format_ms(start, precise=True):>9}  {text}")
    end = timeline.duration_ms
    _console().print(f"{shown_session.mark(end)}{format_ms(end, precise=True):>9}  end")
    if shown_session.estimated:
        _console().print(f"≈ estimated: {len(shown_session.estimated)} texts are not in the speech "
                         "cache yet (--measure, `synthesize` or `play` measures them)")


@cli.command(epilog="\b\nExample:\n  voiceguide synthesize lower-back-massage --rate 140")
@click.argument("routine")
@_pacing_options()
@_SOUND_OPTIONS[0]
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def synthesize(routine: str, cache_dir: Path | None, layers: tuple[Layer, ...], loudness: float | str,
               quiet: bool) -> int:
    """Synthesize every utterance of a routine into the speech cache, ahead of time, so
    play and export start at once (also offline). `render` is the old name of this command."""
    from ..audio.sound import Sound

    sound = Sound(_loudness_target(loudness))
    session, clips = _prepare(routine, cache_dir, layers, quiet, sound=sound)
    _warn(session.warnings)
    if not quiet:
        texts = session.timeline.speech_texts()
        click.echo(
            f"{session.routine.title}: {len(texts)} utterances cached in "
            f"{clips.cache.directory}; session {format_ms(session.timeline.duration_ms)}"
        )
    return 0


# the command's first name, kept so scripts that use it go on working
cli.add_command(click.Command("render", callback=synthesize.callback, params=synthesize.params,
                              help=synthesize.help, hidden=True))


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


@cli.command(epilog=EXPORT_EPILOG)
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
@click.option("--subtitles", type=click.Choice(SUBTITLE_FORMATS),
              help="Also write subtitles: every spoken cue with its exact times.")
@click.option("--chapters-file", type=click.Choice(CHAPTER_FILE_FORMATS),
              help="Also write the chapters: Podcasting 2.0 JSON or a CUE sheet.")
@click.option("--split", is_flag=True,
              help="One file per chapter (numbered) plus an M3U playlist, instead of one file.")
@click.option("--bundle", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write a directory: the audio, subtitles, chapters (JSON and CUE), an M3U "
              "playlist and routine.json.")
@click.option("--no-clobber", "-n", is_flag=True,
              help="Never replace an existing file: report it and fail (exit 1) instead.")
@click.option("--sample-rate", type=click.Choice([str(r) for r in SAMPLE_RATES]), metavar="HZ",
              help="Write the audio at this rate (Hz): " + ", ".join(map(str, SAMPLE_RATES))
              + ". Default: the speech engine's (22050). Opus is always 48000.")
@_mix_options
@_pacing_options()
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

    from ..atomic import check_target
    from ..export.encode import format_for

    if sample_rate is not None:
        mix = replace(mix, output_rate=int(sample_rate))
    if (output is None) == (bundle is None):
        raise UsageError("give either -o FILE (or -o DIR/) or --bundle DIR")
    if split and (bundle is not None or subtitles or chapters_file):
        raise UsageError("--split writes chapter files and a playlist; it does not combine "
                         "with --bundle, --subtitles or --chapters-file")
    if routines.count("-") > 1:
        raise UsageError("- (standard input) can be given only once")
    if output == "-":
        if len(routines) > 1 or split or subtitles or chapters_file or as_json:
            raise UsageError("-o - writes one routine's audio to standard output; it does not "
                             "combine with several routines, --split, --subtitles, "
                             "--chapters-file or --json")
        return _export_to_stdout(routines[0], fmt or "wav", cache_dir, layers, mix, quiet)
    many = len(routines) > 1
    out = Path(output) if output is not None else None
    into_directory = bundle is not None or many or (
        output is not None and (output.endswith(("/", os.sep)) or os.path.isdir(output))
    )
    if out is not None and not into_directory:
        format_for(out, fmt)  # refuse an unknown format before any work
        check_target(out, clobber=not no_clobber)  # and a name too long, a device, …
    results: list[dict[str, object]] = []
    taken: set[str] = set()
    names = [None if r == "-" else _unique_name(resolve_routine_name(r), taken) for r in routines]
    worst = 0
    with _progress("Exporting", quiet=quiet or as_json) as update:
        for number, (routine, name) in enumerate(zip(routines, names, strict=True), 1):
            label = f"[{number}/{len(routines)}] " if many else ""
            place = _Place(out, bundle, fmt, into_directory, many, not no_clobber)
            try:
                written, session = _export_one(
                    routine, name, taken, place, subtitles, chapters_file, split, cache_dir,
                    layers, mix, update, label, quiet or as_json)
            except VoiceguideError as exc:
                worst = worst or exc.exit_code
                _report_failure(routine, exc, many)
                results.append({"routine": routine, "ok": False, "error": exc.format()})
                continue
            results.append(_export_summary(routine, session, written))
            if not (quiet or as_json):
                click.echo(_summary_line(session, written))
    if as_json:
        _echo_json(results if many else results[0])
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
    routine: str, name: str | None, taken: set[str], place: _Place,
    subtitles: SubtitleFormat | None, chapters_file: ChapterFileFormat | None, split: bool,
    cache_dir: Path | None, layers: tuple[Layer, ...], mix: Mix, bar: _Bar, label: str, quiet: bool,
) -> tuple[list[Written], Session]:
    from ..atomic import check_target
    from ..export.outputs import safe_name
    from ..service import Prepared, write_audio, write_bundle, write_split

    fmt = place.fmt
    if name is not None and place.output is not None and place.into_directory and not split:
        check_target(place.output / f"{name}.{fmt or 'mp3'}", clobber=place.clobber)
    session, clips = _prepare(routine, cache_dir, layers, quiet=False, bar=bar, sound=mix.sound)
    _warn(session.warnings)
    if name is None:  # standard input: named after the routine's title
        name = _unique_name(safe_name(session.routine.title, fallback="session"), taken)
    bar.describe(f"{label}Measuring loudness of {name}")
    mix = _finish_mix(session, clips, mix, quiet)
    bar.describe(f"{label}Writing {name}")
    prepared = Prepared(session, clips)
    if place.bundle is not None:
        directory = place.bundle / name if place.many else place.bundle
        return write_bundle(prepared, directory, name, fmt or "mp3", mix, bar, place.clobber), session
    assert place.output is not None
    target = place.output / f"{name}.{fmt or 'mp3'}" if place.into_directory else place.output
    if split:
        return write_split(prepared, target, fmt, mix, bar, place.clobber), session
    return write_audio(prepared, target, fmt, mix, subtitles=subtitles, chapters_file=chapters_file,
                       progress=bar, clobber=place.clobber), session


def _export_to_stdout(routine: str, fmt: str, cache_dir: Path | None, layers: tuple[Layer, ...],
                      mix: Mix, quiet: bool) -> int:
    """``export ROUTINE -o -``: the audio on standard output. Everything else that would
    go to standard output (messages, a library's chatter) goes to standard error."""
    from ..export.encode import export_stream
    from ..export.formats import STREAM_FORMATS
    from ..export.outputs import final_pcm, metadata_for

    if fmt not in STREAM_FORMATS:
        raise UsageError(f"{fmt} cannot be written to standard output (it needs a seekable "
                         f"file); use --format {' / '.join(STREAM_FORMATS)}, or -o FILE.{fmt}")
    if sys.stdout.isatty():
        raise UsageError("-o - would write audio to the terminal; redirect it (> file.wav) "
                         "or pipe it to a player")
    sys.stdout.flush()
    audio = os.dup(1)
    os.dup2(2, 1)
    try:
        with _progress("Exporting", quiet=quiet) as bar:
            bar.describe("Starting", show=False)
            streamed = _stream(_order(routine, cache_dir, layers, mix.sound), quiet=True,
                               need_all=mix.background is not None)
            session = streamed.session()
            _warn(session.warnings if streamed.complete else streamed.plan.load_warnings)
            warned_late = streamed.complete
            if streamed.complete:
                mix = _finish_mix(session, streamed.clips, mix, quiet)
                total: int | None = session.n_samples
                chunks = final_pcm(session, streamed.clips, mix)
            else:  # the audio flows as its speech is made: its length is not known yet
                total, chunks = None, streamed.pcm(mix)
            bar.describe("Writing to standard output")
            with streamed:
                export_stream(chunks, total, session.sample_rate, audio, fmt,
                              output_rate=mix.output_rate, metadata=metadata_for(session),
                              progress=(lambda done: bar(done, total)) if total else None)
            session = streamed.session()
    finally:
        sys.stdout.flush()
        os.dup2(audio, 1)
        os.close(audio)
    if not warned_late:
        _warn(session.timeline.warnings)
    if not quiet:
        click.echo(f"wrote {fmt} to standard output "
                   f"({format_ms(session.timeline.duration_ms)}, no chapters)", err=True)
    return 0


def _report_failure(routine: str, exc: VoiceguideError, many: bool) -> None:
    if isinstance(exc, RoutineError):
        _warn(exc.diagnostics)
    else:
        _error(f"{routine + ': ' if many else ''}{exc.format()}", exc.hint)


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
    sidecars = "".join(f"\n  + {w.path}" + (" (replaced)" if w.replaced else "")
                       for w in written if w.kind != "audio")
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
        "files": [{"path": str(w.path), "kind": w.kind, "replaced": w.replaced}
                  for w in written],
    }
    return summary


@cli.command(
    name="pacing",
    epilog="\b\nExamples:\n  voiceguide pacing lower-back-stretch --preset gentle\n"
    "  voiceguide pacing box-breathing --duration 6m --json\n"
    "  voiceguide pacing my.yaml --pacing slow-days.yaml --rate 140",
)
@click.argument("routine")
@_pacing_options(lead_in=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (values and sources).")
def pacing_command(
    routine: str, cache_dir: Path | None, layers: tuple[Layer, ...], as_json: bool
) -> int:
    """Print the effective pacing and where each value came from.

    Precedence, highest first: command line, --pacing file, the user's pacing file,
    the routine's pacing: block (then its voice: block), the preset. With --duration
    the speech is measured first, so the fitted scales shown are the ones used.
    """
    from dataclasses import asdict

    from ..timing.pacing import DESCRIBED_FIELDS, describe

    session, _ = _prepare(routine, cache_dir, layers, quiet=as_json)
    pacing, sources = session.pacing, session.pacing_sources
    rows = [(name, value, sources[DESCRIBED_FIELDS[name]]) for name, value in describe(pacing)]
    if as_json:
        values = asdict(pacing)
        values["breath"] = pacing.breath.label() if pacing.breath else None
        _echo_json(
            {
                "routine": str(resolve_routine(routine)),
                "duration_ms": session.timeline.duration_ms,
                "pacing": values,
                "sources": dict(sources),
            }
        )
        return 0
    _warn(session.warnings)
    _console().print(f"[bold]{session.routine.title}[/bold]: {format_ms(session.timeline.duration_ms)}")
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        _console().print(f"  {name:<{width}}  {value:<28} [dim]{source}[/dim]")
    return 0


PLAY_EPILOG = """\b
Examples:
  voiceguide play lower-back-stretch
  voiceguide play lower-back-massage --from "Trigger point" --rate 140
  voiceguide play box-breathing --lead-in 0 --quiet
  voiceguide play lower-back-stretch --big
  voiceguide play --resume

\b
Keys (on a terminal): space pause/resume, n next step,
p restart the step (twice quickly: the previous step), q quit.
Ctrl-C stops at once and prints how to resume. Every session is
recorded (`voiceguide history`); --resume carries on the last
stopped one at the step it stopped, with its options.
"""


@cli.command(epilog=PLAY_EPILOG)
@click.argument("routine", required=False)
@click.option("--from", "from_step", metavar="STEP", type=NonEmptyText(),
              help="Start at this step: its name or the start of it (\"trigger\"), a chapter title "
              "such as \"Knee to chest — right\", or its number in `voiceguide show`.")
@click.option("--resume", is_flag=True,
              help="Carry on the last stopped session (of ROUTINE, if given) at the step it "
              "stopped, with the options it had (see `voiceguide history`).")
@_mix_options
@_pacing_options(lead_in=True)
@click.option("--big", is_flag=True,
              help="Big block letters for the step and the seconds left, to read from the floor.")
@click.option("--quiet", "-q", is_flag=True, help="Show nothing; just play.")
def play(routine: str | None, from_step: str | None, resume: bool, cache_dir: Path | None,
         layers: tuple[Layer, ...], mix: Mix, big: bool, quiet: bool) -> int:
    """Play a routine hands-free, start to finish: the same audio `export` writes.

    A live display shows the step, the sentence being spoken, a bar for the current
    hold or breath with the seconds left, what comes next, and the time elapsed and
    remaining; --big draws the step and the seconds in block letters.
    """
    from ..pcm.clip import ms_to_samples
    from ..play.keys import KeyReader
    from ..play.player import Player, find_chapter
    from ..play.sink import SimpleaudioSink
    from ..session import lead_in_clip

    if resume:
        return _resume(routine, from_step, big, quiet)
    if routine is None:
        raise UsageError("play needs a ROUTINE (a .yaml file or a bundled name), or --resume")
    streamed = _stream(_order(routine, cache_dir, layers, mix.sound), quiet,
                       need_all=bool(from_step) or mix.background is not None)
    planned = streamed.plan
    _warn(planned.load_warnings if not streamed.complete else streamed.session().warnings)
    start = 0
    if from_step:  # (the whole timeline is known: see _stream)
        chapter = streamed.timeline.chapters[find_chapter(streamed.timeline, from_step)]
        start = ms_to_samples(chapter.start_ms, planned.engine.sample_rate)
    clips = streamed.clips
    lead_in = planned.pacing.lead_in_s
    lead = (lead_in_clip(lead_in, planned.pacing, planned.voice, planned.engine.sample_rate, clips)
            if lead_in else None)
    if streamed.complete:
        mix = _finish_mix(streamed.session(), clips, mix, quiet)
    warned_late = streamed.complete
    player = Player(streamed, clips, planned.engine.sample_rate, SimpleaudioSink(), mix=mix)
    title = planned.routine.title
    started = datetime.now(UTC)
    live = _first_display(player, title, start, quiet, big)  # before the sound
    try:
        with KeyReader() as keys:
            player.start(start, lead)
            finished = _play_loop(player, keys, title, quiet, big, live)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (errors.Stopped)
        player.stop()
        streamed.close()
        word, code = interruption(exc)
        _resume_hint(routine, player, word)
        _record_play(routine, streamed.session(), player, started, completed=False)
        return code
    finally:
        player.stop()
        streamed.close()
        if live is not None:
            live.stop()
    session = streamed.session()
    if not warned_late:  # the timeline's warnings, known once all its speech was measured
        _warn(session.timeline.warnings)
    _record_play(routine, session, player, started, completed=finished)
    if finished:
        if not quiet:
            click.echo(f"Session complete ({format_ms(session.timeline.duration_ms)}). Well done.")
        return 0
    _resume_hint(routine, player, "stopped")
    return 0


def _stream(order: Order, quiet: bool, need_all: bool) -> GrowingSession:
    """The session of ``order``, playable as soon as its first sound is made (its speech
    is synthesized ahead of the playhead, in timeline order). ``need_all`` (``--from``
    picks a chapter, a bed's loudness is measured on the whole session), or a
    ``--duration`` to fit: every length first, with a progress bar."""
    from ..service import plan
    from ..session import GrowingSession, finish

    planned = plan(order)
    if planned.pacing.duration_ms is not None:
        with _progress("Synthesizing speech", quiet=quiet) as update:
            session, clips = finish(planned, update)
        return GrowingSession.finished(planned, session, clips)
    growing = GrowingSession(planned)
    if need_all and not growing.complete:
        total = len(planned.texts)
        with _progress("Synthesizing speech", quiet=quiet) as update:
            while not growing.complete:
                update(len(growing.clips.lengths), total)
                growing.advance(None)
            update(total, total)
    return growing


def _resume_hint(routine: str, player: Player, what: str) -> None:
    from ..play.player import chapter_at

    index = chapter_at(player.timeline, max(player.last_position, 0), player.rate)
    title = player.timeline.chapters[index].title
    from .invocation import command_name, shell_word

    play = f"{command_name()} play"
    click.echo(f"{what} in \"{title}\". To resume: {play} {shell_word(routine)} "
               f"--from {shell_word(title, quote=True)}", err=True)
    click.echo(f"(or: {play} --resume)", err=True)


#: play's parameters that are not replayed by --resume
_NOT_REPLAYED = frozenset({"routine", "from_step", "resume", "big", "quiet"})


def _record_play(routine: str, session: Session, player: Player, started: datetime,
                 completed: bool) -> None:
    """Add the session to the history; a database that fails is a one-line warning."""
    from ..play.history import HistoryError, PlayRecord, pacing_summary, save
    from ..play.player import chapter_at
    from .replay import given_arguments, routine_key

    timeline = session.timeline
    here = max(player.last_position, 0)
    index = len(timeline.chapters) - 1 if completed else chapter_at(timeline, here, player.rate)
    record = PlayRecord(
        routine=routine_key(routine), title=session.routine.title,
        arguments=tuple(given_arguments(click.get_current_context(), _NOT_REPLAYED)),
        pacing=pacing_summary(session.pacing), started=started, duration_ms=timeline.duration_ms,
        stopped_ms=timeline.duration_ms if completed
        else min(here * 1000 // player.rate, timeline.duration_ms),
        step_index=max(index, 0), step_title=timeline.chapters[index].title if timeline.chapters else "",
        completed=completed)
    try:
        save(record)
    except HistoryError as exc:
        click.echo(f"voiceguide: warning: not kept in the history: {exc.message}", err=True)


def _resume(routine: str | None, from_step: str | None, big: bool, quiet: bool) -> int:
    """``play --resume``: play the last stopped session again from the step it stopped."""
    from ..play.history import load, to_resume
    from .replay import given_arguments, routine_key

    ctx = click.get_current_context()
    if from_step:
        raise UsageError("--resume carries on at the step the session stopped; leave out --from")
    extra = given_arguments(ctx, _NOT_REPLAYED)
    if extra:
        raise UsageError(f"--resume replays the stopped session's own options; leave out {extra[0]}")
    record = to_resume(load(), routine_key(routine) if routine else None)
    if record is None:
        which = f" of {routine}" if routine else ""
        raise UsageError(f"nothing to resume: no stopped session{which} in `voiceguide history` "
                         "that was not played again since")
    if record.routine == "-":
        raise UsageError("the last stopped session read its routine from standard input; "
                         "it cannot be played again from here")
    when = record.started.astimezone().strftime("%Y-%m-%d %H:%M")
    if not quiet:
        click.echo(f'Resuming {record.title} at step {record.step_index + 1}, "{record.step_title}" '
                   f"(stopped {when})", err=True)
    arguments = [*record.arguments, "--from", str(record.step_index + 1),
                 *(["--big"] if big else []), *(["--quiet"] if quiet else []), "--", record.routine]
    assert ctx.command.name is not None and isinstance(ctx.command, click.Command)
    with ctx.command.make_context(ctx.command.name, arguments, parent=ctx.parent) as again:
        return int(ctx.command.invoke(again) or 0)


def _first_display(player: Player, title: str, start: int, quiet: bool, big: bool) -> Live | None:
    """The live display on a terminal, started now with the step ``start`` (a session
    sample) leads into: it shows before the first sound, not after."""
    if quiet or not _console().is_terminal:
        return None
    from rich.live import Live

    from ..play.display import panel
    from ..play.player import Status, chapter_at

    timeline = player.timeline
    first = timeline.chapters[chapter_at(timeline, start, player.rate)] if timeline.chapters else None
    status = Status(0, timeline.duration_ms, False, None, first, None, 0)
    live = Live(console=_console(), auto_refresh=False, transient=False)
    live.start()
    live.update(panel(title, status, len(timeline.chapters), False, big=big),
                refresh=True)
    return live


def _play_loop(player: Player, keys: KeyReader, title: str, quiet: bool, big: bool = False,
               live: Live | None = None) -> bool:
    """Run until the end (True) or q (False), keeping the display (``live``, when on a
    terminal) current; without a terminal, one line per step."""
    from ..play.display import panel, plain_line

    total = len(player.timeline.chapters)
    last_chapter = -1
    try:
        while True:
            player.tick()  # speech made since: written, and the next stream started on time
            key = keys.read(0.1) if keys.interactive else None
            if not keys.interactive:
                time.sleep(0.1)
            if key == " ":
                player.toggle_pause()
            elif key in ("n", "N"):
                player.next_step()
            elif key in ("p", "P"):
                player.previous_step()
            elif key in ("q", "Q"):
                return False
            if player.finished():
                return True
            status = player.status()
            if live is not None:
                live.update(panel(title, status, total, keys.interactive, big=big), refresh=True)
            elif not quiet and status.chapter_number != last_chapter:
                last_chapter = status.chapter_number
                click.echo(plain_line(status))
                sys.stdout.flush()
    finally:
        if live is not None:
            live.stop()


HISTORY_EPILOG = """\b
Examples:
  voiceguide history
  voiceguide history --json --limit 100
  voiceguide play --resume
\b
The weekly streak counts consecutive ISO weeks (Monday to Sunday) with at
least one completed session, up to this week (a week with nothing yet still
counts last week's). Kept in history.sqlite3 in the user data folder, or
$VOICEGUIDE_DATA_DIR.
"""


@cli.command(name="history", epilog=HISTORY_EPILOG)
@click.option("--limit", type=AsciiIntRange(1), default=20, show_default=True, metavar="N",
              help="Show the N newest sessions.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def history_command(limit: int, as_json: bool) -> int:
    """List the sessions played and your weekly streak.

    Each finished or stopped `play` is recorded: where it stopped, and the options that
    `play --resume` replays."""
    from dataclasses import asdict

    from ..play.history import history_file, load, to_resume, weekly_streak

    records = load()
    streak = weekly_streak(records, date.today())
    resumable = to_resume(records)
    if as_json:
        rows = [asdict(r) | {"started": r.started.isoformat(), "arguments": list(r.arguments)}
                for r in records[:limit]]
        _echo_json({"database": str(history_file()), "weekly_streak": streak,
                    "resume": resumable.id if resumable else None, "sessions": rows})
        return 0
    if not records:
        click.echo("No sessions yet: each `voiceguide play` is recorded here.")
    for r in records[:limit]:
        when = r.started.astimezone().strftime("%Y-%m-%d %H:%M")
        how = "completed" if r.completed else (
            f'stopped at step {r.step_index + 1}, "{r.step_title}" '
            f"({format_ms(r.stopped_ms)} of {format_ms(r.duration_ms)})")
        options = " ".join(r.arguments)
        click.echo(f"{when}  {r.title}: {how}  [{r.pacing}{'; ' if options else ''}{options}]")
    click.echo(f"Weekly streak: {streak} week{'' if streak == 1 else 's'}")
    if resumable is not None:
        click.echo(f'To carry on {resumable.title} at "{resumable.step_title}": voiceguide play --resume')
    return 0


LIST_EPILOG = """\b
Examples:
  voiceguide list
  voiceguide list --tag back --equipment none
  voiceguide list --max 10m --sort length --preset gentle
  voiceguide list --json --lengths
  voiceguide list --markdown          # the README's table (lengths at each preset)
\b
Lengths are shown when asked for (--preset, --max, --sort length, --lengths,
--markdown), at once: speech in the cache is measured, the rest estimated from the
text and marked ≈ ("estimated": true in JSON); nothing is synthesized. --lengths and
--markdown measure every length instead (missing speech is synthesized into the
cache once, as `show --measure` does). Measured lengths are kept in the list's index.
Otherwise each routine shows its stated length at the standard preset, and a routine
of yours (`voiceguide new`) that states none shows its length at its pacing.
"""


@cli.command(name="list", epilog=LIST_EPILOG)
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="Only routines with this tag (repeat: all must match).")
@click.option("--equipment", "have", multiple=True, metavar="ITEM|none",
              help="What you have: only routines that need nothing else (repeat for more "
              "items; `none`: routines that need nothing).")
@click.option("--max", "max_ms", type=DurationType(), metavar="DURATION",
              help="Only routines at most this long (e.g. 10m) at the chosen preset.")
@click.option("--preset", type=click.Choice(PRESETS),
              help="Show lengths at this preset (default: the pacing `show` would use).")
@click.option("--sort", "sort_by", type=click.Choice(["name", "length"]), default="name",
              show_default=True, help="Order of the list.")
@click.option("--lengths", "measure", is_flag=True,
              help="Measure every length (synthesizing missing speech) and show it.")
@click.option("--json", "as_json", is_flag=True,
              help="Print as JSON: every field, length_ms at the chosen preset (null unless "
              "asked for) and whether it is estimated.")
@click.option("--markdown", is_flag=True,
              help="Print a Markdown table with the lengths at gentle, standard and brisk.")
@_cache_option
def list_routines(tags: tuple[str, ...], have: tuple[str, ...], max_ms: int | None,
                  preset: str | None, sort_by: str, measure: bool, as_json: bool, markdown: bool,
                  cache_dir: Path | None) -> int:
    """List the bundled routines and yours (`voiceguide new`; use their names wherever
    ROUTINE is asked for), with their tags, equipment, lengths and where each comes
    from; filter and sort them."""
    from ..routine.library import PRESET_COLUMNS, markdown_table, select, sort_entries
    from ..routine.user import routine_source

    if markdown:
        preset = preset or "standard"
    measure = measure or markdown
    wanted = measure or preset is not None or max_ms is not None or sort_by == "length"
    entries = _library(preset, wanted, measure, cache_dir, quiet=as_json or markdown)
    equipment = None if not have else tuple(h for h in have if h.strip().lower() != "none")
    entries = sort_entries(select(entries, tags, equipment, max_ms), sort_by)
    if markdown:  # README's table: the bundled library
        entries = [e for e in entries if routine_source(e.path) == "bundled"]
        others = {p: {e.path: e.length_ms for e in _library(p, True, True, cache_dir, quiet=True)}
                  for p in PRESET_COLUMNS}
        click.echo(markdown_table([(e, {p: others[p].get(e.path) for p in PRESET_COLUMNS})
                                   for e in entries]), nl=False)
        return 0
    if as_json:
        _echo_json([_list_row(e, preset if wanted else None) for e in entries])
        return 0
    if not entries:
        click.echo("no routine matches", err=True)
    width = max((len(e.name) for e in entries), default=0)
    for e in entries:
        title = e.title if e.problem is None else f"(invalid: {e.problem})"
        click.echo(f"{e.name:<{width}}  {title}" + (f" — {e.description}" if e.description else ""))
        details = _list_details(e, preset, wanted) if e.problem is None else ""
        if details:
            click.echo(" " * (width + 2) + details)
    if any(e.estimated for e in entries) and not as_json:
        click.echo("≈ estimated: speech not yet in the cache (`list --lengths` measures it)",
                   err=True)
    return 0


def _list_details(entry: Entry, preset: str | None, wanted: bool) -> str:
    """The line under a routine's title: its length (≈ when estimated), tags, equipment
    and level."""
    from ..routine.library import minutes

    parts = []
    if wanted or (entry.length_ms is not None and entry.standard_length_ms is None):
        mark = "≈" if entry.estimated else ""
        parts.append(f"{mark}{minutes(entry.length_ms)} at {preset or 'its pacing'}")
    elif entry.minutes_band():
        parts.append(entry.minutes_band())
    if entry.tags:
        parts.append("tags: " + ", ".join(entry.tags))
    if entry.equipment is not None:
        parts.append("needs: " + (", ".join(entry.equipment) or "nothing"))
    if entry.level:
        parts.append(entry.level)
    from ..routine.user import routine_source

    parts.append(routine_source(entry.path))
    return " · ".join(parts)


def _list_row(entry: Entry, preset: str | None) -> dict[str, object]:
    """One routine in ``list --json``."""
    from ..routine.user import routine_source

    band = entry.standard_length_ms
    return {
        "name": entry.name,
        "title": entry.title if entry.problem is None else f"(invalid: {entry.problem})",
        "description": entry.description,
        "tags": list(entry.tags),
        "level": entry.level,
        "equipment": None if entry.equipment is None else list(entry.equipment),
        "author": entry.author,
        "license": entry.license,
        "standard_minutes": None if band is None else {"min": band[0] / 60_000,
                                                        "max": band[1] / 60_000},
        "length_ms": entry.length_ms,
        "estimated": entry.estimated,
        "preset": preset,
        "path": str(entry.path),
        "source": routine_source(entry.path),
        "problem": entry.problem,
    }


def lengths_key(preset: str | None, cache_dir: Path | None) -> str:
    """What a measured length depends on besides the routine file: the preset (None: the
    pacing `show` would use), the speech engine and its recorded identity (version, sample
    rate) and the user's pacing file (size, modification time). Cheap: no engine, no YAML."""
    import json

    from ..pacing_layers import user_pacing_file
    from ..speech.cache import ClipCache, default_cache_dir
    from ..speech.engines import default_engine_name

    engine = default_engine_name()[0]
    identity = ClipCache(default_cache_dir(cache_dir)).recorded_engine(engine)
    try:
        status = os.stat(user_pacing_file())
        pacing: list[int] | None = [status.st_size, status.st_mtime_ns]
    except OSError:
        pacing = None
    known = None if identity is None else [identity.version, identity.sample_rate]
    return json.dumps([preset or "default", engine, known, pacing])


def _library(preset: str | None, wanted: bool, measure: bool, cache_dir: Path | None,
             quiet: bool) -> list[Entry]:
    """The bundled routines and the user's from the index; with ``wanted``, each with its
    length at ``preset``: measured ones from the index, the others previewed
    (:func:`voiceguide.preview.preview`: cached speech measured, the rest estimated; a
    preview with nothing estimated is recorded in the index) or, with ``measure``,
    measured through :func:`_prepare` (synthesizing, with a progress bar) and recorded.
    Without ``wanted``, only the user's routines that state no length get one (previewed)."""
    from dataclasses import replace

    from ..routine.library import INDEX_NAME, list_entries, record_lengths
    from ..routine.user import routine_source, user_routines
    from ..speech.cache import default_cache_dir

    index = default_cache_dir(cache_dir) / INDEX_NAME
    entries = list_entries(bundled_routines() + user_routines(), index,
                           lengths_key(preset, cache_dir))
    # a routine of yours that states no length gets one anyway (at the default pacing)
    unstated = {e.path for e in entries if not wanted and e.standard_length_ms is None
                and routine_source(e.path) == "user folder"}
    if not wanted:
        entries = [e if e.path in unstated else replace(e, length_ms=None) for e in entries]
    missing = [e for e in entries if e.problem is None and e.length_ms is None
               and (wanted or e.path in unstated)]
    if not missing:
        return entries
    from ..pacing_layers import pacing_layers

    layers = pacing_layers({"preset": preset} if preset else {}, None)
    found: dict[Path, int] = {}
    if measure:
        with _progress("Measuring routines", quiet=quiet) as bar:
            for entry in missing:
                session, _ = _prepare(str(entry.path), cache_dir, layers, quiet, bar)
                found[entry.path] = session.timeline.duration_ms
        record_lengths(index, lengths_key(preset, cache_dir), found)  # the engine is known now
        return [replace(e, length_ms=found.get(e.path, e.length_ms)) for e in entries]
    from ..preview import preview

    cache = _open_cache(cache_dir)
    estimated: dict[Path, int] = {}
    for entry in missing:
        try:
            seen = preview(entry.path, cache, layers=layers)
        except VoiceguideError:
            if wanted:
                raise
            continue  # shown only to be helpful: listed without a length
        (estimated if seen.is_estimate else found)[entry.path] = seen.session.timeline.duration_ms
    record_lengths(index, lengths_key(preset, cache_dir), found)
    return [replace(e, length_ms=found[e.path]) if e.path in found
            else replace(e, length_ms=estimated[e.path], estimated=True) if e.path in estimated
            else e for e in entries]


@cli.command(
    epilog="\b\nExamples:\n  voiceguide voices\n  voiceguide voices --engine piper\n"
    "  voiceguide voices --json"
)
@click.option("--engine", type=EngineChoice(),
              help="Only this engine's voices (default: every installed engine).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def voices(engine: str | None, as_json: bool) -> int:
    """List the voices of the installed speech engines, the default engine's first (use one
    with --voice NAME, and --engine espeak-ng for the fast robotic voice)."""
    from ..speech.engines import FALLBACK_NOTE, FALLBACK_SOURCE, voice_catalog, voice_fields

    catalog = voice_catalog(engine)
    if engine is None and catalog.source == FALLBACK_SOURCE:
        click.echo(f"voiceguide: {FALLBACK_NOTE}", err=True)
    rows: list[tuple[str, VoiceInfo]] = [(e.engine, v) for e in catalog.engines for v in e.voices]
    if as_json:
        _echo_json(
            [{"engine": name, **voice_fields(v)} for name, v in rows]
        )
        return 0
    for name, v in rows:
        langs = ",".join(v.languages)
        click.echo(f"{name:<10} {v.id:<28} {v.name:<32} {langs}")
    return 0


@cli.group(
    epilog="\b\nExamples:\n  voiceguide cache stats\n  voiceguide cache prune --max-size 200M\n"
    "  voiceguide cache clear"
)
def cache() -> None:
    """Inspect or trim the speech cache."""


@cache.command(epilog="\b\nExamples:\n  voiceguide cache stats\n  voiceguide cache stats --json")
@_cache_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats(cache_dir: Path | None, as_json: bool) -> int:
    """How many clips are cached, and their size."""
    s = _open_cache(cache_dir).stats()
    if as_json:
        _echo_json({"directory": str(s.directory), "entries": s.entries, "bytes": s.bytes})
    else:
        click.echo(f"{s.directory}: {s.entries} clips, {s.bytes / 1e6:.1f} MB")
    return 0


@cache.command(epilog="\b\nExample:\n  voiceguide cache clear --cache-dir ./audio_cache")
@_cache_option
def clear(cache_dir: Path | None) -> int:
    """Delete every cached clip."""
    c = _open_cache(cache_dir)
    removed = c.clear()
    click.echo(f"removed {removed} clips from {c.directory}")
    return 0


def _parse_size(text: str) -> int:
    """``--max-size``: bytes from ``500M``, ``2G``, ``1.5GB``, ``1e6`` or ``1000000``
    (decimal units, ASCII digits, finite, not negative)."""
    units = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9}
    t = text.strip().lower()
    number = t.rstrip("kmgb")
    unit = t[len(number) :]
    try:
        value = float(number) if number.isascii() and len(number) <= 30 else math.nan
    except ValueError:
        value = math.nan
    size = value * units.get(unit, math.nan)
    if not math.isfinite(size) or size < 0:
        raise UsageError(f"--max-size: {shown(text)} is not a size; use e.g. 500M, 2G or 1000000")
    return int(size)


@cache.command(epilog="\b\nExample:\n  voiceguide cache prune --max-size 200M")
@_cache_option
@click.option(
    "--max-size",
    required=True,
    metavar="SIZE",
    help="Keep at most this much (e.g. 200M, 1G); least recently used clips go first.",
)
def prune(cache_dir: Path | None, max_size: str) -> int:
    """Remove least recently used clips until the cache fits in SIZE."""
    limit = _parse_size(max_size)
    c = _open_cache(cache_dir)
    result = c.prune(limit)
    click.echo(
        f"removed {result.removed} clips ({result.freed_bytes / 1e6:.1f} MB) from {c.directory}"
    )
    return 0


@cli.command(epilog="\b\nExample:\n  voiceguide schema > routine.schema.json")
def schema() -> int:
    """Print the JSON Schema of the routine format, for editors that complete and check YAML."""
    from ..routine.schema import json_schema

    _echo_json(json_schema())
    return 0


# quick sessions and starter routines: voiceguide/cli/quick.py
cli.add_command(breathe)
cli.add_command(timer)
cli.add_command(new_routine, name="new")
# the phone page, its server and the podcast feed: voiceguide/cli/serving.py (the server is
# imported only when serve or feed runs)
cli.add_command(serve)
cli.add_command(feed)


@cli.command(name="install-shell",
             epilog="\b\nExample:\n  voiceguide install-shell   # in a checkout: "
             "bin/voiceguide install-shell")
def install_shell() -> int:
    """Make `voiceguide` a command of your shell: a link to this program in ~/.local/bin."""
    from ..errors import ExportError
    from .invocation import installed_script, on_path, user_bin_dir

    script, folder = installed_script(), user_bin_dir()
    link = folder / "voiceguide"
    if not script.exists():
        raise UsageError(f"there is no voiceguide program beside {sys.executable} to link to",
                         hint="install voiceguide into this Python first (bin/setup in a checkout)")
    if link.is_symlink() and os.path.samefile(link, script):
        click.echo(f"{link} already runs {script}")
    elif os.path.lexists(link):
        raise ExportError(f"{link} already exists and is not a link to {script}",
                          hint="remove it (or rename it) and run install-shell again")
    else:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            link.symlink_to(script)
        except OSError as exc:
            raise ExportError(f"cannot make the link {link}: {exc.strerror}") from None
        click.echo(f"linked {link} → {script}")
    if on_path(folder):
        click.echo(f"{folder} is on your PATH: type `voiceguide` from now on.")
    else:
        click.echo(f"{folder} is not on your PATH yet; add it (then open a new terminal):\n"
                   f"  echo 'export PATH=\"$HOME/.local/bin:$PATH\"' >> ~/.bashrc")
    return 0


# ---- entry point -----------------------------------------------------------------------


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM (``kill``, ``timeout``) and SIGHUP stop the process the
    way Ctrl-C does: the handler raises :class:`~voiceguide.errors.Stopped`, so temporary
    files are removed, encoders and audio stopped, and the exit code is 128 + the signal.
    Signals someone else handles are left alone, and the previous handlers come back
    afterwards (``run`` may be called inside another program, a test runner say)."""

    def stop(signum: int, frame: object) -> None:
        raise Stopped(signum)

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread, or no such signal
            if signal.getsignal(signum) is signal.SIG_DFL:
                previous[signum] = signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code; print errors, never a traceback."""
    with _stop_on_signals():
        return _run(argv)


def _error(message: str, hint: str = "") -> None:
    """``voiceguide: error: MESSAGE`` and, on the next line, what to do about it; a
    `voiceguide …` in them is the command the user can actually type."""
    from .invocation import command_name

    name = command_name()
    for line in ([f"voiceguide: error: {message}"] + ([hint] if hint else [])):
        click.echo(line if name == "voiceguide" else line.replace("`voiceguide ", f"`{name} "),
                   err=True)


def _click_error(exc: click.ClickException) -> None:
    """click's errors in the same style; a usage error hints at its command's help."""
    from .invocation import command_name

    if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):  # click 8.2+
        exc.show()  # `voiceguide` alone, `voiceguide cache`: the help, as asked
        return
    hint = ""
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        path = exc.ctx.command_path.replace("voiceguide", command_name(), 1)
        hint = f"Try '{path} --help' for help."
    _error(exc.format_message(), hint)


def _run(argv: list[str] | None) -> int:
    _verbose[0] = False
    try:
        result = cli.main(args=argv, prog_name="voiceguide", standalone_mode=False)
    except click.exceptions.Abort as exc:  # click's wrapping of KeyboardInterrupt (and EOF)
        cause = exc.__cause__
        word, code = interruption(cause if isinstance(cause, KeyboardInterrupt) else KeyboardInterrupt())
        click.echo(word.lstrip("\n"), err=True)  # click has ended the line already
        return code
    except click.ClickException as exc:
        _click_error(exc)
        return EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except RoutineError as exc:
        _warn(exc.diagnostics)
        return exc.exit_code
    except VoiceguideError as exc:
        _error(exc.format(), exc.hint)
        return exc.exit_code
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (errors.Stopped)
        word, code = interruption(exc)
        click.echo(word, err=True)
        return code
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): not an error worth a message
        sys.stderr.close()
        return EXIT_FAILURE
    except Exception as exc:  # a bug: say so plainly, details on request
        if os.environ.get("VOICEGUIDE_DEBUG"):  # the variable -v stands for: raise, for a debugger
            raise
        if _verbose[0]:
            import traceback

            traceback.print_exc()
        _error(f"internal error: {type(exc).__name__}: {exc}",
               "Run again with -v (--verbose) for the details, and please report it.")
        return EXIT_FAILURE
    return int(result or 0)


def main() -> NoReturn:
    sys.exit(run())
