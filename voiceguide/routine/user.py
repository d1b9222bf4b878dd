"""The user's own routines folder: where ``voiceguide new NAME`` writes, what ``list`` shows
beside the bundled routines, and where a ROUTINE name is looked up first.

``$VOICEGUIDE_ROUTINES_DIR``, else ``routines/`` in the config directory
(``$VOICEGUIDE_CONFIG_DIR``, else the per-user one: ``~/.config/voiceguide/routines`` on
Linux). Reading environment variables and listing a folder is all the I/O here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Container
from pathlib import Path
from typing import Literal

from ..errors import UsageError
from ..formatting import shown

ENV_VAR = "VOICEGUIDE_ROUTINES_DIR"
FOLDER_NAME = "routines"
SUFFIXES = (".yaml", ".yml")
_NAME_MAX = 255  # bytes in a file name
_SAFE = re.compile(r"[\w.-]+")  # letters and digits (any script), '_', '.', '-'
_UNSAFE = re.compile(r"[^\w.]+")  # a run of anything else, and '-': one '-' in a made name

Source = Literal["bundled", "user folder", "file"]


def user_routines_dir() -> Path:
    """``$VOICEGUIDE_ROUTINES_DIR``, else ``<config dir>/routines``."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    from ..userdirs import config_dir

    return config_dir() / FOLDER_NAME


def user_routines() -> list[tuple[str, Path]]:
    """``(name, path)`` of every ``.yaml``/``.yml`` file in the user folder, by name
    (hidden files left out; none when the folder does not exist or cannot be read)."""
    folder = user_routines_dir()
    try:
        paths = [p for p in folder.iterdir() if p.suffix in SUFFIXES and not p.name.startswith(".")]
    except OSError:
        return []
    return sorted((p.stem, p) for p in paths)


def routine_source(path: Path) -> Source:
    """Where the routine at ``path`` comes from: the bundled library, the user folder, or
    any other file."""
    from .bundled import bundled_dir

    folder = path.resolve().parent
    if folder == bundled_dir().resolve():
        return "bundled"
    if folder == user_routines_dir().resolve():
        return "user folder"
    return "file"


def new_routine_target(name: str) -> Path:
    """Where ``voiceguide new NAME`` writes: a bare name (no folder, no ``.yaml``) in the
    user folder as ``NAME.yaml``, made a safe file name first (:func:`routine_name`: ``"My
    Stretch"`` → ``my-stretch.yaml``); anything else is a path (``.yaml`` added when it has
    no such suffix). Raises UsageError for a name that cannot be a routine's file name."""
    text = name.strip()
    if not text or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise UsageError(
            f"{shown(name)} is not a routine name; use letters, digits and '-', "
            "e.g. my-stretch, or a path such as drafts/my-stretch.yaml"
        )
    path = Path(text)
    file_name = path.name
    if not file_name or file_name.startswith((".", "-")) or text.endswith(("/", os.sep)):
        raise UsageError(
            f"{shown(name)} is not a routine name: a file name may not start with "
            "'.' or '-' or be a folder; e.g. my-stretch or drafts/my-stretch.yaml"
        )
    bare = "/" not in text and os.sep not in text and path.suffix not in SUFFIXES
    if bare:  # a name, perhaps a title: "My Stretch" is my-stretch.yaml
        file_name = routine_name(text)
        if not file_name:
            raise UsageError(
                f"{shown(name)} is not a routine name; use letters, digits and '-', e.g. my-stretch"
            )
    if path.suffix not in SUFFIXES:
        path = path.with_name(file_name + ".yaml")
    if len(os.fsencode(path.name)) > _NAME_MAX:
        raise UsageError(f"the file name {shown(path.name)} is too long (the limit is {_NAME_MAX} bytes)")
    return user_routines_dir() / path.name if bare else path


def typed_name(name: str) -> str:
    """NAME of ``new NAME`` without its folder and ``.yaml``: what the routine's title is made
    from (``"My Stretch"`` stays so, though its file is ``my-stretch.yaml``)."""
    path = Path(name.strip())
    return path.stem if path.suffix in SUFFIXES else path.name


def routine_name(name: str) -> str:
    """The routine name (its file's, without ``.yaml``) of the bare NAME ``name``: as given
    when it is one already (letters, digits, ``_``, ``.``, ``-``: ``my-stretch``,
    ``BOX_breathing``), else its words in lower case joined by ``-``: ``"My Stretch"`` →
    ``my-stretch``, ``"Neck & shoulders"`` → ``neck-shoulders``, so the file needs no
    quoting in a shell; ``""`` when no word is left (``"!!"``). ``new`` names a file so,
    and a name looked up that matches no routine is looked up so too."""
    text = name.strip()
    if _SAFE.fullmatch(text):
        return text
    return _UNSAFE.sub("-", text.casefold()).strip("-.")


def free_copy_name(name: str, taken: Container[str]) -> str:
    """A name for your copy of the bundled routine ``name`` that no routine in ``taken`` (the
    bundled ones) or in your folder has: ``my-NAME``, ``my-NAME-2`` …"""
    for candidate in (f"my-{name}", *(f"my-{name}-{n}" for n in range(2, 100))):
        candidate = candidate[:64]
        if candidate not in taken and not (user_routines_dir() / f"{candidate}.yaml").exists():
            return candidate
    return f"my-{name}"[:64]
