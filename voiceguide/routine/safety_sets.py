"""The named safety sets a routine includes with ``safety: {use: back}``: red flags written
once, for every routine that needs them, and spoken first (before any step).

Each set is two groups, each one text that begins with what to do: first "Get help
now." (what cannot wait: an emergency, or a doctor today), then "Ask your doctor first."
(before starting), so that a listener hears what kind of warning it is before its list,
and ``show``, subtitles and the page show it grouped the same way. Kept short on purpose:
the whole ``back`` set is ≈ 47 s at the standard pace with espeak-ng, where the lists it
replaces ran 80–95 s before anything happened. Plain words; an emergency is called an
emergency ("call emergency services"), never "see a doctor".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: set name → (its "get help now" text, its "ask your doctor first" text). A routine's
#: ``urgent:`` lines are spoken between the two groups, its ``also:`` lines after them
SAFETY_SETS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # back and leg routines: the signs of a compressed nerve root bundle (cauda
        # equina), of infection, fracture or a serious cause, then who should ask first
        "back": (
            "Get help now. Numbness or tingling around your groin, buttocks or inner thighs, "
            "new trouble controlling your bladder or bowels, or weakness or numbness spreading "
            "in one or both legs is an emergency: stop, and call emergency services or go to "
            "an emergency department now. Back pain with a fever, or after a fall or accident, "
            "needs a doctor today.",
            "Ask your doctor first if you have had cancer, weight loss you cannot explain, recent "
            "back or belly surgery, or a hip replacement; if you have osteoporosis, a diagnosed "
            "spine condition, or pain that spreads below the knee; or if you are pregnant.",
        ),
        # paced breathing with holds: who shortens them, and when to stop
        "breathing": (
            "Get help now if you have chest pain, or you cannot catch your breath and it does "
            "not settle: call emergency services.",
            "Ask your doctor first if you have a heart or lung condition, or if you are "
            "pregnant; until then, shorten the holds or skip them. Never force the breath. If "
            "you feel dizzy or light-headed, stop, and breathe normally.",
        ),
    }
)


def safety_set_names() -> tuple[str, ...]:
    """The names a routine may ``use:``, sorted."""
    return tuple(sorted(SAFETY_SETS))
