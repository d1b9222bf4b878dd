"""ffmpeg: found when first needed, and run on streams of PCM. The one place that spawns it.

Two ways it is used: :func:`feed` writes a stream to its standard input (the encoder, the
loudness meter); :class:`Reader` reads its standard output as needed (the background bed).
Either way its standard error goes to a temporary file (a pipe could fill and stall it),
and it is killed if the Python side fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from ..errors import EncoderUnavailable


def find_ffmpeg(
    needed_by: str = "compressed formats need it",
    instead: str = "exporting to .wav (without --background or --loudness) needs nothing",
) -> str:
    """Path of the ffmpeg executable on ``PATH``, looked for when first needed.

    Raises :class:`EncoderUnavailable` (exit 1) saying what to install, what needs it
    (``needed_by``, a clause) and what works ``instead``. (Not through pydub: importing any
    of pydub probes for ffmpeg and warns when it is missing.)
    """
    found = shutil.which("ffmpeg")
    if not found:
        raise EncoderUnavailable(
            f"ffmpeg is not installed, and {needed_by}: run "
            f"`sudo apt-get install ffmpeg` (or bin/setup); {instead}"
        )
    return found


def pcm_format(sample_rate: int) -> list[str]:
    """ffmpeg's options for raw mono 16-bit little-endian PCM at ``sample_rate`` Hz."""
    return ["-f", "s16le", "-ar", str(sample_rate), "-ac", "1"]


#: bytes a pipe to or from ffmpeg holds (Linux allows this much without privileges): a
#: 64 KiB pipe makes Python and ffmpeg take turns; with 1 MiB each can run ahead
PIPE_BYTES = 1 << 20


def _widen(pipe: IO[bytes]) -> None:
    """Give ``pipe`` :data:`PIPE_BYTES` of buffer where the system allows it (Linux)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Windows
        return
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is not None:
        with contextlib.suppress(OSError):  # a lower /proc/sys/fs/pipe-max-size: keep the default
            fcntl.fcntl(pipe.fileno(), set_size, PIPE_BYTES)


@dataclass(frozen=True)
class Finished:
    """How a fed ffmpeg ended: its exit status and what it wrote on standard error."""

    returncode: int
    messages: str

    def last_lines(self, n: int) -> list[str]:
        return self.messages.strip().splitlines()[-n:]


def feed(command: Sequence[str], chunks: Iterable[bytes], *, stdout: int = subprocess.DEVNULL) -> Finished:
    """Run ``command`` with ``chunks`` written to its standard input (closed after the
    last one) and wait for it to end.

    If ffmpeg stops reading early (BrokenPipeError) the writing stops and its exit status
    says why. If producing or writing a chunk raises anything else (a bad background,
    Ctrl-C), ffmpeg is killed and the exception goes on.
    """
    with tempfile.TemporaryFile() as errors:
        process: subprocess.Popen[bytes] | None = None
        try:  # (from the start: a Ctrl-C just after ffmpeg starts must still end it)
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=stdout, stderr=errors)
            assert process.stdin is not None
            _widen(process.stdin)
            try:
                for chunk in chunks:
                    process.stdin.write(chunk)
                process.stdin.close()
            except BrokenPipeError:
                pass  # ffmpeg stopped reading: its exit status and message tell why
            returncode = process.wait()
        except BaseException:
            if process is not None:
                process.kill()
                process.wait()
            raise
        errors.seek(0)
        return Finished(returncode, errors.read().decode(errors="replace"))


class Reader:
    """``command``'s standard output, read as needed; use as a context manager (ffmpeg is
    started on entry and killed on exit, so it may be left unfinished)."""

    def __init__(self, command: Sequence[str]) -> None:
        self._command = list(command)
        self._process: subprocess.Popen[bytes] | None = None
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__

    def __enter__(self) -> Reader:
        self._process = subprocess.Popen(
            self._command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._errors
        )
        assert self._process.stdout is not None
        _widen(self._process.stdout)
        return self

    def read(self, n_bytes: int) -> bytes:
        """The next ``n_bytes`` of its output; fewer only where the output ends."""
        assert self._process is not None and self._process.stdout is not None
        return self._process.stdout.read(n_bytes)

    def last_message(self) -> str:
        """The last line ffmpeg wrote on standard error so far ("" if none)."""
        self._errors.seek(0)
        lines = self._errors.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else ""

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
        self._errors.close()
