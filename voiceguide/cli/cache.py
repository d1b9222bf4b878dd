"""The speech cache: ``synthesize`` (fill it ahead of time; ``render`` is its old name)
and ``cache stats``, ``cache clear`` and ``cache prune``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import EngineUnavailable, UsageError
from ..formatting import format_ms, shown
from .group import Command, Group
from .mixing import SOUND_OPTIONS, loudness_target
from .options import cache_and_pacing_options, cache_option
from .prepare import open_cache, prepare_routine
from .progress import echo_json, progress, warn

if TYPE_CHECKING:
    from ..session import ClipSource
    from ..speech.hearing import Listener
    from ..speech.takes import Rechecked
    from ..timing.pacing import Layer


@click.command(
    cls=Command,
    epilog="\b\nExamples:\n  voiceguide synthesize lower-back-massage --rate 140\n"
    "  voiceguide synthesize box-breathing --check",
)
@click.argument("routine")
@cache_and_pacing_options()
@SOUND_OPTIONS[0]
@click.option(
    "--check",
    is_flag=True,
    help="Hear every cached take with the speech recognizer and replace one heard wrong by a "
    "new take heard better (piper; espeak-ng says a text the same way each time).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def synthesize(
    routine: str,
    cache_dir: Path | None,
    layers: tuple[Layer, ...],
    loudness: float | str,
    check: bool,
    quiet: bool,
) -> int:
    """Synthesize every utterance of a routine into the speech cache, ahead of time, so
    play and export start at once (also offline). `render` is the old name of this command.

    New takes are checked as they are made where the recognizer is installed (the hearing
    extra); a cached take changes only with --check."""
    from ..audio.sound import Sound
    from ..speech import hearing

    listener = hearing.listener() if check else None
    if check and listener is None and hearing.is_available():
        raise UsageError("--check: the speech recognizer is turned off (VOICEGUIDE_HEARING=off)")
    if check and listener is None:
        raise EngineUnavailable(
            "--check needs the speech recognizer (faster-whisper and its bundled model). "
            f"Install it with: {hearing.INSTALL_COMMAND}"
        )
    sound = Sound(loudness_target(loudness))
    session, clips = prepare_routine(routine, cache_dir, layers, quiet, sound=sound)
    warn(session.warnings)
    texts = sorted(session.timeline.speech_texts())
    if listener is not None:
        _check_takes(session.routine.title, texts, clips, listener, quiet)
    elif not quiet:
        click.echo(
            f"{session.routine.title}: {len(texts)} utterances cached in "
            f"{clips.cache.directory}; session {format_ms(session.timeline.duration_ms)}"
        )
    return 0


def _check_takes(title: str, texts: list[str], clips: ClipSource, listener: Listener, quiet: bool) -> None:
    """``synthesize --check``: every cached take of ``texts`` heard, one heard wrong replaced
    by a new take heard better (:func:`voiceguide.speech.synth.recheck_cached`), on one
    thread per CPU; what was found, said."""
    from concurrent.futures import ThreadPoolExecutor

    from ..speech.synth import recheck_cached, usable_cpus
    from ..speech.takes import takes_vary

    def one(text: str) -> Rechecked | None:
        return recheck_cached(clips.cache, clips.engine, clips.respell(text), clips.voice, listener)

    results: list[Rechecked] = []
    with progress("Checking takes", quiet=quiet) as update, ThreadPoolExecutor(usable_cpus()) as pool:
        update(0, len(texts))
        for count, done in enumerate(pool.map(one, texts), 1):
            if done is not None:  # (None: not cached, as after a `cache clear` meanwhile)
                results.append(done)
            update(count, len(texts))
    if quiet:
        return
    right = sum(1 for r in results if r.after.right)
    replaced = sum(1 for r in results if r.replaced)
    wrong = [r for r in results if not r.after.right]
    vary = takes_vary(clips.engine)
    if replaced:
        why = f" ({replaced} replaced by a new take heard better)"
    elif wrong:  # why a take heard wrong is still there
        reason = "no new take was heard better" if vary else "another take would sound the same"
        why = f" (none replaced: {reason})"
    else:
        why = ""
    click.echo(
        f"{title}: {len(results)} takes checked in {clips.cache.directory}: {right} heard right, "
        f"{len(wrong)} heard wrong{why}"
    )
    for r in sorted(wrong, key=lambda r: r.after.recall or 0.0):
        heard = _misheard(r.text, r.after.heard or "")
        click.echo(f"  {shown(r.text)}: {heard} ({r.after.recall or 0.0:.0%})")
    if wrong and not vary:
        click.echo(
            f"  {clips.engine.engine_id} says a text the same way each time: a respelling in the "
            "pronunciation lexicon, or --engine piper, can mend it"
        )


def _misheard(text: str, heard: str) -> str:
    """The words of ``text`` heard otherwise: ``"chest" heard as "chess"``, ``"catch" not
    heard`` (the text itself is cut short in the message, and would hide them)."""
    from ..speech.hearing import misheard

    runs = misheard(text, heard)
    if not runs:  # (the words all there, yet not right: as written)
        return f"heard as {shown(heard)}"
    return "; ".join(
        f'"{said}" heard as "{other}"' if other else f'"{said}" not heard' for said, other in runs
    )


# the command's first name, kept so scripts that use it go on working
render = Command(
    "render", callback=synthesize.callback, params=synthesize.params, help=synthesize.help, hidden=True
)


@click.group(
    cls=Group,
    epilog="\b\nExamples:\n  voiceguide cache stats\n  voiceguide cache prune --max-size 200MB\n"
    "  voiceguide cache clear",
)
def cache() -> None:
    """Inspect or trim the speech cache."""


@cache.command(epilog="\b\nExamples:\n  voiceguide cache stats\n  voiceguide cache stats --json")
@cache_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats(cache_dir: Path | None, as_json: bool) -> int:
    """How many clips are cached, and their size."""
    s = open_cache(cache_dir).stats()
    if as_json:
        echo_json({"directory": str(s.directory), "entries": s.entries, "bytes": s.bytes})
    else:
        click.echo(f"{s.directory}: {s.entries} clips, {s.bytes / 1e6:.1f} MB")
    return 0


@cache.command(epilog="\b\nExample:\n  voiceguide cache clear --cache-dir ./audio_cache")
@cache_option
def clear(cache_dir: Path | None) -> int:
    """Delete every cached clip."""
    c = open_cache(cache_dir)
    removed = c.clear()
    click.echo(f"removed {removed} clips from {c.directory}")
    return 0


_SIZE_UNITS = {"b": 1, "k": 1000, "kb": 1000, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9}


def _parse_size(text: str) -> int:
    """``--max-size``: bytes from ``500k``, ``200MB``, ``1.5GB`` or ``1000000B`` (decimal
    units, ASCII digits, finite, not negative). A unit is required but for ``0``: a bare
    ``200`` was once 200 bytes, and pruned every clip."""
    t = text.strip().lower()
    number = t.rstrip("kmgb").rstrip()
    unit = t[len(number) :].strip()
    try:
        value = float(number) if number.isascii() and len(number) <= 30 else math.nan
    except ValueError:
        value = math.nan
    if not unit and math.isfinite(value) and value > 0:
        raise UsageError(
            f"--max-size: {shown(text)} has no unit; did you mean {number}MB?",
            hint="Sizes take a unit: 500k, 200MB, 1.5GB (or 1000000B for bytes).",
        )
    size = value * _SIZE_UNITS.get(unit or "b", math.nan)
    if not math.isfinite(size) or size < 0:
        raise UsageError(f"--max-size: {shown(text)} is not a size; use e.g. 500k, 200MB or 1.5GB")
    return int(size)


def _size(count: int) -> str:
    """``count`` bytes for people: ``512 B``, ``12.3 kB``, ``4.5 MB``, ``1.2 GB`` (decimal)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 1000)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


@cache.command(
    epilog="\b\nExamples:\n  voiceguide cache prune --max-size 200MB\n"
    "  voiceguide cache prune --max-size 1.5GB"
)
@cache_option
@click.option(
    "--max-size",
    required=True,
    metavar="SIZE",
    help="Keep at most this much, with its unit (500k, 200MB, 1.5GB); least recently used clips go first.",
)
def prune(cache_dir: Path | None, max_size: str) -> int:
    """Remove least recently used clips until the cache fits in SIZE."""
    limit = _parse_size(max_size)
    c = open_cache(cache_dir)
    result = c.prune(limit)
    click.echo(
        f"removed {result.removed} clips ({_size(result.freed_bytes)}); "
        f"{result.left} clips left ({_size(result.left_bytes)}) in {c.directory}"
    )
    return 0
