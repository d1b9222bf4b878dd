"""Which speech engine to use. Engines are constructed lazily and cheaply.

The engine is part of the pacing (``--engine``, a pacing file's ``engine:``, the routine's
``voice: {engine: …}``); when none of those names one, ``$VOICEGUIDE_ENGINE``, else the
clear voice: piper with its bundled voice (``bin/setup`` installs both), or espeak-ng where
they are not installed (measured by ``benchmarks/bench_recall.py``: a speech recognizer
recovers about 73 % of piper's words and 17 % of espeak-ng's).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import UsageError, VoiceguideError
from ..routine.schema import ENGINES, TEST_ENGINES
from ..routine.suggest import did_you_mean
from .engine import SpeechEngine, VoiceInfo, meant_voice, voice_suggestion

DEFAULT_ENGINE = "piper"
FALLBACK_ENGINE = "espeak-ng"
#: Said once where the default is listed (setup, `voiceguide voices`) when piper is missing.
FALLBACK_NOTE = (
    "piper (the clear, natural voice) is not installed, so espeak-ng speaks; "
    "install it with bin/setup --neural or pip install 'voiceguide[neural]'"
)
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
        f"unknown speech engine {name!r}{did_you_mean(name, ENGINES)}; available: {', '.join(ENGINES)}"
    )


def available_engine(name: str | None = None) -> type[SpeechEngine]:
    """:func:`engine_class`, after checking the engine can run (else EngineUnavailable)."""
    factory = engine_class(name)
    ensure = getattr(factory, "ensure_available", None)
    if callable(ensure):
        ensure()
    return factory


@dataclass(frozen=True)
class EngineVoices:
    """One engine as `voiceguide voices` and the page of `voiceguide serve` list it: its name,
    whether it is the default (used when the pacing names none), and its voices."""

    engine: str
    default: bool
    voices: tuple[VoiceInfo, ...]


@dataclass(frozen=True)
class VoiceCatalog:
    """The installed engines' voices, the default engine's first; ``missing``: (engine, why)
    for each listed engine that cannot run here; ``source``: where the default came from
    (:data:`FALLBACK_SOURCE` when piper is missing and espeak-ng stands in)."""

    engines: tuple[EngineVoices, ...]
    missing: tuple[tuple[str, str], ...]
    default: str
    source: str


def unknown_voice(engine: str, offered: Iterable[VoiceInfo], name: str) -> UsageError:
    """The error for a voice ``name`` that ``engine`` (offering ``offered``) does not have,
    with the voice of its own meant (:func:`~voiceguide.speech.engine.meant_voice`), else
    another installed engine's voice meant (``; espeak-ng has it: --engine espeak-ng --voice
    en-gb``), else its closest voice, else where the voices are listed. The one message of
    every front end's check and of the engines' own."""
    voices = list(offered)
    meant = meant_voice(voices, name)
    if meant is not None:
        hint = f' (did you mean "{meant}"?)'
    else:
        hint = _in_another_engine(engine, name) or voice_suggestion(voices, name)
    return UsageError(f"unknown voice {name!r}{hint or '; see `voiceguide voices`'}")


def _in_another_engine(engine: str, name: str) -> str:
    """``; ENGINE has it: --engine ENGINE --voice VOICE`` for the first other installed
    engine with a voice ``name`` stands for (:func:`~voiceguide.speech.engine.meant_voice`),
    else ``''``. Starts the other engines to ask (after a mistake only)."""
    for listed in voice_catalog(strict=False).engines:
        meant = None if listed.engine == engine else meant_voice(listed.voices, name)
        if meant is not None:
            return f"; {listed.engine} has it: --engine {listed.engine} --voice {meant}"
    return ""


def voice_fields(voice: VoiceInfo) -> dict[str, object]:
    """``voice`` as JSON fields: id, name, languages (a list), gender (the engine's word)."""
    return {"id": voice.id, "name": voice.name, "languages": list(voice.languages), "gender": voice.gender}


def voice_catalog(
    engine: str | None = None, *, strict: bool = True, with_test_default: bool = False
) -> VoiceCatalog:
    """The voices of ``engine``, or (None) of every installed engine of ENGINES, the default
    first; the test engine only when named, or when it is the default and
    ``with_test_default``. ``strict``: an ``engine`` named, or the first listed, that cannot
    run raises its error (EngineUnavailable, …); else it goes to ``missing`` with its message.
    Each engine is started to ask (espeak-ng spawns a process): callers keep the answer."""
    default, source = default_engine_name()
    if engine is not None:
        names = [engine]
    else:
        first = [] if default in TEST_ENGINES and not with_test_default else [default]
        names = first + [n for n in ENGINES if n != default]
    listed: list[EngineVoices] = []
    missing: list[tuple[str, str]] = []
    for name in names:
        try:
            instance = available_engine(name)()
            try:
                found = tuple(instance.voices())
            finally:
                instance.close()
        except VoiceguideError as exc:
            if strict and (engine is not None or name == names[0]):
                raise
            missing.append((name, exc.message))  # an optional engine that is not installed
            continue
        listed.append(EngineVoices(name, name == default, found))
    return VoiceCatalog(tuple(listed), tuple(missing), default, source)
