"""What ``voiceguide list`` shows of each routine, kept in a small index so it starts at once.

Listing means loading every routine (YAML, validation): the bundled ones alone take
longer than the rest of the command. The index (JSON in the cache directory) keeps each
routine's title and description under its path, size and modification time; a routine
is loaded again only when one of those changed. The index is a cache: damaged, missing or
from another version, it is simply made again, and a read-only cache directory only costs
the speed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import VoiceguideError

INDEX_NAME = "library.json"
_FORMAT = 1
_MAX_INDEX_BYTES = 4 << 20


@dataclass(frozen=True)
class Entry:
    """One routine as listed: where it is, its title and description, or why it is broken."""

    name: str
    path: Path
    title: str
    description: str
    problem: str | None = None


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
    return Entry(name, path, routine.title, routine.description)


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


def list_entries(routines: Iterable[tuple[str, Path]], index: Path | None) -> list[Entry]:
    """An :class:`Entry` for each ``(name, path)``, in order, from ``index`` (a JSON file)
    where it is current, loading (and recording) the others. ``index`` None: load all."""
    known = _read_index(index) if index is not None else {}
    entries: list[Entry] = []
    changed = False
    for name, path in routines:
        key = str(path)
        stamp = _stamp(path)
        row = known.get(key)
        if isinstance(row, dict) and stamp is not None and row.get("stamp") == stamp:
            problem = row.get("problem")
            entries.append(Entry(name, path, str(row.get("title", "")), str(row.get("description", "")),
                                 problem if isinstance(problem, str) else None))
            continue
        entry = _load(path, name)
        entries.append(entry)
        if stamp is not None:
            known[key] = {"stamp": stamp, "title": entry.title, "description": entry.description,
                          "problem": entry.problem}
            changed = True
    if index is not None and changed:
        _write_index(index, known)
    return entries
