"""The audio-device seam: something that plays a buffer of PCM, continuously, from its start.

:class:`SimpleaudioSink` plays through simpleaudio (ALSA on Linux); :class:`FakeSink`
records what it was asked to play, for unit tests.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator
from typing import Any, Protocol  # Any: simpleaudio is untyped

from ..errors import AudioDeviceError

EXPORT_HINT = "`voiceguide export ROUTINE -o session.mp3` works without speakers"


class AudioSink(Protocol):
    """Plays one buffer at a time as a single continuous stream."""

    def start(self, pcm: memoryview, sample_rate: int) -> None:
        """Begin playing ``pcm`` (mono int16) now; returns at once. Stops any current play."""
        ...

    def stop(self) -> None:
        """Stop at once (what the device has buffered may still sound, ≤ 0.1 s)."""
        ...

    def is_playing(self) -> bool: ...

    def wait_done(self, timeout_s: float) -> None:
        """Return once the current stream has played out (or after ``timeout_s``)."""
        ...


@contextlib.contextmanager
def _silenced_fd2() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: ALSA prints "ALSA lib …" lines straight to it."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_KEPT: list[object] = []


@functools.cache
def quiet_alsa() -> bool:
    """Give alsa-lib an error handler that drops its messages, once a process; whether one
    was installed (not where alsa-lib is missing).

    alsa-lib writes them ("ALSA lib pcm.c:…: underrun occurred", when a stream restarts
    on a busy machine) from simpleaudio's thread straight to file descriptor 2: the
    terminal the live display is drawn on, between two frames, so the next frame, which
    moves up over as many lines as it drew, left the top of the old panel above the new
    one. A device that cannot play still reaches the user, as simpleaudio's exception.
    The handler is removed at exit (it is Python code, and alsa-lib may call it late)."""
    import atexit
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("asound")
    if name is None:
        return False
    try:
        library = ctypes.CDLL(name)
    except OSError:
        return False
    text, number = ctypes.c_char_p, ctypes.c_int
    handler_type = ctypes.CFUNCTYPE(None, text, number, text, number, text)  # snd_lib_error_handler_t
    handler = handler_type(lambda *_: None)  # (its varargs are not read)
    _KEPT.append(handler)  # alive as long as alsa-lib may call it
    library.snd_lib_error_set_handler(handler)
    atexit.register(library.snd_lib_error_set_handler, None)  # alsa-lib's own handler again
    return True


class SimpleaudioSink:
    """Plays through simpleaudio. The buffer is read live by simpleaudio's thread (it is
    not copied), so it must stay alive and unchanged while playing."""

    def __init__(self) -> None:
        try:
            import simpleaudio
        except ImportError as exc:  # the C extension did not build
            raise AudioDeviceError(
                f"simpleaudio is not installed ({exc}); run bin/setup (it needs libasound2-dev "
                f"and a C compiler). Meanwhile {EXPORT_HINT}."
            ) from exc
        quiet_alsa()
        self._simpleaudio: Any = simpleaudio
        self._play: Any = None

    def start(self, pcm: memoryview, sample_rate: int) -> None:
        self.stop()
        with _silenced_fd2():
            try:
                self._play = self._simpleaudio.play_buffer(pcm, 1, 2, sample_rate)
            except Exception as exc:  # _simpleaudio.SimpleaudioError has no public name
                if type(exc).__name__ != "SimpleaudioError":
                    raise
                raise AudioDeviceError(
                    "no audio output device could be opened (ALSA said: "
                    f"{str(exc).split(' -- ')[0].rstrip('.')}). Connect speakers or headphones, "
                    f"or check ~/.asoundrc and ALSA's default device; {EXPORT_HINT}."
                ) from None

    def stop(self) -> None:
        if self._play is not None:
            self._play.stop()
            self._play.wait_done()  # simpleaudio drains what it handed to ALSA
            self._play = None

    def is_playing(self) -> bool:
        return self._play is not None and bool(self._play.is_playing())

    def wait_done(self, timeout_s: float) -> None:
        """Poll every millisecond (simpleaudio's own ``wait_done`` sleeps 50 ms at a time:
        the next stream would start up to 50 ms late)."""
        deadline = time.monotonic() + timeout_s
        while self.is_playing() and time.monotonic() < deadline:
            time.sleep(0.001)


class FakeSink:
    """Records each ``start`` as (first bytes' identity, length); plays nothing."""

    def __init__(self) -> None:
        self.started: list[bytes] = []
        self.playing = False

    def start(self, pcm: memoryview, sample_rate: int) -> None:
        self.started.append(bytes(pcm))
        self.playing = True

    def stop(self) -> None:
        self.playing = False

    def is_playing(self) -> bool:
        return self.playing

    def wait_done(self, timeout_s: float) -> None:
        self.playing = False  # plays nothing, so it is done at once
