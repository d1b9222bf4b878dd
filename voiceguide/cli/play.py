"""``play``: a routine on the sound device with a live display and keys, recorded in the
history; ``play --resume`` carries on the last stopped session."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import UsageError, interruption, stopped_in
from ..formatting import format_ms
from .group import Command
from .mixing import finish_mix, mix_options
from .options import NonEmptyText, cache_and_pacing_options
from .prepare import order_for, stream_planned
from .progress import console, warn

if TYPE_CHECKING:
    from rich.live import Live

    from ..audio.mix import Mix
    from ..pcm.clip import Clip
    from ..play.keys import KeyReader
    from ..play.listening import Listening
    from ..play.opening import Opening
    from ..play.player import Player
    from ..session import GrowingSession, Session
    from ..timing.pacing import Layer
    from ..timing.timeline import Timeline


PLAY_EPILOG = """\b
Examples:
  voiceguide play lower-back-stretch
  voiceguide play lower-back-massage --from "Trigger point" --rate 140
  voiceguide play box-breathing --lead-in 0 --quiet
  voiceguide play lower-back-stretch --big
  voiceguide play lower-back-stretch --listen
  voiceguide play --resume

\b
Keys (on a terminal): space pause/resume, n next step,
p restart the step (twice quickly: the previous step),
r say the last sentence again, q quit.
With --listen, say "pause", "resume", "next", "back",
"repeat" or "stop" in the silences between sentences.
Ctrl-C stops at once. Stopped, play prints the command that
resumes the session (its options, --from the step). Every session
is recorded (`voiceguide history`); --resume carries on the last
stopped one at the step it stopped, with its options.
"""


@click.command(cls=Command, epilog=PLAY_EPILOG)
@click.argument("routine", required=False)
@click.option(
    "--from",
    "from_step",
    metavar="STEP",
    type=NonEmptyText(),
    help='Start at this step: its name or the start of it ("trigger"), a chapter title '
    'such as "Knee to chest — right", or its number in `voiceguide show`.',
)
@click.option(
    "--resume",
    is_flag=True,
    help="Carry on the last stopped session (of ROUTINE, if given) at the step it "
    "stopped, with the options it had (see `voiceguide history`).",
)
@mix_options
@cache_and_pacing_options(lead_in=True)
@click.option(
    "--big", is_flag=True, help="Big block letters for the step and the seconds left, to read from the floor."
)
@click.option("--quiet", "-q", is_flag=True, help="Show nothing; just play.")
def play(
    routine: str | None,
    from_step: str | None,
    resume: bool,
    cache_dir: Path | None,
    layers: tuple[Layer, ...],
    mix: Mix,
    big: bool,
    quiet: bool,
) -> int:
    """Play a routine hands-free, start to finish: the same audio `export` writes.

    A live display shows the step, the sentence being spoken, a bar for the current
    hold or breath with the seconds left, what comes next, and the time elapsed and
    remaining; --big draws the step and the seconds in block letters.
    """
    from .replay import given_arguments

    if resume:
        return _resume(routine, from_step, big, quiet)
    if routine is None:
        raise UsageError(
            "play needs a ROUTINE (a .yaml file, or the name of one of yours or a bundled one: "
            "see `voiceguide list`), or --resume"
        )
    ctx = click.get_current_context()
    # as recorded when --resume replays them (a quick session's pins stay one word, unshown)
    arguments = ctx.meta.pop(REPLAYED, None) or tuple(given_arguments(ctx, _NOT_REPLAYED))
    return play_routine(PlayRequest(routine, mix, layers, cache_dir, from_step, big, quiet, arguments))


@dataclass(frozen=True)
class PlayRequest:
    """What ``play`` was asked for, parsed: ``routine`` (a file, a bundled name or ``-``)
    at a pacing (``layers``) and sound (``mix``), from a step (``from_step``), shown big or
    not at all; ``arguments``: the options as the user could type them again, kept in the
    history for ``play --resume``; ``listen``: voice commands from the microphone (also when
    the pacing's ``listen`` setting asks for them: ``--listen``, ``listen: true``);
    ``instead``: the command (its words after the program's name) that exports this session
    to a file, said when no sound device plays it (default: ``export ROUTINE`` with the
    ``arguments`` export takes and ``-o`` the routine's name ``.mp3``); ``resume_with``: the
    command that carries the session on once stopped, when the history kept it (default:
    ``play ROUTINE`` with the ``arguments`` and ``--from`` the step: :func:`resume_command`)."""

    routine: str
    mix: Mix
    layers: tuple[Layer, ...] = ()
    cache_dir: Path | None = None
    from_step: str | None = None
    big: bool = False
    quiet: bool = False
    arguments: tuple[str, ...] = ()
    listen: bool = False
    instead: tuple[str, ...] = ()
    resume_with: tuple[str, ...] = ()


def play_routine(request: PlayRequest) -> int:
    """``play`` once its arguments are understood: stream the session to the sound device
    with the display and keys, record it in the history; the exit status. The device is
    found first: without one, the error comes at once, its hint the command that exports
    the session instead (:func:`export_instead`)."""
    from ..errors import AudioDeviceError

    try:
        return _play(request)
    except AudioDeviceError as exc:
        raise AudioDeviceError(exc.message, exc.exit_code, hint=export_instead(request)) from exc


def export_instead(request: PlayRequest) -> str:
    """What to do without speakers: "`voiceguide export lower-back-stretch --preset gentle
    -o lower-back-stretch.mp3` works without speakers." (``request.instead``, else the
    routine as given with the options given that ``export`` takes)."""
    from .invocation import shell_word

    words = request.instead or (
        "export",
        request.routine,
        *_exported(request.arguments),
        "-o",
        f"{_file_stem(request.routine)}.mp3",
    )
    return f"`voiceguide {' '.join(shell_word(word) for word in words)}` works without speakers."


def _exported(arguments: tuple[str, ...]) -> list[str]:
    """Of ``arguments`` (play's options, as :func:`~voiceguide.cli.replay.given_arguments`
    writes them), those ``export`` takes too (not --lead-in, --listen)."""
    from .export import export

    takes = {param.name for param in export.params}
    options = {max(param.opts, key=len): param for param in play.params if isinstance(param, click.Option)}
    kept: list[str] = []
    at = 0
    while at < len(arguments):
        param = options.get(arguments[at])
        width = 1 if param is None or param.is_flag else 2
        if param is not None and param.name in takes:
            kept += arguments[at : at + width]
        at += width
    return kept


def _file_stem(routine: str) -> str:
    """An exported file's name for ROUTINE: a bundled name as it is, a file's name without
    .yaml, ``session`` for standard input."""
    name = Path(routine).name
    for suffix in (".yaml", ".yml"):
        name = name.removesuffix(suffix)
    return "session" if routine == "-" or not name else name


def _play(request: PlayRequest) -> int:
    from ..pcm.clip import ms_to_samples
    from ..play.keys import KeyReader
    from ..play.opening import Opening
    from ..play.player import Player, find_chapter
    from ..play.sink import AlsaSink, SimpleaudioSink
    from ..service import plan
    from ..session import lead_in_clip

    routine, from_step, mix, quiet, big = (
        request.routine,
        request.from_step,
        request.mix,
        request.quiet,
        request.big,
    )
    planned = plan(order_for(routine, request.cache_dir, request.layers, mix.sound))  # loaded, no speech
    listen = request.listen or planned.pacing.listen
    # the device is found before any speech is made (without one, `play` said so after
    # making speech: 37.6 s with piper on a cold cache, at load 9). Listening, the echo canceller
    # needs to know when the device plays each sample: AlsaSink says
    sink = AlsaSink() if listen else SimpleaudioSink()
    streamed = stream_planned(planned, quiet, need_all=bool(from_step) or mix.background is not None)
    warn(planned.load_warnings if not streamed.complete else streamed.session().warnings)
    start = 0
    if from_step:  # (the whole timeline is known: see stream_session)
        chapter = streamed.timeline.chapters[find_chapter(streamed.timeline, from_step)]
        start = ms_to_samples(chapter.start_ms, planned.engine.sample_rate)
    clips = streamed.clips
    lead_in = planned.pacing.lead_in_s

    def lead() -> Clip:  # made on the opening's thread: the display comes first
        return lead_in_clip(lead_in, planned.pacing, planned.voice, planned.engine.sample_rate, clips)

    if streamed.complete:
        mix = finish_mix(streamed.session(), clips, mix, quiet)
    warned_late = streamed.complete
    player = Player(streamed, clips, planned.engine.sample_rate, sink, mix=mix)
    title = planned.routine.title
    started = datetime.now(UTC)
    voice = _listening(player, quiet, shown_live=_shows_live(quiet)) if listen else None
    live: Live | None = None
    try:
        with KeyReader() as keys:  # first: a key pressed from now on is kept
            live = _first_display(player, title, start, quiet, big, keys.interactive)  # at once
            opening = Opening(player, start, lead if lead_in else None)  # made as the loop runs
            finished = _play_loop(player, keys, title, quiet, big, live, voice, opening)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (errors.Stopped)
        return _stopped(request, streamed, player, started, exc)
    except Exception as exc:  # a closed terminal: its SIGHUP, then writing to it failed (EIO)
        stop = stopped_in(exc)
        if stop is None:
            raise
        return _stopped(request, streamed, player, started, stop)
    finally:
        player.stop()
        streamed.close()
        if voice is not None:
            voice.close()
        if live is not None:
            live.stop()
    session = streamed.session()
    if not warned_late:  # the timing lint, once all its speech was measured (none on estimates)
        warn(streamed.timing_warnings)
    kept = _record_play(request, session, player, started, completed=finished)
    if finished:
        if not quiet:
            click.echo(f"Session complete ({format_ms(session.timeline.duration_ms)}). Well done.")
        return 0
    _resume_hint(request, player, "stopped", kept)
    return 0


def _resume_hint(request: PlayRequest, player: Player, what: str, kept: bool) -> None:
    """``stopped in "Reach". To resume: voiceguide play tiny.yaml --rate 150 --from "Reach"``,
    then ``(or: voiceguide play --resume)`` when the history ``kept`` the session."""
    from ..play.player import chapter_at
    from .invocation import command_name

    index = chapter_at(player.timeline, max(player.last_position, 0), player.rate)
    title = player.timeline.chapters[index].title
    me = command_name()
    again = resume_command(request, player.timeline, index, kept)
    click.echo(f'{what} in "{title}". To resume: {me} {again}', err=True)
    if kept and not request.resume_with and request.routine != "-":
        click.echo(f"(or: {me} play --resume)", err=True)


def resume_command(request: PlayRequest, timeline: Timeline, index: int, kept: bool) -> str:
    """The command (after the program's name, shell-quoted) that plays the session of
    ``request`` again from its chapter ``index``, as it was played: ``play`` with the routine
    as given, the options given (``request.arguments``, as ``play --resume`` replays them)
    and ``--from`` the chapter's title (its number when the title names an earlier chapter).
    A front end's own (``request.resume_with``: a quick session's ``play --resume``) when
    the history ``kept`` the session, which that command reads."""
    from ..play.player import find_chapter
    from .invocation import shell_word

    if request.resume_with and kept:
        return " ".join(shell_word(word) for word in request.resume_with)
    title = timeline.chapters[index].title
    try:
        named = find_chapter(timeline, title) == index
    except UsageError:  # a title --from cannot read (blank)
        named = False
    step = shell_word(title, quote=True) if named else str(index + 1)
    words = ("play", request.routine, *request.arguments, "--from")
    return f"{' '.join(shell_word(word) for word in words)} {step}"


def _stopped(
    request: PlayRequest,
    streamed: GrowingSession,
    player: Player,
    started: datetime,
    exc: KeyboardInterrupt,
) -> int:
    """A session stopped by Ctrl-C, SIGTERM or SIGHUP: recorded in the history where it
    stopped, as ``q`` is, and the line that resumes it; the exit code (128 + the signal).
    After a SIGHUP the terminal is gone: the line is not said, and the history still kept."""
    import contextlib

    player.stop()
    streamed.close()
    word, code = interruption(exc)
    kept = _record_play(request, streamed.session(), player, started, completed=False)
    with contextlib.suppress(OSError):  # (the terminal that would show it closed)
        _resume_hint(request, player, word, kept)
    return code


#: the context's ``meta`` key of the options ``play --resume`` replays, recorded as they were
REPLAYED = "voiceguide.play.replayed"

#: play's parameters that are not replayed by --resume
_NOT_REPLAYED = frozenset({"routine", "from_step", "resume", "big", "quiet"})


def _record_play(
    request: PlayRequest, session: Session, player: Player, started: datetime, completed: bool
) -> bool:
    """Add the session to the history (True when kept); a database that fails is a
    one-line warning."""
    from ..play.history import HistoryError, PlayRecord, pacing_summary, save
    from ..play.player import chapter_at
    from .replay import routine_key

    timeline = session.timeline
    here = max(player.last_position, 0)
    index = len(timeline.chapters) - 1 if completed else chapter_at(timeline, here, player.rate)
    record = PlayRecord(
        routine=routine_key(request.routine),
        title=session.routine.title,
        arguments=request.arguments,
        pacing=pacing_summary(session.pacing),
        started=started,
        duration_ms=timeline.duration_ms,
        stopped_ms=timeline.duration_ms
        if completed
        else min(here * 1000 // player.rate, timeline.duration_ms),
        step_index=max(index, 0),
        step_title=timeline.chapters[index].title if timeline.chapters else "",
        completed=completed,
    )
    try:
        save(record)
    except HistoryError as exc:
        click.echo(f"voiceguide: warning: not kept in the history: {exc.message}", err=True)
        return False
    return True


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
        raise UsageError(
            f"nothing to resume: no stopped session{which} in `voiceguide history` "
            "that was not played again since"
        )
    if record.routine == "-":
        raise UsageError(
            "the last stopped session read its routine from standard input; "
            "it cannot be played again from here"
        )
    when = record.started.astimezone().strftime("%Y-%m-%d %H:%M")
    if not quiet:
        click.echo(
            f'Resuming {record.title} at step {record.step_index + 1}, "{record.step_title}" '
            f"(stopped {when})",
            err=True,
        )
    arguments = [
        *record.arguments,
        "--from",
        str(record.step_index + 1),
        *(["--big"] if big else []),
        *(["--quiet"] if quiet else []),
        "--",
        record.routine,
    ]
    assert ctx.command.name is not None and isinstance(ctx.command, click.Command)
    with ctx.command.make_context(ctx.command.name, arguments, parent=ctx.parent) as again:
        again.meta[REPLAYED] = record.arguments  # recorded again as they were
        return int(ctx.command.invoke(again) or 0)


def _shows_live(quiet: bool) -> bool:
    """Whether ``play`` draws a live display (else one line per step, or nothing)."""
    return not quiet and console().is_terminal


def _first_display(
    player: Player, title: str, start: int, quiet: bool, big: bool, keys: bool = False
) -> Live | None:
    """The live display on a terminal, started now with the step ``start`` (a session
    sample) leads into and "getting ready…": it shows before the first sound is made, not
    after; ``keys``: the keys are read already (their line is shown)."""
    if not _shows_live(quiet):
        return None
    from rich.live import Live

    from ..play.display import panel
    from ..play.opening import GETTING_READY
    from ..play.player import Status, chapter_at

    timeline = player.timeline
    first = timeline.chapters[chapter_at(timeline, start, player.rate)] if timeline.chapters else None
    status = Status(0, timeline.duration_ms, False, None, first, None, 0, GETTING_READY)
    live = Live(console=console(), auto_refresh=False, transient=False)
    live.start()
    live.update(panel(title, status, len(timeline.chapters), keys, big=big), refresh=True)
    return live


def _play_loop(
    player: Player,
    keys: KeyReader,
    title: str,
    quiet: bool,
    big: bool = False,
    live: Live | None = None,
    voice: Listening | None = None,
    opening: Opening | None = None,
) -> bool:
    """Run until the end (True) or q (False), keeping the display (``live``, when on a
    terminal) current; without a terminal, one line per step. Keys and voice commands
    (``voice``) ask for the same actions (:mod:`voiceguide.play.controls`). ``opening``:
    the player is started on the first turn it can be without waiting; until then the
    display says "getting ready…", Ctrl-C and q stop (q at once unless keys are waiting
    before it), and other keys are kept, in order, for when it plays.
    Every key is acted on, in order: after a key the next is read at once and the display
    is drawn again only once none is waiting (one frame per key made a burst of keys lag
    on a busy machine)."""
    from ..play.controls import KEYS, Action, act
    from ..play.display import panel, plain_line
    from ..play.opening import GETTING_READY

    total = len(player.timeline.chapters)
    last_chapter = -1
    held: list[tuple[Action, float | None]] = []  # keys pressed while getting ready
    key: str | None = None
    try:
        while True:
            playing = opening is None or opening.step()
            if playing:
                player.tick()  # speech made since: written, and the next stream started on time
            wait_s = 0.0 if key is not None else 0.1  # a key was just acted on: more may wait
            key = keys.read(wait_s) if keys.interactive else None
            if not keys.interactive:
                time.sleep(0.1)
            action = KEYS.get(key or "")
            pressed_at = getattr(keys, "pressed_at", None)  # when it was pressed (a KeyReader says)
            if not playing:
                if action == "stop" and not held:
                    return False
                if action is not None:  # in order: after the keys held before it
                    held.append((action, pressed_at))
                    continue
            else:
                for earlier, at in held:
                    if not act(player, earlier, at):
                        return False
                held.clear()
                if not act(player, action, pressed_at):
                    return False
            if key is not None:
                continue  # the next key first, if one is waiting
            if playing and voice is not None and not voice.step(player):
                return False
            if player.finished():
                return True
            status = player.status()
            if not playing:
                status = replace(status, speaking=GETTING_READY)
            if live is not None:
                if voice is not None and voice.said:
                    status = replace(status, speaking=f"({voice.said}) {status.speaking}".strip())
                live.update(panel(title, status, total, keys.interactive, big=big), refresh=True)
            elif not quiet and playing and status.chapter_number != last_chapter:
                last_chapter = status.chapter_number
                click.echo(plain_line(status))
                sys.stdout.flush()
    finally:
        if live is not None:
            live.stop()


def _listening(player: Player, quiet: bool, shown_live: bool) -> Listening | None:
    """Listening started for ``player``, its lines printed here: the command heard (unless
    ``quiet``, or ``shown_live`` on the display), a warning, what was not acted on (``-v``);
    or one warning line saying why not (the session plays without listening)."""
    from ..play.listening import COMMANDS_HINT, ListeningUnavailable, Messages, open_listening
    from .group import verbose_requested

    def heard(line: str) -> None:
        if not quiet and not shown_live:
            click.echo(line)
            sys.stdout.flush()

    def note(line: str) -> None:
        if verbose_requested():
            click.echo(f"listening: {line}", err=True)

    try:
        listening = open_listening(player, Messages(heard, _warning, note))
    except ListeningUnavailable as exc:
        _warning(exc.message)
        return None
    if not quiet:
        click.echo(COMMANDS_HINT, err=True)
    return listening


def _warning(why: str) -> None:
    """One line: listening could not start or stopped (the session plays on)."""
    click.echo(f"voiceguide: warning: {why}", err=True)
