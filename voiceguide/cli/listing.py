"""``list``: the bundled routines and the user's, from the library's index (titles and
metadata without loading YAML), filtered and sorted; lengths when asked for, previewed at
once (marked ≈ where estimated) or measured (``--lengths``, ``--markdown``).

Kept light: a plain ``list`` imports neither the speech engines nor the routine loader."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import VoiceguideError
from ..routine.bundled import bundled_routines
from ..routine.schema import PRESETS
from .group import Command
from .options import _Duration as DurationType  # 10m, 9:30, 600 (seconds) → ms
from .options import cache_option
from .prepare import open_cache, prepare_routine
from .progress import echo_json, progress

if TYPE_CHECKING:
    from ..routine.library import Entry
    from ..timing.pacing import Layer


LIST_EPILOG = """\b
Examples:
  voiceguide list
  voiceguide list --tag back --equipment mat
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


class _MaxLength(DurationType):
    """``--max``: a routine's length in ms (``10m``, ``9:30``, ``600``: a bare number is
    seconds, as every duration); never ``off``. A bare number under 60 is remembered (the
    context's ``meta[BARE_MAX]``) so that an empty list can ask whether minutes were meant."""

    name = "DURATION"
    takes_off = False

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        ms = super().convert(value, param, ctx)
        text = str(value).strip()
        bare = not isinstance(value, int) and text.replace(".", "", 1).isdigit()
        if ctx is not None and bare and ms < 60_000:
            ctx.meta[BARE_MAX] = text
        return ms


BARE_MAX = "voiceguide.list.bare_max"  # ``--max`` as typed, when it was a bare number


@click.command(cls=Command, name="list", epilog=LIST_EPILOG)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only routines with this tag (repeat: all must match).",
)
@click.option(
    "--equipment",
    "have",
    multiple=True,
    metavar="ITEM|none",
    help="What you have: only routines that need nothing else (repeat for more "
    "items; `none`: routines that need nothing).",
)
@click.option(
    "--max",
    "max_ms",
    type=_MaxLength(),
    metavar="DURATION",
    help="Only routines at most this long (e.g. 10m; a number alone is seconds) at the chosen preset.",
)
@click.option(
    "--preset",
    type=click.Choice(PRESETS, case_sensitive=False),
    help="Show lengths at this preset (default: the pacing `show` would use).",
)
@click.option(
    "--sort",
    "sort_by",
    type=click.Choice(["name", "length"]),
    default="name",
    show_default=True,
    help="Order of the list.",
)
@click.option(
    "--lengths",
    "measure",
    is_flag=True,
    help="Measure every length (synthesizing missing speech) and show it.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print as JSON: every field, length_ms at the chosen preset (null unless "
    "asked for) and whether it is estimated.",
)
@click.option(
    "--markdown", is_flag=True, help="Print a Markdown table with the lengths at gentle, standard and brisk."
)
@cache_option
def list_routines(
    tags: tuple[str, ...],
    have: tuple[str, ...],
    max_ms: int | None,
    preset: str | None,
    sort_by: str,
    measure: bool,
    as_json: bool,
    markdown: bool,
    cache_dir: Path | None,
) -> int:
    """List the bundled routines and yours (`voiceguide new`; use their names wherever
    ROUTINE is asked for), with their tags, equipment, lengths and where each comes
    from; filter and sort them."""
    chosen = _Filter(tags, have, max_ms, sort_by)
    if tags or have:  # before any length is measured
        chosen.check(_entries(cache_dir))
    if markdown:
        _print_markdown(chosen, preset or "standard", cache_dir)
        return 0
    wanted = measure or preset is not None or max_ms is not None or sort_by == "length"
    entries = chosen.apply(_library(preset, wanted, measure, cache_dir, quiet=as_json))
    if as_json:
        echo_json([_list_row(e, preset if wanted else None) for e in entries])
    else:
        _print_list(entries, preset, wanted)
    return 0


class _Filter:
    """--tag, --equipment, --max and --sort."""

    def __init__(
        self, tags: tuple[str, ...], have: tuple[str, ...], max_ms: int | None, sort_by: str
    ) -> None:
        self.tags, self.max_ms, self.sort_by = tags, max_ms, sort_by
        # `none` names no item: it only says that nothing is needed
        self.equipment = None if not have else tuple(h for h in have if h.strip().lower() != "none")

    def check(self, entries: list[Entry]) -> None:
        """Refuse a tag or an item of equipment that no routine in ``entries`` has: a typo
        ("bak", "matt") is a usage error with a suggestion, not an empty or unfiltered list."""
        from ..errors import UsageError
        from ..formatting import shown

        tags = sorted({tag for e in entries for tag in e.tags})
        for tag in self.tags:
            if tag not in tags:
                raise UsageError(f"no routine has the tag {shown(tag)}{_suggestion(tag, tags)}")
        items = sorted({item for e in entries for item in e.equipment or ()})
        for item in self.equipment or ():
            if item not in items:
                raise UsageError(
                    f"no routine needs {shown(item)}{_suggestion(item, items)}",
                    hint="--equipment names what you have, as routines name it; `none`: nothing",
                )

    def apply(self, entries: list[Entry]) -> list[Entry]:
        from ..routine.library import select, sort_entries

        return sort_entries(select(entries, self.tags, self.equipment, self.max_ms), self.sort_by)


def _suggestion(word: str, known: list[str]) -> str:
    """The closest of ``known`` as " (did you mean …?)", else all of them."""
    from ..routine.suggest import did_you_mean

    return did_you_mean(word, known) or f" (known: {', '.join(known)})"


def _entries(cache_dir: Path | None) -> list[Entry]:
    """The bundled routines and the user's, from the index, without lengths."""
    from ..routine.library import INDEX_NAME, list_entries
    from ..routine.user import user_routines
    from ..userdirs import default_cache_dir

    return list_entries(bundled_routines() + user_routines(), default_cache_dir(cache_dir) / INDEX_NAME)


def _print_markdown(chosen: _Filter, preset: str, cache_dir: Path | None) -> None:
    """The README's table: the bundled library, measured at ``preset`` (for the filters)
    and at each preset of the table's columns."""
    from ..routine.library import PRESET_COLUMNS, markdown_table
    from ..routine.user import routine_source

    entries = chosen.apply(_library(preset, True, True, cache_dir, quiet=True))
    entries = [e for e in entries if routine_source(e.path) == "bundled"]
    others = {
        p: {e.path: e.length_ms for e in _library(p, True, True, cache_dir, quiet=True)}
        for p in PRESET_COLUMNS
    }
    click.echo(
        markdown_table([(e, {p: others[p].get(e.path) for p in PRESET_COLUMNS}) for e in entries]), nl=False
    )


def _print_list(entries: list[Entry], preset: str | None, wanted: bool) -> None:
    """Each routine's name and title, and a line of details under it."""
    if not entries:
        bare = click.get_current_context().meta.get(BARE_MAX)
        # --max 10 is ten seconds, as every duration without a unit: minutes were meant
        meant = f" (--max {bare} is {bare} seconds; did you mean --max {bare}m?)" if bare else ""
        click.echo(f"no routine matches{meant}", err=True)
    width = max((len(e.name) for e in entries), default=0)
    for e in entries:
        title = e.title if e.problem is None else f"(invalid: {e.problem})"
        click.echo(f"{e.name:<{width}}  {title}" + (f" — {e.description}" if e.description else ""))
        details = _list_details(e, preset, wanted) if e.problem is None else ""
        if details:
            click.echo(" " * (width + 2) + details)
    if any(e.estimated for e in entries):
        click.echo("≈ estimated: speech not yet in the cache (`list --lengths` measures it)", err=True)


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
        "standard_minutes": None if band is None else {"min": band[0] / 60_000, "max": band[1] / 60_000},
        "length_ms": entry.length_ms,
        "estimated": entry.estimated,
        "preset": preset,
        "path": str(entry.path),
        "source": routine_source(entry.path),
        "problem": entry.problem,
    }


def lengths_key(preset: str | None, cache_dir: Path | None) -> str:
    """The index's key of a length measured at ``preset`` (:func:`voiceguide.service.lengths_key`,
    shared with the server's library; imported when asked: a plain ``list`` never is)."""
    from ..service import lengths_key as key

    return key(preset, cache_dir)


def _library(
    preset: str | None, wanted: bool, measure: bool, cache_dir: Path | None, quiet: bool
) -> list[Entry]:
    """The bundled routines and the user's from the index; with ``wanted``, each with its
    length at ``preset``: measured ones from the index, the others previewed
    (:func:`voiceguide.preview.preview`: cached speech measured, the rest estimated; a
    preview with nothing estimated is recorded in the index) or, with ``measure``,
    measured through :func:`prepare_routine` (synthesizing, with a progress bar) and
    recorded. Without ``wanted``, only the user's routines that state no length get one
    (previewed); the lengths' key (the engine, the pacing file) is then not even looked at."""
    from ..routine.library import INDEX_NAME, list_entries
    from ..routine.user import routine_source, user_routines
    from ..userdirs import default_cache_dir

    index = default_cache_dir(cache_dir) / INDEX_NAME
    routines = bundled_routines() + user_routines()
    if wanted:
        entries = list_entries(routines, index, lengths_key(preset, cache_dir))
        missing = [e for e in entries if e.problem is None and e.length_ms is None]
    else:  # a routine of yours that states no length gets one anyway (at the default pacing)
        entries = list_entries(routines, index)
        unstated = {
            e.path
            for e in entries
            if e.standard_length_ms is None and routine_source(e.path) == "user folder"
        }
        if not unstated:
            return entries
        known = {e.path: e.length_ms for e in list_entries(routines, index, lengths_key(preset, cache_dir))}
        entries = [replace(e, length_ms=known.get(e.path)) if e.path in unstated else e for e in entries]
        missing = [e for e in entries if e.problem is None and e.length_ms is None and e.path in unstated]
    if not missing:
        return entries
    from ..pacing_layers import pacing_layers

    layers = pacing_layers({"preset": preset} if preset else {}, None)
    lengths = _Lengths(index, lengths_key(preset, cache_dir))
    if measure:
        return lengths.measured(entries, missing, cache_dir, layers, quiet)
    return lengths.previewed(entries, missing, cache_dir, layers, wanted)


class _Lengths:
    """Lengths found for the routines the index had none for, recorded under ``key``."""

    def __init__(self, index: Path, key: str) -> None:
        self.index, self.key = index, key

    def measured(
        self,
        entries: list[Entry],
        missing: list[Entry],
        cache_dir: Path | None,
        layers: tuple[Layer, ...],
        quiet: bool,
    ) -> list[Entry]:
        """Every length measured (synthesizing missing speech) and recorded."""
        from ..routine.library import record_lengths

        found: dict[Path, int] = {}
        with progress("Measuring routines", quiet=quiet) as bar:
            for entry in missing:
                session, _ = prepare_routine(str(entry.path), cache_dir, layers, quiet, bar)
                found[entry.path] = session.timeline.duration_ms
        record_lengths(self.index, self.key, found)  # the engine is known now
        return [replace(e, length_ms=found.get(e.path, e.length_ms)) for e in entries]

    def previewed(
        self,
        entries: list[Entry],
        missing: list[Entry],
        cache_dir: Path | None,
        layers: tuple[Layer, ...],
        wanted: bool,
    ) -> list[Entry]:
        """Lengths at once: measured where all the speech is cached (and then recorded),
        else estimated (marked). A routine that cannot be previewed fails the listing only
        when lengths were asked for; else it is listed without one."""
        from ..preview import preview
        from ..routine.library import record_lengths

        cache = open_cache(cache_dir)
        found: dict[Path, int] = {}
        estimated: dict[Path, int] = {}
        for entry in missing:
            try:
                seen = preview(entry.path, cache, layers=layers)
            except VoiceguideError:
                if wanted:
                    raise
                continue  # shown only to be helpful: listed without a length
            (estimated if seen.is_estimate else found)[entry.path] = seen.session.timeline.duration_ms
        record_lengths(self.index, self.key, found)
        return [
            replace(e, length_ms=found[e.path])
            if e.path in found
            else replace(e, length_ms=estimated[e.path], estimated=True)
            if e.path in estimated
            else e
            for e in entries
        ]
