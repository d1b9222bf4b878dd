"""The pacing options shared by play, export, show, render, validate and pacing, and
``--cache-dir``.

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
from ..routine.durations import DurationSyntaxError, parse_duration
from ..routine.pacing_settings import BY_KEY, OFF, OFF_WORDS, SETTINGS, Setting

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
            self.fail(f"{shown(value)} is not a whole number (write it with the digits 0-9)", param, ctx)
        return super().convert(value, param, ctx)


class NonEmptyText(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """Text that must say something: ``--voice ''`` is a mistake, not "the default"."""

    name = "TEXT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not str(value).strip():
            self.fail("must not be empty; leave the option out for the default", param, ctx)
        return value


class QuietChoice(click.Choice):  # type: ignore[type-arg]  # generic only in newer click
    """click's ``Choice`` that also accepts ``unlisted`` values, never shown in --help or
    errors (the test engine); in any case (``--preset Gentle`` is gentle)."""

    def __init__(self, choices: tuple[str, ...], unlisted: tuple[str, ...] = ()) -> None:
        super().__init__(list(choices), case_sensitive=False)
        self.unlisted = unlisted

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in self.unlisted:
            return value
        return super().convert(value, param, ctx)


class EngineChoice(QuietChoice):
    """``--engine``: one of :data:`~voiceguide.routine.schema.ENGINES` (what --help and
    errors list); the test engine is accepted too, but never shown."""

    def __init__(self) -> None:
        engine = BY_KEY["engine"]
        super().__init__(engine.choices, engine.unlisted)


class _Pattern(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    name = "PATTERN"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ..routine.model import BreathPattern  # on use: --help need not build the model

        if isinstance(value, BreathPattern):
            return value
        return _parsed(self, BreathPattern.parse, ValueError, value, param, ctx)


def _parsed(
    kind: click.ParamType,  # type: ignore[type-arg]  # generic only in newer click
    parse: Callable[[str], Any],
    errors: type[Exception],
    value: str,
    param: click.Parameter | None,
    ctx: click.Context | None,
) -> Any:
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
        if text.lower() in OFF_WORDS:
            return OFF
        if not (text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
            self.fail(f"{shown(value)} is not a number of seconds or 'off'", param, ctx)
        seconds = int(text)
        low, high = BY_KEY["countdown"].whole_bounds()
        if not low <= seconds <= high:
            self.fail(f"must be {low}–{high} seconds or 'off', got {seconds}", param, ctx)
        return seconds


class _Duration(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """``--duration``: a length to fit to, in ms, or "off" (:data:`OFF`: not fitted, over a
    pacing file's)."""

    name = "DURATION|off"
    takes_off = True  # "off" is a value (OFF); a subclass for lengths that cannot be off says not

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        if self.takes_off and str(value).strip().lower() in OFF_WORDS:
            return OFF
        ms: int = _parsed(self, parse_duration, DurationSyntaxError, value, param, ctx)
        low, high = BY_KEY["duration"].whole_bounds()
        if not low <= ms <= high:
            self.fail(f"{format_seconds(ms)} is not between 1 second and 24 hours", param, ctx)
        return ms


def click_type(setting: Setting) -> click.ParamType | None:  # type: ignore[type-arg]
    """The click type that reads ``setting`` from the command line (None for a flag)."""
    kind = setting.kind
    if kind == "choice":
        return QuietChoice(setting.choices, setting.unlisted)
    if kind in ("integer", "seconds"):
        return AsciiIntRange(*setting.whole_bounds())
    if kind == "number":
        return FiniteFloatRange(setting.minimum, setting.maximum)
    if kind == "pattern":
        return _Pattern()
    if kind == "countdown":
        return _Countdown()
    if kind == "text":
        return NonEmptyText()
    if kind == "duration":
        return _Duration()
    return None  # flag


def option_settings(setting: Setting) -> dict[str, Any]:
    """click.option's keyword arguments for ``setting`` (its name is :attr:`Setting.option`)."""
    if setting.kind == "flag":  # on unless turned off (--no-cues), or off unless turned on (--listen)
        return dict(is_flag=True, default=None, flag_value=setting.default is False, help=setting.help)
    settings: dict[str, Any] = dict(type=click_type(setting), help=setting.help)
    if setting.metavar is not None and setting.kind not in ("countdown", "duration", "pattern"):
        settings["metavar"] = setting.metavar  # those types name themselves (N|off, DURATION)
    return settings


class PacingOption(click.Option):
    """A pacing option: --help lists it under its own "Pacing" heading."""

    help_section = "Pacing"


def _parameter_name(declaration: str) -> str:
    return declaration.lstrip("-").replace("-", "_")


def pacing_options(*, lead_in: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: add the pacing options (and ``--lead-in`` if asked) to a command and
    pass it ``layers`` (:func:`~voiceguide.pacing_layers.pacing_layers`, highest first) instead.
    The options are :data:`~voiceguide.routine.pacing_settings.SETTINGS`, in their order."""
    options = [s for s in SETTINGS if lead_in or not s.play_only]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {}
            for setting in options:
                value = kwargs.pop(_parameter_name(setting.option))
                if value is not None:
                    values[setting.key] = value
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
        for setting in reversed(options):
            decorated = click.option(setting.option, cls=PacingOption, **option_settings(setting))(decorated)
        return decorated

    return decorate


def cache_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: ``--cache-dir``, passed as ``cache_dir`` (a ``Path`` or None)."""
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where synthesized speech is kept (default: $VOICEGUIDE_CACHE_DIR, ./audio_cache "
        "in a checkout, else the user cache directory).",
    )(f)


def cache_and_pacing_options(*, lead_in: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the pacing options (:func:`pacing_options`) and ``--cache-dir``."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        return cache_option(pacing_options(lead_in=lead_in)(f))

    return decorate
