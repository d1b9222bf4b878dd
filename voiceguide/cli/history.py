"""``history``: the sessions played, the weekly streak and what ``play --resume`` would
carry on."""

from __future__ import annotations

from datetime import date

import click

from ..formatting import format_ms
from .group import Command
from .options import AsciiIntRange
from .progress import echo_json

HISTORY_EPILOG = """\b
Examples:
  voiceguide history
  voiceguide history --json --limit 100
  voiceguide play --resume
\b
The weekly streak counts consecutive ISO weeks (Monday to Sunday) with at
least one completed session, up to this week (a week with nothing yet still
counts last week's). Kept in history.sqlite3 in the user data folder, or
$VOICEGUIDE_DATA_DIR.
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

    from ..play.history import history_file, load, to_resume, weekly_streak

    records = load()
    streak = weekly_streak(records, date.today())
    resumable = to_resume(records)
    if as_json:
        rows = [
            asdict(r) | {"started": r.started.isoformat(), "arguments": list(r.arguments)}
            for r in records[:limit]
        ]
        echo_json(
            {
                "database": str(history_file()),
                "weekly_streak": streak,
                "resume": resumable.id if resumable else None,
                "sessions": rows,
            }
        )
        return 0
    if not records:
        click.echo("No sessions yet: each `voiceguide play` is recorded here.")
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
        options = " ".join(r.arguments)
        click.echo(f"{when}  {r.title}: {how}  [{r.pacing}{'; ' if options else ''}{options}]")
    click.echo(f"Weekly streak: {streak} week{'' if streak == 1 else 's'}")
    if resumable is not None:
        click.echo(f'To carry on {resumable.title} at "{resumable.step_title}": voiceguide play --resume')
    return 0
