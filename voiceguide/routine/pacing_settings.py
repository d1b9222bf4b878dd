"""The pacing settings, described once: what each is called, its type, unit, limits, help
and default. Every front end derives its part from :data:`SETTINGS`:

- the command line's options (:mod:`voiceguide.cli.options`: names, click types, limits, help),
- the loader's checks of a ``pacing:`` block and of a pacing file (:meth:`_Builder.pacing`
  in :mod:`voiceguide.routine.loader`: which check each kind gets),
- the published JSON Schema's ``pacing`` object (:func:`voiceguide.routine.schema.json_schema`),
- the server's check of the page's pacing (:func:`parse`, used by ``voiceguide.serve.jobs``),
- the page's form (:func:`page_description`, served as ``GET /api/pacing-settings``: the page
  builds its controls from it).

Adding a setting is one :class:`Setting` here, its key in
:class:`~voiceguide.routine.model.PacingValues`, and the :class:`~voiceguide.timing.pacing.Pacing`
field it sets (``tests/test_pacing_settings.py`` keeps the three equal). Pure: no click, no I/O.

It lives in ``routine/``, the lowest stage, because the routine format's ``pacing:`` block is
one of its users: the loader and the schema may not import a later stage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypeAlias, cast

from ..formatting import format_seconds, shown
from . import schema
from .durations import DurationSyntaxError, parse_duration

if TYPE_CHECKING:  # the model is imported on use: --help need not build it
    from .model import BreathPattern, PacingValues

#: how a setting is written and converted (each kind has one check in the loader, one click
#: type and one JSON Schema fragment):
#: choice: one of ``choices`` (text); integer: a whole number in [minimum, maximum];
#: number: a finite number in [minimum, maximum]; pattern: a breathing pattern (4-7-8);
#: countdown: whole seconds in [minimum, maximum] or "off" (0); flag: true or false;
#: text: non-empty text; seconds: whole seconds in [minimum, maximum] (a file may write "3s");
#: duration: a duration ("12m", "20:00") of [minimum, maximum] ms, or "off" (:data:`OFF`)
Kind = Literal["choice", "integer", "number", "pattern", "countdown", "flag", "text", "seconds", "duration"]
#: the control the serve page shows for a setting ("" = not on the page)
PageControl = Literal["", "select", "number", "text"]
#: a setting's value once converted (a :class:`BreathPattern` for ``pattern``)
Value: TypeAlias = "str | int | float | bool | BreathPattern"

_MAX_DIGITS = 30  # a longer "number" is refused before conversion (int() of 5000 digits fails)
#: the words that turn a countdown or a duration off
OFF_WORDS = ("off", "none", "no")
#: a ``duration`` (and a ``countdown``) of "off": no fitting, whatever a lower layer asks
#: (a quick session pins it, so its pacing, replayed by ``play --resume``, is what it was)
OFF = 0


@dataclass(frozen=True)
class Setting:
    """One pacing setting. ``key`` is its name in a ``pacing:`` block, a pacing file and the
    page's JSON; ``field`` the :class:`~voiceguide.timing.pacing.Pacing` field it sets.
    ``unit`` is the unit of the converted value (``wpm``, ``s``, ``ms``, ``×`` for a
    multiplier, ``""`` for none); ``minimum``/``maximum`` bound it in that unit (None:
    unbounded or not a number). ``default`` is the value when nothing sets it (the standard
    preset; None: as the routine scripts it). ``label``/``page``/``step``/``suggestions``/
    ``placeholder``/``options_from`` describe the page's control; ``metavar`` the command
    line's."""

    key: str
    field: str
    kind: Kind
    help: str
    label: str
    default: str | int | float | bool | None  # never a pattern
    unit: str = ""
    minimum: int | float | None = None
    maximum: int | float | None = None
    choices: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()  # accepted, never offered or suggested (the test engine)
    metavar: str | None = None
    play_only: bool = False  # only on commands that play a session (play, pacing)
    page: PageControl = ""
    step: int | float | None = None  # the page's number step
    placeholder: str = "default"
    suggestions: tuple[str, ...] = ()  # the page's text suggestions
    options_from: str = ""  # where the page's select gets its options instead of ``choices``

    @property
    def option(self) -> str:
        """The command line's option: ``--hold-scale``; a flag that is on by default is
        turned off: ``--no-cues``; one that is off by default turned on: ``--listen``."""
        name = self.key.replace("_", "-")
        return f"--no-{name}" if self.kind == "flag" and self.default is not False else f"--{name}"

    def whole_bounds(self) -> tuple[int, int]:
        """``(minimum, maximum)`` of a setting bounded by whole numbers (integer, countdown,
        seconds, duration)."""
        if not (isinstance(self.minimum, int) and isinstance(self.maximum, int)):
            raise TypeError(f"{self.key} is not bounded by whole numbers")
        return self.minimum, self.maximum

    def limits(self) -> str:
        """The limits for people: ``80–400``, ``0.25–4``, ``1 s–24 hours``, or ``""``."""
        if self.minimum is None or self.maximum is None:
            return ""
        if self.kind == "duration":
            return f"{format_seconds(int(self.minimum))}–{schema.MAX_DURATION_WORDS}"
        return f"{self.minimum:g}–{self.maximum:g}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "preset",
        "preset",
        "choice",
        label="Preset",
        default="standard",
        choices=schema.PRESETS,
        page="select",
        help="gentle, standard (default) or brisk; see README for exactly what each changes.",
    ),
    Setting(
        "duration",
        "duration_ms",
        "duration",
        label="Length target",
        default=None,
        unit="ms",
        minimum=schema.MIN_SESSION_MS,
        maximum=schema.MAX_DURATION_MS,
        metavar="DURATION|off",
        page="text",
        placeholder="e.g. 12m",
        suggestions=("5m", "10m", "15m", "20m"),
        help="Fit the whole session to this length (e.g. 12m, 20:00) by scaling holds, rests "
        "and breathing cycles; speech is fixed. 'off': as it comes, over a pacing file's.",
    ),
    Setting(
        "rate",
        "rate_wpm",
        "integer",
        label="Speech rate (words/min)",
        default=150,
        unit="wpm",
        minimum=schema.MIN_RATE,
        maximum=schema.MAX_RATE,
        metavar="WPM",
        page="number",
        step=5,
        help=f"Speech rate in words per minute, {schema.MIN_RATE}–{schema.MAX_RATE}.",
    ),
    Setting(
        "hold_scale",
        "hold_scale",
        "number",
        label="Hold scale",
        default=1.0,
        unit="×",
        minimum=schema.MIN_SCALE,
        maximum=schema.MAX_SCALE,
        metavar="X",
        help=f"Multiply every hold (and its cue offsets), {schema.MIN_SCALE:g}–{schema.MAX_SCALE:g}.",
    ),
    Setting(
        "rest_scale",
        "rest_scale",
        "number",
        label="Rest scale",
        default=1.0,
        unit="×",
        minimum=schema.MIN_SCALE,
        maximum=schema.MAX_SCALE,
        metavar="X",
        help=f"Multiply every rest, {schema.MIN_SCALE:g}–{schema.MAX_SCALE:g}.",
    ),
    Setting(
        "breath",
        "breath",
        "pattern",
        label="Breath pattern",
        default=None,
        unit="s",
        metavar="PATTERN",
        page="text",
        placeholder="e.g. 4-7-8",
        suggestions=("4-4-4-4", "4-7-8", "5.5-5.5"),
        help="Breathing pattern for every breathing step, in seconds: 4-7-8 (in-hold-out), "
        "4-4-4-4 (box), 5-5 (in-out).",
    ),
    Setting(
        "cycles",
        "cycles",
        "integer",
        label="Cycles",
        default=None,
        minimum=1,
        maximum=schema.MAX_CYCLES,
        metavar="N",
        page="number",
        step=1,
        help="Breath cycles for every breathing step.",
    ),
    Setting(
        "countdown",
        "countdown",
        "countdown",
        label="Countdown",
        default=None,
        unit="s",
        minimum=0,
        maximum=schema.MAX_COUNTDOWN,
        metavar="N|off",
        help="Count down the last N seconds of every hold, or 'off'.",
    ),
    Setting(
        "cues", "cues", "flag", label="Cues", default=True, help="Leave out the cues spoken during holds."
    ),
    Setting(
        "breath_sound",
        "breath_sound",
        "choice",
        label="Breath sound",
        default=None,
        choices=schema.BREATH_SOUNDS,
        page="select",
        help="How breathing steps guide: words, tones (a soft rising tone in, a falling one "
        "out, silence on holds) or both.",
    ),
    Setting(
        "engine",
        "engine",
        "choice",
        label="Engine",
        default=None,
        choices=schema.ENGINES,
        unlisted=schema.TEST_ENGINES,
        page="select",
        options_from="/api/voices",
        help="Speech engine: piper (default: the clear, natural neural voice that bin/setup "
        "installs) or espeak-ng (fast, robotic; the default where piper is not installed).",
    ),
    Setting(
        "voice",
        "voice",
        "text",
        label="Voice",
        default=None,
        metavar="NAME",
        page="select",
        options_from="/api/voices",
        help="Voice name or id (see `voiceguide voices`).",
    ),
    Setting(
        "lead_in",
        "lead_in_s",
        "seconds",
        label="Lead-in",
        default=3,
        unit="s",
        minimum=0,
        maximum=schema.MAX_LEAD_IN_S,
        metavar="SECONDS",
        play_only=True,
        help='Say "starting in 3, 2, 1" first (seconds, 0 to start at once; default from the preset: 3).',
    ),
    Setting(
        "listen",
        "listen",
        "flag",
        label="Listen",
        default=False,
        play_only=True,
        help='Voice commands from the microphone: say "pause", "resume", "next", "back", "repeat" or '
        '"stop" while the guide is silent (needs the hearing extra; `listen: true` in pacing.yaml '
        "makes it the default).",
    ),
)
#: the settings by key, in :data:`SETTINGS` order (the command line's --help order)
BY_KEY: Mapping[str, Setting] = MappingProxyType({s.key: s for s in SETTINGS})
#: every pacing key, as a ``pacing:`` block or a pacing file may write it
KEYS: tuple[str, ...] = tuple(BY_KEY)
#: the keys the serve page offers (and the server accepts from it)
PAGE_KEYS: tuple[str, ...] = tuple(s.key for s in SETTINGS if s.page)


def pacing_values(values: Mapping[str, object]) -> PacingValues:
    """``values`` (already checked and converted, keyed by :data:`KEYS`) as the typed layer
    :class:`~voiceguide.routine.model.PacingValues`. Raises ``KeyError`` for another key."""
    unknown = set(values) - set(KEYS)
    if unknown:
        raise KeyError(f"not pacing settings: {', '.join(sorted(unknown))}")
    return cast("PacingValues", dict(values))


def parse(setting: Setting, value: str | int) -> Value:
    """``value`` as written on the page or the command line (text, or a whole number for an
    integer kind) checked against ``setting`` and converted to its unit. Raises
    ``ValueError`` with a message that does not repeat the setting's name."""
    if setting.kind == "choice":
        if value in setting.choices + setting.unlisted:
            return str(value)
        raise ValueError(f"{shown(value)} is not one of {', '.join(setting.choices)}")
    if setting.kind == "text":
        if not str(value).strip():
            raise ValueError("must not be empty; leave it out for the default")
        return str(value)
    if setting.kind == "pattern":
        from .model import BreathPattern

        return BreathPattern.parse(str(value))
    if setting.kind in ("duration", "countdown") and str(value).strip().lower() in OFF_WORDS:
        return OFF
    if setting.kind == "duration":
        try:
            ms = parse_duration(value)
        except DurationSyntaxError as exc:
            raise ValueError(str(exc)) from None
        if not _within(setting, ms):
            raise ValueError(f"{format_seconds(ms)} is not between 1 second and {schema.MAX_DURATION_WORDS}")
        return ms
    if setting.kind == "number":
        number = _number(value)
        if not _within(setting, number):
            raise ValueError(f"must be a number from {setting.limits()}, got {shown(value)}")
        return number
    if setting.kind in ("integer", "countdown", "seconds"):
        whole = _whole(value)
        if not _within(setting, whole):
            unit = f" {setting.unit}" if setting.unit in ("wpm", "s") else ""
            off = " or 'off'" if setting.kind == "countdown" else ""
            raise ValueError(f"must be {setting.limits()}{unit}{off}, got {whole}")
        return whole
    raise ValueError(f"{setting.key} is not set this way")  # flag: a switch, not a value


def _within(setting: Setting, number: float) -> bool:
    low = -math.inf if setting.minimum is None else setting.minimum
    high = math.inf if setting.maximum is None else setting.maximum
    return low <= number <= high  # false for nan


def _whole(value: str | int) -> int:
    """A whole number written with the digits 0-9 (``int()`` reads "٣" as 3)."""
    if isinstance(value, bool):
        raise ValueError(f"{shown(value)} is not a whole number")
    if isinstance(value, int):
        return value
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
        raise ValueError(f"{shown(value)} is not a whole number (write it with the digits 0-9)")
    return int(text)


def _number(value: str | int) -> float:
    """A finite number written with ASCII digits."""
    if isinstance(value, bool):
        raise ValueError(f"{shown(value)} is not a number")
    text = str(value).strip()
    try:
        if not text.isascii() or len(text) > _MAX_DIGITS:
            raise ValueError
        number = float(text)
    except ValueError:
        raise ValueError(f"{shown(value)} is not a number (write it with the digits 0-9)") from None
    if not math.isfinite(number):
        raise ValueError(f"{number} is not a number; give a finite value")
    return number


def page_description() -> list[dict[str, object]]:
    """The page's form, in order: one object per setting the page offers, as
    ``GET /api/pacing-settings`` serves it (docs/serve-api.md): ``key``, ``kind``, ``control``
    (select, number or text), ``label``, ``help``, ``unit``, ``minimum``, ``maximum``, ``step``,
    ``choices`` (a select's options after "default"), ``options_from`` (where a select's
    options come from instead: the engine's and voice's from ``/api/voices``),
    ``placeholder``, ``suggestions`` and ``default``."""
    return [
        {
            "key": s.key,
            "kind": s.kind,
            "control": s.page,
            "label": s.label,
            "help": s.help,
            "unit": s.unit,
            "minimum": s.minimum,
            "maximum": s.maximum,
            "step": s.step,
            "choices": list(s.choices),
            "placeholder": s.placeholder,
            "suggestions": list(s.suggestions),
            "options_from": s.options_from or None,
            "default": s.default,  # no setting defaults to a pattern (a BreathPattern)
        }
        for s in SETTINGS
        if s.page
    ]
