"""Durations as integer milliseconds, parsed from what people write (shown by :mod:`voiceguide.formatting`).

Accepted spellings: a number of seconds (``30``, ``2.5``), ``"90s"``, ``"1m30s"``,
``"1m"``, ``"1h2m"``, ``"1:30"`` (m:ss), ``"1:02:03"`` (h:mm:ss) and ``"500ms"``; digits
are ASCII 0-9, and seconds after minutes or hours (``1:30``, ``1m30s``), and minutes after
hours, are under 60: ``"1m99s"`` is refused with the spelling meant (``2m39s``), never
read as 2:39.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from ..formatting import shown

#: the longest a hold or a session may be (24 hours): defined with the format's other limits
from .schema import MAX_DURATION_MS as MAX_DURATION_MS  # re-exported
from .schema import MAX_DURATION_WORDS

_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"  # ASCII digits only: "٣" is not read as 3
_PART = re.compile(rf"({_NUMBER})\s*(ms|h|m|s)")
_UNITS_WHOLE = re.compile(rf"^(?:\s*{_NUMBER}\s*(?:ms|h|m|s))+\s*$")
_CLOCK = re.compile(r"^(?:([0-9]+):)?([0-9]+):([0-9]{1,2}(?:\.[0-9]+)?)$")

#: Longer than this is refused by the parser itself, whatever the caller's own limit, so
#: that 1e308 or a 5000-digit number never reaches arithmetic or formatting.
_ABSURD_MS = 1000 * MAX_DURATION_MS


class DurationSyntaxError(ValueError):
    """The text is not a duration; the message says what is accepted."""


HINT = 'use seconds (30), "90s", "1m30s", "1:30" or "500ms"'


def _too_long(value: object) -> DurationSyntaxError:
    return DurationSyntaxError(
        f"{shown(value)} is far too long; durations are limited to {MAX_DURATION_WORDS}"
    )


def _ms(number: str, unit_ms: int) -> int:
    try:
        value = Decimal(number) * unit_ms
    except InvalidOperation as exc:  # pragma: no cover - regexes only pass numbers
        raise DurationSyntaxError(f"{shown(number)} is not a number") from exc
    if value > _ABSURD_MS:
        raise _too_long(number)
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
            raise DurationSyntaxError(f"duration must not be negative, got {shown(value)}")
        if value * 1000 > _ABSURD_MS:
            raise _too_long(value)
        return value * 1000
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DurationSyntaxError(f"expected a duration, got {value}; {HINT}")
        if value < 0:
            raise DurationSyntaxError(f"duration must not be negative, got {value}")
        return _ms(repr(value), 1000)
    if not isinstance(value, str):
        raise DurationSyntaxError(f"expected a duration, got {type(value).__name__}; {HINT}")
    text = value.strip().lower()
    if text.startswith("-"):
        raise DurationSyntaxError(f"duration must not be negative, got {shown(value)}")
    if re.fullmatch(_NUMBER, text):
        return _ms(text, 1000)
    clock = _CLOCK.match(text)
    if clock:
        return _clock_ms(value, *clock.groups())
    if _UNITS_WHOLE.match(text):
        parts = _PART.findall(text)
        total = sum(_ms(num, _UNIT_MS[unit]) for num, unit in parts)
        if total > _ABSURD_MS:
            raise _too_long(value)
        _check_carried(value, parts, total)
        return total
    raise DurationSyntaxError(f"{shown(value)} is not a duration; {HINT}")


#: the units whose part must be under 60 after a part of a larger unit: seconds after
#: minutes or hours, minutes after hours
_CARRIED = {"s": ("m", "h"), "m": ("h",)}
_UNIT_WORDS = {"h": "hours", "m": "minutes", "s": "seconds"}


def _check_carried(value: str, parts: list[tuple[str, str]], total_ms: int) -> None:
    """Raise if a part of ``value`` (``(number, unit)`` pairs, in order) is 60 or more after a
    part of a larger unit: ``1m99s`` is a slip for ``2m39s`` or ``1m39s``, not a way to write
    either, as ``1:99`` is not a time."""
    seen: set[str] = set()
    for number, unit in parts:
        larger = [u for u in _CARRIED.get(unit, ()) if u in seen]
        if larger and Decimal(number) >= 60:
            raise DurationSyntaxError(
                f"{shown(value)} is not a duration: {_UNIT_WORDS[unit]} after "
                f"{_UNIT_WORDS[larger[0]]} must be under 60; did you mean {_written(total_ms)}?"
            )
        seen.add(unit)


def _written(ms: int) -> str:
    """``ms`` in the units form the parser reads back, each part under 60: ``159000`` →
    ``"2m39s"``, ``9000000`` → ``"2h30m"``, ``1500`` → ``"1.5s"``, ``0`` → ``"0s"``."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds = f"{(Decimal(rest) / 1000).normalize():f}"  # 30, 39.5
    parts = (f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if rest else "")
    return "".join(parts) or "0s"


def _clock_ms(value: str, hours: str | None, minutes: str, seconds: str) -> int:
    """``m:ss`` or ``h:mm:ss``: the seconds (and, after hours, the minutes) under 60."""
    total = _ms(seconds, 1000) + _ms(minutes, 60_000)
    if hours is not None:
        total += _ms(hours, 3_600_000)
    if total > _ABSURD_MS:
        raise _too_long(value)
    if Decimal(seconds) >= 60 or (hours is not None and Decimal(minutes) >= 60):
        field = "minutes and seconds" if hours is not None else "seconds"
        raise DurationSyntaxError(
            f"{shown(value)} is not a time: the {field} must be under 60 (1:30 is a minute and "
            f"a half); did you mean {_clock_written(total, hours is not None)}?"
        )
    return total


def _clock_written(ms: int, hours: bool) -> str:
    """``ms`` as a clock the parser reads back: ``m:ss``, or ``h:mm:ss`` when ``hours``
    (or when the minutes reach an hour); a fraction of a second kept (``2:39.5``)."""
    whole_s, fraction_ms = divmod(ms, 1000)
    minutes, seconds = divmod(whole_s, 60)
    tail = f"{Decimal(fraction_ms) / 1000:f}".rstrip("0")[1:] if fraction_ms else ""  # ".5"
    if hours or minutes >= 60:
        return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}{tail}"
    return f"{minutes}:{seconds:02d}{tail}"
