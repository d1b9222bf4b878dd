"""What someone on the mat might glance at: a live panel on a terminal, plain lines otherwise.

Read from the floor: the sentence being heard, "breath 2 of 6", a bar whose filled part
is drawn with other characters than the rest (no colour needed), and with ``big`` the
step and the seconds left in block letters (:mod:`.bigtext`).
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..formatting import format_ms
from .bigtext import big_text, drawable, wrap
from .player import Status

__all__ = ["BAR_EMPTY", "BAR_FULL", "KEYS_HELP", "big_text", "panel", "phase_label", "plain_line"]

KEYS_HELP = "space pause/resume · n next · p restart step (twice: previous) · r repeat · q quit"
BAR_FULL = "█"
BAR_EMPTY = "░"
BAR_WIDTH = 30  # characters, in the normal panel

_PHASE_NAMES = {"inhale": "Breathe in", "hold": "Hold", "exhale": "Breathe out", "hold_out": "Hold"}


def phase_label(status: Status) -> str:
    phase = status.phase
    if phase is None:
        return ""
    if phase.kind == "breath":
        of = f" of {status.cycles}" if status.cycles else ""
        return f"{_PHASE_NAMES.get(phase.detail, phase.detail)} · breath {phase.cycle}{of}"
    return {"hold": "Hold", "rest": "Rest"}.get(phase.kind, phase.kind)


_SHORT_PHASE = {"inhale": "In", "hold": "Hold", "exhale": "Out", "hold_out": "Hold"}


def bar(done: int, total: int, width: int) -> str:
    """``width`` characters, the first ``done / total`` of them filled (rounded down)."""
    filled = done * width // total if total > 0 else width
    return BAR_FULL * filled + BAR_EMPTY * (width - filled)


class _Bar:
    """A bar as wide as the space it is given (the big panel's)."""

    def __init__(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(bar(self.done, self.total, max(options.max_width, 1)))


class _Big:
    """Block letters wrapped to the space given, at most ``max_lines`` lines of them, a
    blank row between two. Longer, or not drawable: ``short`` in block letters with
    ``text`` in plain letters under it, or else ``text`` in plain letters."""

    def __init__(self, text: str, style: str = "bold", *, short: str = "", max_lines: int = 2) -> None:
        self.text, self.style, self.short, self.max_lines = text, style, short, max_lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for candidate in (self.text, self.short):
            lines = wrap(candidate, options.max_width) if candidate and drawable(candidate) else []
            if 0 < len(lines) <= self.max_lines:
                rows = "\n\n".join("\n".join(big_text(line)) for line in lines)
                yield Text(rows, style=self.style, no_wrap=True, overflow="crop")
                if candidate is not self.text:
                    yield Text(self.text, style=self.style)
                return
        yield Text(self.text, style=self.style)


def _phase_rows(status: Status, big: bool) -> Iterator[Text | Table | _Bar | _Big]:
    phase = status.phase
    if phase is None or status.chapter is None:
        return
    length = phase.end_ms - phase.start_ms
    done = min(max(status.position_ms - phase.start_ms, 0), length)
    left_s = -(-(length - done) // 1000)
    if big:
        word = _SHORT_PHASE.get(phase.detail, "") if phase.kind == "breath" else phase_label(status)
        yield _Big(f"{word} {left_s}", style="bold yellow")
        yield Text(phase_label(status), style="bold")
        yield _Bar(done, length)
        return
    table = Table.grid(padding=(0, 1))
    table.add_row(
        Text(f"{phase_label(status):<27}"), Text(bar(done, length, BAR_WIDTH)), Text(f"{left_s:>3} s")
    )
    yield table


class _Wrapped(Group):
    """Rows whose text wraps at word boundaries to the width given (a word longer than a
    line folded), whatever the console says: the command line's console soft-wraps
    (``soft_wrap=True``: no wrapping, lines left to the terminal), which in a panel cut a
    long sentence at the box edge."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        wrapping = options.update(no_wrap=False, overflow="fold")
        for row in self.renderables:
            yield from console.render(row, wrapping)


def panel(title: str, status: Status, total_chapters: int, interactive: bool, *, big: bool = False) -> Panel:
    """The live panel: step, the sentence being heard, phase bar with seconds left, next
    up, elapsed and remaining; ``big``: step and seconds in block letters."""
    rows: list[Text | Table | _Bar | _Big] = []
    if status.chapter is None:
        rows.append(_Big("Starting") if big else Text("Starting…", style="bold"))
    else:
        head = Text(f"{status.chapter_number}/{total_chapters}  ", style="dim")
        if big:
            rows.append(_Big(status.chapter.title, style="bold cyan", short=status.chapter.step))
            title = f"{title} · step {status.chapter_number} of {total_chapters}"  # a row saved
        else:
            head.append(status.chapter.title, style="bold cyan")
            rows.append(head)
    rows.append(Text(status.speaking, style="bold"))  # empty between sentences: the panel keeps its height
    rows.extend(_phase_rows(status, big))
    if status.next_chapter is not None:
        rows.append(Text(f"Next up: {status.next_chapter.title}", style="dim"))
    clock = Text(
        f"{format_ms(max(status.position_ms, 0))} elapsed · "
        f"{format_ms(max(status.duration_ms - max(status.position_ms, 0), 0))} left"
    )
    if status.paused:
        clock.append("   ⏸ paused", style="bold yellow")
    rows.append(clock)
    if interactive and not big:  # too small to read from the floor; --help has the keys
        rows.append(Text(KEYS_HELP, style="dim"))
    return Panel(_Wrapped(*rows), title=title, border_style="cyan")


def plain_line(status: Status) -> str:
    """One line per step, for logs and pipes."""
    where = status.chapter.title if status.chapter else "Starting"
    if status.chapter is None and status.next_chapter is not None:  # the lead-in
        where = f"Starting: {status.next_chapter.title}"
    return f"[{format_ms(max(status.position_ms, 0))}] {where}"
