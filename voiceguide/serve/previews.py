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
from collections import OrderedDict
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

    def preview(self, key: str, order: Order, need: Need | None = None,
                queue: bool = True) -> tuple[Preview, dict[str, int]]:
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
