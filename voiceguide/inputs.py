"""Reading the files voiceguide is given (routines, pacing files): whole, with a size
limit, and only regular files, so ``/dev/zero`` or a FIFO can neither hang a command nor
fill its memory. ``-`` is standard input, read with the same limit.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from .errors import Position, RoutineError, UsageError

STDIN = "-"
STDIN_NAME = "<stdin>"  # how standard input is named in file:line:col


def display_name(path: str | Path) -> str:
    """How an input is named in messages: ``<stdin>`` for ``-``, else the path."""
    return STDIN_NAME if str(path) == STDIN else str(path)


def read_input(path: str | Path, limit: int, what: str) -> bytes:
    """The bytes of the input at ``path`` (``-``: standard input), at most ``limit`` bytes.

    ``what`` names the input in messages ("routine file", "pacing file"). Raises
    :class:`UsageError` (exit 2) when it is missing, not a regular file or unreadable,
    and :class:`RoutineError` at line 1 when it is larger than ``limit`` bytes (a file's
    size is checked before anything is read).
    """
    if str(path) == STDIN:
        return _read_limited(sys.stdin.buffer.fileno(), limit, STDIN_NAME, what)
    name = str(path)
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not wait; regular files ignore it
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UsageError(f"no such {what}: {name}") from None
    except IsADirectoryError:
        raise UsageError(f"{name} is a directory, not a {what}") from None
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {name}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UsageError(f"{name} is a directory, not a {what}")
        if not stat.S_ISREG(mode):
            hint = " (use - to read a routine from standard input)" if what == "routine file" else ""
            raise UsageError(f"{name} is not a regular file ({_kind(mode)}); a {what} must be one{hint}")
        size = os.fstat(fd).st_size
        if size > limit:
            raise _too_large(name, f"the file is {size:,} bytes", limit, what)
        return _read_limited(fd, limit, name, what)
    finally:
        os.close(fd)


def _read_limited(fd: int, limit: int, name: str, what: str) -> bytes:
    """Read ``fd`` to its end, refusing more than ``limit`` bytes (a file that grew, or a
    stream)."""
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            part = os.read(fd, min(1 << 16, limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
            if size > limit:
                raise _too_large(name, f"it is more than {limit:,} bytes", limit, what)
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {name}: {exc.strerror or exc}") from None
    return b"".join(parts)


def _too_large(name: str, found: str, limit: int, what: str) -> RoutineError:
    shown = f"{limit // (1 << 20)} MiB" if limit % (1 << 20) == 0 else f"{limit:,} bytes"
    plural = "routines are" if what == "routine file" else f"a {what} is"
    return RoutineError.at(Position(name, 1, 1), f"{found}; {plural} limited to {shown}")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
