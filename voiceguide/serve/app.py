"""The web app of `voiceguide serve`: the page, its JSON API, the session audio (with HTTP
Range) and the podcast feed, as a Starlette application (:func:`create_app`).

The routes are those of the contract between server and page (notes: serve-api.md,
docs/DESIGN.md "voiceguide serve"). Everything a request names is looked up in a table
first (static files, routines, session ids); nothing a request says is joined to a path.
Routine text is checked by the loader before anything else is done with it; a broken
routine or pacing is a 422 with diagnostics, never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import mimetypes
import os
import re
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..errors import (
    EngineUnavailable,
    RoutineError,
    UsageError,
)
from ..routine.schema import PRESETS
from .answers import diagnostic, error, exception_handlers, json_body, problem, yaml_bytes
from .jobs import (
    AUDIO_SUFFIX,
    CHAPTERS_SUFFIX,
    FOLDER_NAME,
    LIVE_SUFFIX,
    PAGE,
    SUBTITLES_SUFFIX,
    Jobs,
    PacingError,
    PacingRequest,
    SessionSpec,
    check_pacing,
)
from .live import live_audio
from .played import Plays
from .previews import LibraryLengths, Previews
from .security import SecurityMiddleware, is_device_name, is_routine_name
from .validation import check_routine

# the networking (binding, uvicorn and its limits) is voiceguide.serve.runner

if TYPE_CHECKING:
    from ..routine.model import Routine
    from ..service import Order
    from ..speech.engines import VoiceCatalog

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: content types the standard library may not know (or may guess differently per system)
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
}
_SESSION_FILE = re.compile(r"([0-9a-f]{32})(\.live\.mp3|\.mp3|\.chapters\.json|\.vtt)")
_FILE_TYPES = {
    AUDIO_SUFFIX: "audio/mpeg",
    CHAPTERS_SUFFIX: "application/json",
    SUBTITLES_SUFFIX: "text/vtt; charset=utf-8",
}
PRESET_NAMES = PRESETS  # the lengths the library lists
#: how a routine's file is named in diagnostics of text from the editor
EDITOR_NAME = "<editor>"
#: editor texts kept for previews (serve/drafts/): older ones are removed
MAX_DRAFTS = 32


@dataclass(frozen=True)
class ServeConfig:
    """How the server runs. ``token`` None: no token (loopback). ``routines``: files
    named on the command line (listed with source "file"). ``feed_routines``: the names
    in /feed.xml at standard pacing (None: every bundled routine) when ``render_feed`` is
    true, rendered in the background once the feed is first asked for (after anything a
    page asks for). ``allowed_hosts``: the Host
    headers accepted (None: any; the CLI gives its own addresses, which stops DNS
    rebinding). ``measure_lengths``: measure each listed routine's length per preset in
    the background (they are estimated at once either way). ``ca_certificate``: the
    local CA of ``--https`` (DER), served at ``/ca.crt`` for phones to install (None: that route is a 404)."""

    token: str | None = None
    cache_dir: Path | None = None
    routines: tuple[Path, ...] = ()
    feed_routines: tuple[str, ...] | None = None
    render_feed: bool = False
    allowed_hosts: tuple[str, ...] | None = None
    measure_lengths: bool = True
    static_dir: Path = field(default=STATIC_DIR)
    ca_certificate: bytes | None = None


@dataclass(frozen=True)
class Listed:
    """A routine the page can name: its allow-listed ``name``, file and source."""

    name: str
    path: Path
    source: str  # "bundled" | "user" | "file"


def slug(text: str) -> str:
    """``text`` as a routine name of the allow-list (lowercase letters, digits, '-')."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:64].strip("-")
    return cleaned or "routine"


def routine_table(extra: Sequence[Path]) -> dict[str, Listed]:
    """Every routine the page may name: bundled, then the user's (which win, as on the
    command line), then the command line's files; names made to fit the allow-list."""
    from ..routine.bundled import bundled_routines
    from ..routine.user import user_routines

    table: dict[str, Listed] = {}
    for source, found in (
        ("bundled", bundled_routines()),
        ("user", user_routines()),
        ("file", [(p.stem, p) for p in extra]),
    ):
        for stem, path in found:
            name = slug(stem)
            if source == "file":
                base, number = name, 2
                while name in table and table[name].path != path:
                    name, number = f"{base}-{number}"[:64], number + 1
            table[name] = Listed(name, path, source)
    return table


class ServeApp:
    """The handlers and what they share: the routine table, the jobs, measured lengths."""

    def __init__(self, config: ServeConfig, jobs: Jobs | None = None) -> None:
        from ..speech.cache import default_cache_dir

        self.config = config
        self.folder = default_cache_dir(config.cache_dir) / FOLDER_NAME
        self.jobs = jobs or Jobs(self.folder, config.cache_dir)
        self.jobs.load_existing()
        self.static = _static_files(config.static_dir)
        self.previews = Previews()  # the page's previews being measured
        self.library_lengths = LibraryLengths(  # the library's lengths at each preset
            lambda path, preset: self._order(path, {"preset": preset}), config.measure_lengths
        )
        self._feed_queued = False  # the feed's own routines are queued on its first request
        self.stopping = threading.Event()  # set when the server is asked to stop: streams end
        self._voices: VoiceCatalog | None = None  # asked once (espeak-ng spawns a process)
        self._voices_lock = threading.Lock()
        self.plays = Plays()  # the history rows of plays on the page

    # ---- the page -------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        path = self.static.get("index.html")
        if path is None:
            return Response(
                "<!doctype html><title>voiceguide</title><p>voiceguide serve is "
                "running; the page is not installed.</p>",
                media_type="text/html",
            )
        return FileResponse(path, media_type=_TYPES[".html"], headers={"cache-control": "no-cache"})

    async def static_file(self, request: Request) -> Response:
        return self._static(request.path_params["name"])

    async def root_file(self, request: Request) -> Response:  # /sw.js, /manifest.webmanifest
        return self._static(request.url.path.lstrip("/"))

    def _static(self, name: str) -> Response:
        path = self.static.get(name)  # the allow-list: the files shipped in static/
        if path is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        suffix = os.path.splitext(name)[1]
        media = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=media, headers={"cache-control": "no-cache"})

    async def artwork(self, request: Request) -> Response:
        """The podcast's artwork (a square PNG, drawn once into the serve folder)."""
        from .artwork import ARTWORK_NAME, ensure_artwork

        path = await run_in_threadpool(ensure_artwork, self.folder / ARTWORK_NAME)
        return FileResponse(path, media_type="image/png", headers={"cache-control": "public, max-age=86400"})

    async def ca_certificate(self, request: Request) -> Response:
        """The local CA of ``--https`` (public; no token): what a phone installs to trust
        this server (voiceguide.serve.tls)."""
        if self.config.ca_certificate is None:
            return JSONResponse(
                {"error": "this server has no certificate authority (it runs without --https)"},
                status_code=404,
            )
        return Response(
            self.config.ca_certificate,
            media_type="application/x-x509-ca-cert",
            headers={
                "cache-control": "no-cache",
                "content-disposition": 'attachment; filename="voiceguide-ca.crt"',
            },
        )

    # ---- routines ---------------------------------------------------------------------

    def _table(self) -> dict[str, Listed]:
        return routine_table(self.config.routines)

    def _listed(self, name: str) -> Listed:
        listed = self._table().get(name) if is_routine_name(name) else None
        if listed is None:
            raise error(404, f"no routine named {name!r}")
        return listed

    async def routines(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self._routine_rows))

    def _routine_rows(self) -> list[dict[str, object]]:
        from ..routine.library import INDEX_NAME, list_entries
        from ..speech.cache import default_cache_dir

        table = self._table()
        index = default_cache_dir(self.config.cache_dir) / INDEX_NAME
        entries = list_entries([(n, t.path) for n, t in table.items()], index)
        rows: list[dict[str, object]] = []
        order = {"file": 0, "user": 1, "bundled": 2}  # measured first: the ones named, yours
        for entry in sorted(entries, key=lambda e: order[table[e.name].source]):
            if entry.problem is not None:
                continue  # a broken file of yours: `voiceguide validate` says why
            rows.append(
                {
                    "name": entry.name,
                    "title": entry.title,
                    "description": entry.description,
                    "source": table[entry.name].source,
                    "tags": list(entry.tags),
                    "level": entry.level,
                    "equipment": None if entry.equipment is None else list(entry.equipment),
                    **dict(
                        zip(
                            ("lengths_ms", "lengths_estimated"),
                            self.library_lengths.of(entry.path),
                            strict=True,
                        )
                    ),
                }
            )
        return rows

    def _order(self, path: Path, values: dict[str, Any]) -> Order:
        """The service's order for ``path`` at the page's pacing ``values``."""
        from ..pacing_layers import pacing_layers
        from ..service import Order

        return Order(path, tuple(pacing_layers(values, None, PAGE)), cache_dir=self.config.cache_dir)

    async def routine(self, request: Request) -> Response:
        listed = self._listed(request.path_params["name"])
        return JSONResponse(await run_in_threadpool(self._routine_detail, listed))

    def _routine_detail(self, listed: Listed) -> dict[str, object]:
        from ..routine.loader import MAX_FILE_BYTES, parse_routine
        from ..timing.timeline import outline

        source = _read_routine(listed.path, MAX_FILE_BYTES)
        routine, _ = parse_routine(source, listed.path.name)
        # the chapters, numbered and titled as `show` and `play --from N` have them: each
        # side and round its own ("Pelvic tilts — round 1 of 4"), never a step without a title
        steps = [{"number": n, "title": c.title} for n, c in enumerate(outline(routine), 1)]
        return {
            "name": listed.name,
            "title": routine.title,
            "description": routine.description,
            "safety": list(routine.safety),
            "steps": steps,
            "yaml": source.decode("utf-8", "replace"),
            "source": listed.source,
        }

    async def routine_picture(self, request: Request) -> Response:
        """The routine's timeline as a picture (SVG) at the pacing of the query parameters."""
        from ..routine.loader import MAX_FILE_BYTES
        from .pictures import query_pacing, routine_picture, svg

        listed = self._listed(request.path_params["name"])
        pacing = query_pacing(request.query_params, len(request.query_params.multi_items()))

        def draw() -> str:
            check_routine(_read_routine(listed.path, MAX_FILE_BYTES), listed.path.name, pacing.values)
            return routine_picture(self._order(listed.path, dict(pacing.values)))

        return svg(await run_in_threadpool(draw), "no-cache")

    # ---- the editor ---------------------------------------------------------------------

    async def validate(self, request: Request) -> Response:
        body = await json_body(request)
        source = yaml_bytes(body)
        pacing = check_pacing(body.get("pacing"))
        try:
            _, warnings = check_routine(source, EDITOR_NAME, pacing.values)
        except RoutineError as exc:
            return JSONResponse({"ok": False, "diagnostics": [diagnostic(d) for d in exc.diagnostics]})
        except UsageError as exc:
            return JSONResponse({"ok": False, "diagnostics": [problem(exc.message)]})
        return JSONResponse({"ok": True, "diagnostics": [diagnostic(d) for d in warnings]})

    async def preview(self, request: Request) -> Response:
        body = await json_body(request)
        pacing = check_pacing(body.get("pacing"))
        if "yaml" in body:
            path = self._draft(yaml_bytes(body), pacing)  # checked before it is kept
            key = "editor"
        elif isinstance(body.get("name"), str):
            path = self._listed(body["name"]).path
            key = f"routine:{body['name']}"
        else:
            raise error(400, 'give {"name": ROUTINE} or {"yaml": TEXT}, and "pacing"')
        return JSONResponse(await run_in_threadpool(self._preview, path, pacing, key))

    def _draft(self, source: bytes, pacing: PacingRequest) -> Path:
        """Editor text as a file the session path can load, once it has passed the checks
        of `voiceguide validate`; the drafts folder keeps the :data:`MAX_DRAFTS` newest."""
        from ..atomic import write_text

        check_routine(source, EDITOR_NAME, pacing.values)
        folder = self.folder / "drafts"
        path = folder / f"{hashlib.sha256(source).hexdigest()[:32]}.yaml"
        if not path.is_file():
            write_text(path, source.decode("utf-8", "surrogateescape"))
            _keep_newest(folder, MAX_DRAFTS, keep=path)
        return path

    def _preview(self, path: Path, pacing: PacingRequest, key: str) -> dict[str, object]:
        """The session's timing at once (estimated where clips are not made yet, its
        measuring queued under ``key``: a newer preview of the same key replaces it)."""
        from ..export.document import timeline_document

        found, measuring = self.previews.preview(key, self._order(path, dict(pacing.values)))
        session = found.session
        doc = timeline_document(session)
        return {
            "duration_ms": session.timeline.duration_ms,
            "chapters": doc["chapters"],
            "doc": doc,
            "warnings": [diagnostic(d) for d in session.warnings],
            "estimated": found.is_estimate,
            "exact_until_ms": found.exact_until_ms,
            "measuring": measuring,
        }

    async def save_routine(self, request: Request) -> Response:
        from ..atomic import atomic_path
        from ..routine.bundled import bundled_routines
        from ..routine.user import free_copy_name, user_routines_dir

        name = request.path_params["name"]
        if not is_routine_name(name):
            raise error(
                400,
                "a routine name is 1-64 lowercase letters, digits and '-', starting with a letter or digit",
            )
        if is_device_name(name):
            raise error(
                400,
                f"{name!r} names a device on Windows, so the file could not be "
                f"copied there; choose another name, e.g. {name}-routine",
            )
        bundled = dict(bundled_routines())
        if name in bundled:
            raise error(
                409,
                f"{name!r} is a bundled routine; a routine of yours under that name "
                f"would hide it, so save it under another name, e.g. "
                f"{free_copy_name(name, bundled)!r}",
            )
        source = yaml_bytes(await json_body(request))
        check_routine(source, f"{name}.yaml", {})  # nothing is written for a broken routine
        target = user_routines_dir() / f"{name}.yaml"

        def write() -> None:
            with atomic_path(target) as temp:
                temp.write_bytes(source)
            self.library_lengths.of(target)  # its lengths worked out now: the library lists them

        await run_in_threadpool(write)
        return JSONResponse({"name": name, "path": str(target)})

    # ---- pacing -----------------------------------------------------------------------

    async def pacing_settings(self, request: Request) -> Response:
        """The pacing settings the page offers, as the one description says
        (:func:`voiceguide.routine.pacing_settings.page_description`): the page builds its
        form from them."""
        from ..routine.pacing_settings import page_description

        return JSONResponse({"settings": page_description()})

    # ---- voices ---------------------------------------------------------------------

    async def voices(self, request: Request) -> Response:
        from ..speech.engines import FALLBACK_NOTE, FALLBACK_SOURCE, voice_fields

        catalog = await run_in_threadpool(self._catalog)
        return JSONResponse(
            {
                "default": catalog.default,
                "note": FALLBACK_NOTE if catalog.source == FALLBACK_SOURCE else None,
                "engines": [
                    {"id": e.engine, "default": e.default, "voices": [voice_fields(v) for v in e.voices]}
                    for e in catalog.engines
                ],
                "unavailable": [{"id": name, "reason": why} for name, why in catalog.missing],
            }
        )

    def _catalog(self) -> VoiceCatalog:
        """What `voiceguide voices` lists (with the test engine when it is the default: the
        one a page's "default" means), asked once per server."""
        from ..speech.engines import voice_catalog

        with self._voices_lock:
            if self._voices is None:
                self._voices = voice_catalog(strict=False, with_test_default=True)
            return self._voices

    def _check_voice(self, routine: Routine, pacing: PacingRequest) -> None:
        """A voice the request names must be one that the engine in effect (the request's,
        else the routine's or the default) offers: a 422 naming the field now, not a session
        that fails later; that engine not installed here is a 503."""
        from ..pacing_layers import pacing_layers
        from ..speech.engine import find_voice, voice_suggestion
        from ..speech.engines import default_engine_name
        from ..timing.pacing import resolve_pacing

        wanted = pacing.values.get("voice")
        if wanted is None:
            return
        engine = resolve_pacing(routine, pacing_layers(dict(pacing.values), None, PAGE)).pacing.engine
        engine = engine or default_engine_name()[0]
        catalog = self._catalog()
        reason = dict(catalog.missing).get(engine)
        if reason is not None:
            raise EngineUnavailable(reason)
        offered = next((e.voices for e in catalog.engines if e.engine == engine), None)
        if offered is None or find_voice(offered, wanted) is not None:
            return  # an engine not listed (the test engine, named): its own check at render
        hint = voice_suggestion(offered, wanted)  # en_GB: en-gb; joe: en_US-joe-medium (as the CLI)
        raise PacingError(
            "voice",
            f"{engine} has no voice {wanted!r}{hint or '; see GET /api/voices or `voiceguide voices`'}",
        )

    # ---- sessions -------------------------------------------------------------------

    async def create_session(self, request: Request) -> Response:
        from ..routine.loader import MAX_FILE_BYTES

        body = await json_body(request)
        if not isinstance(body.get("name"), str):
            raise error(400, 'give {"name": ROUTINE, "pacing": {...}}')
        listed = self._listed(body["name"])
        pacing = check_pacing(body.get("pacing"))
        source = _read_routine(listed.path, MAX_FILE_BYTES)
        routine, _ = check_routine(source, listed.path.name, pacing.values)
        self._check_voice(routine, pacing)
        job = self.jobs.submit(SessionSpec(listed.name, listed.path, pacing), source)
        snapshot = self.jobs.snapshot(job.id) or {}
        return JSONResponse({"id": job.id, "status": snapshot.get("status", job.status)})

    def submit_feed(self) -> None:
        """Queue the feed's routines at standard pacing (after anything a page asks for)."""
        table = self._table()
        names = self.config.feed_routines
        if names is None:
            names = tuple(n for n, t in table.items() if t.source == "bundled")
        for name in names:
            listed = table.get(name)
            if listed is None:
                continue
            try:
                source = listed.path.read_bytes()
            except OSError:
                continue
            self.jobs.submit(
                SessionSpec(listed.name, listed.path, PacingRequest({}), in_feed=True), source, priority=1
            )

    async def session(self, request: Request) -> Response:
        snapshot = self.jobs.snapshot(request.path_params["id"])
        if snapshot is None:
            raise error(404, "no such session")
        return JSONResponse(snapshot)

    async def session_picture(self, request: Request) -> Response:
        """A rendered session's timeline as a picture (SVG; the player marks the position)."""
        from .pictures import session_picture, svg

        snapshot = self.jobs.snapshot(request.path_params["id"])
        if snapshot is None:
            raise error(404, "no such session")
        text = await run_in_threadpool(session_picture, snapshot["doc"])
        return svg(text, "private, max-age=31536000, immutable")

    async def session_events(self, request: Request) -> Response:
        sid = request.path_params["id"]
        if self.jobs.snapshot(sid) is None:
            raise error(404, "no such session")

        async def events() -> Any:
            last: tuple[str, float] | None = None
            quiet = 0.0
            while True:
                snapshot = self.jobs.snapshot(sid)
                if snapshot is None:
                    return
                status = snapshot["status"]
                kind = status if status in ("ready", "failed") else "progress"
                if (kind, snapshot["progress"]) != last:
                    last, quiet = (kind, snapshot["progress"]), 0.0
                    brief = {k: v for k, v in snapshot.items() if k not in ("doc", "live_doc")}
                    yield f"event: {kind}\ndata: {json.dumps(brief)}\n\n"  # documents: GET the session
                elif quiet >= 15:
                    quiet = 0.0
                    yield ": still rendering\n\n"  # keeps proxies and phones from closing it
                if kind != "progress" or self.stopping.is_set() or await request.is_disconnected():
                    return
                await asyncio.sleep(0.25)
                quiet += 0.25

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def session_file(self, request: Request) -> Response:
        match = _SESSION_FILE.fullmatch(request.path_params["file"])
        job = self.jobs.get(match.group(1)) if match else None
        if match is not None and job is not None and match.group(2) == LIVE_SUFFIX:
            return live_audio(request, job, self.folder / f"{job.id}{LIVE_SUFFIX}", self.stopping)
        if match is None or job is None or job.status != "ready":
            return JSONResponse({"error": "no such file"}, status_code=404)
        suffix = match.group(2)
        path = self.folder / f"{job.id}{suffix}"  # made from the table's id, not the request
        if not path.is_file():
            return JSONResponse({"error": "no such file"}, status_code=404)
        return FileResponse(
            path,
            media_type=_FILE_TYPES[suffix],
            headers={"cache-control": "private, max-age=31536000, immutable"},
        )

    # ---- the history -------------------------------------------------------------------

    async def history(self, request: Request) -> Response:
        """The weekly streak, the minutes a day of the last four weeks, the newest sessions."""
        from datetime import date

        from .played import history_document, history_limit

        limit = history_limit(request.query_params)
        return JSONResponse(await run_in_threadpool(history_document, limit, date.today()))

    async def record_play(self, request: Request) -> Response:
        """A play on the page, reported when it pauses or ends: added to the history, or
        the row of that play (the page's id of it) carried further."""
        from .played import page_arguments, play_record, read_report

        report = read_report(await json_body(request))
        job = self.jobs.get(report.session)
        if job is None:
            raise error(404, "no such session")
        meta = job.meta
        if job.status != "ready" or meta is None:
            raise error(409, "the session is not ready yet; report it once it plays from its file")
        if report.position_ms == 0 and not report.ended:
            return JSONResponse({"record": None})  # not played yet: nothing to keep
        listed = self._table().get(str(meta.get("name")))
        routine = (
            listed.name
            if listed and listed.source == "bundled"
            else str(listed.path if listed else meta.get("name"))
        )
        arguments = page_arguments(job.spec.pacing) if job.spec is not None else ()
        record = play_record(meta, routine, arguments, report)
        row = await run_in_threadpool(self.plays.record, record, report)
        return JSONResponse({"record": row, "stopped_ms": record.stopped_ms, "completed": record.completed})

    # ---- the podcast feed ---------------------------------------------------------------

    async def feed(self, request: Request) -> Response:
        from .feed import episode, feed_xml

        if self.config.render_feed and not self._feed_queued:
            self._feed_queued = True
            await run_in_threadpool(self.submit_feed)
        base = str(request.base_url)
        query = f"?token={self.config.token}" if self.config.token else ""
        episodes = []
        for job in self.jobs.ready():
            audio = self.folder / f"{job.id}{AUDIO_SUFFIX}"
            if job.meta is not None and audio.is_file():
                episodes.append(episode(job.meta, audio, lambda file: f"{base}audio/{file}{query}", job.id))
        body = feed_xml(
            episodes,
            link=base + query,
            self_url=f"{base}feed.xml{query}",
            image_url=f"{base}artwork.png{query}",
        )
        return Response(
            body, media_type="application/rss+xml; charset=utf-8", headers={"cache-control": "no-cache"}
        )


def _keep_newest(folder: Path, count: int, keep: Path) -> None:
    """Remove all but the ``count`` newest files in ``folder`` (never ``keep``)."""
    try:
        entries = [
            (entry.stat().st_mtime_ns, Path(entry.path))
            for entry in os.scandir(folder)
            if entry.is_file(follow_symlinks=False)
        ]
    except OSError:
        return
    for _, path in sorted(entries, reverse=True)[count:]:
        if path != keep:
            with contextlib.suppress(OSError):
                path.unlink()


def _read_routine(path: Path, limit: int) -> bytes:
    from ..inputs import read_input

    return read_input(path, limit, "routine file")


def _static_files(folder: Path) -> dict[str, Path]:
    """The allow-list of the page's files: the regular, visible files in ``folder``."""
    try:
        return {
            entry.name: Path(entry.path)
            for entry in os.scandir(folder)
            if entry.is_file() and not entry.name.startswith(".")
        }
    except OSError:
        return {}


def create_app(config: ServeConfig, jobs: Jobs | None = None) -> Starlette:
    """The Starlette app for ``config`` (``jobs``: a table to share, for tests)."""
    serve = ServeApp(config, jobs)
    routes = [
        Route("/", serve.index),
        Route("/static/{name}", serve.static_file),
        Route("/sw.js", serve.root_file),
        Route("/manifest.webmanifest", serve.root_file),
        Route("/api/routines", serve.routines),
        Route("/api/voices", serve.voices),
        Route("/api/pacing-settings", serve.pacing_settings),
        Route("/api/routines/{name}", serve.routine),
        Route("/api/routines/{name}/timeline.svg", serve.routine_picture),
        Route("/api/preview", serve.preview, methods=["POST"]),
        Route("/api/validate", serve.validate, methods=["POST"]),
        Route("/api/sessions", serve.create_session, methods=["POST"]),
        Route("/api/sessions/{id}", serve.session),
        Route("/api/sessions/{id}/events", serve.session_events),
        Route("/api/sessions/{id}/timeline.svg", serve.session_picture),
        Route("/api/user-routines/{name}", serve.save_routine, methods=["PUT"]),
        Route("/api/history", serve.history),
        Route("/api/history", serve.record_play, methods=["POST"]),
        Route("/audio/{file}", serve.session_file),
        Route("/feed.xml", serve.feed),
        Route("/artwork.png", serve.artwork),
        Route("/ca.crt", serve.ca_certificate),
    ]
    middleware = [Middleware(SecurityMiddleware, token=config.token)]  # outermost: headers on all
    if config.allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts)))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            serve.previews.close()  # queued measuring is dropped
            serve.library_lengths.close()
            await run_in_threadpool(serve.jobs.close)  # a render in progress stops

    app = Starlette(
        routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers=dict(exception_handlers())
    )
    app.state.serve = serve
    return app
