"""The application service: what happens once a front end has understood its request.

``voiceguide`` has two front ends, the command line (:mod:`voiceguide.cli`) and the server
(:mod:`voiceguide.serve`). They parse and present; everything else is one call here:
opening the cache, preparing a session (or streaming one while its speech is made),
finishing its loudness, writing it to files with their sidecars, the lengths shown
before anything is synthesized, the timeline as a picture and the history at a glance.
Both front ends therefore hear, write and show exactly the same thing for the same request.

Progress is a plain callback ``progress(done, total)``; nothing here prints or exits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .audio.sound import DEFAULT_SOUND, Sound
from .timing.pacing import Layer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .audio.mix import Mix
    from .export.formats import ChapterFileFormat, SubtitleFormat
    from .export.outputs import Written
    from .play.history import PlayRecord, Practice
    from .preview import Preview
    from .routine.model import Routine
    from .session import ClipSource, GrowingSession, Plan, Session
    from .speech.cache import ClipCache
    from .speech.scheduler import Need, Request

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Order:
    """A session as a front end asked for it: a routine file at a pacing (``layers``,
    highest first, above the routine's own), levelled and belled as ``sound`` says, with
    speech cached in ``cache_dir`` (None: the default cache). ``source``: the routine file's
    bytes when the front end has read them already (``-``, standard input, is read once)."""

    routine: Path
    layers: tuple[Layer, ...] = ()
    sound: Sound = DEFAULT_SOUND
    cache_dir: Path | None = None
    source: bytes | None = None


@dataclass(frozen=True)
class Loudness:
    """A mix whose loudness gain was measured on its session: the integrated loudness
    before and after the gain (LUFS)."""

    mix: Mix
    before_lufs: float
    after_lufs: float


@dataclass(frozen=True)
class Prepared:
    """A session with every length measured, and the clips it plays."""

    session: Session
    clips: ClipSource
    loudness: Loudness | None = field(default=None)


def open_cache(cache_dir: Path | None) -> ClipCache:
    """The speech cache in ``cache_dir``, else the default one (see
    :func:`voiceguide.speech.cache.default_cache_dir`)."""
    from .speech.cache import ClipCache, default_cache_dir

    return ClipCache(default_cache_dir(cache_dir))


def plan(order: Order) -> Plan:
    """The routine loaded at its pacing, with its engine and voice; nothing synthesized."""
    from .session import plan as plan_session

    return plan_session(
        order.routine,
        None,
        open_cache(order.cache_dir),
        layers=order.layers,
        sound=order.sound,
        source=order.source,
    )


def prepare(order: Order, progress: Progress | None = None, need: Need | None = None) -> Prepared:
    """The session with every clip synthesized (``progress(made, missing)`` as they come),
    ``--duration`` fitted and the timeline compiled. ``need``: how urgently (default: a
    session someone is waiting for; the server's feed renders are background work)."""
    from .session import finish
    from .speech.scheduler import Need

    session, clips = finish(plan(order), progress, need or Need.SESSION)
    return Prepared(session, clips)


def measure(order: Order, need: Need) -> Request:
    """Queue the synthesis of every clip ``order`` needs, at ``need``, and return at once:
    the :class:`~voiceguide.speech.scheduler.Request` says how far it got and cancels it.
    What :func:`preview` then estimates becomes measured as the clips arrive."""
    return plan(order).request(need)


def stream(order: Order) -> GrowingSession | Prepared:
    """A session that can start playing as soon as its first sound is ready: its speech is
    made in the background, in timeline order. A ``--duration`` session cannot (fitting
    needs every length first): it is prepared in full, and the :class:`Prepared` says so."""
    from .session import GrowingSession, finish

    planned = plan(order)
    if planned.pacing.duration_ms is not None:
        session, clips = finish(planned)
        return Prepared(session, clips)
    return GrowingSession(planned)


def wait_for_all(growing: GrowingSession, progress: Progress | None = None) -> Prepared:
    """``growing`` once every length is measured (``progress(made, missing)`` meanwhile)."""
    total = len(growing.plan.texts)
    while not growing.complete:
        if progress is not None:
            progress(len(growing.clips.lengths), total)
        growing.advance(None)
    if progress is not None:
        progress(total, total)
    return Prepared(growing.session(), growing.clips)


def finish_loudness(prepared: Prepared, mix: Mix) -> Prepared:
    """``prepared`` with ``mix``'s loudness gain measured on its whole session (a render
    through ffmpeg's meter), when the mix asks for a loudness (a bed under the voice);
    unchanged otherwise."""
    if mix.loudness_lufs is None:
        return prepared
    from .audio.mix import with_loudness_gain
    from .session import render

    session, clips = prepared.session, prepared.clips
    finished, before, after = with_loudness_gain(
        mix, lambda start: render(session, clips, start), session.timeline, session.sample_rate
    )
    return Prepared(session, clips, Loudness(finished, before, after))


def write_audio(
    prepared: Prepared,
    target: Path,
    fmt: str | None,
    mix: Mix,
    *,
    subtitles: SubtitleFormat | None = None,
    chapters_file: ChapterFileFormat | None = None,
    progress: Progress | None = None,
    clobber: bool = True,
) -> list[Written]:
    """The session as one audio file (chapters where the format carries them) with the
    sidecars asked for; every file written atomically. ``mix``: the bed and gain
    (:func:`finish_loudness` first when it asks for a loudness)."""
    from .export.outputs import export_audio

    return export_audio(
        prepared.session,
        prepared.clips,
        target,
        fmt,
        subtitles=subtitles,
        chapters_file=chapters_file,
        mix=_finished(prepared, mix),
        progress=progress,
        clobber=clobber,
    )


def write_split(
    prepared: Prepared,
    target: Path,
    fmt: str | None,
    mix: Mix,
    progress: Progress | None = None,
    clobber: bool = True,
) -> list[Written]:
    """One audio file per chapter and an M3U playlist."""
    from .export.outputs import export_split

    return export_split(
        prepared.session, prepared.clips, target, fmt, progress, _finished(prepared, mix), clobber
    )


def write_bundle(
    prepared: Prepared,
    directory: Path,
    name: str,
    fmt: str,
    mix: Mix,
    progress: Progress | None = None,
    clobber: bool = True,
) -> list[Written]:
    """A folder: the audio, subtitles, chapters (JSON and CUE), a playlist, routine.json."""
    from .export.outputs import export_bundle

    return export_bundle(
        prepared.session, prepared.clips, directory, name, fmt, progress, _finished(prepared, mix), clobber
    )


def _finished(prepared: Prepared, mix: Mix) -> Mix:
    """``mix`` with the gain :func:`finish_loudness` measured, if it did."""
    return prepared.loudness.mix if prepared.loudness is not None else mix


def check_expansion(routine: Routine, layers: Sequence[Layer] = ()) -> None:
    """What validating checks beyond the loader, short of speech (the command line's
    ``validate`` and every route of the server): ``routine`` expanded at the pacing ``layers``
    ask for, raising :class:`~voiceguide.errors.RoutineError` past the limits (10,000 sounds,
    24 hours) as compiling it would, or :class:`~voiceguide.errors.UsageError` for a pacing."""
    from .timing.pacing import resolve_pacing
    from .timing.timeline import utterances

    utterances(routine, resolve_pacing(routine, layers).pacing)


def preview(order: Order) -> Preview:
    """The session's timing at once: cached clips measured, the rest estimated (marked so);
    nothing is synthesized or written."""
    from .preview import preview as preview_session

    return preview_session(order.routine, open_cache(order.cache_dir), layers=order.layers, sound=order.sound)


def lengths_key(preset: str | None, cache_dir: Path | None) -> str:
    """What a measured length kept in the library's index depends on besides the routine
    file (``voiceguide.routine.library``): the preset (None: the pacing `show` would use),
    the speech engine and its recorded identity (version, sample rate) and the user's pacing
    file (size, modification time), and the program itself (:func:`program_fingerprint`:
    a change to a safety set or a preset changes lengths without touching the routine
    file). The same key for ``list`` and for the server's library, so each shows what the
    other measured. Cheap: no engine, no YAML."""
    import json
    import os

    from .pacing_layers import user_pacing_file
    from .speech.cache import ClipCache
    from .speech.engines import default_engine_name
    from .userdirs import default_cache_dir

    engine = default_engine_name()[0]
    identity = ClipCache(default_cache_dir(cache_dir)).recorded_engine(engine)
    try:
        status = os.stat(user_pacing_file())
        pacing: list[int] | None = [status.st_size, status.st_mtime_ns]
    except OSError:
        pacing = None
    known = None if identity is None else [identity.version, identity.sample_rate]
    return json.dumps([preset or "default", engine, known, pacing, program_fingerprint(PACKAGE)])


PACKAGE = Path(__file__).parent


@functools.cache
def program_fingerprint(package: Path) -> str:
    """A short hash of the Python files under ``package`` (path, size, modification time):
    what the program is, for lengths recorded by another version of it. Read once a
    process (about 150 stats)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        status = path.stat()
        digest.update(f"{path.relative_to(package)}:{status.st_size}:{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def timeline_picture(order: Order) -> str:
    """The session's timeline as a picture (SVG text, :mod:`voiceguide.timeline_svg`) as
    :func:`preview` times it: speech not in the cache estimated, the length marked ``≈``."""
    from .timeline_svg import timeline_svg

    found = preview(order)
    return timeline_svg(found.session.timeline, estimated=bool(found.estimated))


@dataclass(frozen=True)
class History:
    """The play history at a glance: every session played (newest first), the weekly streak
    and the time played each day of the last four weeks (``practice``), and the session
    ``play --resume`` would carry on (None: none)."""

    records: tuple[PlayRecord, ...]
    practice: Practice
    resume: PlayRecord | None


def history(today: date) -> History:
    """The history database read (:mod:`voiceguide.play.history`) and summed up for ``today``
    (local calendar); raises :class:`~voiceguide.play.history.HistoryError`."""
    from .play.history import load, practice, to_resume

    records = tuple(load())
    return History(records, practice(records, today), to_resume(records))
