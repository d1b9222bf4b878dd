"""The pacing options shared by play, export, show, render, validate and pacing.

:func:`pacing_options` adds the options to a click command and hands the command one
``layers`` argument: the command line, the ``--pacing`` file and the user's pacing file
as :class:`~voiceguide.timing.pacing.Layer` values, highest first. Bad values are click usage
errors (exit 2); a bad pacing file is a :class:`~voiceguide.errors.RoutineError`
(``file:line:col``, exit 2).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..formatting import format_seconds, shown
from ..pacing_layers import USER_PACING_FILE, pacing_layers
from ..routine import schema
from ..routine.durations import MAX_DURATION_MS, DurationSyntaxError, parse_duration

_MAX_DIGITS = 30  # a longer "number" on the command line is refused before conversion


class FiniteFloatRange(click.FloatRange):
    """click's ``FloatRange`` that also refuses nan and inf (nan compares false with both
    bounds, so ``FloatRange`` lets it through) and digits other than ASCII 0-9."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and (not value.isascii() or len(value) > _MAX_DIGITS):
            self.fail(f"{shown(value)} is not a number (write it with the digits 0-9)", param, ctx)
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{number} is not a number; give a finite value", param, ctx)
        return number


class AsciiIntRange(click.IntRange):
    """click's ``IntRange`` for whole numbers written with ASCII digits (``int()`` would
    read "٣" as 3) and of a sane length (past 4300 digits ``int()`` fails)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and (not value.isascii() or len(value) > _MAX_DIGITS):
            self.fail(f"{shown(value)} is not a whole number (write it with the digits 0-9)",
                      param, ctx)
        return super().convert(value, param, ctx)


class NonEmptyText(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """Text that must say something: ``--voice ''`` is a mistake, not "the default"."""

    name = "TEXT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not str(value).strip():
            self.fail("must not be empty; leave the option out for the default", param, ctx)
        return value


class EngineChoice(click.Choice):  # type: ignore[type-arg]  # generic only in newer click
    """``--engine``: one of :data:`~voiceguide.routine.schema.ENGINES` (what --help and
    errors list); the test engine is accepted too, but never shown."""

    def __init__(self) -> None:
        super().__init__(schema.ENGINES)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in schema.TEST_ENGINES:
            return value
        return super().convert(value, param, ctx)


class _Pattern(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    name = "PATTERN"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ..routine.model import BreathPattern  # on use: --help need not build the model

        if isinstance(value, BreathPattern):
            return value
        return _parsed(self, BreathPattern.parse, ValueError, value, param, ctx)


def _parsed(kind: click.ParamType,  # type: ignore[type-arg]  # generic only in newer click
            parse: Callable[[str], Any], errors: type[Exception], value: str,
            param: click.Parameter | None, ctx: click.Context | None) -> Any:
    """``parse(value)``, its ``errors`` told as click's usage error for ``param``."""
    try:
        return parse(value)
    except errors as exc:
        kind.fail(str(exc), param, ctx)


class _Countdown(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    name = "N|off"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.lower() in ("off", "none", "no"):
            return 0
        if not (text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
            self.fail(f"{shown(value)} is not a number of seconds or 'off'", param, ctx)
        seconds = int(text)
        if not 0 <= seconds <= schema.MAX_COUNTDOWN:
            self.fail(f"must be 0–{schema.MAX_COUNTDOWN} seconds or 'off', got {seconds}", param, ctx)
        return seconds


class _Duration(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        ms: int = _parsed(self, parse_duration, DurationSyntaxError, value, param, ctx)
        if not 1000 <= ms <= MAX_DURATION_MS:
            self.fail(f"{format_seconds(ms)} is not between 1 second and 24 hours", param, ctx)
        return ms


_SCALE = FiniteFloatRange(schema.MIN_SCALE, schema.MAX_SCALE)

#: (option declarations, click keyword arguments, pacing key); in --help order.
_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any], str], ...] = (
    (("--preset",), dict(type=click.Choice(list(schema.PRESETS)),
                         help="gentle, standard (default) or brisk; see README for exactly what "
                         "each changes."), "preset"),
    (("--rate",), dict(type=AsciiIntRange(schema.MIN_RATE, schema.MAX_RATE), metavar="WPM",
                       help="Speech rate in words per minute, 80–400."), "rate"),
    (("--hold-scale",), dict(type=_SCALE, metavar="X",
                             help="Multiply every hold (and its cue offsets), 0.25–4."), "hold_scale"),
    (("--rest-scale",), dict(type=_SCALE, metavar="X", help="Multiply every rest, 0.25–4."),
     "rest_scale"),
    (("--breath",), dict(type=_Pattern(),
                         help="Breathing pattern for every breathing step, in seconds: 4-7-8 "
                         "(in-hold-out), 4-4-4-4 (box), 5-5 (in-out)."), "breath"),
    (("--cycles",), dict(type=AsciiIntRange(1, schema.MAX_CYCLES), metavar="N",
                         help="Breath cycles for every breathing step."), "cycles"),
    (("--countdown",), dict(type=_Countdown(),
                            help="Count down the last N seconds of every hold, or 'off'."),
     "countdown"),
    (("--no-cues",), dict(is_flag=True, default=None, flag_value=False,
                          help="Leave out the cues spoken during holds."), "cues"),
    (("--breath-sound",), dict(type=click.Choice(list(schema.BREATH_SOUNDS)),
                               help="How breathing steps guide: words, tones (a soft rising tone "
                               "in, a falling one out, silence on holds) or both."), "breath_sound"),
    (("--voice",), dict(type=NonEmptyText(), metavar="NAME",
                        help="Voice name or id (see `voiceguide voices`)."), "voice"),
    (("--engine",), dict(type=EngineChoice(),
                         help="Speech engine: piper (default: the clear, natural neural voice "
                         "that bin/setup installs) or espeak-ng (fast, robotic; the default "
                         "where piper is not installed)."), "engine"),
    (("--duration",), dict(type=_Duration(),
                           help="Fit the whole session to this length (e.g. 12m, 20:00) by "
                           "scaling holds, rests and breathing cycles; speech is fixed."),
     "duration"),
)
_LEAD_IN = (("--lead-in",), dict(type=AsciiIntRange(0, schema.MAX_LEAD_IN_S), metavar="SECONDS",
                                 help='Say "starting in 3, 2, 1" first (seconds, 0 to start at '
                                 "once; default from the preset: 3)."), "lead_in")


class PacingOption(click.Option):
    """A pacing option: --help lists it under its own "Pacing" heading."""

    help_section = "Pacing"


def _parameter_name(declaration: str) -> str:
    return declaration.lstrip("-").replace("-", "_")


def pacing_options(*, lead_in: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: add the pacing options (and ``--lead-in`` if asked) to a command and
    pass it ``layers`` (:func:`~voiceguide.pacing_layers.pacing_layers`, highest first) instead."""
    options = (*_OPTIONS, _LEAD_IN) if lead_in else _OPTIONS

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {}
            for declarations, _, key in options:
                value = kwargs.pop(_parameter_name(declarations[0]))
                if value is not None:
                    values[key] = value
            pacing_file = kwargs.pop("pacing_file")
            return command(*args, layers=pacing_layers(values, pacing_file), **kwargs)

        decorated: Callable[..., Any] = click.option(
            "--pacing",
            "pacing_file",
            cls=PacingOption,
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="A YAML file of pacing keys (as in a routine's pacing: block); the user's "
            f"own {USER_PACING_FILE} in the config directory is read too.",
        )(wrapper)
        for declarations, settings, _ in reversed(options):
            decorated = click.option(*declarations, cls=PacingOption, **settings)(decorated)
        return decorated

    return decorate


def pacing_types() -> dict[str, click.ParamType]:  # type: ignore[type-arg]  # generic only in newer click
    """Each pacing key's click type (``--rate``'s for ``rate``, …): what `voiceguide serve`
    checks the page's pacing with, so the limits and messages are the command line's."""
    return {key: settings["type"] for _, settings, key in (*_OPTIONS, _LEAD_IN) if "type" in settings}
