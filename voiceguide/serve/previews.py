"""The page's length previews: an answer at once, the measuring queued behind it.

A preview (``POST /api/preview``, the library's lengths) is compiled on what the speech
cache holds, with an estimate for every clip not made yet (:func:`voiceguide.service.preview`),
and answered at once, marked ``estimated``. The clips it lacks are queued on the process's
synthesis scheduler at the preview's need, behind any session someone is playing or
exporting; asking again later gives measured values. The queue is bounded: one
measuring per *key* (a routine, the editor), a newer preview replacing the older one
(whose clips nobody waits for then are dropped), and at most :data:`MAX_MEASURING` at a
time, the oldest cancelled first. Memory is a length per text, whatever the requests.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..preview import Preview
    from ..service import Order
    from ..speech.scheduler import Need, Request

#: previews being measured at once; a newer one beyond this cancels the oldest
MAX_MEASURING = 8


class Previews:
    """The previews being measured, by key (see the module docstring)."""

    def __init__(self, limit: int = MAX_MEASURING) -> None:
        self._limit = limit
        self._measuring: OrderedDict[str, tuple[Order, Request]] = OrderedDict()
        self._lock = threading.Lock()

    def preview(
        self, key: str, order: Order, need: Need | None = None, queue: bool = True
    ) -> tuple[Preview, dict[str, int]]:
        """``order``'s preview now, and what the page shows of its measuring: ``{"done",
        "total"}`` clips. While anything is estimated, the missing clips are queued under
        ``key`` (replacing what that key was measuring), unless ``queue`` is false."""
        from ..service import measure, preview
        from ..speech.scheduler import Need

        found = preview(order)
        if not found.is_estimate or not queue:
            self._forget(key)
            return found, {"done": 0 if found.is_estimate else 1, "total": 1}
        with self._lock:
            measured, running = self._measuring.get(key, (None, None))
        if running is None or measured != order or running.done():  # a newer pacing, or done
            running = measure(order, need or Need.PREVIEW)
            self._keep(key, order, running)
        known = len(running.known())
        return found, {"done": known - running.cached, "total": len(running.texts) - running.cached}

    def _keep(self, key: str, order: Order, request: Request) -> None:
        dropped: list[Request] = []
        with self._lock:
            old = self._measuring.pop(key, None)
            if old is not None:
                dropped.append(old[1])
            self._measuring[key] = (order, request)
            while len(self._measuring) > self._limit:
                dropped.append(self._measuring.popitem(last=False)[1][1])
        for request in dropped:
            request.cancel()

    def _forget(self, key: str) -> None:
        with self._lock:
            old = self._measuring.pop(key, None)
        if old is not None:
            old[1].cancel()

    def close(self) -> None:
        """Cancel every measuring (the server is stopping)."""
        with self._lock:
            dropped = [request for _, request in self._measuring.values()]
            self._measuring.clear()
        for request in dropped:
            request.cancel()


#: an estimated library length is worked out again after this long (s): clips keep arriving
ESTIMATE_TTL_S = 2.0


class LibraryLengths:
    """The library's lengths per preset, worked out on a thread of their own so that a
    listing never waits: cached clips measured, the rest estimated (and the missing clips
    queued behind everything else, unless ``measure`` is false), estimates worked out again
    every :data:`ESTIMATE_TTL_S` until measured. ``order_for(path, preset)``: the service's
    order for a routine at a preset.

    Lengths measured already, by ``voiceguide list`` or by a server before, are read from
    the library's index (``routine.library``, under ``service.lengths_key``, the key ``list``
    uses) and shown at once; a length this server measures is recorded there in turn."""

    def __init__(self, order_for: Callable[[Path, str], Order], measure: bool = True) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._order_for = order_for
        self._measure = measure
        self._previews = Previews(limit=3 * 64)
        # (path, stamp, preset) → (ms, estimated, when it was worked out: time.monotonic()); ms -1:
        # the routine cannot be compiled
        self._known: dict[tuple[str, str, str], tuple[int, bool, float]] = {}
        self._pending: set[tuple[str, str, str]] = set()  # being worked out
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="voiceguide-library-lengths")
        # the index's measured lengths (path → preset → ms), its location and keys by preset, and
        # when they were read (time.monotonic()): read again every ESTIMATE_TTL_S at most
        self._index: tuple[Path, dict[str, str]] | None = None
        self._recorded: tuple[float, dict[str, dict[str, int]]] = (-ESTIMATE_TTL_S, {})

    def of(self, path: Path) -> tuple[dict[str, int] | None, bool]:
        """``path``'s length (ms) at each preset, and whether any is an estimate, as far as
        known now; None until all are known, or when the routine cannot be compiled."""
        from ..routine.schema import PRESETS

        try:
            status = path.stat()
        except OSError:
            return None, False
        stamp = f"{status.st_size}:{status.st_mtime_ns}"
        recorded = self._measured_before(path)
        lengths: dict[str, int] = {}
        estimated = missing = False
        for preset in PRESETS:
            if preset in recorded:
                lengths[preset] = recorded[preset]
                continue
            key = (str(path), stamp, preset)
            known = self._known.get(key)
            stale = known is None or (known[1] and time.monotonic() - known[2] > ESTIMATE_TTL_S)
            if stale and key not in self._pending:
                self._pending.add(key)
                self._thread.submit(self._work_out, path, key)
            if known is None or known[0] < 0:
                missing = True
                continue
            lengths[preset] = known[0]
            estimated |= known[1]
        return (None, False) if missing else (lengths, estimated)

    def _where_recorded(self, path: Path) -> tuple[Path, dict[str, str]]:
        """The library's index and the lengths key of each preset (the server's cache
        directory, from an order; worked out once)."""
        from ..routine.library import INDEX_NAME
        from ..routine.schema import PRESETS
        from ..service import lengths_key
        from ..userdirs import default_cache_dir

        where = self._index  # (one read: the listing's thread may drop it meanwhile)
        if where is None:
            cache_dir = self._order_for(path, PRESETS[0]).cache_dir
            keys = {preset: lengths_key(preset, cache_dir) for preset in PRESETS}
            where = self._index = (default_cache_dir(cache_dir) / INDEX_NAME, keys)
        return where

    def _measured_before(self, path: Path) -> dict[str, int]:
        """``path``'s lengths (ms by preset) the index keeps: measured, by ``list`` or here."""
        from ..routine.library import recorded_lengths

        when, recorded = self._recorded
        if time.monotonic() - when > ESTIMATE_TTL_S:
            self._index = None  # the engine's identity or the pacing file may have changed
            index, keys = self._where_recorded(path)
            recorded = recorded_lengths(index, keys)
            self._recorded = (time.monotonic(), recorded)
        return recorded.get(str(path), {})

    def _work_out(self, path: Path, key: tuple[str, str, str]) -> None:
        from ..errors import VoiceguideError
        from ..routine.library import record_lengths
        from ..speech.scheduler import Need

        try:
            found, _ = self._previews.preview(
                f"{path}:{key[2]}", self._order_for(path, key[2]), Need.BACKGROUND, queue=self._measure
            )
            ms = found.session.timeline.duration_ms
            self._known[key] = (ms, found.is_estimate, time.monotonic())
            if not found.is_estimate:  # kept for `list` and the next server
                index, keys = self._where_recorded(path)
                record_lengths(index, keys[key[2]], {path: ms})
        except VoiceguideError:
            self._known[key] = (-1, False, time.monotonic())
        finally:
            self._pending.discard(key)

    def close(self) -> None:
        """Stop: nothing more is worked out; queued measuring is cancelled."""
        self._thread.shutdown(wait=False, cancel_futures=True)
        self._previews.close()
