"""alsa-lib (libasound) through ctypes, loaded once for the player's :class:`AlsaSink`, the
microphone and the handler that quiets alsa-lib's messages, with the C signatures of the
functions they call declared in one place (a wrong ``argtypes`` is a crash, not an error).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


class AlsaLibMissing(Exception):
    """alsa-lib is not installed or cannot be loaded; ``detail`` says which (for the caller's
    own error, with its own advice)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@functools.cache
def alsa_library() -> ctypes.CDLL:
    """The loaded alsa-lib, its signatures declared. Raises :class:`AlsaLibMissing`."""
    name = ctypes.util.find_library("asound")
    if name is None:
        raise AlsaLibMissing("alsa-lib (libasound) is not installed")
    try:
        library = ctypes.CDLL(name)
    except OSError as exc:
        raise AlsaLibMissing(f"alsa-lib could not be loaded ({exc})") from exc
    pcm, frames, uint, number = ctypes.c_void_p, ctypes.c_long, ctypes.c_uint, ctypes.c_int
    library.snd_strerror.restype = ctypes.c_char_p
    library.snd_pcm_open.argtypes = (ctypes.POINTER(pcm), ctypes.c_char_p, number, number)
    # pcm, format, access, channels, rate, soft resample, latency (µs)
    library.snd_pcm_set_params.argtypes = (pcm, number, number, uint, uint, number, uint)
    library.snd_pcm_writei.restype = frames
    library.snd_pcm_writei.argtypes = (pcm, ctypes.c_char_p, ctypes.c_ulong)
    library.snd_pcm_readi.restype = frames
    library.snd_pcm_readi.argtypes = (pcm, ctypes.c_void_p, ctypes.c_ulong)
    library.snd_pcm_delay.argtypes = (pcm, ctypes.POINTER(frames))
    library.snd_pcm_state.argtypes = (pcm,)
    library.snd_pcm_recover.argtypes = (pcm, number, number)
    library.snd_pcm_drop.argtypes = (pcm,)
    library.snd_pcm_close.argtypes = (pcm,)
    return library
