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
    """``754000`` → ``"12:34"``; with ``precise``, tenths: ``"12:34.0"``."""
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    head = f"{hours}:{minutes:02d}" if hours else f"{minutes}"
    text = f"{sign}{head}:{seconds:02d}"
    if precise:
        text += f".{millis // 100}"
    return text


def format_seconds(ms: int) -> str:
    """``30000`` → ``"30s"``, ``1540`` → ``"1.5s"``, ``90000`` → ``"1m30s"``."""
    if ms % 1000 == 0:
        seconds = ms // 1000
        if seconds >= 60:
            minutes, sec = divmod(seconds, 60)
            return f"{minutes}m{sec:02d}s" if sec else f"{minutes}m"
        return f"{seconds}s"
    return f"{ms / 1000:.1f}s"
