"""Values written for people: durations as a clock or in seconds, any value cut for a message.

Pure and below everything else (the routine, the timeline, play and the command line all
show times the same way); parsing what people write is :mod:`voiceguide.routine.durations`.
"""

from __future__ import annotations


def shown(value: object, limit: int = 40) -> str:
    """``repr(value)`` for a message, cut to about ``limit`` characters: a hostile value
    can be megabytes long, and an int past 4300 digits cannot even be printed."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3 * limit:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}…{text[-4:]}"


def format_ms(ms: int, *, precise: bool = False) -> str:
    """A time or a length as a clock, rounded to the nearest second, a half up:
    ``754000`` → ``"12:34"``, ``285633`` → ``"4:46"``, ``3723000`` → ``"1:02:03"``; with
    ``precise``, to the nearest tenth: ``"4:45.6"``. The one rule for every length shown
    (export, list, show, play, history; the page's ``clock()`` in format.js rounds alike)."""
    unit = 100 if precise else 1000  # ms
    units = (abs(ms) + unit // 2) // unit
    seconds, tenths = divmod(units, 10) if precise else (units, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    head = f"{hours}:{minutes:02d}" if hours else f"{minutes}"
    sign = "-" if ms < 0 and units else ""
    return f"{sign}{head}:{seconds:02d}" + (f".{tenths}" if precise else "")


def format_seconds(ms: int) -> str:
    """``30000`` → ``"30s"``, ``1540`` → ``"1.5s"``, ``90000`` → ``"1m30s"``."""
    if ms % 1000 == 0:
        seconds = ms // 1000
        if seconds >= 60:
            minutes, sec = divmod(seconds, 60)
            return f"{minutes}m{sec:02d}s" if sec else f"{minutes}m"
        return f"{seconds}s"
    return f"{ms / 1000:.1f}s"
