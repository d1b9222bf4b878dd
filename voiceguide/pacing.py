"""Pacing: how fast and how long. One :class:`Pacing` value drives play, export, show and render.

Issue 3 resolves only the routine's ``voice`` block on top of the ``standard``
preset; the full precedence (command line > pacing file > routine ``pacing:`` >
preset) lands with the pacing issue and plugs in at :func:`resolve_pacing`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .model import BreathPattern, Routine


@dataclass(frozen=True)
class Pacing:
    """Every knob that changes the timing of a session.

    Scales multiply script durations once (rounded to whole ms), never cumulatively.
    """

    preset: str = "standard"
    rate_wpm: int = 150  # speech rate, words per minute
    voice: str | None = None  # engine voice name/id; None = engine default
    hold_scale: float = 1.0
    rest_scale: float = 1.0
    breath: BreathPattern | None = None  # overrides every breathing step's pattern
    cycles: int | None = None  # overrides every breathing step's cycle count
    countdown: int | None = None  # None = as scripted; 0 = off; N = N seconds everywhere
    cues: bool = True  # speak mid-hold cues
    step_gap_ms: int = 1500  # rest after a step that names none
    phrase_gap_ms: int = 700  # silence between consecutive spoken blocks (intro, safety)
    lead_in_ms: int = 3000  # play only: "starting in 3, 2, 1"

    def scale_hold(self, ms: int) -> int:
        return round(ms * self.hold_scale)

    def scale_rest(self, ms: int) -> int:
        return round(ms * self.rest_scale)


PRESETS: dict[str, Pacing] = {
    "standard": Pacing(),
}


def resolve_pacing(routine: Routine, preset: str = "standard") -> Pacing:
    """The effective pacing for ``routine``: the preset, then the routine's voice block."""
    pacing = PRESETS[preset]
    if routine.voice.rate is not None:
        pacing = replace(pacing, rate_wpm=routine.voice.rate)
    if routine.voice.name is not None:
        pacing = replace(pacing, voice=routine.voice.name)
    return pacing
