"""The one check of a routine's text that every route of `voiceguide serve` makes before it
does anything with it (validate, preview, save, a session): what `voiceguide validate`
refuses, the loader's checks and the routine expanded at the pacing asked for (10,000
sounds, 24 hours), short of measuring speech, which only a render needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..errors import Diagnostic
    from ..routine.model import Routine


def check_routine(
    source: bytes, name: str, values: Mapping[str, Any]
) -> tuple[Routine, tuple[Diagnostic, ...]]:
    """The routine in ``source`` (diagnostics name the file ``name``) and the loader's
    warnings, once it passes what `voiceguide validate` checks at the pacing ``values``
    (the page's checked pacing keys). Raises :class:`~voiceguide.errors.RoutineError`
    (with positions) or :class:`~voiceguide.errors.UsageError` (a pacing file)."""
    from ..pacing_layers import pacing_layers
    from ..routine.loader import parse_routine
    from ..service import check_expansion
    from .jobs import PAGE

    routine, warnings = parse_routine(source, name)
    check_expansion(routine, pacing_layers(dict(values), None, PAGE))  # as `voiceguide validate`
    return routine, warnings
