"""The one error root of voiceguide.

Library code raises these; only :mod:`voiceguide.cli` prints them and exits.
Every error knows its exit code (0 ok, 1 runtime failure, 2 bad usage or an
invalid routine, 130 interrupted) and how to show itself as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT; SIGTERM gives 143, SIGHUP 129 (see Stopped)


class VoiceguideError(Exception):
    """Base class: a message for the user and the process exit code."""

    exit_code: int = EXIT_FAILURE

    def __init__(self, message: str, exit_code: int | None = None, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint  # what to do about it: printed on the line after the message
        if exit_code is not None:
            self.exit_code = exit_code

    def format(self) -> str:
        """The text the CLI prints (without the leading ``voiceguide:``)."""
        return self.message


class UsageError(VoiceguideError):
    """A bad option value or argument; exit 2."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Position:
    """Where something is in a routine file: 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


#: how bad a :class:`Diagnostic` is: an error makes the routine invalid, a warning does not
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem (or warning) found in a routine file."""

    position: Position
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.position}: {prefix}{self.message}"


def in_file_order(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """``diagnostics`` as a reader meets them: by line, then column, each file's together
    (files in the order they first appear); problems at one place keep their order (a
    breath's warnings as they are heard). The loader finds a ``pacing:`` block before the
    steps above it, and the timeline's warnings come after the loader's."""
    listed = list(diagnostics)
    files: dict[str, int] = {}
    for d in listed:
        files.setdefault(d.position.path, len(files))
    return tuple(sorted(listed, key=lambda d: (files[d.position.path], d.position.line, d.position.column)))


class RoutineError(VoiceguideError):
    """A routine file is invalid. Carries every problem found, not just the first."""

    exit_code = EXIT_USAGE

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def at(cls, position: Position, message: str) -> RoutineError:
        """A routine error with a single problem."""
        return cls([Diagnostic(position, message)])

    @property
    def path(self) -> str:
        return self.diagnostics[0].position.path

    @property
    def line(self) -> int:
        return self.diagnostics[0].position.line

    @property
    def column(self) -> int:
        return self.diagnostics[0].position.column


class EngineUnavailable(VoiceguideError):
    """The speech engine (or the system library behind it) is missing or broken."""


class EncoderUnavailable(VoiceguideError):
    """ffmpeg (needed for compressed formats) is missing or lacks an encoder."""


class AudioDeviceError(VoiceguideError):
    """No audio device could be opened for playback."""


class CacheError(VoiceguideError):
    """The clip cache cannot be read or written."""


class ExportError(VoiceguideError):
    """Writing an output file failed."""


class Stopped(KeyboardInterrupt):
    """The process was asked to stop by a signal other than Ctrl-C (SIGTERM from ``kill``
    or ``timeout``, SIGHUP when the terminal closes).

    A ``KeyboardInterrupt``, so every cleanup that runs on Ctrl-C (temporary files,
    encoder processes, the audio stream) runs for these too. Exit code 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def stopped_in(error: BaseException) -> Stopped | None:
    """The :class:`Stopped` that ``error`` was raised while handling (its context or cause,
    however deep), if any: when the terminal closes, its SIGHUP's ``Stopped`` unwinds
    through code that writes to that terminal or restores its mode, which then fails (EIO)
    with the ``Stopped`` as its context; the stop, not the failure, is what happened."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        if isinstance(found, Stopped):
            return found
        seen.add(id(found))
        found = found.__cause__ or found.__context__
    return None


def interruption(exc: KeyboardInterrupt) -> tuple[str, int]:
    """How to report an interruption: (what to print, exit code). After Ctrl-C the text
    starts on a new line (the terminal has echoed ``^C`` after whatever was showing)."""
    if isinstance(exc, Stopped):
        return "terminated" if exc.signum == 15 else "hung up", exc.exit_code
    return "\ninterrupted", EXIT_INTERRUPTED
