"""The routine, as frozen dataclasses built by :mod:`voiceguide.routine.loader`.

All durations are integer milliseconds. Every element remembers where it was
written (:class:`~voiceguide.errors.Position`) so later stages (compile, pacing
lint) can point at the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TypedDict

from ..errors import Position
from ..formatting import shown
from .schema import MAX_PHASE_S, PHASES, BreathPhase

#: What is said at the start of each phase when the script does not say otherwise.
DEFAULT_PHASE_WORDS: Mapping[str, str] = MappingProxyType(
    {"inhale": "Breathe in", "hold": "Hold", "exhale": "Breathe out", "hold_out": "Hold"}
)


_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # ASCII digits: no inf, 1e3, +3, 4_0 or ٣


#: what a breathing pattern is, at the end of the message of one that is not
PATTERN_ADVICE = "use seconds joined by '-', e.g. 4-7-8 (in-hold-out), 4-4-4-4 (box) or 5-5 (in-out)"


@dataclass(frozen=True)
class BreathPattern:
    """Lengths of the four phases of one breath cycle, in ms (0 = phase absent)."""

    inhale_ms: int
    hold_ms: int
    exhale_ms: int
    hold_out_ms: int = 0

    @classmethod
    def parse(cls, text: str) -> BreathPattern:
        """``"4-7-8"`` → inhale 4 s, hold 7 s, exhale 8 s; ``"4-4-4-4"``; ``"5-5"`` (in, out).

        Numbers are seconds and may have decimals (``"3.5-3.5"``). Raises ``ValueError``.
        """
        parts = [p.strip() for p in str(text).split("-")]
        if len(parts) > 4 and all(parts):
            count = f"it has {len(parts)} phases, at most 4 (in-hold-out-hold)"
            raise ValueError(f"{shown(text)} is not a breathing pattern: {count}; {PATTERN_ADVICE}")
        if not 2 <= len(parts) <= 4 or not all(parts):
            raise ValueError(f"{shown(text)} is not a breathing pattern; {PATTERN_ADVICE}")
        if not all(_SECONDS.fullmatch(p) for p in parts):
            raise ValueError(
                f"{shown(text)} is not a breathing pattern: its parts are not all numbers "
                "of seconds (digits 0-9, like 4 or 3.5)"
            )
        seconds = [Decimal(p) for p in parts]
        ms = [round(s * 1000) if s <= MAX_PHASE_S else -1 for s in seconds]  # ms, half to even
        if any(m < 0 for m in ms) or ms[0] == 0:
            raise ValueError(
                f"{shown(text)}: each phase must be 0–{MAX_PHASE_S} s, and the inhale more than 0"
            )
        if len(ms) == 2:
            return cls(ms[0], 0, ms[1], 0)
        if len(ms) == 3:
            return cls(ms[0], ms[1], ms[2], 0)
        return cls(ms[0], ms[1], ms[2], ms[3])

    def phases(self) -> tuple[tuple[BreathPhase, int], ...]:
        """The present phases as ``(name, ms)`` in order, skipping zero-length ones."""
        lengths = (self.inhale_ms, self.hold_ms, self.exhale_ms, self.hold_out_ms)
        return tuple((name, ms) for name, ms in zip(PHASES, lengths, strict=True) if ms > 0)

    @property
    def cycle_ms(self) -> int:
        return self.inhale_ms + self.hold_ms + self.exhale_ms + self.hold_out_ms

    def label(self) -> str:
        """``"4-7-8"``-style text (seconds)."""
        lengths = [self.inhale_ms, self.hold_ms, self.exhale_ms]
        if self.hold_out_ms:
            lengths.append(self.hold_out_ms)
        elif not self.hold_ms:
            lengths = [self.inhale_ms, self.exhale_ms]
        return "-".join(f"{ms / 1000:g}" for ms in lengths)


@dataclass(frozen=True)
class Voice:
    """Voice settings from the routine's ``voice:`` block."""

    rate: int | None = None  # words per minute
    name: str | None = None  # engine voice name or id
    engine: str | None = None  # speech engine ("espeak-ng", "piper"); None = default
    where: Position | None = None  # where the name is written, for "unknown voice" errors


@dataclass(frozen=True)
class Cue:
    """Something said during a hold, ``at_ms`` after the hold starts."""

    at_ms: int
    text: str
    where: Position


@dataclass(frozen=True)
class Breathing:
    """A paced breathing exercise."""

    pattern: BreathPattern
    cycles: int
    words: Mapping[str, str]  # phase name → what is said at its start ("" = nothing)
    where: Position
    ramp_to: BreathPattern | None = None  # the last cycle's pattern; cycles between glide
    sound: str = "words"  # "words", "tones" (instead of words) or "both" (schema.BREATH_SOUNDS)

    def cycle_pattern(self, pattern: BreathPattern, cycle: int, cycles: int) -> BreathPattern:
        """Cycle ``cycle`` (1-based) of ``cycles``: ``pattern`` when not ramping, else each
        phase moved in equal steps from ``pattern`` (cycle 1) to ``ramp_to`` (the last
        cycle), rounded to whole ms."""
        target = self.ramp_to
        if target is None or cycles < 2:
            return pattern
        steps = cycles - 1
        done = cycle - 1

        def glide(start: int, end: int) -> int:
            return start + _round_div((end - start) * done, steps)

        return BreathPattern(
            glide(pattern.inhale_ms, target.inhale_ms),
            glide(pattern.hold_ms, target.hold_ms),
            glide(pattern.exhale_ms, target.exhale_ms),
            glide(pattern.hold_out_ms, target.hold_out_ms),
        )


def _round_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, in integers (denominator > 0)."""
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


@dataclass(frozen=True)
class Step:
    """One exercise step. ``say`` may contain ``{side}`` and ``[pause 2s]``."""

    name: str | None
    where: Position
    say: str = ""
    hold_ms: int = 0
    rest_ms: int | None = None  # None: the pacing's default gap after a step
    cues: tuple[Cue, ...] = ()
    countdown: int = 0  # seconds counted down at the end of the hold; 0 = none
    sides: tuple[str, ...] = ()  # the step runs once per side
    chime: bool = False  # a bell when the hold (or the breathing) ends
    breathe: Breathing | None = None
    setup: str = ""  # said once, before the first side's ``say`` (a step with sides)


@dataclass(frozen=True)
class Group:
    """Steps repeated ``repeat`` times, with ``rest_ms`` between rounds."""

    name: str | None
    where: Position
    repeat: int
    steps: tuple[Step | Group, ...]
    rest_ms: int | None = None


class PacingValues(TypedDict, total=False):
    """The pacing values one layer sets (a routine's ``pacing:`` block, a pacing file, the
    command line, the serve page), checked and converted; a key left out is not set. The
    keys are those of :data:`voiceguide.routine.pacing_settings.SETTINGS`, which describes
    each (units, limits); :func:`voiceguide.timing.pacing.resolve_pacing` combines them."""

    preset: str  # gentle, standard or brisk
    duration: int  # ms: fit the session to this length; 0 = off (as it comes, over a lower layer's)
    rate: int  # words per minute
    hold_scale: float
    rest_scale: float
    breath: BreathPattern
    cycles: int
    countdown: int  # s; 0 = off
    cues: bool
    breath_sound: str  # words, tones or both
    engine: str
    voice: str
    lead_in: int  # s
    listen: bool  # play only: voice commands


@dataclass(frozen=True)
class Routine:
    """A whole routine script."""

    title: str
    path: str
    where: Position
    steps: tuple[Step | Group, ...]
    description: str = ""
    voice: Voice = Voice()
    pacing: PacingValues = field(default_factory=lambda: PacingValues())
    pacing_at: Position | None = None  # where the pacing: block is written
    intro: str = ""
    safety: tuple[str, ...] = ()
    outro: str = ""
    #: where ``intro:``, ``safety:`` and ``outro:`` are written (their timing warnings'
    #: place); None: not written, or a routine built in code (its ``where`` stands in)
    intro_at: Position | None = None
    safety_at: Position | None = None
    outro_at: Position | None = None
    about: About = field(default_factory=lambda: About())
    #: word → how the engine should say it (``pronounce:``), as written; see routine.lexicon
    pronounce: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class About:
    """What a routine says about itself, for finding it (``voiceguide list``); nothing here
    changes the session. ``None`` (or an empty tuple of tags): not stated."""

    tags: tuple[str, ...] = ()  # lowercase words: back, neck, breathing, sleep, desk, partner
    level: str | None = None  # one of schema.LEVELS
    equipment: tuple[str, ...] | None = None  # () = nothing needed; None = not stated
    author: str | None = None
    license: str | None = None  # an SPDX identifier, e.g. CC0-1.0
    standard_length_ms: tuple[int, int] | None = None  # (shortest, longest) at preset standard
