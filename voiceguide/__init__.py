"""voiceguide: routine scripts → spoken, exactly timed guided sessions.

The pure core is ``load_routine`` → ``resolve_pacing`` (preset, routine, pacing
``Layer`` values) → ``compile`` (with measured speech lengths; ``fit_duration`` first for a
target length) → ``Timeline``; ``prepare`` runs the whole path with an engine and a cache.

Every name is imported on first use, so ``import voiceguide`` (and the command line,
which starts here) costs nothing until the core is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import RoutineError, VoiceguideError
    from .routine.loader import load_routine, parse_routine
    from .routine.model import Routine
    from .session import Session, prepare
    from .timing.fit import fit_duration
    from .timing.pacing import PRESETS, Layer, Pacing, ResolvedPacing, resolve_pacing
    from .timing.timeline import Timeline, compile, utterances

#: public name → the module that defines it
_WHERE = {
    "RoutineError": ".errors",
    "VoiceguideError": ".errors",
    "load_routine": ".routine.loader",
    "parse_routine": ".routine.loader",
    "Routine": ".routine.model",
    "Session": ".session",
    "prepare": ".session",
    "fit_duration": ".timing.fit",
    "PRESETS": ".timing.pacing",
    "Layer": ".timing.pacing",
    "Pacing": ".timing.pacing",
    "ResolvedPacing": ".timing.pacing",
    "resolve_pacing": ".timing.pacing",
    "Timeline": ".timing.timeline",
    "compile": ".timing.timeline",
    "utterances": ".timing.timeline",
}

__all__ = [
    "PRESETS",
    "Layer",
    "Pacing",
    "ResolvedPacing",
    "Routine",
    "RoutineError",
    "Session",
    "Timeline",
    "VoiceguideError",
    "__version__",
    "compile",
    "fit_duration",
    "load_routine",
    "parse_routine",
    "prepare",
    "resolve_pacing",
    "utterances",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("voiceguide")
        except PackageNotFoundError:  # running from a checkout that was never installed
            value = "0+unknown"
    elif name in _WHERE:
        value = getattr(import_module(_WHERE[name], __name__), name)
    else:
        raise AttributeError(f"module 'voiceguide' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE, "__version__"])
