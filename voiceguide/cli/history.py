"""``history``: the sessions played, the weekly streak, the minutes played each day of the
last four weeks (a text chart) and what ``play --resume`` would carry on."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from ..formatting import format_ms
from .group import Command
from .options import AsciiIntRange
from .progress import echo_json

if TYPE_CHECKING:
    from ..play.history import Practice

HISTORY_EPILOG = """\b
Examples:
  voiceguide history
  voiceguide history --json --limit 100
  voiceguide play --resume
\b
The weekly streak counts consecutive ISO weeks (Monday to Sunday) with at
least one completed session, up to this week (a week with nothing yet still
counts last week's). The chart shows the minutes played each day of this week
and the three before it (a stopped session counts up to where it stopped),
sessions played on `voiceguide serve`'s page included. Kept in history.sqlite3
in the user data folder, or $VOICEGUIDE_DATA_DIR.
"""


@click.command(cls=Command, name="history", epilog=HISTORY_EPILOG)
@click.option(
    "--limit",
    type=AsciiIntRange(1),
    default=20,
    show_default=True,
    metavar="N",
    help="Show the N newest sessions.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def history_command(limit: int, as_json: bool) -> int:
    """List the sessions played and your weekly streak.

    Each finished or stopped `play` is recorded: where it stopped, and the options that
    `play --resume` replays."""
    from dataclasses import asdict

    from ..play.history import history_file
    from ..service import history
    from .invocation import command_name  # as the user started it: bin/voiceguide, …

    found = history(date.today())
    records, shown, resumable = found.records, found.practice, found.resume
    streak = shown.weekly_streak
    if as_json:
        rows = [
            asdict(r) | {"started": r.started.isoformat(), "arguments": list(r.arguments)}
            for r in records[:limit]
        ]
        echo_json(
            {
                "database": str(history_file()),
                "weekly_streak": streak,
                "days": [{"date": d.day.isoformat(), "played_ms": d.played_ms} for d in shown.days],
                "resume": resumable.id if resumable else None,
                "sessions": rows,
            }
        )
        return 0
    if not records:
        click.echo(f"No sessions yet: each `{command_name()} play` is recorded here.")
    for r in records[:limit]:
        when = r.started.astimezone().strftime("%Y-%m-%d %H:%M")
        how = (
            "completed"
            if r.completed
            else (
                f'stopped at step {r.step_index + 1}, "{r.step_title}" '
                f"({format_ms(r.stopped_ms)} of {format_ms(r.duration_ms)})"
            )
        )
        options = " ".join(as_given(r.arguments))
        click.echo(f"{when}  {r.title}: {how}  [{r.pacing}{'; ' if options else ''}{options}]")
    if records:
        for line in practice_chart(shown):
            click.echo(line)
    click.echo(f"Weekly streak: {streak} week{'' if streak == 1 else 's'}")
    if resumable is not None:
        again = f"{command_name()} play --resume"
        click.echo(f'To carry on {resumable.title} at "{resumable.step_title}": {again}')
    return 0


#: a day's height in the chart, from a little to the busiest day of the four weeks
LEVELS = "▁▂▃▄▅▆▇█"


def practice_chart(shown: Practice) -> list[str]:
    """The minutes played each day as text: a line per week (Monday to Sunday), a block per
    day as high as its share of the busiest day (``·``: nothing), the week's minutes after."""
    from ..play.history import PRACTICE_WEEKS

    busiest = max((d.played_ms for d in shown.days), default=0)
    lines = [f"Minutes a day, the last {PRACTICE_WEEKS} weeks (Mon → Sun):"]
    for start in range(0, len(shown.days), 7):
        week = shown.days[start : start + 7]
        cells = [
            LEVELS[max(0, -(-8 * d.played_ms // busiest) - 1)] if d.played_ms and busiest else "·"
            for d in week
        ]
        minutes = round(sum(d.played_ms for d in week) / 60_000)
        label = f"{week[0].day:%b} {week[0].day.day:>2}"
        lines.append(f"  {label}  {' '.join(cells):<13}  {minutes:>4} min")
    if busiest:
        lines.append(f"  (█ = {round(busiest / 60_000)} min, the busiest day)")
    return lines


def as_given(arguments: tuple[str, ...]) -> tuple[str, ...]:
    """A session's options as shown: what was typed. A quick session's pins that were not
    (``--hold-scale=1.0``, one word: see :func:`voiceguide.cli.quick._pin_words`) are left
    out; the history keeps them for ``play --resume``."""
    return tuple(word for word in arguments if not (word.startswith("--") and "=" in word))
