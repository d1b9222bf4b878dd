"""What `play --resume` needs from a command line: the options given, as arguments that
parse back to the same values, and a routine named so that it is found again from anywhere."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ..formatting import format_seconds
from ..routine.pacing_settings import OFF
from .options import _Duration


def given_arguments(ctx: click.Context, leave_out: Collection[str] = ()) -> list[str]:
    """The options the user gave (on the command line or through click's environment
    variables), in the command's order, as text that parses back to the same values;
    parameters named in ``leave_out`` (by their Python name) are left out."""
    arguments: list[str] = []
    for param in ctx.command.params:
        name = param.name
        if name is None or name in leave_out or not isinstance(param, click.Option):
            continue
        if ctx.get_parameter_source(name) not in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            continue
        value = ctx.params.get(name)
        if value is None:
            continue
        option = max(param.opts, key=len)  # the long name
        if param.is_flag:
            arguments.append(option)
        else:
            arguments += [option, _as_text(param.type, value)]
    return arguments


def _as_text(kind: click.ParamType, value: Any) -> str:  # type: ignore[type-arg]  # generic only in newer click
    """One converted option value → text the option's type reads back as the same value."""
    if isinstance(kind, _Duration) and kind.takes_off and value == OFF:
        return "off"  # --duration off (0 ms would be refused)
    if isinstance(kind, _Duration):  # 12m, 1m30s where exact, else whole ms (a bare number is seconds)
        return format_seconds(value) if value % 1000 == 0 else f"{value}ms"
    if isinstance(value, Path):
        return str(value.absolute())
    if isinstance(value, float):
        return repr(value)
    label = getattr(value, "label", None)  # a BreathPattern: "4-7-8"
    if callable(label):
        return str(label())
    return str(value)


def routine_key(argument: str) -> str:
    """How history names the ROUTINE ``argument``: a file by its absolute path, a bundled
    routine by its name, standard input as ``-`` (the same test as ``resolve_routine``)."""
    if argument != "-" and os.path.exists(argument) and not os.path.isdir(argument):
        return str(Path(argument).absolute())
    return argument[:-5] if argument.endswith(".yaml") else argument
