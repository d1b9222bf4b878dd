"""The README's table of bundled routines, read back (its lengths are `m:ss`)."""

from __future__ import annotations

import re

from .run import REPO

README_TABLE = re.compile(r"<!-- library table.*?-->\n(.*?)<!-- end of the library table -->", re.S)


def readme_table() -> str:
    """The Markdown between the README's library-table markers."""
    found = README_TABLE.search((REPO / "README.md").read_text(encoding="utf-8"))
    assert found, "README has no library table between its markers"
    return found.group(1)


def table_rows(table: str) -> list[list[str]]:
    """The cells of a Markdown table's rows (not its header)."""
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in table.splitlines()[2:]]


def seconds(text: str) -> int:
    """``"12:07"`` → 727 (seconds)."""
    m, s = text.split(":")
    return int(m) * 60 + int(s)
