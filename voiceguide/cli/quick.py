"""Commands for starting without writing YAML: ``breathe`` and ``timer`` (quick sessions,
played or exported through the functions of the ``play`` and ``export`` commands) and ``new`` (a
starter routine to edit). :mod:`voiceguide.cli.app` lists them in the group.

A quick session's routine (:mod:`voiceguide.routine.quick`) is written to
``<cache dir>/quick/<hash of its text>/<name>.yaml`` and handed to ``play`` or ``export``
by path: the file stays, so ``play --resume`` (the resume line ``play`` prints after a stop)
finds it again. Its warnings and hints name the command that made it, not that file (the
user never wrote it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..export.formats import FORMATS
from ..routine.pacing_settings import BY_KEY, OFF
from ..routine.schema import MAX_DURATION_MS, MAX_REPEAT
from .options import AsciiIntRange, click_type
from .options import _Countdown as CountdownType
from .options import _Duration as DurationType

if TYPE_CHECKING:
    from ..routine.quick import QuickRoutine

QUICK_FOLDER = "quick"  # in the cache directory


class _Length(DurationType):
    """A duration from 0 (``--rest 0``) up to 24 hours, in ms; the range is checked later."""

    name = "DURATION"
    takes_off = False  # 0 is no rest, not "off"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ..routine.durations import DurationSyntaxError, parse_duration

        if isinstance(value, int):
            return value
        try:
            ms = parse_duration(value)
        except DurationSyntaxError as exc:
            self.fail(str(exc), param, ctx)
        if ms > MAX_DURATION_MS:
            self.fail("is longer than 24 hours", param, ctx)
        return ms


def _session_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """What a quick session shares with play and export: where it goes and how it sounds."""
    options = [
        click.option(
            "-o",
            "--output",
            metavar="FILE|DIR/",
            help="Export to this file (format from its extension) or folder instead "
            "of playing; as `voiceguide export -o`.",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            help="With -o: force the format (as `voiceguide export --format`).",
        ),
        click.option(
            "--yaml",
            "as_yaml",
            is_flag=True,
            help="Print the routine instead (save it to edit it: --yaml > mine.yaml).",
        ),
        click.option(
            "--rate", type=click_type(BY_KEY["rate"]), metavar="WPM", help="Speech rate in words per minute."
        ),
        click.option(
            "--voice",
            type=click_type(BY_KEY["voice"]),
            metavar="NAME",
            help="Voice name or id (see `voiceguide voices`).",
        ),
        click.option(
            "--engine", type=click_type(BY_KEY["engine"]), help="Speech engine: espeak-ng or piper."
        ),
        click.option(
            "--lead-in",
            type=click_type(BY_KEY["lead_in"]),
            metavar="SECONDS",
            help='When playing: say "starting in 3, 2, 1" first (0: start at once).',
        ),
        click.option(
            "--background",
            metavar="FILE|brown-noise",
            help="Mix a bed under the voice (as `voiceguide play --background`).",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Where synthesized speech (and the quick session's routine) is kept.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No display, progress bars or summary."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _run(quick: QuickRoutine, options: dict[str, Any]) -> int:
    """Print the routine (``--yaml``), or write it and play it (export it with ``-o``)
    through the functions the ``play`` and ``export`` commands call, at the pacing given
    here with the pinned values above it (``duration: off`` among them: a quick session
    lasts what was asked for, whatever a pacing file's ``duration`` says). ``play``'s
    history records both as options, so ``play --resume`` replays them, the same pacing.
    Warnings name this command, not the routine's file (:func:`~.progress.show_file_as`)."""
    from ..pacing_layers import pacing_layers
    from .invocation import shell_word
    from .mixing import mix_for
    from .progress import show_file_as
    from .replay import given_arguments

    if options["as_yaml"]:
        click.echo(quick.text, nl=False)
        return 0
    output, fmt, cache_dir, quiet = options["output"], options["fmt"], options["cache_dir"], options["quiet"]
    if output is None and fmt is not None:
        raise click.UsageError("--format goes with -o (export); without -o the session plays")
    mix = mix_for(options["background"])
    path = _write(quick, cache_dir)
    ctx = click.get_current_context()
    show_file_as(str(path), " ".join(shell_word(word) for word in _as_typed(ctx, _NOT_NAMED)))
    asked = {
        key: options[key]
        for key in _PACING_OPTIONS
        if options[key] is not None and (output is None or key != "lead_in")
    }
    layers = pacing_layers({**asked, **quick.pinned}, None)
    if output is not None:
        from .export import ExportRequest, export_routines

        return export_routines(
            ExportRequest((str(path),), mix, output, fmt, cache_dir=cache_dir, layers=layers, quiet=quiet)
        )
    from .play import PlayRequest, play_routine

    pinned = [word for key, value in quick.pinned.items() for word in _pin_words(ctx, key, value)]
    arguments = (*pinned, *given_arguments(ctx, (*_OWN_OPTIONS, "quiet")))
    instead = (*_as_typed(ctx, ("quiet", "lead_in", "output", "fmt", "as_yaml")), "-o", f"{quick.name}.mp3")
    return play_routine(
        PlayRequest(
            str(path),
            mix,
            layers,
            cache_dir,
            quiet=quiet,
            arguments=arguments,
            instead=instead,
            resume_with=("play", "--resume"),  # breathe and timer take no --from
        )
    )


def _as_typed(ctx: click.Context, leave_out: tuple[str, ...]) -> tuple[str, ...]:
    """This command as the user gave it, its words (``breathe 4-7-8 --rate 150``), less the
    options named in ``leave_out``: the hint's export when no sound device plays it (with
    ``-o``), the name its warnings give the session."""
    from .replay import given_arguments

    assert ctx.command.name is not None
    given = [str(ctx.params[p.name]) for p in ctx.command.params if isinstance(p, click.Argument) and p.name]
    return (ctx.command.name, *given, *given_arguments(ctx, leave_out))


#: the options a quick session's warnings leave out of its name: where it goes, how it shows
_NOT_NAMED = ("quiet", "output", "fmt", "as_yaml", "cache_dir", "lead_in", "background")


#: the quick commands' pacing options (as play's: rate, voice, engine; lead-in when playing)
_PACING_OPTIONS = ("rate", "voice", "engine", "lead_in")
#: the quick commands' options that play and export do not take (their values are in the routine)
_OWN_OPTIONS = (
    "minutes",
    "cycles",
    "hold_ms",
    "rest_ms",
    "rounds",
    "say",
    "countdown",
    "output",
    "fmt",
    "as_yaml",
)


def _pin_words(ctx: click.Context, key: str, value: object) -> tuple[str, ...]:
    """A pinned value as play's option: ``--countdown 5`` when this command was given it
    (``timer --countdown 5``), else one word, ``--hold-scale=1.0``, which ``play --resume``
    reads alike and ``history`` does not show (:func:`voiceguide.cli.history.as_given`): the
    user never typed it (a timer's session listed with ``--hold-scale 1.0 --rest-scale 1.0
    --countdown 3`` looked as if they had)."""
    from click.core import ParameterSource

    option, text = "--" + key.replace("_", "-"), _as_text(key, value)
    typed = key in ctx.params and ctx.get_parameter_source(key) is ParameterSource.COMMANDLINE
    return (option, text) if typed else (f"{option}={text}",)


def _as_text(key: str, value: object) -> str:
    """A pinned pacing value as its option reads it: a pattern as ``4-7-8``, the duration
    :data:`~voiceguide.routine.pacing_settings.OFF` as ``off``, else as is."""
    if key == "duration" and value == OFF:
        return "off"
    label = getattr(value, "label", None)
    return str(label()) if callable(label) else str(value)


def _write(quick: QuickRoutine, cache_dir: Path | None) -> Path:
    """The routine's file in the cache directory, written once (atomically) per text."""
    from ..atomic import atomic_path
    from ..speech.cache import default_cache_dir

    digest = hashlib.sha256(quick.text.encode()).hexdigest()[:16]
    path = default_cache_dir(cache_dir) / QUICK_FOLDER / digest / f"{quick.name}.yaml"
    if not path.is_file():
        with atomic_path(path) as temp:
            temp.write_text(quick.text, encoding="utf-8")
    return path


BREATHE_EPILOG = """\b
Examples:
  voiceguide breathe box --yaml
  voiceguide breathe 4-7-8 -o 4-7-8.mp3          # four breaths unless told
  voiceguide breathe coherent --minutes 10 -o breathing/ --format ogg
  voiceguide breathe 4-2-6 --cycles 12 -o custom.wav --rate 130
\b
Without -o the session plays, like `voiceguide play`: voiceguide breathe 4-7-8
--minutes 5. Patterns: box (4-4-4-4), 4-7-8, coherent (5.5-5.5), or your own
seconds joined by '-': in-out (5-5), in-hold-out (4-2-6), in-hold-out-hold
(4-4-4-4), each 0-60 s. The minutes become the nearest whole number of cycles.
"""


@click.command(epilog=BREATHE_EPILOG)
@click.argument("pattern")
@click.option(
    "--minutes",
    metavar="N",
    help="Breathe for about this many minutes (e.g. 5 or 2.5; default 5, or four breaths of 4-7-8).",
)
@click.option(
    "--cycles",
    type=click_type(BY_KEY["cycles"]),
    metavar="N",
    help="Breathe exactly this many cycles instead.",
)
@_session_options
def breathe(pattern: str, minutes: str | None, cycles: int | None, **options: Any) -> int:
    """A paced breathing session, without writing YAML: PATTERN is box, 4-7-8,
    coherent or seconds like 4-2-6. Plays it, or exports it with -o."""
    from ..routine.quick import breathe_routine

    return _run(breathe_routine(pattern, minutes=minutes, cycles=cycles), options)


TIMER_EPILOG = """\b
Examples:
  voiceguide timer --rounds 8 --say Next --yaml
  voiceguide timer --hold 45s --rest 15s --rounds 6 -o plank.mp3
  voiceguide timer --hold 1m --rest 0 --rounds 5 --countdown off -o minutes.wav
\b
Without -o the timer plays, like `voiceguide play`: voiceguide timer --hold 30s
--rest 10s --rounds 8. Each round: the --say text, the hold (its last seconds
counted down, a chime at its end), then the rest in silence (none after the last).
Holds and rests are exact: presets and pacing files do not scale them.
"""


@click.command(epilog=TIMER_EPILOG)
@click.option(
    "--hold",
    "hold_ms",
    type=_Length(),
    default="30s",
    show_default=True,
    metavar="DURATION",
    help="How long each round lasts (e.g. 30s, 1m30s, 1:30).",
)
@click.option(
    "--rest",
    "rest_ms",
    type=_Length(),
    default="10s",
    show_default=True,
    metavar="DURATION",
    help="The silence between rounds (0 for none).",
)
@click.option(
    "--rounds",
    type=AsciiIntRange(1, MAX_REPEAT),
    default=8,
    show_default=True,
    metavar="N",
    help="How many rounds.",
)
@click.option(
    "--say", default="Go", show_default=True, metavar="TEXT", help="What is said at the start of every round."
)
@click.option(
    "--countdown",
    type=CountdownType(),
    help="Count down the last N seconds of every round, or 'off' (default 3).",
)
@_session_options
def timer(hold_ms: int, rest_ms: int, rounds: int, say: str, countdown: int | None, **options: Any) -> int:
    """An interval timer, without writing YAML: rounds of a hold with rests between.
    Plays it, or exports it with -o."""
    from ..routine.quick import timer_routine

    return _run(timer_routine(hold_ms, rest_ms, rounds, say, countdown), options)


NEW_EPILOG = """\b
Examples:
  voiceguide new my-stretch
  voiceguide new my-box --from box-breathing
  voiceguide new drafts/evening.yaml --from evening-wind-down
\b
A bare NAME goes into your routines folder ($VOICEGUIDE_ROUTINES_DIR, else
routines/ in the config directory, e.g. ~/.config/voiceguide/routines), whose
routines `voiceguide list` shows and every command finds by name (before a bundled
routine of the same name). A name that is not a file name already becomes one, its
title kept: "My Stretch" is my-stretch.yaml, titled My Stretch. Anything else
(a/b.yaml, ./x.yaml) is a path.
"""


@click.command(epilog=NEW_EPILOG)
@click.argument("name")
@click.option(
    "--from",
    "source",
    metavar="ROUTINE",
    help="Start from a copy of this routine (bundled, yours, or a file) instead of the starter.",
)
@click.option("--force", "-f", is_flag=True, help="Replace the file if it exists.")
def new_routine(name: str, source: str | None, force: bool) -> int:
    """Write a routine to edit: a short starter whose comments explain every key, or a
    copy of another routine. It is checked by the loader before it is written."""
    import os
    import shlex

    from ..atomic import atomic_path, check_target
    from ..errors import UsageError
    from ..routine.bundled import bundled_routines
    from ..routine.loader import parse_routine
    from ..routine.starter import starter_text, title_from_name
    from ..routine.user import free_copy_name, new_routine_target, typed_name, user_routines_dir
    from .invocation import command_name

    target = new_routine_target(name)
    check_target(target)  # a name too long, a folder or a device there
    bundled = dict(bundled_routines())
    if target.parent == user_routines_dir() and target.stem in bundled:
        suggested = free_copy_name(target.stem, bundled)
        raise UsageError(
            f"{target.stem!r} is a bundled routine; a routine of yours under that name would hide "
            f"it, so choose another name, e.g. {command_name()} new {suggested} --from {target.stem}"
        )
    replaced = os.path.lexists(target)
    if replaced and not force:
        raise UsageError(f"{target} already exists; kept it (--force replaces it, or choose another name)")
    named = typed_name(name)  # "My Stretch" (its file: my-stretch.yaml) is titled "My Stretch"
    text = starter_text(title_from_name(named)) if source is None else _copy_of(source, named)
    parse_routine(text.encode(), str(target))  # never write what the loader refuses
    with atomic_path(target, clobber=force) as temp:
        temp.write_text(text, encoding="utf-8")
    mine = target.parent == user_routines_dir()
    click.echo(
        f"{'replaced' if replaced else 'wrote'} {target}" + (" (your routines folder)" if mine else "")
    )
    runnable = shlex.quote(target.stem if mine else str(target))
    me = command_name()
    click.echo(f"Edit it, then: {me} validate {runnable}  ·  {me} play {runnable}")
    return 0


def _copy_of(source: str, name: str) -> str:
    """The text of the routine ``source`` names, checked, under a comment saying so, with a
    title made from ``name`` (as typed: ``My Stretch``)."""
    from ..errors import UsageError
    from ..inputs import read_input
    from ..routine.bundled import resolve_routine
    from ..routine.loader import MAX_FILE_BYTES, parse_routine
    from ..routine.starter import copied_text

    path = resolve_routine(source)
    raw = read_input(path, MAX_FILE_BYTES, "routine file")
    parse_routine(raw, str(path))  # a broken original is reported at its own lines
    try:
        original = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8; `new --from` copies UTF-8 files only") from None
    return copied_text(original, source, name)
