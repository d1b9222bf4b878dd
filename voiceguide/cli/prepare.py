"""The work a command asks of the service (:mod:`voiceguide.service`), shown with a
progress bar: a routine named on the command line turned into an order, prepared (every
length measured) or streamed (playable as soon as its first sound is made)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..routine.bundled import resolve_routine
from .progress import Bar, progress

if TYPE_CHECKING:
    from ..audio.sound import Sound
    from ..service import Order
    from ..session import ClipSource, GrowingSession, Plan, Session
    from ..speech.cache import ClipCache
    from ..timing.pacing import Layer


def open_cache(cache_dir: Path | None) -> ClipCache:
    from ..service import open_cache

    return open_cache(cache_dir)


def order_for(
    routine: str,
    cache_dir: Path | None,
    layers: tuple[Layer, ...],
    sound: Sound | None = None,
    source: bytes | None = None,
) -> Order:
    """The service's order for ``routine`` (a file, a bundled name or ``-``); ``source``:
    its bytes when already read (standard input is read once)."""
    from ..audio.sound import Sound
    from ..service import Order

    return Order(resolve_routine(routine), layers, sound or Sound(), cache_dir, source)


def prepare_routine(
    routine: str,
    cache_dir: Path | None,
    layers: tuple[Layer, ...],
    quiet: bool,
    bar: Bar | None = None,
    sound: Sound | None = None,
    source: bytes | None = None,
) -> tuple[Session, ClipSource]:
    """Resolve, load, synthesize and compile a routine, with a progress bar for speech
    (``bar``, relabelled, when the caller already shows one); ``sound``: how clips are
    levelled (default: :class:`~voiceguide.audio.sound.Sound`'s); ``source``: the routine's
    bytes when already read."""
    from ..service import prepare

    order = order_for(routine, cache_dir, layers, sound, source)
    if bar is not None:
        bar.describe(f"Synthesizing speech for {order.routine.name}", show=False)  # shown if any
        prepared = prepare(order, bar)
    else:
        with progress("Synthesizing speech", quiet=quiet) as update:
            prepared = prepare(order, update)
    return prepared.session, prepared.clips


def stream_session(order: Order, quiet: bool, need_all: bool) -> GrowingSession:
    """The session of ``order``, playable as soon as its first sound is made (its speech
    is synthesized ahead of the playhead, in timeline order). ``need_all`` (``--from``
    picks a chapter, a bed's loudness is measured on the whole session), or a
    ``--duration`` to fit: every length first, with a progress bar."""
    from ..service import plan

    return stream_planned(plan(order), quiet, need_all)


def stream_planned(planned: Plan, quiet: bool, need_all: bool) -> GrowingSession:
    """:func:`stream_session` of an order already planned (:func:`voiceguide.service.plan`:
    the routine loaded at its pacing, nothing synthesized), so that what must come before
    any speech is made (``play`` finds the sound device) can see its pacing."""
    from ..service import wait_for_all
    from ..session import GrowingSession, finish

    if planned.pacing.duration_ms is not None:
        with progress("Synthesizing speech", quiet=quiet) as update:
            session, clips = finish(planned, update)
        return GrowingSession.finished(planned, session, clips)
    growing = GrowingSession(planned)
    if need_all and not growing.complete:
        with progress("Synthesizing speech", quiet=quiet) as update:
            wait_for_all(growing, update)
    return growing
