"""Durations as integer milliseconds.

Accepted spellings: a number of seconds (``30``, ``2.5``), ``"90s"``, ``"1m30s"``,
``"1m"``, ``"1h2m"``, ``"1:30"`` (m:ss), ``"1:02:03"`` (h:mm:ss) and ``"500ms"``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|h|m|s)")
_UNITS_WHOLE = re.compile(r"^(?:\s*\d+(?:\.\d+)?\s*(?:ms|h|m|s))+\s*$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)$")


class DurationSyntaxError(ValueError):
    """The text is not a duration; the message says what is accepted."""


HINT = 'use seconds (30), "90s", "1m30s", "1:30" or "500ms"'


def _ms(number: str, unit_ms: int) -> int:
    try:
        value = Decimal(number) * unit_ms
    except InvalidOperation as exc:  # pragma: no cover - regexes only pass numbers
        raise DurationSyntaxError(f"{number!r} is not a number") from exc
    return int(value.to_integral_value())


def parse_duration(value: object) -> int:
    """Parse a duration into whole milliseconds (rounded half-even).

    Raises :class:`DurationSyntaxError` (a ``ValueError``) for anything else,
    including booleans and negative numbers.
    """
    if isinstance(value, bool):
        raise DurationSyntaxError(f"expected a duration, got {str(value).lower()}; {HINT}")
    if isinstance(value, int):
        if value < 0:
            raise DurationSyntaxError(f"duration must not be negative, got {value}")
        return value * 1000
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise DurationSyntaxError(f"expected a duration, got {value}; {HINT}")
        if value < 0:
            raise DurationSyntaxError(f"duration must not be negative, got {value}")
        return _ms(repr(value), 1000)
    if not isinstance(value, str):
        raise DurationSyntaxError(f"expected a duration, got {type(value).__name__}; {HINT}")
    text = value.strip().lower()
    if text.startswith("-"):
        raise DurationSyntaxError(f"duration must not be negative, got {value!r}")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return _ms(text, 1000)
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = clock.groups()
        total = _ms(seconds, 1000) + int(minutes) * 60_000
        if hours is not None:
            total += int(hours) * 3_600_000
        return total
    if _UNITS_WHOLE.match(text):
        return sum(_ms(num, _UNIT_MS[unit]) for num, unit in _PART.findall(text))
    raise DurationSyntaxError(f"{value!r} is not a duration; {HINT}")


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
