"""How the command line's groups and commands look and load: -v/--verbose on every command,
the pacing options under their own heading in --help, whole command summaries, and
commands imported only when used (click's "lazy loading subcommands" pattern), so
``voiceguide --help`` imports no command module."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click

_verbose: list[bool] = [False]  # set by -v/--verbose, read when an unexpected error is reported


def verbose_requested() -> bool:
    """Whether -v/--verbose was given in this run."""
    return _verbose[0]


def reset_verbose() -> None:
    """Forget -v/--verbose (each :func:`voiceguide.cli.run` starts anew)."""
    _verbose[0] = False


def set_verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _verbose[0] = True


def verbose_option() -> click.Option:
    return click.Option(
        ["-v", "--verbose"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=set_verbose,
        help="On an unexpected error, print the details (a traceback) to report.",
    )


def format_sections(command: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    """Options under "Options", except those that name a ``help_section`` (the pacing
    options: see :mod:`voiceguide.cli.options`), each listed under that heading."""
    sections: dict[str, list[tuple[str, str]]] = {"Options": []}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None and not isinstance(param, click.Argument):
            sections.setdefault(getattr(param, "help_section", "Options"), []).append(record)
    for heading, records in sections.items():
        if records:
            with formatter.section(heading):
                formatter.write_dl(records)


class Command(click.Command):
    """A command whose pacing options have their own heading in --help."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        format_sections(self, ctx, formatter)


@dataclass(frozen=True)
class LazyCommand:
    """A command imported on use: ``target`` is ``"module:attribute"``; ``summary`` is what
    the group's --help lists (the command's short help, whole: a test keeps them equal),
    so listing the commands imports none of them."""

    target: str
    summary: str
    hidden: bool = False

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class Group(click.Group):
    """The command group: -v/--verbose on every command, pacing options under their own
    heading, each command's summary whole (click cuts them with "..."), and the commands
    of ``lazy`` (name → :class:`LazyCommand`) imported when first asked for."""

    command_class = Command
    group_class = type  # subgroups are Group too

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, LazyCommand] = dict(lazy or {})

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if type(cmd) is click.Command:  # made with click.command elsewhere (quick.py…)
            cmd.__class__ = Command
        if not any(p.name == "verbose" for p in cmd.params):
            cmd.params.append(verbose_option())
        super().add_command(cmd, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name].load(), cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """click's, but a name that is no command (nor an option, which click parses
        again) is refused with the closest command's name: "Did you mean 'play'?", or,
        where ``play`` is a command and the name is a routine's, with the command that
        plays it: "Did you mean 'voiceguide play lower-back-stretch'?"."""
        name = args[0]
        known = self.list_commands(ctx)  # lazy and hidden ones too: `rendr` means `render`
        if name[:1].isalnum() and name not in known and not ctx.resilient_parsing:
            if "play" in known and names_a_routine(name):
                raise click.UsageError(routine_as_command(args), ctx)
            raise click.UsageError(unknown_command(name, known), ctx)
        return super().resolve_command(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        format_sections(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:  # listed without importing it
                if not self.lazy[name].hidden:
                    rows.append((name, self.lazy[name].summary))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def unknown_command(name: str, known: list[str]) -> str:
    """``No such command 'plya'. Did you mean 'play'?``: the closest of ``known`` (at most
    two, by :func:`difflib.get_close_matches`, in any case: 'Play' is 'play'), or no guess
    when none is close."""
    import difflib  # on use: only after a mistake

    lowered = {command.casefold(): command for command in known}
    matches = difflib.get_close_matches(name.casefold(), list(lowered), n=2)
    close = [f"'{lowered[match]}'" for match in matches]
    guess = f" Did you mean {' or '.join(close)}?" if close else ""
    return f"No such command '{name}'.{guess}"


def names_a_routine(name: str) -> bool:
    """Whether ``play NAME`` would find a routine: one of the user's or a bundled one by
    name, or a .yaml file (the lookup ``play`` makes, :func:`~voiceguide.routine.bundled.resolve_routine`)."""
    from ..errors import VoiceguideError
    from ..routine.bundled import resolve_routine

    try:
        return resolve_routine(name).suffix in (".yaml", ".yml")
    except VoiceguideError:  # no such routine (or a folder of routines that cannot be read)
        return False


def routine_as_command(args: list[str]) -> str:
    """``No such command 'lower-back-stretch'. Did you mean 'voiceguide play
    lower-back-stretch'?``: ``args`` (a routine's name where the command goes, then what
    followed it) after ``play``, to copy."""
    from .invocation import command_name, shell_word

    typed = " ".join(shell_word(word) for word in args)
    return f"No such command '{args[0]}'. Did you mean '{command_name()} play {typed}'?"


def all_commands(group: click.Group) -> dict[str, click.Command]:
    """Every command of ``group`` by name, imported (for tests and documentation)."""
    ctx = click.Context(group)
    found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}
