"""voiceguide: routine scripts → spoken, exactly timed guided sessions.

The pure core is ``load_routine`` → ``resolve_pacing`` (preset, routine, pacing
``Layer`` values) → ``compile`` (with measured speech lengths; ``fit_duration`` first for a
target length) → ``Timeline``; ``prepare`` runs the whole path with an engine and a cache.
"""

from .errors import RoutineError, VoiceguideError
from .routine.loader import load_routine, parse_routine
from .routine.model import Routine
from .session import Session, prepare
from .timing.fit import fit_duration
from .timing.pacing import PRESETS, Layer, Pacing, ResolvedPacing, resolve_pacing
from .timing.timeline import Timeline, compile, utterances

__version__ = "0.1.0"

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
