"""The commands that look at routines without playing them: ``validate`` (problems at
file:line:col, then the timing lint), ``show`` (the timed script, at once: estimated where
speech is not cached yet) and ``list`` (the library, its filters and lengths)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import EXIT_USAGE, Diagnostic, RoutineError, UsageError, VoiceguideError
from ..formatting import format_ms, format_seconds
from ..routine.bundled import bundled_routines, resolve_routine
from ..routine.schema import PRESETS
from .group import Command
from .options import _Duration as DurationType  # 10m, 9:30, 600 (seconds) → ms
from .options import cache_and_pacing_options, cache_option
from .prepare import open_cache, prepare_routine
from .progress import console, echo_json, error, progress, warn

if TYPE_CHECKING:
    from ..routine.library import Entry
    from ..session import Session
    from ..timing.pacing import Layer


@click.command(
    cls=Command,
    epilog="\b\nExamples:\n  voiceguide validate scripts/*.yaml\n  voiceguide validate my.yaml --json\n"
    "  voiceguide validate lower-back-stretch --preset brisk   # timing lint at that pacing"
)
@click.argument("routines", nargs=-1, required=True, metavar="ROUTINE...")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--no-speech", is_flag=True,
              help="Check the file only: skip the timing lint, which measures speech.")
@cache_and_pacing_options()
def validate(routines: tuple[str, ...], as_json: bool, no_speech: bool, cache_dir: Path | None,
             layers: tuple[Layer, ...]) -> int:
    """Check routine scripts: every problem is reported as file:line:col.

    Then, at the chosen pacing, measure the speech (synthesizing into the cache) and
    warn where a cue outlasts its breath phase or hold, or runs into the countdown.
    Exit 0 when all are valid (warnings allowed), 2 when any is invalid.
    """
    from ..errors import EngineUnavailable
    from ..routine.loader import load_routine

    results = []
    worst = 0
    for arg in routines:
        try:
            path = resolve_routine(arg)
            routine, warnings = load_routine(path)
            timing = "skipped (--no-speech)" if no_speech else "checked"
            if not no_speech:
                try:
                    warnings = prepare_routine(arg, cache_dir, layers, quiet=True)[0].warnings
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
                click.echo(f"ok: {path} ({routine.title}{note})")
        except RoutineError as exc:
            worst = EXIT_USAGE
            results.append(
                {"routine": arg, "valid": False, "problems": [_diag(d) for d in exc.diagnostics]}
            )
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
    "\b\nSpeech not yet in the cache is not synthesized: its length is estimated from the\n"
    "text, and the times that depend on it are marked ≈ (\"estimated\": true in JSON).\n"
    "--measure synthesizes it first, as play and export do."
)
@click.argument("routine")
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON (times in ms).")
@click.option("--measure", is_flag=True,
              help="Synthesize missing speech into the cache first, so every time is measured.")
@cache_and_pacing_options()
def show(routine: str, as_json: bool, measure: bool, cache_dir: Path | None,
         layers: tuple[Layer, ...]) -> int:
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
    if as_json:
        from ..export.document import timeline_document

        echo_json({**timeline_document(shown_session.session),
                    **_estimate_fields(shown_session)})
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


def _estimate_fields(shown_session: _Shown) -> dict[str, object]:
    """``show --json``'s marks: ``estimated`` (the total and the times after
    ``exact_until_ms`` are estimates), ``exact_until_ms``, and the estimated texts."""
    return {"estimated": bool(shown_session.estimated),
            "exact_until_ms": shown_session.exact_until_ms,
            "estimated_texts": sorted(shown_session.estimated)}


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
        rows.append((c.start_ms, 0, f"[bold cyan]── {number}. {c.title}[/bold cyan]  "
                     f"({format_seconds(c.end_ms - c.start_ms)})"))
    for p in timeline.phases:
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
        console().print(f"≈ estimated: {len(shown_session.estimated)} texts are not in the speech "
                         "cache yet (--measure, `synthesize` or `play` measures them)")


LIST_EPILOG = """\b
Examples:
  voiceguide list
  voiceguide list --tag back --equipment none
  voiceguide list --max 10m --sort length --preset gentle
  voiceguide list --json --lengths
  voiceguide list --markdown          # the README's table (lengths at each preset)
\b
Lengths are shown when asked for (--preset, --max, --sort length, --lengths,
--markdown), at once: speech in the cache is measured, the rest estimated from the
text and marked ≈ ("estimated": true in JSON); nothing is synthesized. --lengths and
--markdown measure every length instead (missing speech is synthesized into the
cache once, as `show --measure` does). Measured lengths are kept in the list's index.
Otherwise each routine shows its stated length at the standard preset, and a routine
of yours (`voiceguide new`) that states none shows its length at its pacing.
"""


@click.command(cls=Command, name="list", epilog=LIST_EPILOG)
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="Only routines with this tag (repeat: all must match).")
@click.option("--equipment", "have", multiple=True, metavar="ITEM|none",
              help="What you have: only routines that need nothing else (repeat for more "
              "items; `none`: routines that need nothing).")
@click.option("--max", "max_ms", type=DurationType(), metavar="DURATION",
              help="Only routines at most this long (e.g. 10m) at the chosen preset.")
@click.option("--preset", type=click.Choice(PRESETS),
              help="Show lengths at this preset (default: the pacing `show` would use).")
@click.option("--sort", "sort_by", type=click.Choice(["name", "length"]), default="name",
              show_default=True, help="Order of the list.")
@click.option("--lengths", "measure", is_flag=True,
              help="Measure every length (synthesizing missing speech) and show it.")
@click.option("--json", "as_json", is_flag=True,
              help="Print as JSON: every field, length_ms at the chosen preset (null unless "
              "asked for) and whether it is estimated.")
@click.option("--markdown", is_flag=True,
              help="Print a Markdown table with the lengths at gentle, standard and brisk.")
@cache_option
def list_routines(tags: tuple[str, ...], have: tuple[str, ...], max_ms: int | None,
                  preset: str | None, sort_by: str, measure: bool, as_json: bool, markdown: bool,
                  cache_dir: Path | None) -> int:
    """List the bundled routines and yours (`voiceguide new`; use their names wherever
    ROUTINE is asked for), with their tags, equipment, lengths and where each comes
    from; filter and sort them."""
    from ..routine.library import PRESET_COLUMNS, markdown_table, select, sort_entries
    from ..routine.user import routine_source

    if markdown:
        preset = preset or "standard"
    measure = measure or markdown
    wanted = measure or preset is not None or max_ms is not None or sort_by == "length"
    entries = _library(preset, wanted, measure, cache_dir, quiet=as_json or markdown)
    equipment = None if not have else tuple(h for h in have if h.strip().lower() != "none")
    entries = sort_entries(select(entries, tags, equipment, max_ms), sort_by)
    if markdown:  # README's table: the bundled library
        entries = [e for e in entries if routine_source(e.path) == "bundled"]
        others = {p: {e.path: e.length_ms for e in _library(p, True, True, cache_dir, quiet=True)}
                  for p in PRESET_COLUMNS}
        click.echo(markdown_table([(e, {p: others[p].get(e.path) for p in PRESET_COLUMNS})
                                   for e in entries]), nl=False)
        return 0
    if as_json:
        echo_json([_list_row(e, preset if wanted else None) for e in entries])
        return 0
    if not entries:
        click.echo("no routine matches", err=True)
    width = max((len(e.name) for e in entries), default=0)
    for e in entries:
        title = e.title if e.problem is None else f"(invalid: {e.problem})"
        click.echo(f"{e.name:<{width}}  {title}" + (f" — {e.description}" if e.description else ""))
        details = _list_details(e, preset, wanted) if e.problem is None else ""
        if details:
            click.echo(" " * (width + 2) + details)
    if any(e.estimated for e in entries) and not as_json:
        click.echo("≈ estimated: speech not yet in the cache (`list --lengths` measures it)",
                   err=True)
    return 0


def _list_details(entry: Entry, preset: str | None, wanted: bool) -> str:
    """The line under a routine's title: its length (≈ when estimated), tags, equipment
    and level."""
    from ..routine.library import minutes

    parts = []
    if wanted or (entry.length_ms is not None and entry.standard_length_ms is None):
        mark = "≈" if entry.estimated else ""
        parts.append(f"{mark}{minutes(entry.length_ms)} at {preset or 'its pacing'}")
    elif entry.minutes_band():
        parts.append(entry.minutes_band())
    if entry.tags:
        parts.append("tags: " + ", ".join(entry.tags))
    if entry.equipment is not None:
        parts.append("needs: " + (", ".join(entry.equipment) or "nothing"))
    if entry.level:
        parts.append(entry.level)
    from ..routine.user import routine_source

    parts.append(routine_source(entry.path))
    return " · ".join(parts)


def _list_row(entry: Entry, preset: str | None) -> dict[str, object]:
    """One routine in ``list --json``."""
    from ..routine.user import routine_source

    band = entry.standard_length_ms
    return {
        "name": entry.name,
        "title": entry.title if entry.problem is None else f"(invalid: {entry.problem})",
        "description": entry.description,
        "tags": list(entry.tags),
        "level": entry.level,
        "equipment": None if entry.equipment is None else list(entry.equipment),
        "author": entry.author,
        "license": entry.license,
        "standard_minutes": None if band is None else {"min": band[0] / 60_000,
                                                        "max": band[1] / 60_000},
        "length_ms": entry.length_ms,
        "estimated": entry.estimated,
        "preset": preset,
        "path": str(entry.path),
        "source": routine_source(entry.path),
        "problem": entry.problem,
    }


def lengths_key(preset: str | None, cache_dir: Path | None) -> str:
    """What a measured length depends on besides the routine file: the preset (None: the
    pacing `show` would use), the speech engine and its recorded identity (version, sample
    rate) and the user's pacing file (size, modification time). Cheap: no engine, no YAML."""
    import json

    from ..pacing_layers import user_pacing_file
    from ..speech.cache import ClipCache, default_cache_dir
    from ..speech.engines import default_engine_name

    engine = default_engine_name()[0]
    identity = ClipCache(default_cache_dir(cache_dir)).recorded_engine(engine)
    try:
        status = os.stat(user_pacing_file())
        pacing: list[int] | None = [status.st_size, status.st_mtime_ns]
    except OSError:
        pacing = None
    known = None if identity is None else [identity.version, identity.sample_rate]
    return json.dumps([preset or "default", engine, known, pacing])


def _library(preset: str | None, wanted: bool, measure: bool, cache_dir: Path | None,
             quiet: bool) -> list[Entry]:
    """The bundled routines and the user's from the index; with ``wanted``, each with its
    length at ``preset``: measured ones from the index, the others previewed
    (:func:`voiceguide.preview.preview`: cached speech measured, the rest estimated; a
    preview with nothing estimated is recorded in the index) or, with ``measure``,
    measured through :func:`prepare_routine` (synthesizing, with a progress bar) and recorded.
    Without ``wanted``, only the user's routines that state no length get one (previewed)."""
    from dataclasses import replace

    from ..routine.library import INDEX_NAME, list_entries, record_lengths
    from ..routine.user import routine_source, user_routines
    from ..speech.cache import default_cache_dir

    index = default_cache_dir(cache_dir) / INDEX_NAME
    entries = list_entries(bundled_routines() + user_routines(), index,
                           lengths_key(preset, cache_dir))
    # a routine of yours that states no length gets one anyway (at the default pacing)
    unstated = {e.path for e in entries if not wanted and e.standard_length_ms is None
                and routine_source(e.path) == "user folder"}
    if not wanted:
        entries = [e if e.path in unstated else replace(e, length_ms=None) for e in entries]
    missing = [e for e in entries if e.problem is None and e.length_ms is None
               and (wanted or e.path in unstated)]
    if not missing:
        return entries
    from ..pacing_layers import pacing_layers

    layers = pacing_layers({"preset": preset} if preset else {}, None)
    found: dict[Path, int] = {}
    if measure:
        with progress("Measuring routines", quiet=quiet) as bar:
            for entry in missing:
                session, _ = prepare_routine(str(entry.path), cache_dir, layers, quiet, bar)
                found[entry.path] = session.timeline.duration_ms
        record_lengths(index, lengths_key(preset, cache_dir), found)  # the engine is known now
        return [replace(e, length_ms=found.get(e.path, e.length_ms)) for e in entries]
    from ..preview import preview

    cache = open_cache(cache_dir)
    estimated: dict[Path, int] = {}
    for entry in missing:
        try:
            seen = preview(entry.path, cache, layers=layers)
        except VoiceguideError:
            if wanted:
                raise
            continue  # shown only to be helpful: listed without a length
        (estimated if seen.is_estimate else found)[entry.path] = seen.session.timeline.duration_ms
    record_lengths(index, lengths_key(preset, cache_dir), found)
    return [replace(e, length_ms=found[e.path]) if e.path in found
            else replace(e, length_ms=estimated[e.path], estimated=True) if e.path in estimated
            else e for e in entries]

