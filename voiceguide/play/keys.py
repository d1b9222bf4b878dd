"""Single key presses from the terminal, without Enter, without echo.

cbreak mode keeps Ctrl-C working (it still raises KeyboardInterrupt); the terminal is
restored on the way out whatever happens. The mode is set without flushing what was
typed: a key pressed while ``play`` was starting is kept (``tty.setcbreak``'s default,
TCSAFLUSH, threw it away). A thread reads the keys as they come and notes when each was
pressed, so every key is acted on, in order, however long the play loop takes over one
(``n`` restarting a stream on a busy machine), and ``p p`` counts as a double press by
when the keys were pressed, not when they were acted on.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import time
from collections import deque
from types import TracebackType
from typing import Any


class KeyReader:
    """``with KeyReader() as keys: key = keys.read(0.05)`` — None when nothing was pressed;
    :attr:`pressed_at` is when the key :meth:`read` last gave was pressed.

    Without a terminal on stdin it reads nothing (and touches nothing)."""

    def __init__(self) -> None:
        self._fd: int | None = None
        self._saved: list[Any] | None = None  # termios.tcgetattr's list, as typeshed types it
        self._keys: deque[tuple[str, float]] = deque()  # (key, time.monotonic() it was read)
        self._arrived = threading.Condition()
        self._wake: tuple[int, int] | None = None  # a pipe that ends the reading thread
        self._thread: threading.Thread | None = None
        #: s on the monotonic clock: when the key last returned by read() was pressed
        self.pressed_at: float | None = None

    def __enter__(self) -> KeyReader:
        if sys.stdin is not None and sys.stdin.isatty():
            import termios
            import tty

            self._fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd, termios.TCSANOW)  # keep what was typed ahead
            self._wake = os.pipe()
            self._thread = threading.Thread(target=self._read_keys, name="voiceguide-keys", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._wake is not None:
            os.write(self._wake[1], b"x")
            if self._thread is not None:
                self._thread.join(1.0)
            for fd in self._wake:
                os.close(fd)
            self._wake, self._thread = None, None
        if self._fd is not None and self._saved is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        self._fd = None

    @property
    def interactive(self) -> bool:
        return self._fd is not None

    def _read_keys(self) -> None:
        """The reading thread: every key as it comes, with the time it came."""
        assert self._fd is not None and self._wake is not None
        while True:
            ready, _, _ = select.select([self._fd, self._wake[0]], [], [])
            if self._wake[0] in ready:
                return
            try:
                data = os.read(self._fd, 64)
            except OSError:  # the terminal went away
                return
            if not data:
                return
            now = time.monotonic()
            with self._arrived:
                self._keys.extend((key, now) for key in data.decode(errors="replace"))
                self._arrived.notify_all()

    def read(self, timeout_s: float) -> str | None:
        """The next key pressed (in the order pressed), or None after ``timeout_s`` seconds."""
        if self._fd is None:
            return None
        with self._arrived:
            self._arrived.wait_for(lambda: bool(self._keys), timeout_s)
            if not self._keys:
                return None
            key, self.pressed_at = self._keys.popleft()
        return key
