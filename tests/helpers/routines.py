"""Small routines built in code for unit tests (no YAML, no loader)."""

from __future__ import annotations

from types import MappingProxyType

from voiceguide.errors import Position
from voiceguide.routine.model import (
    DEFAULT_PHASE_WORDS,
    Breathing,
    BreathPattern,
    Cue,
    Group,
    Routine,
    Step,
)

HERE = Position("test.yaml", 1, 1)


def step(say: str = "Do it.", **kwargs: object) -> Step:
    kwargs.setdefault("name", "A step")
    return Step(where=HERE, say=say, **kwargs)  # type: ignore[arg-type]


def cue(at_ms: int, text: str) -> Cue:
    return Cue(at_ms, text, HERE)


def breathing(pattern: str = "4-4-4-4", cycles: int = 2, **words: str) -> Breathing:
    merged = dict(DEFAULT_PHASE_WORDS) | words
    return Breathing(BreathPattern.parse(pattern), cycles, MappingProxyType(merged), HERE)


def group(*steps: Step | Group, repeat: int = 2, rest_ms: int | None = None, name: str = "Group") -> Group:
    return Group(name=name, where=HERE, repeat=repeat, steps=tuple(steps), rest_ms=rest_ms)


def routine(*steps: Step | Group, intro: str = "", safety: tuple[str, ...] = (), outro: str = "") -> Routine:
    return Routine(
        title="Test",
        path="test.yaml",
        where=HERE,
        steps=tuple(steps),
        intro=intro,
        safety=safety,
        outro=outro,
    )


class FakeClock:
    """A monotonic clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lengths(texts: list[str], ms_per_word: int = 400) -> dict[str, int]:
    """A plausible spoken length for each text: ``ms_per_word`` per word."""
    return {t: ms_per_word * len(t.split()) for t in texts}


#: A small routine as a user would write it: sides, a countdown, a breathing step.
YAML_ROUTINE = """\
title: Tiny
intro: Hello there.
steps:
  - name: Knee to chest
    say: Pull your {side} knee in.
    sides: [left, right]
    hold: 3s
    countdown: 2
    rest: 1s
  - breathe: {pattern: 2-2, cycles: 2}
outro: Done.
"""
