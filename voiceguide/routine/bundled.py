"""The routines that ship with voiceguide, and resolving a ROUTINE argument."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import UsageError
from .suggest import did_you_mean


def bundled_dir() -> Path:
    """``voiceguide/scripts`` inside an installed wheel, else the checkout's ``scripts/``.
    The package is a folder on disk (the routines are read as files), so its folder is
    found from this file: importlib.resources would cost more than ``list`` itself."""
    package = Path(__file__).resolve().parents[1]  # voiceguide/routine/bundled.py
    packaged = package / "scripts"
    if packaged.is_dir():
        return packaged
    return package.parent / "scripts"


def bundled_routines() -> list[tuple[str, Path]]:
    """``(name, path)`` of every bundled routine, sorted by name."""
    directory = bundled_dir()
    if not directory.is_dir():
        return []
    return sorted((p.stem, p) for p in directory.glob("*.yaml"))


def resolve_routine(arg: str) -> Path:
    """A ROUTINE argument → a file: ``-`` (standard input) or an existing path (the
    loader says if it is not a regular file) wins, else a name in the user's routines
    folder (:mod:`voiceguide.routine.user`), else a bundled name; a name that matches none
    is tried as ``new`` names a file (``"My Stretch"``: my-stretch; see
    :func:`~voiceguide.routine.user.routine_name`)."""
    from .user import routine_name, user_routines

    path = Path(arg)
    if arg == "-" or (os.path.exists(arg) and not os.path.isdir(arg)):  # never raise
        return path
    names = dict(bundled_routines()) | dict(user_routines())  # the user's own come first
    name = arg[:-5] if arg.endswith(".yaml") else arg
    if name in names:
        return names[name]
    if path.suffix in (".yaml", ".yml") or "/" in arg:
        raise UsageError(f"no such routine file: {arg}")
    made = routine_name(name)  # "My Stretch": my-stretch, the file `new "My Stretch"` wrote
    if made in names:
        return names[made]
    hint = did_you_mean(name, names)
    raise UsageError(
        f'no routine named "{arg}"{hint}',
        hint="`voiceguide list` shows the bundled ones and yours, or give a path to a .yaml file",
    )
