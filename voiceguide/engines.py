"""Which speech engine to use. Engines are constructed lazily and cheaply."""

from __future__ import annotations

import os

from .errors import UsageError
from .tts.base import SpeechEngine


def engine_names() -> tuple[str, ...]:
    return ("espeak-ng", "fake")


def engine_class(name: str | None = None) -> type[SpeechEngine]:
    """The engine class for ``name`` (default: ``$VOICEGUIDE_ENGINE`` or espeak-ng).

    The class itself is the picklable factory that worker processes call.
    ``fake`` is the deterministic test engine (tones instead of words).
    """
    name = name or os.environ.get("VOICEGUIDE_ENGINE") or "espeak-ng"
    if name == "espeak-ng":
        from .tts.espeak import Pyttsx3Engine

        return Pyttsx3Engine
    if name == "fake":
        from .tts.fake import FakeEngine

        return FakeEngine
    raise UsageError(f"unknown speech engine {name!r}; available: {', '.join(engine_names())}")
