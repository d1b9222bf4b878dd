"""Words that ask the listener to change position (lie down, roll over, stand up, sit, kneel,
come onto hands and knees): the timing lint (:mod:`voiceguide.timing.timeline`) gives such a
move time of its own before the next instruction is said, and more before the next hold or
breath."""

from __future__ import annotations

import re

#: How long a change of position needs before the next hold or breath begins, in ms:
#: someone following by ear rolls to the side and pushes up in 8–20 s (issue 28: the next
#: instruction used to start 2–5 s after "lie on your back" or "onto hands and knees").
MOVE_MS = 8_000
#: How long a change of position needs before the next instruction is said, in ms: an
#: instruction heard while still moving (issue 28: "Lift, and hold" 2 s after "lie on your
#: back on the mat") is lost.
INSTRUCTION_MS = 4_000

_WORD = r"(?:\w+ )"  # one word between the verb and where it goes ("roll slowly onto")
_PLACE = r"(?:your |all )?(?:back|side|front|stomach|belly|hands|knees|fours|feet|chair|mat|floor|heels)"
_MOVE = re.compile(
    "|".join(
        (
            rf"\blie {_WORD}?(?:down|back|flat|on|face)\b",
            rf"\broll {_WORD}?(?:onto|over|to|back onto|down)\b",
            rf"\bturn {_WORD}?(?:over|onto)\b",
            r"\bstand (?:up|behind|beside|facing|in front)\b",
            rf"\bsit {_WORD}?(?:down|up|on|back on|in your|at)\b",
            r"\bkneel(?:ing)?\b",
            rf"\bcome {_WORD}{{0,2}}(?:to|onto|into) (?:standing|sitting|kneeling|{_PLACE})\b",
            r"\bget (?:up|down|onto)\b",
            rf"\bonto {_PLACE}",
        )
    ),
    re.IGNORECASE,
)


def position_change(text: str) -> str | None:
    """The words of ``text`` that ask for a change of position (``"Roll slowly onto"``), or
    None when it asks for none."""
    found = _MOVE.search(text)
    return found.group(0) if found else None
