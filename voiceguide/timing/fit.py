"""Fit a session to a target length (``--duration 12m``): pure, on measured speech.

Speech lengths are fixed; holds, rests and breathing cycles stretch. The search has two
stages, because cycle counts are whole numbers:

1. one factor ``f`` scales holds, rests and cycle counts together; bisection finds the
   ``f`` whose session is closest to the target (a cycle count changing makes the
   length jump, so the closest may still be seconds away);
2. with those cycle counts fixed, a second factor scales only holds and rests, which
   change the length in steps of a few ms, until the session is within
   :data:`TOLERANCE_MS` of the target.

Scales stay within the option limits (0.25–4 against the pacing's own scales, and
themselves within 0.25–4); a target outside what that allows is a
:class:`~voiceguide.errors.UsageError` naming the achievable range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from ..errors import RoutineError, UsageError
from ..formatting import format_ms, format_seconds
from ..routine.model import Routine
from .pacing import Pacing
from .timeline import compile, utterances

TOLERANCE_MS = 1000
MIN_FACTOR, MAX_FACTOR = 0.25, 4.0
_ITERATIONS = 48


def stretched(pacing: Pacing, factor: float, cycles_too: bool = True) -> Pacing:
    """``pacing`` with holds and rests (and cycle counts) scaled by ``factor``."""

    def clamp(x: float) -> float:
        return min(MAX_FACTOR, max(MIN_FACTOR, x))

    return replace(
        pacing,
        hold_scale=clamp(pacing.hold_scale * factor),
        rest_scale=clamp(pacing.rest_scale * factor),
        cycle_scale=pacing.cycle_scale * factor if cycles_too else pacing.cycle_scale,
        duration_ms=None,
    )


def texts_for_fitting(routine: Routine, pacing: Pacing) -> list[str]:
    """Every text any fitted pacing may speak: stretching can only lengthen countdowns,
    so the longest and the base pacing between them say everything."""
    seen = dict.fromkeys(utterances(routine, replace(pacing, duration_ms=None)))
    seen.update(dict.fromkeys(utterances(routine, stretched(pacing, MAX_FACTOR))))
    return list(seen)


def fit_duration(routine: Routine, pacing: Pacing, speech_ms: Mapping[str, int]) -> Pacing:
    """``pacing`` with holds, rests and cycles scaled so the session lasts
    ``pacing.duration_ms`` ± :data:`TOLERANCE_MS`. ``speech_ms`` must cover
    :func:`texts_for_fitting`. Raises :class:`UsageError` (exit 2) when out of reach."""
    target = pacing.duration_ms
    if target is None:
        return pacing

    def length(candidate: Pacing) -> int | None:
        try:
            return compile(routine, candidate, speech_ms).duration_ms
        except RoutineError:  # past the 24-hour or event limits
            return None

    shortest = length(stretched(pacing, MIN_FACTOR))
    longest_factor = _largest_compiling_factor(lambda f: length(stretched(pacing, f)))
    longest = length(stretched(pacing, longest_factor))
    assert shortest is not None and longest is not None  # the base pacing compiled already
    if not shortest - TOLERANCE_MS <= target <= longest + TOLERANCE_MS:
        raise UsageError(
            f"--duration {format_seconds(target)} is out of reach for this routine: at this "
            f"pacing it can last from {achievable_range(shortest, longest)}"
        )
    # stage 1: holds, rests and cycles together
    factor, low, high = _bisect(lambda f: length(stretched(pacing, f)), target, MIN_FACTOR, longest_factor)
    coarse = stretched(pacing, factor)
    if abs((length(coarse) or 0) - target) <= TOLERANCE_MS:
        return replace(coarse, duration_ms=target)
    # stage 2: cycle counts fixed (those of the best factor, then those either side of the
    # jump it stopped at), holds and rests only
    nearest = None
    for cycle_scale in dict.fromkeys(
        (coarse.cycle_scale, pacing.cycle_scale * low, pacing.cycle_scale * high)
    ):
        fixed_cycles = replace(pacing, cycle_scale=cycle_scale)
        fine_low = MIN_FACTOR / max(fixed_cycles.hold_scale, fixed_cycles.rest_scale)
        fine_high = MAX_FACTOR / min(fixed_cycles.hold_scale, fixed_cycles.rest_scale)

        def fine_length(f: float, fixed: Pacing = fixed_cycles) -> int | None:
            return length(stretched(fixed, f, cycles_too=False))

        best = _bisect(fine_length, target, fine_low, fine_high)[0]
        fine = stretched(fixed_cycles, best, cycles_too=False)
        reached = length(fine)
        if reached is not None and abs(reached - target) <= TOLERANCE_MS:
            return replace(fine, duration_ms=target)
        if reached is not None and (nearest is None or abs(reached - target) < abs(nearest - target)):
            nearest = reached
    raise UsageError(
        f"--duration {format_seconds(target)} falls between two breathing cycle counts "
        f"for this routine; the nearest it can last is {format_ms(nearest or 0, precise=True)} "
        f"(achievable range {achievable_range(shortest, longest)}, "
        "with gaps where a cycle is longer than the holds and rests can absorb)"
    )


def achievable_range(shortest_ms: int, longest_ms: int) -> str:
    """``"2:01 to 9:52"``: whole seconds, rounded inwards so both ends can be reached."""
    return f"{format_ms(-(-shortest_ms // 1000) * 1000)} to {format_ms(longest_ms // 1000 * 1000)}"


def _bisect(
    length: Callable[[float], int | None], target: int, low: float, high: float
) -> tuple[float, float, float]:
    """The factor in [low, high] whose length is closest to ``target`` (length is
    non-decreasing in the factor; None counts as too long), and the final bracket
    (low, high) around where the length crosses the target."""
    best, best_error = low, abs((length(low) or 0) - target)
    for _ in range(_ITERATIONS):
        middle = (low + high) / 2
        reached = length(middle)
        if reached is not None and abs(reached - target) < best_error:
            best, best_error = middle, abs(reached - target)
        if reached is not None and reached < target:
            low = middle
        else:
            high = middle
    for edge in (low, high):
        reached = length(edge)
        if reached is not None and abs(reached - target) < best_error:
            best, best_error = edge, abs(reached - target)
    return best, low, high


def _largest_compiling_factor(length: Callable[[float], int | None]) -> float:
    """:data:`MAX_FACTOR`, or the largest factor below it that stays within the limits."""
    if length(MAX_FACTOR) is not None:
        return MAX_FACTOR
    low, high = 1.0, MAX_FACTOR
    for _ in range(20):
        middle = (low + high) / 2
        if length(middle) is None:
            high = middle
        else:
            low = middle
    return low
