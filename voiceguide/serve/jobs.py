"""Sessions the server renders: one render per session id, however many phones ask.

A session is a routine file at a pacing. Its id (:func:`session_id`, 32 hex digits) is a
hash of the routine's text, the pacing asked for, the background, the default engine and
the user's pacing file: the same request from two phones gives the same id, and
:meth:`Jobs.submit` hands both the one :class:`Job`. Rendering goes through exactly the
path ``voiceguide export`` takes (the application service: :func:`voiceguide.service.prepare`,
then :func:`voiceguide.service.write_audio` with mp3 chapters, WebVTT subtitles and JSON
chapters; its speech made by the process's one synthesis scheduler, at a session's need,
or behind everything for the feed), on one worker thread, into the serve folder
(``<cache dir>/serve``): each file is written to a temporary name and renamed, and
``<id>.json`` (the session's description) is written last, so a session whose description
exists is complete. The folder survives a restart; :meth:`Jobs.load_existing` puts its
sessions back in the table.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import VoiceguideError
from ..routine.model import PacingValues
from .security import is_session_id

if TYPE_CHECKING:
    from ..audio.mix import Mix
    from ..service import Order, Prepared
    from ..session import GrowingSession

#: how a session's files are named in the serve folder: <id><suffix>
AUDIO_SUFFIX, CHAPTERS_SUFFIX, SUBTITLES_SUFFIX, META_SUFFIX = (".mp3", ".chapters.json", ".vtt", ".json")
#: the session's beginning, encoded while its speech is still being made (see render_session)
LIVE_SUFFIX = ".live.mp3"
#: a session whose speech is all made within this long (s) is simply rendered; a longer one
#: plays its beginning live meanwhile
LIVE_AFTER_S = 1.0
FOLDER_NAME = "serve"
_ID_VERSION = 1  # bump when what a render writes changes: old sessions are made again
#: share of the progress bar for synthesizing speech; the rest is rendering and encoding
_SYNTH_SHARE = 0.3
BACKGROUNDS = ("brown-noise",)  # a file path from a request never reaches the mixer
#: the layer the page's pacing makes (what resolve_pacing's messages name it)
PAGE = "the page"


class PacingError(VoiceguideError):
    """A pacing value from the page is wrong; ``field`` names it (the page's key)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class PacingRequest:
    """Checked pacing from the page: ``values`` as pacing keys with converted values (the
    page's layer), ``background`` ``"brown-noise"`` or None."""

    values: PacingValues
    background: str | None = None


def check_pacing(raw: object) -> PacingRequest:
    """The page's ``pacing`` object checked and converted as the one description says
    (:data:`~voiceguide.routine.pacing_settings.SETTINGS`: the keys the page offers, their
    limits; the command line reads the same). Raises :class:`PacingError` naming the key."""
    from ..routine.pacing_settings import BY_KEY, PAGE_KEYS, pacing_values, parse

    if raw is None:
        return PacingRequest({})
    if not isinstance(raw, dict):
        raise PacingError("pacing", 'must be an object such as {"preset": "gentle"}')
    values: dict[str, object] = {}
    background = None
    for key, value in raw.items():
        if value is None or value == "":
            continue  # not set: as the routine and preset say
        if key == "background":
            if value not in BACKGROUNDS:
                raise PacingError(key, f"must be one of {', '.join(BACKGROUNDS)} or null")
            background = str(value)
            continue
        if key not in PAGE_KEYS:
            raise PacingError(key, f"is not a pacing setting; use {', '.join(PAGE_KEYS)}, background")
        setting = BY_KEY[key]
        whole = setting.kind == "integer"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | str)
            or (whole and isinstance(value, str) and not value.isdigit())
        ):
            raise PacingError(key, "must be a whole number" if whole else "must be text")
        try:
            values[key] = parse(setting, value if whole else str(value))
        except ValueError as exc:
            raise PacingError(key, str(exc)) from None
    return PacingRequest(pacing_values(values), background)


@dataclass(frozen=True)
class SessionSpec:
    """What to render: the routine ``name`` (as listed) and its file, at ``pacing``."""

    name: str
    path: Path
    pacing: PacingRequest = field(default_factory=lambda: PacingRequest({}))
    in_feed: bool = False  # listed in /feed.xml even if nobody asked for it through the page


def session_id(routine_text: bytes, pacing: PacingRequest) -> str:
    """32 hex digits naming a session: the routine's text, the pacing and background
    asked for, the default engine (``$VOICEGUIDE_ENGINE``, piper or espeak-ng) and the
    user's pacing file, which together decide what a render sounds like."""
    from ..pacing_layers import user_pacing_file
    from ..speech.engines import default_engine_name

    try:
        user_pacing = hashlib.sha256(user_pacing_file().read_bytes()).hexdigest()
    except OSError:
        user_pacing = None
    identity = {
        "version": _ID_VERSION,
        "routine": hashlib.sha256(routine_text).hexdigest(),
        "pacing": sorted((k, repr(v)) for k, v in pacing.values.items()),
        "background": pacing.background,
        "default_engine": default_engine_name()[0],
        "user_pacing": user_pacing,
    }
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


Progress = Callable[[float], None]  # 0.0 .. 1.0
Render = Callable[[SessionSpec, str, Path, Path | None, Progress], dict[str, Any]]


class LiveProgress:
    """A render's progress callback (0.0 .. 1.0), which also hears of its live stream:
    :meth:`live` when the session's beginning is being encoded to ``<id>.live.mp3`` (with
    the provisional ``show --json`` document to follow it by), :meth:`live_done` when that
    file is complete."""

    def __init__(self, report: Progress, job: Job, lock: threading.Lock) -> None:
        self._report, self._job, self._lock = report, job, lock

    def __call__(self, fraction: float) -> None:
        self._report(fraction)

    def live(self, doc: dict[str, Any]) -> None:
        with self._lock:
            self._job.live_doc, self._job.live_state = doc, "encoding"

    def live_done(self) -> None:
        with self._lock:
            self._job.live_state = "done"


class Cancelled(VoiceguideError):
    """The server is stopping: the render in progress is abandoned (its temporary files
    removed by the atomic writers)."""


def render_session(
    spec: SessionSpec, sid: str, folder: Path, cache_dir: Path | None, progress: Progress
) -> dict[str, Any]:
    """Render ``spec`` as ``export`` would (mp3 with chapters, ``.vtt``, ``.chapters.json``)
    into ``folder`` as ``<sid>.*``; return the session's description (what ``<sid>.json``
    keeps: title, duration in ms, the ``show --json`` document, …)."""
    from ..audio.mix import Mix
    from ..audio.sound import Sound
    from ..export.document import timeline_document
    from ..pacing_layers import pacing_layers
    from ..service import Order, Prepared, finish_loudness, prepare, stream, write_audio
    from ..session import GrowingSession
    from ..speech.scheduler import Need
    from ..timing.pacing import summary

    sound = Sound()
    order = Order(spec.path, tuple(pacing_layers(dict(spec.pacing.values), None, PAGE)), sound, cache_dir)
    background = spec.pacing.background
    mix = Mix(background, loudness_lufs=sound.loudness_lufs if background else None, sound=sound)
    live = isinstance(progress, LiveProgress) and background is None and not spec.in_feed
    streamed = stream(order) if live else None
    if isinstance(streamed, GrowingSession):  # made within a second: simply rendered
        deadline = time.monotonic() + LIVE_AFTER_S
        while not streamed.complete and (left := deadline - time.monotonic()) > 0:
            streamed.advance(left)
    if isinstance(streamed, GrowingSession) and not streamed.complete:
        assert isinstance(progress, LiveProgress)
        prepared = _render_live(streamed, order, folder / f"{sid}{LIVE_SUFFIX}", mix, progress)
    elif streamed is not None:
        prepared = (
            streamed if isinstance(streamed, Prepared) else Prepared(streamed.session(), streamed.clips)
        )
    else:
        prepared = prepare(
            order,
            lambda done, total: progress(_SYNTH_SHARE * done / max(total, 1)),
            Need.BACKGROUND if spec.in_feed else Need.SESSION,
        )
    session = prepared.session
    prepared = finish_loudness(prepared, mix)
    progress(_SYNTH_SHARE)
    write_audio(
        prepared,
        folder / f"{sid}{AUDIO_SUFFIX}",
        "mp3",
        mix,
        subtitles="vtt",
        chapters_file="json",
        progress=lambda done, total: progress(_SYNTH_SHARE + (1 - _SYNTH_SHARE) * done / max(total, 1)),
    )
    meta = {
        "id": sid,
        "name": spec.name,
        "title": session.routine.title,
        "description": session.routine.description,
        "duration_ms": session.timeline.duration_ms,
        "pacing": summary(session.pacing),
        "engine": session.engine_id,
        "voice": session.pacing.voice,  # None: the engine's default voice
        "background": background,
        "in_feed": spec.in_feed,
        "created": time.time(),
        "doc": timeline_document(session),
    }
    return meta


def _render_live(
    growing: GrowingSession, order: Order, path: Path, mix: Mix, progress: LiveProgress
) -> Prepared:
    """Encode ``growing`` to the mp3 ``path`` as its samples become final, so a page can
    start playing before the speech is all made (``GET /audio/<id>.live.mp3`` follows the
    file); the :class:`Prepared` session once complete. The page follows the live stream
    with the session's preview document (estimated where speech is not made yet)."""
    from ..export.document import timeline_document
    from ..export.encode import export_stream
    from ..export.outputs import metadata_for
    from ..service import Prepared, preview

    total = max(1, len(growing.plan.texts))

    def reported(chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            progress(_SYNTH_SHARE * len(growing.clips.lengths) / total)  # raises once stopping
            yield chunk

    doc = timeline_document(preview(order).session)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with growing, path.open("wb") as out:  # not atomic: a stream, removed once the session is ready
            progress.live(doc)  # (the file exists now: a page may open it)
            export_stream(
                reported(growing.pcm(mix)),
                None,
                growing.plan.engine.sample_rate,
                out.fileno(),
                "mp3",
                metadata=metadata_for(growing.session()),
            )
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    progress.live_done()
    return Prepared(growing.session(), growing.clips)


@dataclass
class Job:
    """One session in the table. Mutable, read and written under :attr:`Jobs.lock`."""

    id: str
    spec: SessionSpec | None  # None for a session found on disk at start
    status: str = "rendering"  # "rendering" | "ready" | "failed"
    progress: float = 0.0
    error: str | None = None
    meta: dict[str, Any] | None = None  # the description once ready
    live_doc: dict[str, Any] | None = None  # while its beginning plays live: the preview's document
    live_state: str = ""  # "" | "encoding" | "done": <id>.live.mp3

    def files(self, folder: Path) -> dict[str, Path]:
        """The session's files, by kind, in ``folder``: audio, chapters, subtitles, meta."""
        return {
            kind: folder / f"{self.id}{suffix}"
            for kind, suffix in (
                ("audio", AUDIO_SUFFIX),
                ("chapters", CHAPTERS_SUFFIX),
                ("subtitles", SUBTITLES_SUFFIX),
                ("meta", META_SUFFIX),
            )
        }

    def snapshot(self) -> dict[str, Any]:
        """The session as ``GET /api/sessions/{id}`` shows it (serve-api.md)."""
        meta = self.meta or {}
        live = self.status == "rendering" and self.live_doc is not None
        return {
            "id": self.id,
            "status": self.status,
            "progress": round(self.progress, 4),
            "error": self.error,
            "duration_ms": meta.get("duration_ms"),
            "title": meta.get("title"),
            "name": meta.get("name") or (self.spec.name if self.spec else None),
            "engine": meta.get("engine"),
            "voice": meta.get("voice"),
            "audio": f"/audio/{self.id}{AUDIO_SUFFIX}",
            "chapters": f"/audio/{self.id}{CHAPTERS_SUFFIX}",
            "subtitles": f"/audio/{self.id}{SUBTITLES_SUFFIX}",
            "doc": meta.get("doc"),
            # while rendering: the beginning, playable now (a stream without ranges), and the
            # provisional document to follow it by (times estimated past the speech made)
            "live": f"/audio/{self.id}{LIVE_SUFFIX}" if live else None,
            "live_doc": self.live_doc if live else None,
        }


class Worker:
    """One thread running tasks by priority (lower first, then in order of arrival):
    renders a page asked for before the feed's, the feed's before measuring lengths.
    One at a time: the machine's CPUs are for synthesis and the encoder."""

    def __init__(self) -> None:
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="voiceguide-serve-worker", daemon=True)
        self._thread.start()

    def put(self, priority: int, task: Callable[[], None]) -> None:
        with self._ready:
            heapq.heappush(self._queue, (priority, next(self._order), task))
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                _, _, task = heapq.heappop(self._queue)
            with contextlib.suppress(Exception):  # a task reports its own failure
                task()

    def close(self, timeout: float = 5.0) -> None:
        with self._ready:
            self._closed = True
            self._queue.clear()
            self._ready.notify_all()
        self._thread.join(timeout)


class Jobs:
    """The table of sessions, by id, and the worker that renders them into ``folder``."""

    def __init__(self, folder: Path, cache_dir: Path | None = None, render: Render | None = None) -> None:
        self.folder = folder
        self.cache_dir = cache_dir
        self._render = render
        self.lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self.worker = Worker()
        self._stopping = threading.Event()

    def load_existing(self) -> int:
        """Put the complete sessions of the serve folder in the table; return how many."""
        found = 0
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                sid = entry.name[: -len(META_SUFFIX)] if entry.name.endswith(META_SUFFIX) else ""
                if not is_session_id(sid) or entry.name.endswith(CHAPTERS_SUFFIX):
                    continue
                meta = _read_meta(Path(entry.path))
                if meta is None or not (self.folder / f"{sid}{AUDIO_SUFFIX}").is_file():
                    continue
                with self.lock:
                    self._jobs.setdefault(sid, Job(sid, None, "ready", 1.0, meta=meta))
                found += 1
        return found

    def get(self, sid: str) -> Job | None:
        """The job of ``sid`` (only an id of the hash format is looked up)."""
        if not is_session_id(sid):
            return None
        with self.lock:
            return self._jobs.get(sid)

    def snapshot(self, sid: str) -> dict[str, Any] | None:
        with self.lock:
            job = self._jobs.get(sid) if is_session_id(sid) else None
            return None if job is None else job.snapshot()

    def ready(self) -> list[Job]:
        """The rendered sessions, oldest first."""
        with self.lock:
            jobs = [j for j in self._jobs.values() if j.status == "ready" and j.meta]
        return sorted(jobs, key=lambda j: (float((j.meta or {}).get("created", 0)), j.id))

    def submit(self, spec: SessionSpec, routine_text: bytes, priority: int = 0) -> Job:
        """The job for ``spec``: the one already rendering or ready (shared), else a new
        one queued for the worker. A failed session, or one whose files went, is made again."""
        sid = session_id(routine_text, spec.pacing)
        with self.lock:
            job = self._jobs.get(sid)
            if job is not None and (
                job.status == "rendering"
                or (job.status == "ready" and job.files(self.folder)["audio"].is_file())
            ):
                if spec.in_feed and job.meta is not None and not job.meta.get("in_feed"):
                    job.meta = {**job.meta, "in_feed": True}
                return job
            job = Job(sid, spec)
            self._jobs[sid] = job
        self.worker.put(priority, lambda: self._run(job))
        return job

    def _run(self, job: Job) -> None:
        assert job.spec is not None

        def progress(fraction: float) -> None:
            if self._stopping.is_set():
                raise Cancelled("the server is stopping")
            with self.lock:
                job.progress = max(job.progress, min(fraction, 1.0))

        from ..atomic import write_text

        render = self._render or render_session
        try:
            meta = render(
                job.spec, job.id, self.folder, self.cache_dir, LiveProgress(progress, job, self.lock)
            )
        except VoiceguideError as exc:
            with self.lock:
                job.status, job.error = "failed", exc.message
            return
        except Exception as exc:  # a bug: the page says so instead of waiting forever
            with self.lock:
                job.status, job.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
            return
        try:  # last: a session whose description is on disk is complete
            write_text(self.folder / f"{job.id}{META_SUFFIX}", json.dumps(meta, ensure_ascii=False))
        except VoiceguideError as exc:
            with self.lock:
                job.status, job.error = "failed", exc.message
            return
        with self.lock:
            job.status, job.progress, job.meta = "ready", 1.0, meta
        with contextlib.suppress(OSError):  # a page still playing it keeps its open file
            (self.folder / f"{job.id}{LIVE_SUFFIX}").unlink()

    def close(self) -> None:
        """Stop: the render in progress is abandoned at its next progress report."""
        self._stopping.set()
        self.worker.close()


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None
