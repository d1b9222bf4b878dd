"""voiceguide: routine scripts → spoken, exactly timed guided sessions.

The pure core is ``load_routine`` → ``compile`` (with a ``Pacing`` and measured speech
lengths) → ``Timeline``; ``prepare`` runs the whole path with an engine and a cache.
"""

from .errors import RoutineError, VoiceguideError
from .loader import load_routine, parse_routine
from .model import Routine
from .pacing import Pacing, resolve_pacing
from .session import Session, prepare
from .timeline import Timeline, compile, utterances

__version__ = "0.1.0"

__all__ = [
    "Pacing",
    "Routine",
    "RoutineError",
    "Session",
    "Timeline",
    "VoiceguideError",
    "__version__",
    "compile",
    "load_routine",
    "parse_routine",
    "prepare",
    "resolve_pacing",
    "utterances",
]
