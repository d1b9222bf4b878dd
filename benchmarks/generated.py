"""Generate long routines for benchmarks: varied steps adding up to a target length."""

from __future__ import annotations

from pathlib import Path

_MOVES = [
    "Knee to chest",
    "Pelvic tilt",
    "Cat and cow",
    "Child's pose",
    "Supine twist",
    "Figure four",
    "Bridge",
    "Hamstring stretch",
]


def routine_yaml(minutes: int) -> str:
    """A valid routine of about ``minutes`` minutes (speech at 150 wpm included)."""
    lines = [
        f"title: Generated {minutes}-minute routine",
        "intro: This is a generated routine.",
        "steps:",
    ]
    total_ms = 0
    i = 0
    while total_ms < minutes * 60_000 - 40_000:
        i += 1
        move = _MOVES[i % len(_MOVES)]
        if i % 5 == 0:
            lines += [
                f"  - name: Breathing {i}",
                "    breathe: {pattern: 4-4-4-4, cycles: 2}",
                "    rest: 3s",
            ]
            total_ms += 32_000 + 3_000
        else:
            lines += [
                f"  - name: {move} {i}",
                f"    say: Number {i}. Settle into the {move.lower()} and hold it gently.",
                "    hold: 25s",
                "    countdown: 3",
                "    rest: 4s",
                "    cues: [{at: 10s, say: Keep breathing slowly.}]",
            ]
            total_ms += 4_000 + 25_000 + 4_000 + 1_500
    lines.append("outro: Done.")
    return "\n".join(lines) + "\n"


def write_routine(directory: Path, minutes: int) -> Path:
    path = directory / f"generated-{minutes}m.yaml"
    path.write_text(routine_yaml(minutes), encoding="utf-8")
    return path
