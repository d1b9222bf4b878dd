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
    order for a routine at a preset."""

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

    def of(self, path: Path) -> tuple[dict[str, int] | None, bool]:
        """``path``'s length (ms) at each preset, and whether any is an estimate, as far as
        known now; None until all are known, or when the routine cannot be compiled."""
        from ..routine.schema import PRESETS

        try:
            status = path.stat()
        except OSError:
            return None, False
        stamp = f"{status.st_size}:{status.st_mtime_ns}"
        lengths: dict[str, int] = {}
        estimated = missing = False
        for preset in PRESETS:
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

    def _work_out(self, path: Path, key: tuple[str, str, str]) -> None:
        from ..errors import VoiceguideError
        from ..speech.scheduler import Need

        try:
            found, _ = self._previews.preview(
                f"{path}:{key[2]}", self._order_for(path, key[2]), Need.BACKGROUND, queue=self._measure
            )
            self._known[key] = (found.session.timeline.duration_ms, found.is_estimate, time.monotonic())
        except VoiceguideError:
            self._known[key] = (-1, False, time.monotonic())
        finally:
            self._pending.discard(key)

    def close(self) -> None:
        """Stop: nothing more is worked out; queued measuring is cancelled."""
        self._thread.shutdown(wait=False, cancel_futures=True)
        self._previews.close()
