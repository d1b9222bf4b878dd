"""espeak-ng through pyttsx3: the default engine, always offline.

pyttsx3 has two habits this module contains: its espeak driver ``print``s
"Audio saved to …" on stdout for every file (redirected away here, so our own
output stays clean), and ``pyttsx3.init()`` hands out one process-global engine
(owned by one :class:`Pyttsx3Engine` and created on first use). A process forked
after pyttsx3 started hangs in ``runAndWait``: parallel synthesis uses ``spawn``.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import difflib
import io
import shutil
import subprocess
import tempfile
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from ..clip import Clip, trim_silence
from ..errors import EXIT_USAGE, EngineUnavailable, VoiceguideError
from ..wavfile import read_wav
from .base import VoiceInfo, VoiceSpec

INSTALL_HINT = "run `sudo apt-get install espeak-ng` (or bin/setup)"


@cache
def _espeak_version() -> str:
    """espeak-ng's version from its CLI ("1.51"), or "unknown"."""
    exe = shutil.which("espeak-ng")
    if exe:
        try:
            out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
            words = out.stdout.split()
            if "text-to-speech:" in words:
                return words[words.index("text-to-speech:") + 1]
        except (OSError, subprocess.SubprocessError):
            pass
    return "unknown"


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
        self._current: tuple[str | None, int] | None = None
        self._scratch = Path(tempfile.mkdtemp(prefix="voiceguide-tts-"))

    # ---- availability ---------------------------------------------------------------
    @staticmethod
    def is_available() -> bool:
        return ctypes.util.find_library("espeak-ng") is not None or _can_load_library()

    @classmethod
    def ensure_available(cls) -> None:
        """Raise :class:`EngineUnavailable` with the fix when espeak-ng is missing."""
        if not cls.is_available():
            raise EngineUnavailable(f"espeak-ng is not installed: {INSTALL_HINT}")

    @property
    def version(self) -> str:
        return f"espeak-ng {_espeak_version()}/pyttsx3 {_pyttsx3_version()}"

    # ---- the pyttsx3 engine ----------------------------------------------------------
    def _driver(self) -> Any:
        if self._engine is None:
            try:
                import pyttsx3

                with contextlib.redirect_stdout(io.StringIO()):
                    self._engine = pyttsx3.init("espeak")
            except (OSError, RuntimeError, ImportError) as exc:
                raise EngineUnavailable(
                    f"espeak-ng could not be started ({exc}): {INSTALL_HINT}"
                ) from exc
        return self._engine

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
        if self._current == (voice.name, voice.rate_wpm):
            return
        driver = self._driver()
        if voice.name:
            driver.setProperty("voice", self._voice_id(voice.name))
        driver.setProperty("rate", voice.rate_wpm)
        self._current = (voice.name, voice.rate_wpm)

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        """Speak ``text`` into 22050 Hz mono 16-bit PCM, trimmed of espeak's ≈0.4 s of trailing
        silence (an empty text gives an empty clip)."""
        if not text.strip():
            return Clip(b"", self.sample_rate)
        self._configure(voice)
        driver = self._driver()
        target = self._scratch / "utterance.wav"
        with contextlib.redirect_stdout(io.StringIO()):
            driver.save_to_file(text, str(target))
            driver.runAndWait()
        try:
            wav = read_wav(target.read_bytes())
        except (OSError, ValueError) as exc:
            raise EngineUnavailable(f"espeak-ng produced no audio for {text!r}: {exc}") from exc
        finally:
            with contextlib.suppress(OSError):
                target.unlink()
        return trim_silence(Clip(wav.pcm, wav.sample_rate))

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)


def _can_load_library() -> bool:
    for name in ("libespeak-ng.so.1", "libespeak-ng.so"):
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False
