"""Write-to-temp-then-rename, so no reader ever sees half a file.

The temporary file sits beside the target as ``.<name>.<pid>.<token>.partial<.ext>``
(cut to fit the file-name limit). A writer killed with SIGKILL cannot remove its own, so
every write first removes the stale ones in its folder: those whose pid is not running,
or is running but started after the file was last written (the pid was reused).

Outputs get the mode a plain ``open()`` would give a new file (``0o666`` less the
umask); ``private=True`` keeps ``0o600``. The rename replaces whatever is at the target
name, a symlink included (the link itself, never the file it points to); a device,
FIFO or directory there is refused. ``clobber=False`` never replaces anything, even a
file that appears while writing (the temp file is hard-linked into place).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import string
from collections.abc import Iterator
from pathlib import Path

from .errors import ExportError, UsageError

NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows filesystems
_TOKEN_CHARS = string.ascii_lowercase + string.digits
_TEMP = re.compile(r"^\..*\.(\d+)\.[a-z0-9]{4}\.partial(\.[^.]*)?$", re.S)


def temp_name(target: Path, token: str) -> str:
    """The temporary name for ``target``: ``.<stem>.<pid>.<token>.partial<suffix>``, the
    stem cut (at a character boundary) so the whole fits in :data:`NAME_MAX` bytes."""
    tail = f".{os.getpid()}.{token}.partial{target.suffix}"
    room = NAME_MAX - 1 - len(tail.encode())
    stem = target.stem.encode()[: max(room, 0)].decode(errors="ignore")
    return f".{stem}{tail}"


def check_target(target: Path, *, clobber: bool = True) -> None:
    """Refuse what :func:`atomic_path` would refuse, before any work: a name over
    :data:`NAME_MAX` bytes or a non-regular file (UsageError), an existing file when
    ``clobber`` is false (ExportError)."""
    size = len(os.fsencode(target.name))
    if size > NAME_MAX:
        raise UsageError(f"the file name is too long ({size} bytes; the limit is {NAME_MAX}): {target}")
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError:
        return  # the write itself will say what is wrong with the folder
    if stat.S_ISDIR(mode):
        raise UsageError(f"{target} is a directory; give a file name to write")
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise UsageError(f"{target} is not a regular file; voiceguide writes only regular files")
    if not clobber:
        raise ExportError(f"{target} already exists; kept it (--no-clobber)")


@contextlib.contextmanager
def atomic_path(target: Path, *, private: bool = False, clobber: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    On any exception, Ctrl-C included, the temporary file is removed and ``target``
    is left as it was. The suffix is kept so tools that look at it still can. An
    OSError (a full disk, a read-only folder, …) becomes an ExportError naming ``target``.
    """
    check_target(target, clobber=clobber)
    _make_folder(target.parent)
    remove_stale_temps(target.parent)
    named: list[Path] = []  # the temporary file's name is known before the file exists
    try:
        try:
            temp = create_temp(target, 0o600 if private else 0o666, named)
            yield temp
            flush_to_disk(temp)
            _move_into_place(temp, target, clobber)
        except OSError as exc:
            raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:  # Ctrl-C or SIGTERM at any point, the file's creation included
        for temp in named:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        raise


def write_text(path: Path, text: str, clobber: bool = True) -> bool:
    """Write ``text`` as UTF-8, atomically; return whether a file was replaced."""
    replaced = os.path.lexists(path)
    with atomic_path(path, clobber=clobber) as temp:
        temp.write_text(text, encoding="utf-8")
    return replaced


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ExportError(f"cannot write into {folder}: it is not a folder") from None
    except OSError as exc:
        raise ExportError(
            f"cannot create the folder {exc.filename or folder}: {exc.strerror or exc}"
        ) from exc


def create_temp(target: Path, mode: int, named: list[Path] | None = None) -> Path:
    """A new empty file beside ``target`` named by :func:`temp_name` (``mode`` less the
    umask, as ``open()`` does). Raises OSError.

    ``named``: the name is appended to it *before* the file is created, so a caller
    interrupted anywhere in here (Ctrl-C, SIGTERM: an exception at any bytecode) can
    still remove the file; the name holds this process's id, so it is never another's."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        token = "".join(secrets.choice(_TOKEN_CHARS) for _ in range(4))
        temp = target.parent / temp_name(target, token)
        if named is not None:
            named.append(temp)
        try:
            os.close(os.open(temp, flags, mode))
        except FileExistsError:
            if named is not None:
                named.remove(temp)
            continue
        return temp


def flush_to_disk(path: Path) -> None:
    """fsync ``path``, so that after the rename the new name never holds less than the
    whole file, even after a crash of the machine."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def link_into_place(temp: Path, target: Path) -> bool:
    """Give the finished file ``temp`` the name ``target`` unless something (a dangling
    link included) already has it; whether it did. ``temp`` is left for the caller to
    remove. Raises OSError."""
    try:
        os.link(temp, target)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise
        if os.path.lexists(target):  # no hard links on this file system: check, then rename
            return False
        os.replace(temp, target)
    return True


def _move_into_place(temp: Path, target: Path, clobber: bool) -> None:
    if clobber:
        os.replace(temp, target)  # replaces a symlink itself, never what it points to
        return
    if not link_into_place(temp, target):
        raise ExportError(f"{target} already exists; kept it (--no-clobber)")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()


# ---- leftovers of killed writers -------------------------------------------------------------


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files in ``folder`` whose writer is gone; return them."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if not match:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or not _writer_gone(int(match[1]), info.st_mtime):
                continue
            os.unlink(entry.path)
        except OSError:
            continue  # someone else's file, or already gone
        removed.append(Path(entry.path))
    return removed


def _writer_gone(pid: int, modified: float) -> bool:
    """Whether process ``pid`` cannot be writing a file last modified at ``modified``
    (seconds since the epoch): it is not running, or it started after that."""
    if pid <= 1:
        return False  # not a name this module makes
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # running, as another user
    except OSError:
        return False
    started, zombie = _process_start(pid)
    if zombie:
        return True
    # the start time is known to about a second (the boot time is in whole seconds)
    return started is not None and started > modified + 1.0


def _process_start(pid: int) -> tuple[float | None, bool]:
    """When ``pid`` started (seconds since the epoch) and whether it is a zombie, from
    Linux's /proc; ``(None, False)`` where that is not available."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rpartition(")")[2].split()
        with open("/proc/stat", encoding="ascii", errors="replace") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        ticks = int(fields[19])  # field 22 of the whole line: start time in clock ticks
        return boot + ticks / os.sysconf("SC_CLK_TCK"), fields[0] == "Z"
    except (OSError, ValueError, IndexError, StopIteration):
        return None, False
