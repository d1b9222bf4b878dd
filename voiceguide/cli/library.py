"""The commands that look at one routine without playing it: ``validate`` (problems at
file:line:col, then the timing lint) and ``show`` (the timed script, at once: estimated
where speech is not cached yet). ``list`` is :mod:`voiceguide.cli.listing`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import EXIT_USAGE, Diagnostic, RoutineError, UsageError
from ..formatting import format_ms, format_seconds
from ..routine.bundled import resolve_routine
from .group import Command
from .options import cache_and_pacing_options
from .prepare import open_cache, prepare_routine
from .progress import console, echo_json, error, warn

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..session import Session
    from ..timing.pacing import Layer
    from ..timing.timeline import Phase


@click.command(
    cls=Command,
    epilog="\b\nExamples:\n  voiceguide validate scripts/*.yaml\n  voiceguide validate my.yaml --json\n"
    "  voiceguide validate lower-back-stretch --preset brisk   # timing lint at that pacing",
)
@click.argument("routines", nargs=-1, required=True, metavar="ROUTINE...")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--no-speech", is_flag=True, help="Check the file only: skip the timing lint, which measures speech."
)
@cache_and_pacing_options()
def validate(
    routines: tuple[str, ...],
    as_json: bool,
    no_speech: bool,
    cache_dir: Path | None,
    layers: tuple[Layer, ...],
) -> int:
    """Check routine scripts: every problem is reported as file:line:col.

    Then, at the chosen pacing, measure the speech (synthesizing into the cache) and
    warn where a cue outlasts its breath phase or hold, or runs into the countdown, and
    where a change of position (stand up, lie down…) leaves too little time before the
    next instruction or hold.
    Exit 0 when all are valid (warnings allowed), 2 when any is invalid.
    """
    from ..errors import EngineUnavailable
    from ..inputs import display_name, read_input
    from ..routine.loader import MAX_FILE_BYTES, parse_routine
    from ..service import check_expansion

    results = []
    worst = 0
    for arg in routines:
        try:
            path = resolve_routine(arg)
            source = read_input(path, MAX_FILE_BYTES, "routine file")  # once: it may be standard input
            routine, warnings = parse_routine(source, display_name(path))
            check_expansion(routine, layers)  # past the limits at this pacing: with or without speech
            timing = "skipped (--no-speech)" if no_speech else "checked"
            if not no_speech:
                try:
                    # the bar on a terminal: a cold cache takes a while (not with --json)
                    prepared = prepare_routine(arg, cache_dir, layers, quiet=as_json, source=source)
                    warnings = prepared[0].warnings
                except EngineUnavailable as exc:
                    timing = f"not checked: {exc.message}"
            results.append(
                {
                    "routine": arg,
                    "path": str(path),
                    "valid": True,
                    "title": routine.title,
                    "timing": timing,
                    "problems": [_diag(d) for d in warnings],
                }
            )
            if not as_json:
                warn(warnings)
                note = "" if timing == "checked" else f"; timing {timing}"
                click.echo(f"ok: {display_name(path)} ({routine.title}{note})")
        except RoutineError as exc:
            worst = EXIT_USAGE
            results.append({"routine": arg, "valid": False, "problems": [_diag(d) for d in exc.diagnostics]})
            if not as_json:
                warn(exc.diagnostics)
        except UsageError as exc:
            worst = EXIT_USAGE
            results.append(
                {
                    "routine": arg,
                    "valid": False,
                    "problems": [{"message": exc.message, "severity": "error"}],
                }
            )
            if not as_json:
                error(exc.message, exc.hint)
    if as_json:
        echo_json(results)
    return worst


def _diag(d: Diagnostic) -> dict[str, str | int]:
    """``{"path", "line", "column", "severity", "message"}``."""
    from dataclasses import asdict

    return {**asdict(d.position), "severity": d.severity, "message": d.message}


@click.command(
    cls=Command,
    epilog="\b\nExamples:\n  voiceguide show lower-back-stretch\n"
    "  voiceguide show box-breathing --json | jq .duration_ms\n"
    "  voiceguide show lower-back-massage --measure\n"
    "  voiceguide show box-breathing --preset gentle --svg box.svg   # the timeline as a picture\n"
    "\b\nSpeech not yet in the cache is not synthesized: its length is estimated from the\n"
    'text, and the times that depend on it are marked ≈ ("estimated": true in JSON).\n'
    "--measure synthesizes it first, as play and export do.",
)
@click.argument("routine")
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON (times in ms).")
@click.option(
    "--measure",
    is_flag=True,
    help="Synthesize missing speech into the cache first, so every time is measured.",
)
@click.option(
    "--svg",
    "svg_file",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    metavar="FILE",
    help="Write the timeline as a picture (SVG: a bar per step sized by its time, holds, "
    "rests and breath phases coloured, a tick per cue) to FILE (- for standard output).",
)
@cache_and_pacing_options()
def show(
    routine: str,
    as_json: bool,
    measure: bool,
    svg_file: Path | None,
    cache_dir: Path | None,
    layers: tuple[Layer, ...],
) -> int:
    """Print the timed script: every sound, hold, rest and breath with its start time.

    At once: speech in the cache is measured, the rest estimated (marked ≈).
    """
    if measure:
        session, _ = prepare_routine(routine, cache_dir, layers, quiet=as_json)
        shown_session = _Shown(session, frozenset(), None)
    else:
        from ..preview import preview

        found = preview(resolve_routine(routine), open_cache(cache_dir), layers=layers)
        shown_session = _Shown(found.session, found.estimated, found.exact_until_ms)
    warn(shown_session.session.warnings)
    if svg_file is not None:
        _write_svg(shown_session, svg_file)
        return 0
    if as_json:
        from ..export.document import timeline_document

        echo_json({**timeline_document(shown_session.session), **_estimate_fields(shown_session)})
        return 0
    _print_script(shown_session)
    return 0


@dataclass(frozen=True)
class _Shown:
    """What ``show`` prints: a session, the texts whose length is estimated, and the time
    (ms) up to which every time is exact (None: all measured)."""

    session: Session
    estimated: frozenset[str]
    exact_until_ms: int | None

    def mark(self, ms: int) -> str:
        """``≈`` before a time that depends on an estimate, else a space."""
        return "≈" if self.exact_until_ms is not None and ms > self.exact_until_ms else " "


def _write_svg(shown_session: _Shown, target: Path) -> None:
    """The timeline as a picture in ``target`` (written atomically; ``-``: standard output)."""
    from ..atomic import write_text
    from ..timeline_svg import timeline_svg

    timeline = shown_session.session.timeline
    picture = timeline_svg(timeline, estimated=bool(shown_session.estimated))
    if str(target) == "-":
        click.echo(picture, nl=False)
        return
    write_text(target, picture)
    about = "≈" if shown_session.estimated else ""
    click.echo(f"wrote {target} (the timeline of {timeline.title}, {about}{format_ms(timeline.duration_ms)})")


def _estimate_fields(shown_session: _Shown) -> dict[str, object]:
    """``show --json``'s marks: ``estimated`` (the total and the times after
    ``exact_until_ms`` are estimates), ``exact_until_ms``, and the estimated texts."""
    return {
        "estimated": bool(shown_session.estimated),
        "exact_until_ms": shown_session.exact_until_ms,
        "estimated_texts": sorted(shown_session.estimated),
    }


def _rests_merged(phases: Sequence[Phase]) -> list[Phase]:
    """``phases`` with rests that follow each other in one chapter shown as one (a step's
    rest then its group's rest between rounds: `rest 5s`, not `rest 3s` and `rest 2s`)."""
    from dataclasses import replace

    merged: list[Phase] = []
    for phase in phases:
        last = merged[-1] if merged else None
        if (
            last is not None
            and phase.kind == last.kind == "rest"
            and phase.start_ms == last.end_ms
            and phase.chapter == last.chapter
        ):
            merged[-1] = replace(last, end_ms=phase.end_ms)
        else:
            merged.append(phase)
    return merged


def _print_script(shown_session: _Shown) -> None:
    session = shown_session.session
    timeline = session.timeline
    routine = session.routine
    total = format_ms(timeline.duration_ms)
    console().print(
        f"[bold]{routine.title}[/bold]  ({'≈' if shown_session.estimated else ''}{total}, "
        f"{len(timeline.chapters)} chapters, {session.pacing.rate_wpm} wpm, "
        f"preset {session.pacing.preset})"
    )
    if routine.description:
        console().print(routine.description)
    if routine.safety:
        console().print("[bold]Safety[/bold]")
        for item in routine.safety:
            console().print(f"  • {item}")
    rows: list[tuple[int, int, str]] = []  # (start, order, text)
    for number, c in enumerate(timeline.chapters, 1):  # numbered as play --from N counts
        rows.append(
            (
                c.start_ms,
                0,
                f"[bold cyan]── {number}. {c.title}[/bold cyan]  ({format_seconds(c.end_ms - c.start_ms)})",
            )
        )
    for p in _rests_merged(timeline.phases):
        label = f"{p.detail.replace('_', ' ')} (cycle {p.cycle})" if p.kind == "breath" else p.kind
        label += " ∿ tone" if p.tone and p.detail in ("inhale", "exhale") else ""
        rows.append((p.start_ms, 1, f"[dim]{label} {format_seconds(p.end_ms - p.start_ms)}[/dim]"))
    for e in timeline.events:
        text = "[magenta]♪ chime[/magenta]" if e.kind == "chime" else f"“{e.text}”"
        rows.append((e.start_ms, 2, text))
    for start, _, text in sorted(rows, key=lambda r: (r[0], r[1])):
        console().print(f"{shown_session.mark(start)}{format_ms(start, precise=True):>9}  {text}")
    end = timeline.duration_ms
    console().print(f"{shown_session.mark(end)}{format_ms(end, precise=True):>9}  end")
    if shown_session.estimated:
        console().print(
            f"≈ estimated: {len(shown_session.estimated)} texts are not in the speech "
            "cache yet (--measure, `synthesize` or `play` measures them)"
        )
