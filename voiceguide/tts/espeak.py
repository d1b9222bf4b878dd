"""espeak-ng through pyttsx3: the default engine, always offline.

pyttsx3 has habits this module contains, each measured here:

* its espeak driver ``print``s "Audio saved to …" on stdout for every file: redirected
  away, so our own output stays clean;
* ``pyttsx3.init()`` hands out one process-global engine: owned by one
  :class:`Pyttsx3Engine`, created on first use;
* espeak-ng runs on its own thread in the mode pyttsx3 uses, and ``runAndWait`` returns
  after one 10 ms loop tick whether or not it has finished: long texts came back with
  no file at all. We wait for the driver's "speaking" flag instead, and poll its loop
  every 0.5 ms rather than 10 ms (the poll was 85% of the cost of a short cue);
* parameters are applied on that thread too, so the rate is confirmed before speaking;
* a process forked after pyttsx3 started hangs in ``runAndWait``: parallel synthesis
  uses ``spawn``.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import difflib
import io
import multiprocessing
import shutil
import sys
import tempfile
import threading
import time
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from ..clip import Clip, trim_silence
from ..errors import EXIT_USAGE, EngineUnavailable, VoiceguideError
from ..wavfile import read_wav
from .base import VoiceInfo, VoiceSpec

_ATTEMPTS = 3  # a missing or silent result is tried again (never seen since the wait above)
INSTALL_HINT = "run `sudo apt-get install espeak-ng` (or bin/setup)"


@cache
def _espeak_version() -> str:
    """espeak-ng's library version ("1.51"), or "unknown".

    Read with ``espeak_Info`` through ctypes, never by running ``espeak-ng --version``:
    this process may be synthesizing, and nothing else should touch espeak-ng then.
    """
    library = _library()
    if library is None:
        return "unknown"
    library.espeak_Info.restype = ctypes.c_char_p
    library.espeak_Info.argtypes = [ctypes.c_void_p]
    raw = library.espeak_Info(None) or b"unknown"
    return raw.decode(errors="replace").split()[0]


_ESPEAK_RATE = 1  # espeakRATE in speak_lib.h


@cache
def _library() -> ctypes.CDLL | None:
    """libespeak-ng (the same handle pyttsx3 loaded: one per process)."""
    for name in ("libespeak-ng.so.1", "libespeak-ng.so"):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _current_rate() -> int | None:
    """The rate espeak-ng is using now: ``espeak_GetParameter(espeakRATE, current=1)``.

    pyttsx3's own binding passes no ``current`` argument, so it reads whatever is in
    that register: sometimes the default (175), sometimes the current value.
    """
    library = _library()
    if library is None:
        return None
    library.espeak_GetParameter.restype = ctypes.c_int
    library.espeak_GetParameter.argtypes = [ctypes.c_int, ctypes.c_int]
    return int(library.espeak_GetParameter(_ESPEAK_RATE, 1))


class _QuickSleep:
    """Stands in for the ``time`` module inside pyttsx3's espeak driver only."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(min(seconds, _DRIVER_POLL_S))


_DRIVER_POLL_S = 0.0005
_SYNTH_TIMEOUT_S = 120.0  # far beyond any cue: espeak-ng speaks ~100× faster than real time


def _shorten_driver_poll() -> None:
    """pyttsx3's espeak driver polls its loop with ``time.sleep(0.01)``: with a cue taking
    about a millisecond to synthesize, that poll was 85% of the cost (measured: 131 of
    154 ms for ten cues). Poll every 0.5 ms instead; the loop's logic is unchanged."""
    import pyttsx3.drivers.espeak as driver_module

    if getattr(driver_module, "time", None) is time:
        driver_module.time = _QuickSleep()  # type: ignore[assignment]


def _pyttsx3_version() -> str:
    try:
        return package_version("pyttsx3")
    except PackageNotFoundError:  # pragma: no cover - it is a dependency
        return "unknown"


class Pyttsx3Engine:
    """Implements :class:`~voiceguide.tts.base.SpeechEngine` with pyttsx3's espeak driver."""

    engine_id = "espeak-ng"
    sample_rate = 22050  # what pyttsx3's espeak driver always writes

    def __init__(self) -> None:
        self._engine: Any = None
        self._voices: list[VoiceInfo] | None = None
        self._scratch = Path(tempfile.mkdtemp(prefix="voiceguide-tts-"))
        self._version = f"espeak-ng {_espeak_version()}/pyttsx3 {_pyttsx3_version()}"

    # ---- availability ---------------------------------------------------------------
    @staticmethod
    def is_available() -> bool:
        return ctypes.util.find_library("espeak-ng") is not None or _library() is not None

    @classmethod
    def ensure_available(cls) -> None:
        """Raise :class:`EngineUnavailable` with the fix when espeak-ng is missing."""
        if not cls.is_available():
            raise EngineUnavailable(f"espeak-ng is not installed: {INSTALL_HINT}")

    @staticmethod
    def start_method() -> str:
        """How to start worker processes: ``fork`` (≈ 10 ms) while this process has not
        started espeak-ng and runs no other thread, else ``spawn`` (≈ 0.3 s): a process
        forked after pyttsx3 started espeak-ng hangs in ``runAndWait``."""
        driver_module = sys.modules.get("pyttsx3.drivers.espeak")
        started = driver_module is not None and driver_module.EspeakDriver._moduleInitialized
        can_fork = "fork" in multiprocessing.get_all_start_methods()
        return "fork" if can_fork and not started and threading.active_count() == 1 else "spawn"

    @property
    def version(self) -> str:
        return self._version

    # ---- the pyttsx3 engine ----------------------------------------------------------
    def _driver(self) -> Any:
        if self._engine is None:
            try:
                import pyttsx3

                with contextlib.redirect_stdout(io.StringIO()):
                    self._engine = pyttsx3.init("espeak")
                _shorten_driver_poll()
            except (OSError, RuntimeError, ImportError) as exc:
                raise EngineUnavailable(
                    f"espeak-ng could not be started ({exc}): {INSTALL_HINT}"
                ) from exc
        return self._engine

    def _speak_to_file(self, text: str) -> bytes | None:
        """Run one pyttsx3 save_to_file; the WAV bytes, or None if it wrote nothing.

        ``runAndWait`` returns after one loop tick whether or not espeak-ng (which runs
        on its own thread in this mode) has finished, so wait for the driver's own
        "speaking" flag, which its callback clears after writing the file.
        """
        target = self._scratch / "utterance.wav"
        with contextlib.suppress(OSError):
            target.unlink()
        driver = self._engine.proxy._driver  # pyttsx3's EspeakDriver
        deadline = time.monotonic() + _SYNTH_TIMEOUT_S
        with contextlib.redirect_stdout(io.StringIO()):
            self._engine.save_to_file(text, str(target))
            self._engine.runAndWait()
            while getattr(driver, "_speaking", False) and time.monotonic() < deadline:
                time.sleep(_DRIVER_POLL_S)
        try:
            return target.read_bytes()
        except OSError:
            return None

    def voices(self) -> list[VoiceInfo]:
        if self._voices is None:
            found = []
            for v in self._driver().getProperty("voices"):
                languages = tuple(
                    lang.decode(errors="replace") if isinstance(lang, bytes) else str(lang)
                    for lang in (v.languages or [])
                )
                found.append(VoiceInfo(str(v.id), str(v.name), languages, v.gender))
            self._voices = found
        return self._voices

    def _voice_id(self, name: str) -> str:
        wanted = name.casefold()
        for v in self.voices():
            if wanted in (v.id.casefold(), v.name.casefold()):
                return v.id
        names = [v.name for v in self.voices()] + [v.id for v in self.voices()]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f' (did you mean "{close[0]}"?)' if close else "; see `voiceguide voices`"
        raise VoiceguideError(f"unknown voice {name!r}{hint}", EXIT_USAGE)

    def _configure(self, voice: VoiceSpec) -> None:
        """Apply voice and rate straight to the espeak driver before every utterance,
        and wait until espeak-ng reports the rate.

        pyttsx3 runs espeak-ng in retrieval mode, where ``espeak_SetParameter`` is queued
        to the library's own thread: under CPU contention (two workers starting together)
        the rate was measured to take effect only after the next synthesis had started,
        at 175 or 200 wpm instead of the one asked for.
        """
        self._driver()
        espeak = self._engine.proxy._driver  # pyttsx3's EspeakDriver
        # always set the voice: espeak-ng is one per process, and None means the default,
        # not "whatever the previous utterance used"
        espeak.setProperty("voice", self._voice_id(voice.name) if voice.name else espeak._defaultVoice)
        espeak.setProperty("rate", voice.rate_wpm)
        deadline = time.monotonic() + 2.0
        while (rate := _current_rate()) not in (voice.rate_wpm, None):
            if time.monotonic() > deadline:
                raise EngineUnavailable(f"espeak-ng did not take rate {voice.rate_wpm} (it has {rate})")
            time.sleep(0.001)

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        """Speak ``text`` into 22050 Hz mono 16-bit PCM, trimmed of espeak's ≈0.4 s of trailing
        silence (an empty text gives an empty clip)."""
        if not text.strip():
            return Clip(b"", self.sample_rate)
        for _attempt in range(_ATTEMPTS):
            self._configure(voice)
            data = self._speak_to_file(text)
            if data is None:
                continue
            try:
                clip = trim_silence(Clip(read_wav(data).pcm, self.sample_rate))
            except ValueError:
                continue
            if clip.n_samples:  # a text that says something never comes out silent
                return clip
        raise EngineUnavailable(f"espeak-ng produced no audio for {text[:60]!r} in {_ATTEMPTS} attempts")

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)


