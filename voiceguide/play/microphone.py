"""The microphone edge: mono 16-bit PCM read from ALSA's default capture device.

alsa-lib is called directly through ctypes, the way :func:`voiceguide.play.sink.quiet_alsa`
already does: the library is on every Linux that plays sound (simpleaudio needs it), so
listening adds no dependency and no build step. sounddevice would need PortAudio, a system
library of its own that bin/setup does not install. Reading ALSA's ``default`` device means a
PulseAudio or PipeWire desktop is used through its ALSA plugin, and the tests and benchmarks
can point the device at a file (the ``file`` plugin's ``infile``) or at a PulseAudio source.

:class:`FakeMicrophone` replays PCM for unit tests.
"""

from __future__ import annotations

import ctypes
import errno
from typing import Protocol

from ..errors import AudioDeviceError
from .alsalib import AlsaLibMissing, alsa_library

#: Hz: what the recognizers listen at; alsa-lib's plug layer converts from the device's rate
CAPTURE_RATE = 16_000
#: ms of sound one read returns
READ_MS = 20
_LATENCY_US = 100_000  # the capture buffer alsa-lib is asked for
_STREAM_CAPTURE = 1
_FORMAT_S16_LE = 2
_ACCESS_RW_INTERLEAVED = 3

#: what to do when no microphone could be opened
NO_MICROPHONE_HINT = (
    "connect a microphone (a headset's will do) and check that `arecord -d 2 /tmp/test.wav` "
    "records, or set ALSA's default capture device in ~/.asoundrc"
)
#: what to do when another program holds the microphone
BUSY_MICROPHONE_HINT = (
    "close the program that is recording (`fuser -v /dev/snd/*` names it), or choose another "
    "microphone as the default input in your sound settings"
)
#: what to do when alsa-lib, which reads the microphone, is missing
NO_ALSA_HINT = "install it (Debian, Ubuntu: `sudo apt-get install libasound2`)"


class MicrophoneError(AudioDeviceError):
    """No microphone could be opened or read (missing, busy, refused); ``hint`` says what to
    do about it (:data:`NO_MICROPHONE_HINT`, :data:`BUSY_MICROPHONE_HINT`, :data:`NO_ALSA_HINT`)."""


class Microphone(Protocol):
    """A capture device: mono int16 PCM at :data:`CAPTURE_RATE`."""

    def read(self) -> bytes:
        """The next :data:`READ_MS` of sound (blocks until it was captured); b"" at the end
        of a recording (never for a live device)."""
        ...

    def close(self) -> None: ...


def _alsa() -> ctypes.CDLL:
    try:
        return alsa_library()
    except AlsaLibMissing as exc:
        hint = NO_ALSA_HINT if "installed" in exc.detail else NO_MICROPHONE_HINT
        raise MicrophoneError(exc.detail, hint=hint) from exc


def _described(library: ctypes.CDLL, code: int, opening: bool = False) -> str:
    if -code == errno.EBUSY:
        return "the microphone is busy (another program is using it)"
    if -code in (errno.ENOENT, errno.ENODEV, errno.ENXIO) or (opening and -code == errno.EINVAL):
        return "no microphone was found"  # (EINVAL on opening: the default device cannot capture)
    text = library.snd_strerror(code)
    return f"ALSA said: {text.decode(errors='replace') if text else code}"


class AlsaMicrophone:
    """ALSA's capture device ``device`` (``default``), opened at once; reads block."""

    def __init__(self, device: str = "default") -> None:
        from .sink import _silenced_fd2, quiet_alsa

        library = _alsa()
        quiet_alsa()
        self._library = library
        self._pcm = ctypes.c_void_p()
        self._frames = CAPTURE_RATE * READ_MS // 1000
        self._buffer = ctypes.create_string_buffer(self._frames * 2)
        with _silenced_fd2():
            code = library.snd_pcm_open(ctypes.byref(self._pcm), device.encode(), _STREAM_CAPTURE, 0)
            if code == 0:
                code = library.snd_pcm_set_params(
                    self._pcm, _FORMAT_S16_LE, _ACCESS_RW_INTERLEAVED, 1, CAPTURE_RATE, 1, _LATENCY_US
                )
                if code != 0:
                    library.snd_pcm_close(self._pcm)
        if code != 0:
            self._pcm = ctypes.c_void_p()
            hint = BUSY_MICROPHONE_HINT if -code == errno.EBUSY else NO_MICROPHONE_HINT
            raise MicrophoneError(_described(library, code, opening=True), hint=hint)

    def read(self) -> bytes:
        if not self._pcm:
            return b""
        for _ in range(3):  # an overrun (the reader fell behind) is recovered, then read again
            got = self._library.snd_pcm_readi(self._pcm, self._buffer, self._frames)
            if got >= 0:
                return self._buffer.raw[: got * 2]
            if self._library.snd_pcm_recover(self._pcm, int(got), 1) < 0:
                break
        raise MicrophoneError(f"the microphone stopped: {_described(self._library, int(got))}")

    def close(self) -> None:
        if self._pcm:
            self._library.snd_pcm_close(self._pcm)
            self._pcm = ctypes.c_void_p()


class FakeMicrophone:
    """Replays ``pcm`` (mono int16 at :data:`CAPTURE_RATE`) :data:`READ_MS` at a time, as
    fast as it is read; then b""."""

    def __init__(self, pcm: bytes) -> None:
        self._pcm = pcm
        self._at = 0

    def read(self) -> bytes:
        size = CAPTURE_RATE * READ_MS // 1000 * 2
        chunk = self._pcm[self._at : self._at + size]
        self._at += len(chunk)
        return chunk

    def close(self) -> None:
        self._at = len(self._pcm)


__all__ = [
    "BUSY_MICROPHONE_HINT",
    "CAPTURE_RATE",
    "NO_ALSA_HINT",
    "NO_MICROPHONE_HINT",
    "READ_MS",
    "AlsaMicrophone",
    "FakeMicrophone",
    "Microphone",
    "MicrophoneError",
]
