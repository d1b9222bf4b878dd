"""Pacing: how fast and how long. One :class:`Pacing` value drives play, export, show and render.

Where each value comes from, highest first (:func:`resolve_pacing`):

1. the command line,
2. a pacing file (``--pacing FILE``), then the user's own pacing file in the config dir,
3. the routine's ``pacing:`` block, then its ``voice:`` block (rate and name),
4. the preset (``gentle``, ``standard`` or ``brisk``; itself chosen by the highest
   layer that names one, ``standard`` when none does).

Pure: the layers arrive as mappings of already-checked values (the loader reads files;
the CLI parses options). ``--duration`` is applied later, once speech is measured
(:mod:`voiceguide.timing.fit`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

from ..errors import RoutineError, UsageError, VoiceguideError
from ..formatting import format_seconds
from ..routine.model import BreathPattern, PacingValues, Routine
from ..routine.pacing_settings import OFF, SETTINGS


@dataclass(frozen=True)
class Pacing:
    """Every knob that changes the timing of a session. Times in integer ms unless named
    otherwise; scales multiply script durations once (rounded to whole ms), never
    cumulatively."""

    preset: str = "standard"
    rate_wpm: int = 150  # speech rate, words per minute
    voice: str | None = None  # engine voice name/id; None = engine default
    engine: str | None = None  # speech engine; None = $VOICEGUIDE_ENGINE, else espeak-ng
    hold_scale: float = 1.0
    rest_scale: float = 1.0  # also scales the default gap after a step
    breath: BreathPattern | None = None  # overrides every breathing step's pattern (and ramp)
    cycles: int | None = None  # overrides every breathing step's cycle count
    cycle_scale: float = 1.0  # multiplies cycle counts (set by --duration fitting)
    countdown: int | None = None  # None = as scripted; 0 = off; N = last N s of every hold
    cues: bool = True  # speak mid-hold cues
    breath_sound: str | None = None  # overrides every breathing step's sound (words/tones/both)
    lead_in_s: int = 3  # play only: "starting in 3, 2, 1"; 0 = none
    listen: bool = False  # play only: voice commands from the microphone (play.listen)
    duration_ms: int | None = None  # fit the session to this length (None: as it comes)
    step_gap_ms: int = 1500  # rest after a step that names none (before rest_scale)
    phrase_gap_ms: int = 700  # silence between consecutive spoken blocks (intro, safety)

    def scale_hold(self, ms: int) -> int:
        return round(ms * self.hold_scale)

    def scale_rest(self, ms: int) -> int:
        return round(ms * self.rest_scale)

    def cycles_for(self, scripted: int) -> int:
        """How many breath cycles a step scripted with ``scripted`` cycles gets (≥ 1)."""
        return max(1, round((self.cycles or scripted) * self.cycle_scale))


#: The presets, exactly; README's table is written from these values.
PRESETS: Mapping[str, Pacing] = MappingProxyType(
    {
        "gentle": Pacing(
            preset="gentle",
            rate_wpm=130,
            hold_scale=1.25,
            rest_scale=1.5,
            countdown=5,
            lead_in_s=5,
            phrase_gap_ms=1000,
        ),
        "standard": Pacing(),
        "brisk": Pacing(
            preset="brisk",
            rate_wpm=175,
            hold_scale=0.75,
            rest_scale=0.5,
            countdown=3,
            lead_in_s=2,
            phrase_gap_ms=500,
        ),
    }
)

#: Pacing keys (as written in files and ``pacing:`` blocks) → Pacing fields (from the one
#: description, :data:`voiceguide.routine.pacing_settings.SETTINGS`; ``preset`` picks the base).
KEY_FIELDS: Mapping[str, str] = MappingProxyType({s.key: s.field for s in SETTINGS if s.key != "preset"})


#: The label of the routine's ``voice:`` block as a pacing source.
ROUTINE_VOICE = "routine voice:"


@dataclass(frozen=True)
class Layer:
    """One source of pacing values: ``values`` holds checked, converted values by pacing key
    (each becomes the :class:`Pacing` field of :data:`KEY_FIELDS`, ``preset`` picks the
    base); ``label`` says where they came from."""

    label: str
    values: PacingValues


@dataclass(frozen=True)
class ResolvedPacing:
    """The effective pacing and, for each :class:`Pacing` field, where its value came from."""

    pacing: Pacing
    sources: Mapping[str, str]


def routine_layers(routine: Routine) -> list[Layer]:
    """The routine's own layers, highest first: its ``pacing:`` block, then ``voice:``."""
    where = f" ({routine.pacing_at.path}:{routine.pacing_at.line})" if routine.pacing_at else ""
    voice: PacingValues = {}
    if routine.voice.rate is not None:
        voice["rate"] = routine.voice.rate
    if routine.voice.name is not None:
        voice["voice"] = routine.voice.name
    if routine.voice.engine is not None:
        voice["engine"] = routine.voice.engine
    return [Layer(f"routine pacing:{where}", routine.pacing), Layer(ROUTINE_VOICE, voice)]


def place_voice_error(error: VoiceguideError, routine: Routine, source: str) -> VoiceguideError:
    """``error`` (the engine has no such voice) said where the voice was chosen: at the
    routine's ``voice: {name:}`` or ``pacing:`` block as file:line:col, naming the pacing
    file it came from, or as it is (the command line's ``--voice``). ``source`` is where
    :func:`resolve_pacing` found the voice."""
    if source == ROUTINE_VOICE and routine.voice.where is not None:
        return RoutineError.at(routine.voice.where, error.message)
    if source.startswith("routine pacing:") and routine.pacing_at is not None:
        return RoutineError.at(routine.pacing_at, error.message)
    if source.startswith(("pacing file", "user pacing file")):
        return UsageError(f"{error.message} (the voice is set in the {source})")
    return error


def resolve_pacing(routine: Routine, layers: Sequence[Layer] = ()) -> ResolvedPacing:
    """The effective pacing for ``routine``. ``layers`` are the ones above the routine,
    highest first (command line, pacing file, user pacing file)."""
    stack = [*layers, *routine_layers(routine)]
    preset, preset_source = "standard", "default"
    for layer in stack:
        if "preset" in layer.values:
            preset, preset_source = layer.values["preset"], layer.label
            break
    pacing = PRESETS[preset]
    sources = {f.name: _unset_source(f.name, preset) for f in fields(Pacing)}
    sources["preset"] = preset_source
    for layer in reversed(stack):  # lowest first, so higher layers win
        # Any: each value has its own field's type (PacingValues says which)
        changes: dict[str, Any] = {KEY_FIELDS[k]: v for k, v in layer.values.items() if k in KEY_FIELDS}
        if changes.get("duration_ms") == OFF:  # "duration: off": as it comes, over a lower layer's
            changes["duration_ms"] = None
        pacing = replace(pacing, **changes)
        sources.update(dict.fromkeys(changes, layer.label))
    return ResolvedPacing(pacing, MappingProxyType(sources))


#: what a value no layer sets is credited to when no preset sets it either
AS_SCRIPTED, DEFAULT = "the routine (as scripted)", "default"


def _unset_source(name: str, preset: str) -> str:
    """Where field ``name`` comes from when no layer sets it: the preset if presets set
    it (they differ in it), else the script itself (breath, cycles) or the default."""
    values = {getattr(p, name) for p in PRESETS.values()}
    if len(values) > 1:
        return f"preset {preset}"
    return AS_SCRIPTED if name in ("breath", "cycles") else DEFAULT


def describe(pacing: Pacing) -> list[tuple[str, str]]:
    """(what, value) rows for people: what ``voiceguide pacing`` and export comments show."""
    countdown = {None: "as scripted", 0: "off"}.get(
        pacing.countdown, f"last {pacing.countdown} s of every hold"
    )
    return [
        ("preset", pacing.preset),
        ("rate", f"{pacing.rate_wpm} wpm"),
        ("engine", pacing.engine or "default"),
        ("voice", pacing.voice or "engine default"),
        ("hold scale", f"×{pacing.hold_scale:.4g}"),
        ("rest scale", f"×{pacing.rest_scale:.4g}"),
        ("breath", pacing.breath.label() if pacing.breath else "as scripted"),
        ("cycles", str(pacing.cycles) if pacing.cycles else "as scripted"),
        ("cycle scale", f"×{pacing.cycle_scale:.4g}"),
        ("countdown", countdown),
        ("cues", "spoken" if pacing.cues else "off"),
        ("breath sound", pacing.breath_sound or "as scripted"),
        ("lead-in", f"{pacing.lead_in_s} s" if pacing.lead_in_s else "none"),
        ("listen", "voice commands" if pacing.listen else "off"),
        ("duration", format_seconds(pacing.duration_ms) if pacing.duration_ms else "as it comes"),
    ]


#: describe() row → the Pacing field whose source it reports.
DESCRIBED_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "preset": "preset",
        "rate": "rate_wpm",
        "engine": "engine",
        "voice": "voice",
        "hold scale": "hold_scale",
        "rest scale": "rest_scale",
        "breath": "breath",
        "cycles": "cycles",
        "cycle scale": "cycle_scale",
        "countdown": "countdown",
        "cues": "cues",
        "breath sound": "breath_sound",
        "lead-in": "lead_in_s",
        "listen": "listen",
        "duration": "duration_ms",
    }
)


def summary(pacing: Pacing) -> str:
    """One line, e.g. for an export's comment tag: ``preset gentle, 130 wpm, hold ×1.25 …``."""
    rows = dict(describe(pacing))
    parts = [
        f"preset {pacing.preset}",
        rows["rate"],
        f"hold {rows['hold scale']}",
        f"rest {rows['rest scale']}",
        f"countdown {rows['countdown']}",
    ]
    if pacing.breath:
        parts.append(f"breath {rows['breath']}")
    if pacing.cycles or pacing.cycle_scale != 1.0:
        parts.append(f"cycles {rows['cycles']} {rows['cycle scale']}")
    if not pacing.cues:
        parts.append("no cues")
    return ", ".join(parts)
