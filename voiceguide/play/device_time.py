"""When a sound device's stream plays (or captured) its sample 0, on the monotonic clock, from
readings of the device's own delay (alsa-lib's ``snd_pcm_delay``): what the echo canceller of
``play --listen`` needs to line the played sound up with the microphone's.

Each reading is a few ms off (a PulseAudio server interpolates its timing between updates,
and on a busy machine renders in bursts: readings wandered by 2-13 ms at load 7-12 on 2
CPUs), but a stream's samples follow each other exactly: a playback stream and a capture
stream of one device stay sample for sample in step (measured through a PulseAudio monitor:
a reference timed by the settled origins explained the microphone to 75-80 dB over 2 s
within a stream). So the origin is settled once, the median of the first
:data:`SETTLE_READINGS`, and then kept; it moves only when the stream jumped (an underrun,
frames lost), seen as the median of the last :data:`SHORT_READINGS` standing more than
:data:`JUMP_S` from it, and is settled again from those. A clock that drifts against the
other device's is left to the echo canceller, which follows the delay it finds."""

from __future__ import annotations

import statistics
import threading
from collections import deque

#: readings the origin is settled from (a reading every 20 ms: 1 s)
SETTLE_READINGS = 50
#: the latest readings that show a jump ...
SHORT_READINGS = 10
#: ... when their median is this far (s) from the origin
JUMP_S = 0.015


class DeviceOrigin:
    """The clock time (s) of a stream's sample 0, from readings (:meth:`note`, from the
    device's thread) read back by :meth:`value` (from any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settling: list[float] = []
        self._recent: deque[float] = deque(maxlen=SHORT_READINGS)
        self._origin: float | None = None
        self._settled = False

    def note(self, origin: float) -> None:
        """One reading: sample 0 was at ``origin`` by the device's delay now."""
        with self._lock:
            self._recent.append(origin)
            if self._settled:
                assert self._origin is not None
                if len(self._recent) < SHORT_READINGS:
                    return
                recent = statistics.median(self._recent)
                if abs(recent - self._origin) <= JUMP_S:
                    return
                self._settling, self._settled = list(self._recent), False  # it jumped: settle again
            else:
                self._settling.append(origin)
            self._origin = statistics.median(self._settling)
            self._settled = len(self._settling) >= SETTLE_READINGS

    def value(self) -> float | None:
        """The origin (None before any reading; provisional while it settles)."""
        with self._lock:
            return self._origin

    def clear(self) -> None:
        """A new stream (or frames lost): forget the readings."""
        with self._lock:
            self._settling.clear()
            self._recent.clear()
            self._origin = None
            self._settled = False
