"""'Did you mean …?' for misspelled keys, names and options."""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``' (did you mean "hold"?)'`` for the closest candidate, or ``''`` if none is close."""
    import difflib  # on use: it is imported by every command, and used after a mistake

    options = list(candidates)
    lowered = {c.casefold(): c for c in options}
    match = difflib.get_close_matches(word.casefold(), list(lowered), n=1, cutoff=0.6)
    return f' (did you mean "{lowered[match[0]]}"?)' if match else ""
