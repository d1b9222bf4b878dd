"""What the commands show: the rich console (made on first use), JSON, warnings, the one
error style (``voiceguide: error: …`` and a hint) and progress bars on standard error."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from ..errors import Diagnostic


@functools.cache
def console(err: bool = False) -> Console:
    """The rich console on stdout (or stderr), made on first use: importing rich costs
    more than the whole of ``voiceguide --help``."""
    from rich.console import Console

    return Console(stderr=err, highlight=False, soft_wrap=True)


def echo_json(document: object) -> None:
    import json

    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


_SHOWN_AS = "voiceguide.shown_as"  # in click's Context.meta: file → the name warnings give it


def show_file_as(path: str, name: str) -> None:
    """In this command's warnings, name the routine file ``path`` ``name``, without a
    line and column: a file the user never wrote (a quick session's routine in the cache,
    named by the command that made it: ``breathe 4-7-8 --rate 220``). Kept in the
    invocation's click context (``Context.meta``), for this run only."""
    click.get_current_context().meta.setdefault(_SHOWN_AS, {})[path] = name


def warn(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
    """Each diagnostic on a line of its own: ``file:line:col: warning: …``, or ``NAME:
    warning: …`` for a file :func:`show_file_as` names."""
    ctx = click.get_current_context(silent=True)
    shown: dict[str, str] = ctx.meta.get(_SHOWN_AS, {}) if ctx is not None else {}
    for d in diagnostics:
        name = shown.get(d.position.path)
        prefix = "warning: " if d.severity == "warning" else ""
        click.echo(f"{name}: {prefix}{d.message}" if name is not None else str(d), err=True)


class Bar:
    """``bar(done, total)`` updates a rich progress bar; ``bar.describe(text)`` relabels it.
    The bar appears only once there is something to show: a count of work (``total`` > 0:
    a warm cache reports 0 of 0 and shows nothing) or a label given with ``show``."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress, self._task = progress, task
        self.shown = False

    def _show(self) -> None:
        if not self.shown:
            self.progress.start()
            self.shown = True

    def __call__(self, done: int, total: int) -> None:
        if total <= 0 and not self.shown:
            return
        self._show()
        self.progress.update(self._task, completed=done, total=total)
        self.progress.refresh()

    def describe(self, text: str, *, show: bool = True) -> None:
        self.progress.update(self._task, description=text, completed=0, total=None)
        if show:
            self._show()
        if self.shown:
            self.progress.refresh()


class _NoBar(Bar):
    """A :class:`Bar` that shows nothing (``--quiet``): rich is not even imported (2.7 MB
    that ``export -q`` of a long session need not hold)."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        pass

    def describe(self, text: str, *, show: bool = True) -> None:
        pass


@contextmanager
def progress(description: str, *, quiet: bool = False) -> Iterator[Bar]:
    """A rich progress bar on stderr (only on a terminal); yields a :class:`Bar`."""
    if quiet:
        yield _NoBar()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console(err=True),
        transient=True,
        disable=quiet or not console(err=True).is_terminal,
        auto_refresh=False,  # no refresh thread: speech workers may be forked meanwhile
    )
    task = bar.add_task(description, total=None)
    shown = Bar(bar, task)
    try:
        yield shown
    finally:
        if shown.shown:
            bar.stop()


def error(message: str, hint: str = "") -> None:
    """``voiceguide: error: MESSAGE`` and, on the next line, what to do about it; a
    `voiceguide …` in them is the command the user can actually type."""
    from .invocation import command_name

    name = command_name()
    for line in [f"voiceguide: error: {message}"] + ([hint] if hint else []):
        click.echo(line if name == "voiceguide" else line.replace("`voiceguide ", f"`{name} "), err=True)
