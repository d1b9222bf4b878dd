"""The command group, its entry point and the one error style.

``voiceguide --help`` lists the commands from :data:`COMMANDS` without importing them;
a command's module is imported when the command runs (or its own --help is asked for).
Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid routine, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from ..errors import (
    EXIT_FAILURE,
    EXIT_USAGE,
    RoutineError,
    Stopped,
    VoiceguideError,
    interruption,
    stopped_in,
)
from .group import Group, LazyCommand, reset_verbose, set_verbose, verbose_requested
from .progress import error, warn

#: every command: its module and object, and the summary the group's --help lists
#: (``tests/test_help_layout.py`` checks each against the command's own).
COMMANDS: dict[str, LazyCommand] = {
    "breathe": LazyCommand(
        "voiceguide.cli.quick:breathe",
        "A paced breathing session, without writing YAML: PATTERN is box, 4-7-8, coherent or "
        "seconds like 4-2-6.",
    ),
    "cache": LazyCommand("voiceguide.cli.cache:cache", "Inspect or trim the speech cache."),
    "export": LazyCommand(
        "voiceguide.cli.export:export",
        "Export routines as audio files with exactly timed pauses and a chapter per step.",
    ),
    "feed": LazyCommand(
        "voiceguide.cli.serving:feed",
        "Write a podcast feed as static files: feed.xml, and each routine's mp3 (with "
        "chapters), JSON chapters and WebVTT transcript, for hosting anywhere.",
    ),
    "history": LazyCommand(
        "voiceguide.cli.history:history_command", "List the sessions played and your weekly streak."
    ),
    "install-shell": LazyCommand(
        "voiceguide.cli.misc:install_shell",
        "Make `voiceguide` a command of your shell: a link to this program in ~/.local/bin.",
    ),
    "list": LazyCommand(
        "voiceguide.cli.listing:list_routines",
        "List the bundled routines and yours (`voiceguide new`; use their names wherever "
        "ROUTINE is asked for), with their tags, equipment, lengths and where each comes from; "
        "filter and sort them.",
    ),
    "new": LazyCommand(
        "voiceguide.cli.quick:new_routine",
        "Write a routine to edit: a short starter whose comments explain every key, or a copy "
        "of another routine.",
    ),
    "pacing": LazyCommand(
        "voiceguide.cli.misc:pacing_command", "Print the effective pacing and where each value came from."
    ),
    "play": LazyCommand(
        "voiceguide.cli.play:play",
        "Play a routine hands-free, start to finish: the same audio `export` writes.",
    ),
    # synthesize's first name, kept so scripts that use it go on working
    "render": LazyCommand("voiceguide.cli.cache:render", "", hidden=True),
    "schema": LazyCommand(
        "voiceguide.cli.misc:schema",
        "Print the JSON Schema of the routine format, for editors that complete and check YAML.",
    ),
    "serve": LazyCommand(
        "voiceguide.cli.serving:serve",
        "Serve the phone page, its player and a podcast feed from this computer.",
    ),
    "show": LazyCommand(
        "voiceguide.cli.library:show",
        "Print the timed script: every sound, hold, rest and breath with its start time.",
    ),
    "synthesize": LazyCommand(
        "voiceguide.cli.cache:synthesize",
        "Synthesize every utterance of a routine into the speech cache, ahead of time, so play "
        "and export start at once (also offline).",
    ),
    "timer": LazyCommand(
        "voiceguide.cli.quick:timer",
        "An interval timer, without writing YAML: rounds of a hold with rests between.",
    ),
    "validate": LazyCommand(
        "voiceguide.cli.library:validate",
        "Check routine scripts: every problem is reported as file:line:col.",
    ),
    "voices": LazyCommand(
        "voiceguide.cli.misc:voices",
        "List the voices of the installed speech engines, the default engine's first (use one "
        "with --voice NAME, and --engine espeak-ng for the fast robotic voice).",
    ),
}

EPILOG = """\b
Examples:
  voiceguide list
  voiceguide show lower-back-massage
  voiceguide export lower-back-massage -o lower-back.mp3
  voiceguide validate my-routine.yaml
"""


@click.group(
    cls=Group, lazy=COMMANDS, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="voiceguide", prog_name="voiceguide")  # read when asked
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=set_verbose,
    help="On an unexpected error, print the details (a traceback) to report; "
    "also after the command (voiceguide play … -v).",
)
def cli() -> None:
    """Turn routine scripts into spoken, exactly timed guided sessions.

    ROUTINE arguments are a path to a .yaml file, or the name of one of your routines
    (`voiceguide new`, kept in your routines folder) or of a bundled one (see `voiceguide list`).
    """


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


def _click_error(exc: click.ClickException) -> None:
    """click's errors in the same style; a usage error hints at its command's help."""
    from .invocation import command_name

    if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):  # click 8.2+
        exc.show()  # `voiceguide` alone, `voiceguide cache`: the help, as asked
        return
    if isinstance(exc, click.NoSuchOption) and exc.ctx is not None:
        exc = _meant_option(exc, exc.ctx)
    hint = ""
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        path = exc.ctx.command_path.replace("voiceguide", command_name(), 1)
        hint = f"Try '{path} --help' for help."
    error(exc.format_message(), hint)


#: Options people type for one of ours that click's spelling guess misses (--speed was
#: answered "Did you mean '--preset'?").
SYNONYMS = {
    "--speed": "--rate",
    "--tempo": "--rate",
    "--wpm": "--rate",
    "--pace": "--preset",
    "--length": "--duration",
}


def _meant_option(exc: click.NoSuchOption, ctx: click.Context) -> click.NoSuchOption:
    """``exc`` guessing the option ``SYNONYMS`` names for what was typed, when the command
    has it; else ``exc`` as it is."""
    meant = SYNONYMS.get(exc.option_name.split("=", 1)[0])
    if meant is None or not any(meant in p.opts for p in ctx.command.params):
        return exc
    said = f"No such option {exc.option_name!r}. Did you mean {meant!r}?"  # click's words
    return click.NoSuchOption(exc.option_name, said, ctx=ctx)


def _run(argv: list[str] | None) -> int:
    reset_verbose()
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
        warn(exc.diagnostics)
        return exc.exit_code
    except VoiceguideError as exc:
        error(exc.format(), exc.hint)
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
        stop = stopped_in(exc)
        if stop is not None:  # a closed terminal's SIGHUP, then writing to it failed (EIO)
            return stop.exit_code  # (nobody is left to read a word)
        if os.environ.get("VOICEGUIDE_DEBUG"):  # the variable -v stands for: raise, for a debugger
            raise
        if verbose_requested():
            import traceback

            traceback.print_exc()
        error(
            f"internal error: {type(exc).__name__}: {exc}",
            "Run again with -v (--verbose) for the details, and please report it.",
        )
        return EXIT_FAILURE
    return int(result or 0)


#: s a synthesis thread is given at exit to finish the engine call it is in (espeak-ng's
#: clips take milliseconds; piper's, a Whisper check or a model's load, seconds)
LEAVE_GRACE_S = 0.3


def main() -> NoReturn:
    code = run()
    _leave(code)
    sys.exit(code)


def _leave(code: int) -> None:
    """Let the process end now, whatever synthesis is still doing. The scheduler (if this
    run made one) stops: queue dropped, nothing stored from now on (a write in progress is
    finished). If a synthesis thread is still inside an engine call after
    :data:`LEAVE_GRACE_S`, the interpreter cannot finish under it (it would abort:
    :func:`voiceguide.speech.scheduler.leave`) nor wait for it (piper with its takes
    checked kept a quit ``play`` for up to 35 s): the exit handlers run and the output is
    flushed here, then ``os._exit(code)``."""
    synthesis = sys.modules.get("voiceguide.speech.scheduler")  # never imported: nothing to stop
    if synthesis is None:
        return
    try:
        if synthesis.leave(LEAVE_GRACE_S):
            return
        import atexit

        atexit._run_exitfuncs()  # the handlers os._exit would skip (one of them is ours: a no-op now)
    except KeyboardInterrupt:  # Ctrl-C again meanwhile: end at once all the same
        pass
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
