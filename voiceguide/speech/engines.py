"""Which speech engine to use. Engines are constructed lazily and cheaply.

The engine is part of the pacing (``--engine``, a pacing file's ``engine:``, the routine's
``voice: {engine: …}``); when none of those names one, ``$VOICEGUIDE_ENGINE``, else the
clear voice: piper with its bundled voice (``bin/setup`` installs both), or espeak-ng where
they are not installed (measured by ``benchmarks/bench_recall.py``: a speech recognizer
recovers about 73 % of piper's words and 17 % of espeak-ng's).
"""

from __future__ import annotations

import os

from ..errors import UsageError
from ..routine.schema import ENGINES
from ..routine.suggest import did_you_mean
from .engine import SpeechEngine

DEFAULT_ENGINE = "piper"
FALLBACK_ENGINE = "espeak-ng"
#: Said once where the default is listed (setup, `voiceguide voices`) when piper is missing.
FALLBACK_NOTE = ("piper (the clear, natural voice) is not installed, so espeak-ng speaks; "
                 "install it with bin/setup --neural or pip install 'voiceguide[neural]'")
#: Where the default came from when piper is missing (`voiceguide pacing` shows it).
FALLBACK_SOURCE = "default (piper is not installed: bin/setup --neural)"


def default_engine_name() -> tuple[str, str]:
    """(the engine used when the pacing names none, where that came from): piper when it
    and its voice are installed, else espeak-ng (the source then says why)."""
    configured = os.environ.get("VOICEGUIDE_ENGINE")
    if configured:
        return configured, "$VOICEGUIDE_ENGINE"
    from .piper import PiperEngine

    if PiperEngine.is_available():
        return DEFAULT_ENGINE, "default"
    return FALLBACK_ENGINE, FALLBACK_SOURCE


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
