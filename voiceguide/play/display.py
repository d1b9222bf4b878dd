"""What someone on the mat might glance at: a live panel on a terminal, plain lines otherwise."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ..routine.durations import format_ms
from .player import Status

KEYS_HELP = "space pause/resume · n next · p restart step (twice: previous) · q quit"

_PHASE_NAMES = {"inhale": "Breathe in", "hold": "Hold", "exhale": "Breathe out", "hold_out": "Hold"}


def phase_label(status: Status) -> str:
    phase = status.phase
    if phase is None:
        return ""
    if phase.kind == "breath":
        return f"{_PHASE_NAMES.get(phase.detail, phase.detail)} · breath {phase.cycle}"
    return {"hold": "Hold", "rest": "Rest"}.get(phase.kind, phase.kind)


def panel(title: str, status: Status, total_chapters: int, interactive: bool) -> Panel:
    """The live panel: step, phase bar with seconds left, next up, elapsed and remaining."""
    rows: list[Text | Table] = []
    if status.chapter is None:
        rows.append(Text("Starting…", style="bold"))
    else:
        head = Text(f"{status.chapter_number}/{total_chapters}  ", style="dim")
        head.append(status.chapter.title, style="bold cyan")
        rows.append(head)
    phase = status.phase
    if phase is not None and status.chapter is not None:
        length = phase.end_ms - phase.start_ms
        done = min(max(status.position_ms - phase.start_ms, 0), length)
        left_s = -(-(length - done) // 1000)
        table = Table.grid(padding=(0, 1))
        table.add_row(Text(f"{phase_label(status):<22}"), ProgressBar(total=length, completed=done, width=30),
                      Text(f"{left_s:>3} s"))
        rows.append(table)
    if status.next_chapter is not None:
        rows.append(Text(f"Next up: {status.next_chapter.title}", style="dim"))
    clock = Text(f"{format_ms(max(status.position_ms, 0))} elapsed · "
                 f"{format_ms(max(status.duration_ms - max(status.position_ms, 0), 0))} left")
    if status.paused:
        clock.append("   ⏸ paused", style="bold yellow")
    rows.append(clock)
    if interactive:
        rows.append(Text(KEYS_HELP, style="dim"))
    return Panel(Group(*rows), title=title, border_style="cyan")


def plain_line(status: Status) -> str:
    """One line per step, for logs and pipes."""
    where = status.chapter.title if status.chapter else "Starting"
    return f"[{format_ms(max(status.position_ms, 0))}] {where}"
