"""The audio-device seam: something that plays a buffer of PCM, continuously, from its start.

:class:`SimpleaudioSink` plays through simpleaudio (ALSA on Linux); :class:`FakeSink`
records what it was asked to play, for unit tests.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable  # Any: simpleaudio is untyped

from ..errors import AudioDeviceError
from .alsalib import AlsaLibMissing, alsa_library
from .device_time import DeviceOrigin

#: the hint of every "no device" error: what to do instead (the command line's names the
#: routine and options the user gave, see ``voiceguide.cli.play``)
EXPORT_HINT = "`voiceguide export ROUTINE -o session.mp3` works without speakers."
#: what a device that cannot be opened is told to do
_CONNECT = "Connect speakers or headphones, or check ~/.asoundrc and ALSA's default device."


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


@runtime_checkable
class HeardSink(Protocol):
    """A sink that knows, from the device, when the current stream's samples are heard."""

    def first_heard(self) -> float | None:
        """The monotonic clock time (s) at which the current stream's first sample was (or
        will be) played by the device, from the device's own delay; None when not known yet."""
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

    try:
        library = alsa_library()
    except AlsaLibMissing:
        return False
    text, number = ctypes.c_char_p, ctypes.c_int
    handler_type = ctypes.CFUNCTYPE(None, text, number, text, number, text)  # snd_lib_error_handler_t
    handler = handler_type(lambda *_: None)  # (its varargs are not read)
    _KEPT.append(handler)  # alive as long as alsa-lib may call it
    library.snd_lib_error_set_handler(handler)
    atexit.register(library.snd_lib_error_set_handler, None)  # alsa-lib's own handler again
    return True


_NONBLOCK = 1  # SND_PCM_NONBLOCK: a busy device answers at once instead of being waited for
_EBUSY = 16


def check_output(device: str = "default") -> None:
    """Open ALSA's playback ``device`` and close it again at once (a few ms, no sound):
    :class:`~voiceguide.errors.AudioDeviceError` when it cannot be opened, so a player finds
    out before any work, not when its first stream starts (``play`` on a machine without
    speakers said so after making speech: 37.6 s with piper on a cold cache, at load 9). A busy
    device is there (playing waits for it, as before); without alsa-lib nothing is checked
    (the sinks say so in their own words)."""
    try:
        library = alsa_library()
    except AlsaLibMissing:
        return
    handle = ctypes.c_void_p()
    with _silenced_fd2():
        code = library.snd_pcm_open(ctypes.byref(handle), device.encode(), _STREAM_PLAYBACK, _NONBLOCK)
        if code == 0:
            library.snd_pcm_close(handle)
    if code not in (0, -_EBUSY):
        raise _no_device(library, code)


def _no_device(library: ctypes.CDLL, code: int) -> AudioDeviceError:
    text = library.snd_strerror(code)
    said = text.decode(errors="replace") if text else str(code)
    return AudioDeviceError(
        f"no audio output device could be opened (ALSA said: {said}). {_CONNECT}", hint=EXPORT_HINT
    )


class SimpleaudioSink:
    """Plays through simpleaudio. The buffer is read live by simpleaudio's thread (it is
    not copied), so it must stay alive and unchanged while playing. Made, it has found
    ALSA's default device (:func:`check_output`): no device is an error here, before any
    work, not at the first :meth:`start`."""

    def __init__(self) -> None:
        try:
            import simpleaudio
        except ImportError as exc:  # the C extension did not build
            raise AudioDeviceError(
                f"simpleaudio is not installed ({exc}); run bin/setup (it needs libasound2-dev "
                "and a C compiler).",
                hint=f"Meanwhile {EXPORT_HINT}",
            ) from exc
        quiet_alsa()
        check_output("default")  # the device simpleaudio opens
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
                    f"{str(exc).split(' -- ')[0].rstrip('.')}). {_CONNECT}",
                    hint=EXPORT_HINT,
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


#: ms of sound one write hands to the device (and how often its delay is read)
WRITE_MS = 20
#: µs of sound alsa-lib is asked to buffer (simpleaudio's latency)
PLAY_LATENCY_US = 100_000
_STREAM_PLAYBACK = 0
_FORMAT_S16_LE = 2
_ACCESS_RW_INTERLEAVED = 3
_STATE_RUNNING = 3


def _alsa_playback() -> ctypes.CDLL:
    try:
        return alsa_library()
    except AlsaLibMissing as exc:
        raise AudioDeviceError(f"{exc.detail}.", hint=EXPORT_HINT) from exc


class AlsaSink:
    """Plays through alsa-lib's ``default`` device (as simpleaudio does: a PCM opened for each
    stream, written from a thread of its own, :data:`WRITE_MS` at a time), and reads the
    device's delay (``snd_pcm_delay``: frames written but not yet heard) after every write,
    so :meth:`first_heard` says when the stream's samples really sound. The player's clock
    alone cannot: each stream starts after the device's start-up latency, which a
    PulseAudio sink varies by 100-250 ms from stream to stream. Made, it has found the
    device (:func:`check_output`)."""

    def __init__(self, device: str = "default") -> None:
        self._library = _alsa_playback()
        quiet_alsa()
        check_output(device)
        self.device = device
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._origin = DeviceOrigin()  # the clock time sample 0 is heard

    def start(self, pcm: memoryview, sample_rate: int) -> None:
        self.stop()
        library, handle = self._library, ctypes.c_void_p()
        with _silenced_fd2():
            code = library.snd_pcm_open(ctypes.byref(handle), self.device.encode(), _STREAM_PLAYBACK, 0)
            if code == 0:
                code = library.snd_pcm_set_params(
                    handle, _FORMAT_S16_LE, _ACCESS_RW_INTERLEAVED, 1, sample_rate, 1, PLAY_LATENCY_US
                )
                if code != 0:
                    library.snd_pcm_close(handle)
        if code != 0:
            raise _no_device(library, code)
        self._origin.clear()
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._play, args=(handle, pcm, sample_rate), name="voiceguide-sink", daemon=True
        )
        self._thread.start()

    def _play(self, handle: ctypes.c_void_p, pcm: memoryview, rate: int) -> None:
        """The stream's thread: write it all, then wait until the device has played it (or
        until stopped: what the device holds is dropped)."""
        library, delay = self._library, ctypes.c_long()
        total = len(pcm) // 2
        chunk = rate * WRITE_MS // 1000
        written = 0
        try:
            while written < total and not self._stopping.is_set():
                data = bytes(pcm[written * 2 : min(total, written + chunk) * 2])
                got = library.snd_pcm_writei(handle, data, len(data) // 2)
                if got < 0:
                    if library.snd_pcm_recover(handle, int(got), 1) < 0:
                        return
                    continue
                written += got
                self._read_delay(handle, written, rate, delay)
            while not self._stopping.is_set():  # played out: the device's delay reaches 0
                if library.snd_pcm_state(handle) != _STATE_RUNNING:
                    return
                if library.snd_pcm_delay(handle, ctypes.byref(delay)) < 0 or delay.value <= 0:
                    return
                self._read_delay(handle, written, rate, delay)
                self._stopping.wait(min(0.005, delay.value / rate))
        finally:
            library.snd_pcm_drop(handle)
            library.snd_pcm_close(handle)

    def _read_delay(self, handle: ctypes.c_void_p, written: int, rate: int, delay: ctypes.c_long) -> None:
        """Note when sample 0 is heard, by the device's delay now (while it runs and has
        begun to play the stream)."""
        if self._library.snd_pcm_state(handle) != _STATE_RUNNING:
            return
        if self._library.snd_pcm_delay(handle, ctypes.byref(delay)) < 0:
            return
        now = time.monotonic()
        heard = written - delay.value  # the sample the device plays now
        if heard > 0:
            self._origin.note(now - heard / rate)

    def first_heard(self) -> float | None:
        """See :class:`~voiceguide.play.device_time.DeviceOrigin`."""
        return self._origin.value()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._thread.join()
            self._thread = None

    def is_playing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_done(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)


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
