"""What ``voiceguide list`` shows of each routine, kept in a small index so it starts at once.

Listing means loading every routine (YAML, validation): the bundled ones alone take
longer than the rest of the command. The index (JSON in the cache directory) keeps each
routine's title, description and metadata (:class:`~voiceguide.routine.model.About`)
under its path, size and modification time; a routine is loaded again only when one of
those changed. Measured lengths (ms) are kept in the same row under a key the caller
makes (preset, engine identity, pacing file, the program: see ``voiceguide.service.lengths_key``), recorded
with :func:`record_lengths`; they go when the routine changes. Estimated lengths
(:attr:`Entry.estimated`, from :mod:`voiceguide.preview`) are never recorded: they are
made again each time, so they become measured as the speech cache fills. The index is a cache:
damaged, missing or from another version, it is simply made again, and a read-only cache
directory only costs the speed.

Also here, pure: choosing and ordering entries (:func:`select`, :func:`sort_entries`) and
the README's table of the library (:func:`markdown_table`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import VoiceguideError
from ..formatting import format_ms
from .schema import PRESETS

INDEX_NAME = "library.json"
_FORMAT = 2
_MAX_INDEX_BYTES = 4 << 20
_MAX_LENGTH_KEYS = 16  # measured lengths kept per routine (presets × engines × pacing files)
PRESET_COLUMNS = PRESETS  # the lengths in markdown_table


@dataclass(frozen=True)
class Entry:
    """One routine as listed: where it is, its title and description, or why it is broken."""

    name: str
    path: Path
    title: str
    description: str
    problem: str | None = None
    tags: tuple[str, ...] = ()
    level: str | None = None
    equipment: tuple[str, ...] | None = None  # () = nothing needed; None = not stated
    author: str | None = None
    license: str | None = None
    standard_length_ms: tuple[int, int] | None = None  # stated band at preset standard
    length_ms: int | None = None  # for the lengths key asked; None = not yet known
    estimated: bool = False  # length_ms is an estimate (speech not all in the cache), not measured

    def about(self) -> dict[str, object]:
        """The metadata as JSON values (the index row's ``about``)."""
        band = self.standard_length_ms
        return {
            "tags": list(self.tags),
            "level": self.level,
            "equipment": None if self.equipment is None else list(self.equipment),
            "author": self.author,
            "license": self.license,
            "standard_length_ms": None if band is None else list(band),
        }

    def minutes_band(self) -> str:
        """The stated band as text, ``"9–11 min"``; "" when not stated."""
        if self.standard_length_ms is None:
            return ""
        low, high = (f"{ms / 60_000:g}" for ms in self.standard_length_ms)
        return f"{low}–{high} min" if low != high else f"{low} min"


def _about_from_row(about: object) -> dict[str, object]:
    """:class:`Entry` keyword arguments from an index row's ``about`` (wrong types: left out)."""
    if not isinstance(about, dict):
        return {}
    found: dict[str, object] = {}

    def words(value: object) -> tuple[str, ...] | None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        return None

    if (tags := words(about.get("tags"))) is not None:
        found["tags"] = tags
    found["equipment"] = words(about.get("equipment"))
    for key in ("level", "author", "license"):
        if isinstance(about.get(key), str):
            found[key] = about[key]
    band = about.get("standard_length_ms")
    if isinstance(band, list) and len(band) == 2 and all(type(v) is int for v in band):
        found["standard_length_ms"] = (band[0], band[1])
    return found


def _stamp(path: Path) -> list[int] | None:
    """What tells a routine file changed: size and modification time (ns); None if gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _load(path: Path, name: str) -> Entry:
    from .loader import load_routine  # only for files that changed: YAML costs most of a listing

    try:
        routine, _ = load_routine(path)
    except VoiceguideError as exc:  # a broken file must not hide the others
        return Entry(name, path, "", "", exc.message.splitlines()[0])
    about = routine.about
    return Entry(
        name,
        path,
        routine.title,
        routine.description,
        None,
        about.tags,
        about.level,
        about.equipment,
        about.author,
        about.license,
        about.standard_length_ms,
    )


def _read_index(index: Path) -> dict[str, dict[str, object]]:
    try:
        with open(index, "rb") as f:
            data = json.loads(f.read(_MAX_INDEX_BYTES + 1))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _write_index(index: Path, entries: dict[str, dict[str, object]]) -> None:
    from ..atomic import atomic_path

    text = json.dumps({"format": _FORMAT, "entries": entries}, ensure_ascii=False)
    with contextlib.suppress(VoiceguideError, OSError), atomic_path(index, private=True) as temp:
        temp.write_text(text, encoding="utf-8")  # a read-only cache: only the speed is lost


def list_entries(
    routines: Iterable[tuple[str, Path]], index: Path | None, lengths_key: str | None = None
) -> list[Entry]:
    """An :class:`Entry` for each ``(name, path)``, in order, from ``index`` (a JSON file)
    where it is current, loading (and recording) the others. ``index`` None: load all.
    ``lengths_key``: fill in :attr:`Entry.length_ms` where the index has that length."""
    known = _read_index(index) if index is not None else {}
    entries: list[Entry] = []
    changed = False
    for name, path in routines:
        key = str(path)
        stamp = _stamp(path)
        row = known.get(key)
        if isinstance(row, dict) and stamp is not None and row.get("stamp") == stamp:
            problem = row.get("problem")
            entry = Entry(
                name,
                path,
                str(row.get("title", "")),
                str(row.get("description", "")),
                problem if isinstance(problem, str) else None,
                **_about_from_row(row.get("about")),  # type: ignore[arg-type]
            )
            lengths = row.get("lengths")
            if lengths_key is not None and isinstance(lengths, dict):
                length = lengths.get(lengths_key)
                if type(length) is int and length >= 0:
                    entry = replace(entry, length_ms=length)
            entries.append(entry)
            continue
        entry = _load(path, name)
        entries.append(entry)
        if stamp is not None:
            known[key] = {
                "stamp": stamp,
                "title": entry.title,
                "description": entry.description,
                "problem": entry.problem,
                "about": entry.about(),
                "lengths": {},
            }
            changed = True
    if index is not None and changed:
        _write_index(index, known)
    return entries


def record_lengths(index: Path | None, lengths_key: str, lengths: Mapping[Path, int]) -> None:
    """Keep measured ``lengths`` (ms, by routine path) in ``index`` under ``lengths_key``,
    for routines whose row is current (a file changed meanwhile is measured again later)."""
    if index is None or not lengths:
        return
    known = _read_index(index)
    for path, length in lengths.items():
        row = known.get(str(path))
        if not isinstance(row, dict) or row.get("stamp") != _stamp(path):
            continue
        kept = row.get("lengths")
        kept = {k: v for k, v in kept.items() if k != lengths_key} if isinstance(kept, dict) else {}
        kept[lengths_key] = length
        row["lengths"] = dict(list(kept.items())[-_MAX_LENGTH_KEYS:])  # the newest few
    _write_index(index, known)


def recorded_lengths(index: Path | None, keys: Mapping[str, str]) -> dict[str, dict[str, int]]:
    """The measured lengths ``index`` keeps, by routine path (as text): for each ``name →
    lengths key`` of ``keys`` (a preset and its key, say), the length recorded under that key,
    for routines whose row is current (a file changed since has none)."""
    found: dict[str, dict[str, int]] = {}
    for path, row in (_read_index(index) if index is not None else {}).items():
        lengths = row.get("lengths") if isinstance(row, dict) else None
        if not isinstance(lengths, dict) or row.get("stamp") != _stamp(Path(path)):
            continue
        known = {name: ms for name, key in keys.items() if type(ms := lengths.get(key)) is int and ms >= 0}
        if known:
            found[path] = known
    return found


# ---- choosing, ordering, the README table ---------------------------------------------


def select(
    entries: Iterable[Entry],
    tags: Collection[str] = (),
    have: Collection[str] | None = None,
    max_ms: int | None = None,
) -> list[Entry]:
    """The entries that carry every tag in ``tags``; that need nothing beyond ``have`` (the
    equipment at hand; ``()`` = none; None = no condition; a routine that does not state its
    equipment never matches a condition); and, with ``max_ms``, whose measured length is
    at most that (an unmeasured one does not match). Broken entries match no condition."""
    chosen = []
    for entry in entries:
        conditions = bool(tags) or have is not None or max_ms is not None
        if entry.problem is not None and conditions:
            continue
        if not set(tags) <= set(entry.tags):
            continue
        if have is not None and (entry.equipment is None or not set(entry.equipment) <= set(have)):
            continue
        if max_ms is not None and (entry.length_ms is None or entry.length_ms > max_ms):
            continue
        chosen.append(entry)
    return chosen


def sort_entries(entries: Iterable[Entry], by: str) -> list[Entry]:
    """By ``"name"``, or by ``"length"`` (measured; unmeasured last, then by name)."""
    if by == "length":
        return sorted(entries, key=lambda e: (e.length_ms is None, e.length_ms or 0, e.name))
    return sorted(entries, key=lambda e: e.name)


def minutes(ms: int | None) -> str:
    """A length as :func:`~voiceguide.formatting.format_ms` shows it, or "–" when not known."""
    return "–" if ms is None else format_ms(ms)


def markdown_table(rows: Sequence[tuple[Entry, Mapping[str, int | None]]]) -> str:
    """The README's table of the library: one row per ``(entry, lengths by preset)``, with
    the lengths at :data:`PRESET_COLUMNS` as m:ss."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| routine | title | " + " | ".join(PRESET_COLUMNS) + " | tags | equipment |",
        "|---|---|" + "---:|" * len(PRESET_COLUMNS) + "---|---|",
    ]
    for entry, lengths in rows:
        needs = "–" if entry.equipment is None else ", ".join(entry.equipment) or "none"
        cells = [
            f"`{entry.name}`",
            cell(entry.title),
            *(minutes(lengths.get(p)) for p in PRESET_COLUMNS),
            cell(", ".join(entry.tags)),
            cell(needs),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
