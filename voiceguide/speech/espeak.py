"""espeak-ng through pyttsx3: always offline; the fast engine, and the default where piper is
not installed.

pyttsx3 2.99's espeak driver has habits this module contains:

- It ``print``s "Audio saved to …" on stdout for every file: the driver module's
  ``print`` is replaced by one that prints nothing (swapping ``sys.stdout`` instead would
  silence every thread of the process while a clip is made on the synthesis thread).
- libespeak-ng is not thread-safe (4 parallel calls crashed a server with a general
  protection fault): every call into it, from any thread, holds :data:`LIBESPEAK_LOCK`.
- ``pyttsx3.init()`` hands out one process-global engine: one :class:`Pyttsx3Engine`
  starts it on first use and sets voice and rate before every utterance.
- espeak-ng runs on its own thread in the mode pyttsx3 uses. A fresh pyttsx3 engine
  starts "busy", so its first ``runAndWait`` returns before the utterance is spoken and
  the file written (measured: no file at all for a long first text). Every call
  therefore waits for pyttsx3's "finished-utterance" notification, which comes after
  the file is written.
- Parameter changes are queued to that thread too, and pyttsx3 *cancels* whatever is
  queued when a call begins while the thread is still busy (measured: a rate change
  lost, the utterance spoken at the old rate; right after start-up, the first utterance
  cancelled). So every call waits until espeak-ng is idle and reports the new rate.
- ``runAndWait`` polls for the end of the utterance with ``time.sleep(0.01)``, so every
  utterance cost at least 10 ms (measured 12.8 ms per guidance sentence, 3.1 ms when
  polling every 0.5 ms): the driver module's ``time`` is replaced by
  :class:`_ShortSleeps`.
- A process forked after pyttsx3 started espeak-ng hangs in ``runAndWait``: nothing
  forks (the synthesis scheduler runs threads in this process).

espeak-ng's output depends slightly on what the process said before (wavegen keeps a
pitch "flutter" phase across utterances): the same text can differ by a few samples
between processes. Clips are cached, so a session hears one version of each.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import io
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any  # pyttsx3 is untyped: its engine and voices are Any here

from ..errors import EngineUnavailable
from ..pcm.clip import Clip, trim_silence
from ..pcm.wavfile import read_wav
from .chunked import speak_in_chunks
from .engine import VoiceInfo, VoiceSpec, find_voice
from .pace import espeak_rate_for

MISSING_MESSAGE = "espeak-ng is not installed: run `sudo apt-get install espeak-ng` (or bin/setup)"
#: what espeak-ng_Initialize loads first; without them libespeak-ng prints
#: "Error processing file '…/phontab'" and calls exit(1) inside pyttsx3.init()
_DATA_FILES = ("phontab", "phonindex", "phondata", "intonations")
#: the names pyttsx3 itself tries for espeak-ng, Linux first
_LIBRARY_NAMES = (
    "libespeak-ng.so.1",
    "/usr/local/lib/libespeak-ng.so.1",
    "/opt/homebrew/lib/libespeak-ng.1.dylib",
    "/usr/local/lib/libespeak-ng.1.dylib",
)
_ESPEAK_RATE = 1  # espeakRATE in speak_lib.h
_POLL_S = 0.0005  # how often pyttsx3's driver loop looks whether an utterance is done
# Runs of samples with |s| < 100 (trim_silence's default threshold) as int16 LE bytes,
# forwards and in reversed bytes: found by the regex engine, not a Python loop.
_QUIET_RUN = re.compile(rb"(?:[\x00-\x63]\x00|[\x9d-\xff]\xff)*+")
_QUIET_RUN_REVERSED = re.compile(rb"(?:\x00[\x00-\x63]|\xff[\x9d-\xff])*+")
_TRIM_MARGIN_MS = 40  # more than trim_silence's keep_ms
_IDLE_TIMEOUT_S = 5.0  # espeak-ng finishing a queued command: normally < 1 ms
_UTTERANCE_TIMEOUT_S = 60.0
#: held around every call into libespeak-ng, from whichever thread (it is not thread-safe)
LIBESPEAK_LOCK = threading.RLock()


def _load_library() -> ctypes.CDLL | None:
    """libespeak-ng, or None when it cannot be loaded (loading twice gives the same library)."""
    for name in _LIBRARY_NAMES:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _package_version(name: str) -> str:
    try:
        return package_version(name)
    except PackageNotFoundError:
        return "unknown"


class _NullWriter(io.TextIOBase):
    """A text stream that drops everything written to it."""

    def write(self, text: str) -> int:
        return len(text)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send ``print`` output to nowhere while pyttsx3 is imported and started (once)."""
    with contextlib.redirect_stdout(_NullWriter()):
        yield


def _no_print(*args: object, **kwargs: object) -> None:
    """The ``print`` of pyttsx3's espeak driver module: its "Audio saved to …" goes nowhere."""


class _ShortSleeps:
    """The ``time`` module, except that ``sleep`` lasts at most :data:`_POLL_S`.

    Installed as the ``time`` of pyttsx3's espeak driver module, whose only sleep is its
    10 ms poll for the end of an utterance.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(min(seconds, _POLL_S))


def _shorten_driver_poll() -> None:
    """Make pyttsx3's espeak driver poll every :data:`_POLL_S` instead of every 10 ms."""
    from pyttsx3.drivers import espeak as driver_module

    if getattr(driver_module, "time", None) is time:
        driver_module.time = _ShortSleeps()
    driver_module.print = _no_print


class _Espeak:
    """The few espeak-ng calls pyttsx3 binds wrongly or not at all."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self._lib = library
        library.espeak_Info.restype = ctypes.c_char_p
        library.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        library.espeak_ng_InitializePath.restype = None
        library.espeak_ng_InitializePath.argtypes = [ctypes.c_char_p]
        library.espeak_IsPlaying.restype = ctypes.c_int
        library.espeak_IsPlaying.argtypes = []
        library.espeak_GetParameter.restype = ctypes.c_int
        library.espeak_GetParameter.argtypes = [ctypes.c_int, ctypes.c_int]

    def version(self) -> str:
        """The library's version, e.g. ``1.51`` (from ``espeak_Info``: nothing is run)."""
        with LIBESPEAK_LOCK:
            raw = self._lib.espeak_Info(None) or b"unknown"
        return raw.decode(errors="replace").split()[0]

    def data_dir(self) -> Path:
        """The espeak-ng-data directory the library will load (``$ESPEAK_DATA_PATH``, else
        its built-in one), found as ``espeak_Initialize`` finds it, without loading it."""
        found = ctypes.c_char_p()
        with LIBESPEAK_LOCK:  # sets the library's global path
            self._lib.espeak_ng_InitializePath(None)
            self._lib.espeak_Info(ctypes.byref(found))
        return Path(os.fsdecode(found.value or b""))

    def missing_data(self) -> str | None:
        """Why espeak-ng cannot start (its data files are missing), or None."""
        directory = self.data_dir()
        missing = [name for name in _DATA_FILES if not (directory / name).is_file()]
        if not missing:
            return None
        configured = os.environ.get("ESPEAK_DATA_PATH")
        where = f"$ESPEAK_DATA_PATH={configured}" if configured else str(directory)
        return (
            f"espeak-ng's data is missing (no {missing[0]} in {where}): run "
            "`sudo apt-get install espeak-ng-data` (or `sudo apt-get install --reinstall "
            "espeak-ng`, or bin/setup)"
        )

    def busy(self) -> bool:
        return bool(self._lib.espeak_IsPlaying())

    def rate(self) -> int:
        """The rate in use, wpm (pyttsx3's binding omits ``current=1`` and reads the default)."""
        return int(self._lib.espeak_GetParameter(_ESPEAK_RATE, 1))

    def wait_idle(self, *, rate: int | None = None) -> None:
        """Return once espeak-ng's thread has nothing queued (and uses ``rate``, if given)."""
        deadline = time.monotonic() + _IDLE_TIMEOUT_S
        while self.busy() or (rate is not None and self.rate() != rate):
            if time.monotonic() > deadline:
                raise EngineUnavailable(
                    f"espeak-ng did not become ready within {_IDLE_TIMEOUT_S:g} s "
                    f"(rate {self.rate()}, wanted {rate})"
                )
            time.sleep(0.0002)


class Pyttsx3Engine:
    """Implements :class:`~voiceguide.speech.engine.SpeechEngine` with pyttsx3's espeak driver.

    Clips are 22050 Hz mono 16-bit PCM as espeak-ng made them, with leading and trailing
    silence trimmed (see :func:`voiceguide.pcm.clip.trim_silence`). Construction is cheap and
    touches nothing; pyttsx3 starts on the first :meth:`synthesize` or :meth:`voices`.
    Safe to call from any thread: every call holds :data:`LIBESPEAK_LOCK`.
    """

    engine_id = "espeak-ng"
    sample_rate = 22050  # Hz: what pyttsx3's espeak driver always writes

    def __init__(self) -> None:
        self._tts: Any = None  # the pyttsx3 engine
        self._espeak: _Espeak | None = None
        self._listener: Any = None  # pyttsx3's token for our "finished-utterance" callback
        self._finished = threading.Event()
        self._completed = False
        self._voices: list[VoiceInfo] | None = None
        self._version: str | None = None

    # ---- availability ---------------------------------------------------------------------
    @staticmethod
    def is_available() -> bool:
        """Whether the espeak-ng shared library can be loaded."""
        return _load_library() is not None

    @classmethod
    def ensure_available(cls) -> None:
        """Raise :class:`EngineUnavailable` saying what to install when espeak-ng or its
        data is missing."""
        library = _load_library()
        if library is None:
            raise EngineUnavailable(MISSING_MESSAGE)
        problem = _Espeak(library).missing_data()
        if problem:
            raise EngineUnavailable(problem)

    @property
    def version(self) -> str:
        """``"espeak-ng 1.51/pyttsx3 2.99"``: part of every cache key."""
        if self._version is None:
            library = _load_library()
            espeak = _Espeak(library).version() if library is not None else "unknown"
            self._version = f"espeak-ng {espeak}/pyttsx3 {_package_version('pyttsx3')}"
        return self._version

    # ---- starting pyttsx3 -------------------------------------------------------------------
    def _start(self) -> tuple[Any, _Espeak]:
        """The pyttsx3 engine (started on first use) and espeak-ng's own calls."""
        if self._tts is None or self._espeak is None:
            library = _load_library()
            if library is None:
                raise EngineUnavailable(MISSING_MESSAGE)
            espeak = _Espeak(library)
            problem = espeak.missing_data()  # checked first: libespeak-ng would exit(1)
            if problem:
                raise EngineUnavailable(problem)
            tts = _init_pyttsx3()
            _shorten_driver_poll()
            self._listener = tts.connect("finished-utterance", self._on_finished)
            self._tts, self._espeak = tts, espeak
        return self._tts, self._espeak

    def _on_finished(self, name: str | None = None, completed: bool = True, **_: object) -> None:
        """pyttsx3's "finished-utterance" callback (runs on espeak-ng's thread)."""
        self._completed = completed
        self._finished.set()

    # ---- voices ---------------------------------------------------------------------------
    def voices(self) -> list[VoiceInfo]:
        with LIBESPEAK_LOCK:
            if self._voices is None:
                tts, _ = self._start()
                self._voices = [_voice_info(v) for v in tts.getProperty("voices")]
            return self._voices

    def _voice_id(self, name: str) -> str:
        """The espeak-ng identifier of the voice whose id or name is ``name`` (any case), or
        that speaks the language ``name`` (:func:`~voiceguide.speech.engine.find_voice`)."""
        found = find_voice(self.voices(), name)
        if found is not None:
            return found.id
        from .engines import unknown_voice  # after a mistake only

        raise unknown_voice(self.engine_id, self.voices(), name)

    # ---- speaking -------------------------------------------------------------------------
    def _configure(self, name: str | None, nominal_wpm: int) -> None:
        """Set voice and espeak-ng's nominal rate while it is idle, and wait until they
        are in use.

        Both are set every time: espeak-ng is one per process, and another object may
        have changed them; ``None`` means the default voice, not the previous one.
        """
        tts, espeak = self._start()
        driver = tts.proxy._driver  # pyttsx3's EspeakDriver: set at once, not via its queue
        voice_id = self._voice_id(name) if name else driver._defaultVoice
        espeak.wait_idle()  # SetVoiceByName runs on this thread: never during a synthesis
        driver.setProperty("voice", voice_id)
        driver.setProperty("rate", nominal_wpm)
        espeak.wait_idle(rate=nominal_wpm)

    def _speak_to_file(self, text: str) -> bytes:
        """One ``save_to_file`` + ``runAndWait`` into a temporary file: its bytes."""
        tts, espeak = self._start()
        fd, name = tempfile.mkstemp(prefix="voiceguide-tts-", suffix=".wav")
        os.close(fd)
        try:
            self._finished.clear()
            tts.save_to_file(text, name)
            tts.runAndWait()
            finished = self._finished.wait(_UTTERANCE_TIMEOUT_S)
            espeak.wait_idle()
            if not finished or not self._completed:
                raise EngineUnavailable(f"espeak-ng did not finish speaking {text[:60]!r}")
            data = Path(name).read_bytes()
        finally:
            with contextlib.suppress(OSError):
                os.unlink(name)
        if not data:
            raise EngineUnavailable(f"espeak-ng wrote no audio for {text[:60]!r}")
        return data

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        """Speak ``text`` into 22050 Hz mono 16-bit PCM, trimmed of leading and trailing
        silence (espeak-ng adds ≈0.4 s at the end). A text longer than
        :data:`~voiceguide.routine.text.CHUNK_CHARS` is spoken in chunks joined into one clip
        (see :mod:`voiceguide.speech.chunked`: one long utterance crashes libespeak-ng).

        A text with nothing to say (blank, or only punctuation such as ``"..."``) gives a
        clip of 0 samples. ``voice.rate_wpm`` is the rate heard: espeak-ng is given the
        nominal rate measured to sound that fast (:mod:`voiceguide.speech.pace`).
        """
        return self.speak(text, voice, espeak_rate_for(voice.rate_wpm))

    def speak(self, text: str, voice: VoiceSpec, nominal_wpm: int) -> Clip:
        """``text`` at espeak-ng's nominal rate ``nominal_wpm``, chunks of a long text
        ``voice.rate_wpm`` apart (:meth:`synthesize` gives the nominal rate of that rate;
        ``benchmarks/bench_pace.py --calibrate`` the ones it measures)."""
        if not text.strip():
            return Clip(b"", self.sample_rate)
        with LIBESPEAK_LOCK:
            self._configure(voice.name, nominal_wpm)
            return speak_in_chunks(text, self._speak_one, voice.rate_wpm, self.sample_rate)

    def _speak_one(self, text: str) -> Clip:
        """One utterance (voice and rate already set), trimmed."""
        data = self._speak_to_file(text)
        try:
            wav = read_wav(data)
        except ValueError as exc:
            raise EngineUnavailable(f"espeak-ng wrote a broken WAV for {text[:60]!r}: {exc}") from exc
        return _trim(Clip(wav.pcm, self.sample_rate))

    def close(self) -> None:
        """Stop listening to pyttsx3 (which stays loaded: it is one per process)."""
        with LIBESPEAK_LOCK:
            if self._tts is not None and self._listener is not None:
                self._tts.disconnect(self._listener)
            self._tts = self._espeak = self._listener = None


def _trim(clip: Clip) -> Clip:
    """``trim_silence(clip)``, fast: the long quiet ends (espeak-ng's ≈0.4 s tail) are cut
    by a regex first, so ``trim_silence``'s per-sample loop only sees a few ms of them."""
    n = clip.n_samples
    lead = _quiet_samples(_QUIET_RUN, clip.pcm)
    if lead >= n:
        return Clip(b"", clip.sample_rate)
    tail = _quiet_samples(_QUIET_RUN_REVERSED, clip.pcm[::-1])
    margin = _TRIM_MARGIN_MS * clip.sample_rate // 1000
    start = max(0, lead - margin)
    end = min(n, n - tail + margin)
    return trim_silence(Clip(clip.pcm[2 * start : 2 * end], clip.sample_rate))


def _quiet_samples(run: re.Pattern[bytes], pcm: bytes) -> int:
    """How many quiet samples ``pcm`` starts with (``run`` always matches, maybe empty)."""
    match = run.match(pcm)
    return match.end() // 2 if match else 0


#: the process's one pyttsx3 engine, held for the process's life: pyttsx3 keeps it only
#: weakly, and when the garbage collector frees it (on whichever thread runs a collection)
#: its driver's ``__del__`` calls ``espeak_SetSynthCallback(NULL)`` outside
#: :data:`LIBESPEAK_LOCK`; a synthesis running meanwhile crashed in ``espeak_Synth``
#: (a segmentation fault in CI, Python 3.13, the scheduler's threads after other tests)
_PROCESS_TTS: list[Any] = []


def _release_pyttsx3() -> None:
    """At exit, while the modules are still there (freed later, the driver's ``__del__``
    fails on a half-torn-down interpreter and says so on stderr), and under the lock."""
    with LIBESPEAK_LOCK:
        _PROCESS_TTS.clear()


def _init_pyttsx3() -> Any:
    """``pyttsx3.init("espeak")`` (kept: :data:`_PROCESS_TTS`), its failures turned into
    :class:`EngineUnavailable`."""
    try:
        with _quiet_stdout():
            import pyttsx3

            engine = pyttsx3.init("espeak")
            if not _PROCESS_TTS:
                atexit.register(_release_pyttsx3)
            _PROCESS_TTS[:] = [engine]
            return engine
    except ImportError as exc:
        raise EngineUnavailable(
            f"pyttsx3 is missing ({exc}): run `pip install pyttsx3` (or bin/setup)"
        ) from exc
    except (OSError, RuntimeError) as exc:
        # the library itself loaded (checked before): espeak-ng-data missing or broken
        raise EngineUnavailable(
            f"espeak-ng could not be started ({exc}): "
            "run `sudo apt-get install --reinstall espeak-ng` (or bin/setup)"
        ) from exc


def _voice_info(voice: Any) -> VoiceInfo:
    """A pyttsx3 ``Voice`` as a :class:`VoiceInfo`."""
    languages = tuple(
        lang.decode(errors="replace") if isinstance(lang, bytes) else str(lang)
        for lang in (voice.languages or [])
    )
    return VoiceInfo(str(voice.id), str(voice.name), languages, voice.gender)
