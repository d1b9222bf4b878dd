"""Which speech engine to use. Engines are constructed lazily and cheaply.

The engine is part of the pacing (``--engine``, a pacing file's ``engine:``, the routine's
``voice: {engine: …}``); when none of those names one, ``$VOICEGUIDE_ENGINE``, else
espeak-ng.
"""

from __future__ import annotations

import os

from ..errors import UsageError
from ..routine.schema import ENGINES
from ..routine.suggest import did_you_mean
from .engine import SpeechEngine

DEFAULT_ENGINE = "espeak-ng"


def default_engine_name() -> tuple[str, str]:
    """(the engine used when the pacing names none, where that came from)."""
    configured = os.environ.get("VOICEGUIDE_ENGINE")
    if configured:
        return configured, "$VOICEGUIDE_ENGINE"
    return DEFAULT_ENGINE, "default"


def engine_class(name: str | None = None) -> type[SpeechEngine]:
    """The engine class for ``name`` (default: see :func:`default_engine_name`).

    The class itself is the picklable factory that worker processes call.
    ``fake`` is the deterministic test engine (tones instead of words); ``piper`` the
    optional neural voice (``pip install 'voiceguide[neural]'``).
    """
    name = name or default_engine_name()[0]
    if name == "espeak-ng":
        from .espeak import Pyttsx3Engine

        return Pyttsx3Engine
    if name == "piper":
        from .piper import PiperEngine

        return PiperEngine
    if name == "fake":
        from .fake import FakeEngine

        return FakeEngine
    raise UsageError(
        f"unknown speech engine {name!r}{did_you_mean(name, ENGINES)}; "
        f"available: {', '.join(ENGINES)}"
    )


def available_engine(name: str | None = None) -> type[SpeechEngine]:
    """:func:`engine_class`, after checking the engine can run (else EngineUnavailable)."""
    factory = engine_class(name)
    ensure = getattr(factory, "ensure_available", None)
    if callable(ensure):
        ensure()
    return factory
