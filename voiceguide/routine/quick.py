"""Quick sessions: the routine text behind ``voiceguide breathe`` and ``voiceguide timer``.

Pure: each builder checks its values and returns a :class:`QuickRoutine`, the YAML a user
could have written (the CLI writes it to a temporary file and plays or exports it like any
routine, and prints it for ``--yaml``), plus the pacing the command line pins so that no
preset or pacing file changes what was asked for. Times are integer ms; minutes are read
as decimals, never floats. Every mistake is a :class:`~voiceguide.errors.UsageError`
(exit 2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from ..errors import UsageError
from ..formatting import format_ms, format_seconds, shown
from .model import PATTERN_ADVICE, BreathPattern
from .pacing_settings import OFF
from .schema import MAX_COUNTDOWN, MAX_CYCLES, MAX_DURATION_MS, MAX_DURATION_WORDS, MAX_REPEAT

#: the patterns known by name (``voiceguide breathe box``); any other is read as seconds
NAMED_PATTERNS: Mapping[str, str] = MappingProxyType(
    {"box": "4-4-4-4", "4-7-8": "4-7-8", "coherent": "5.5-5.5"}
)
_TITLES = {"box": "Box breathing", "4-7-8": "4-7-8 breathing", "coherent": "Coherent breathing"}
_MINUTES = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,6})?")  # ASCII digits: no 1e3, inf, ٥ or 5m
SHORT_PHASE_MS = 2000  # a phase shorter than this is called with one word ("Inhale", "Exhale")
#: an inhale or exhale shorter than this is called "In" / "Out" instead: "Inhale" / "Exhale"
#: take at most 1.5 s at the slowest rate allowed (80 wpm; piper and espeak-ng), 0.9 s at
#: the gentle preset
WORD_PHASE_MS = 1500
DEFAULT_MINUTES = "5"
#: a named pattern's breaths when neither --minutes nor --cycles is given: 4-7-8 is taught
#: as one set of at most four breaths for the first month (scripts/4-7-8-breathing.yaml)
FIRST_SET_CYCLES: Mapping[str, int] = MappingProxyType({"4-7-8": 4})
#: pinned on the command line: no preset or pacing file stretches what was asked for, nor
#: fits it to a length ("duration: 15m" in pacing.yaml made every quick session fail with
#: '--duration 15m is out of reach', and play --resume of one would fit it)
_UNSCALED: Mapping[str, object] = MappingProxyType({"hold_scale": 1.0, "rest_scale": 1.0, "duration": OFF})
DEFAULT_COUNTDOWN = 3  # seconds counted down at the end of each timer hold


@dataclass(frozen=True)
class QuickRoutine:
    """A quick session: ``name`` for its file (``breathe-box``), ``text`` the routine's
    YAML, ``pinned`` the pacing values (click parameter names of play/export: ``breath``,
    ``cycles``, ``hold_scale``, ``rest_scale``, ``duration`` off) set on the command line
    above every file."""

    name: str
    text: str
    pinned: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


def _quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _pattern_hint() -> str:
    named = ", ".join(
        name if name == pattern else f"{name} ({pattern})" for name, pattern in NAMED_PATTERNS.items()
    )
    return f"use a name, {named}, or seconds joined by '-' such as 4-2-6 (in-hold-out)"


def breath_pattern(text: str) -> BreathPattern:
    """A named pattern (any case, spaces around ignored) or seconds joined by '-'."""
    key = text.strip().lower()
    try:
        return BreathPattern.parse(NAMED_PATTERNS.get(key, key))
    except ValueError as exc:  # what is wrong, then the advice of quick sessions (names too), once
        raise UsageError(str(exc).removesuffix(f"; {PATTERN_ADVICE}"), hint=_pattern_hint()) from None


def parse_minutes(text: str) -> int:
    """``--minutes``: ``"5"`` or ``"2.5"`` → ms (rounded half to even), more than 0 and at
    most 24 hours. Raises UsageError."""
    written = str(text).strip()
    if not _MINUTES.fullmatch(written):
        raise UsageError(f"--minutes: {shown(text)} is not a number of minutes; use e.g. 5 or 2.5")
    ms = round(Decimal(written) * 60_000)
    if not 0 < ms <= MAX_DURATION_MS:
        raise UsageError(
            f"--minutes must be more than 0 and at most {MAX_DURATION_MS // 60_000} "
            f"({MAX_DURATION_WORDS}), got {written}"
        )
    return ms


def cycles_for(pattern: BreathPattern, minutes_ms: int) -> int:
    """The whole number of cycles nearest to ``minutes_ms`` (halves round up), at least 1.
    Raises UsageError past :data:`~voiceguide.routine.schema.MAX_CYCLES`."""
    cycle = pattern.cycle_ms
    cycles = max(1, (2 * minutes_ms + cycle) // (2 * cycle))
    if cycles > MAX_CYCLES:
        raise UsageError(
            f"--minutes: {format_ms(minutes_ms)} is {cycles} cycles of {pattern.label()}; at most "
            f"{MAX_CYCLES} cycles ({format_ms(MAX_CYCLES * cycle)}) fit in one session"
        )
    return cycles


def _phase_words(pattern: BreathPattern) -> dict[str, str]:
    """One word for short phases, so the voice never outlasts them; {} keeps the defaults.

    "Inhale" / "Exhale" where they fit: Whisper heard piper's "Inhale" and "Exhale" in 5 of
    5 takes each, "In" in none of 6 ("And", "Then") and "Out" in none ("Ow"); a person on the
    mat hears two syllables better than one too. "In" / "Out" only below
    :data:`WORD_PHASE_MS`."""
    if all(ms >= SHORT_PHASE_MS for _, ms in pattern.phases()):
        return {}
    moving = [ms for name, ms in pattern.phases() if name in ("inhale", "exhale")]
    if min(moving) >= WORD_PHASE_MS:
        short = {"inhale": "Inhale", "hold": "Hold", "exhale": "Exhale", "hold_out": "Hold"}
    else:
        short = {"inhale": "In", "hold": "Hold", "exhale": "Out", "hold_out": "Hold"}
    return {name: short[name] for name, _ in pattern.phases()}


def _spoken_pattern(pattern: BreathPattern) -> str:
    """``"in for 4, hold for 7, out for 8"`` (seconds)."""
    words = {"inhale": "in", "hold": "hold", "exhale": "out", "hold_out": "hold"}
    return ", ".join(f"{words[name]} for {ms / 1000:g}" for name, ms in pattern.phases())


def breathe_routine(
    pattern_text: str, *, minutes: str | None = None, cycles: int | None = None
) -> QuickRoutine:
    """``voiceguide breathe PATTERN``: one breathing step of ``cycles`` cycles, or as many as
    fill ``minutes`` (default :data:`DEFAULT_MINUTES`), with a short spoken introduction."""
    pattern = breath_pattern(pattern_text)
    if minutes is not None and cycles is not None:
        raise UsageError("give --minutes or --cycles, not both")
    key = pattern_text.strip().lower()
    if cycles is None and minutes is None and key in FIRST_SET_CYCLES:
        cycles = FIRST_SET_CYCLES[key]  # as the bundled routine teaches it
    if cycles is None:
        cycles = cycles_for(pattern, parse_minutes(minutes or DEFAULT_MINUTES))
    elif not 1 <= cycles <= MAX_CYCLES:
        raise UsageError(f"--cycles must be 1–{MAX_CYCLES}, got {cycles}")
    label = pattern.label()
    title = f"Breathing {label}"
    if key in _TITLES:
        title = _TITLES[key] if key == label else f"{_TITLES[key]} ({label})"
    name = f"breathe-{key if key in _TITLES else label}"
    length = format_seconds(cycles * pattern.cycle_ms)
    breaths = "one breath" if cycles == 1 else f"{cycles} breaths"
    words = _phase_words(pattern)
    say = ("\n      say: {" + ", ".join(f"{k}: {v}" for k, v in words.items()) + "}") if words else ""
    text = f"""\
# Made by `voiceguide breathe {pattern_text.strip()}`: {breaths} of {label}, {length} of
# breathing. Save it (--yaml > my-breathing.yaml) to change it like any routine.
title: {_quoted(title)}
description: {_quoted(f"Breathe {_spoken_pattern(pattern)} seconds; {breaths}, {length}.")}
intro: {_quoted(f"Sit comfortably. We breathe {_spoken_pattern(pattern)}. {breaths.capitalize()}.")}
safety: {{use: breathing}}  # who should ask a doctor first, and when to stop
steps:
  - name: {_quoted(title)}
    say: Breathe all the way out. Now we begin.
    breathe:
      pattern: {_quoted(label)}
      cycles: {cycles}{say}
    chime: true
    rest: 1s
outro: Now let your breath return to its natural rhythm. Well done.
"""
    pinned = {**_UNSCALED, "breath": pattern, "cycles": cycles}
    return QuickRoutine(name, text, MappingProxyType(pinned))


def timer_routine(
    hold_ms: int, rest_ms: int, rounds: int, say: str, countdown: int | None = None
) -> QuickRoutine:
    """``voiceguide timer``: ``rounds`` rounds of ``say`` then a hold of ``hold_ms`` (a
    countdown of its last ``countdown`` seconds, a chime at its end), with ``rest_ms`` of
    silence between rounds. ``countdown`` None: :data:`DEFAULT_COUNTDOWN` seconds, fewer
    in a shorter hold."""
    if countdown is None:
        countdown = min(DEFAULT_COUNTDOWN, max(hold_ms, 0) // 1000)
    if not 1 <= rounds <= MAX_REPEAT:
        raise UsageError(f"--rounds must be 1–{MAX_REPEAT}, got {rounds}")
    if not 1000 <= hold_ms <= MAX_DURATION_MS:
        raise UsageError(f"--hold must be 1 second to {MAX_DURATION_WORDS}, got {format_seconds(hold_ms)}")
    if not 0 <= rest_ms <= MAX_DURATION_MS:
        raise UsageError(f"--rest must be 0 to {MAX_DURATION_WORDS}, got {format_seconds(rest_ms)}")
    if not say.strip():
        raise UsageError("--say must say something (it is spoken at the start of every round)")
    if not 0 <= countdown <= MAX_COUNTDOWN or countdown * 1000 > hold_ms:
        raise UsageError(
            f"--countdown: {countdown} seconds do not fit in a hold of "
            f"{format_seconds(hold_ms)}; use fewer, or off"
        )
    total = rounds * hold_ms + (rounds - 1) * rest_ms
    if total > MAX_DURATION_MS:
        raise UsageError(
            f"{rounds} rounds of {format_seconds(hold_ms)} with "
            f"{format_seconds(rest_ms)} rests last {format_ms(total)}, more than "
            f"{MAX_DURATION_WORDS}"
        )
    hold, rest = format_seconds(hold_ms), format_seconds(rest_ms)
    name = f"timer-{_file_part(hold)}-{_file_part(rest)}-x{rounds}"
    rest_line = f"\n    rest: {_written(rest_ms)}  # silence between rounds" if rest_ms else ""
    text = f"""\
# Made by `voiceguide timer`: {rounds} rounds of {hold}, {rest} rest between them.
# Save it (--yaml > my-timer.yaml) to change it like any routine.
title: {_quoted(f"Timer: {rounds} × {hold}" + (f", {rest} rest" if rest_ms else ""))}
description: {_quoted(f"{rounds} rounds of {hold}, with {rest} of rest between them.")}
steps:
  - name: Round
    repeat: {rounds}{rest_line}
    steps:
      - name: Hold
        say: {_quoted(say.strip())}
        hold: {_written(hold_ms)}
        countdown: {countdown}
        chime: true
        rest: 0s
outro: Done.
"""
    pinned = {**_UNSCALED, "countdown": countdown}
    return QuickRoutine(name, text, MappingProxyType(pinned))


def _written(ms: int) -> str:
    """A duration as the routine file says it: ``30s``, ``1m30s``, else ``1540ms``."""
    return format_seconds(ms) if ms % 1000 == 0 else f"{ms}ms"


def _file_part(duration: str) -> str:
    """``"1 min 30 s"`` → ``"1min30s"``: a duration fit for a file name."""
    return re.sub(r"[^0-9a-z.]", "", duration.lower()) or "0s"
