"""Single key presses from the terminal, without Enter, without echo.

cbreak mode keeps Ctrl-C working (it still raises KeyboardInterrupt); the terminal is
restored on the way out whatever happens.
"""

from __future__ import annotations

import os
import select
import sys
from types import TracebackType
from typing import Any


class KeyReader:
    """``with KeyReader() as keys: key = keys.read(0.05)`` — None when nothing was pressed.

    Without a terminal on stdin it reads nothing (and touches nothing)."""

    def __init__(self) -> None:
        self._fd: int | None = None
        self._saved: list[Any] | None = None  # termios.tcgetattr's list, as typeshed types it

    def __enter__(self) -> KeyReader:
        if sys.stdin is not None and sys.stdin.isatty():
            import termios
            import tty

            self._fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._fd is not None and self._saved is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        self._fd = None

    @property
    def interactive(self) -> bool:
        return self._fd is not None

    def read(self, timeout_s: float) -> str | None:
        """One key, or None after ``timeout_s`` seconds."""
        if self._fd is None:
            return None
        ready, _, _ = select.select([self._fd], [], [], timeout_s)
        if not ready:
            return None
        return os.read(self._fd, 1).decode(errors="replace") or None
