"""How the user can run this program again: the command printed in hints and in the
resume line after `q` or Ctrl-C (``bin/voiceguide``, ``.venv/bin/voiceguide``,
``voiceguide`` when that name on PATH is this program, ``python3 -m voiceguide``), and
``install-shell``, which puts a link to it in ``~/.local/bin``.

``bin/voiceguide`` runs the venv's script with ``VOICEGUIDE_PROG`` set to the path it was
started by, since the script itself only sees its own path."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

PROG_VARIABLE = "VOICEGUIDE_PROG"  # set by bin/voiceguide: the path the user typed


def _same_file(a: str | None, b: str) -> bool:
    try:
        return a is not None and os.path.samefile(a, b)
    except OSError:
        return False


def command_name(
    argv0: str | None = None,
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    executable: str | None = None,
) -> str:
    """The command that runs this program, as the user can type it (shell-quoted).
    Defaults: ``sys.argv[0]``, ``os.environ``, ``shutil.which``, ``sys.executable``."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    environ = os.environ if environ is None else environ
    executable = sys.executable if executable is None else executable
    name = Path(argv0).name
    if name == "__main__.py" and Path(argv0).parent.name == "voiceguide":  # python -m voiceguide
        python = Path(executable).name
        return f"{python if _same_file(which(python), executable) else shlex.quote(executable)} -m voiceguide"
    if name != "voiceguide":  # run inside another program (a test runner, say)
        return "voiceguide"
    typed = environ.get(PROG_VARIABLE) or argv0
    if not os.path.exists(typed):  # a stale variable from elsewhere
        typed = argv0
    on_path = which("voiceguide")
    if _same_file(on_path, argv0) or _same_file(on_path, typed):
        return "voiceguide"
    return shlex.quote(typed)


def shell_word(text: str, *, quote: bool = False) -> str:
    """``text`` as one word a shell reads back unchanged: as it is when it is plain
    (``box-breathing``; with ``quote``, in double quotes anyway), in double quotes when
    nothing in it is special inside them (``"Knee to chest — left"``), else in single
    quotes (:func:`shlex.quote`)."""
    if not quote and re.fullmatch(r"[\w./@%+=:,-]+", text):
        return text
    if not re.search(r'["$`\\!]', text):
        return f'"{text}"'
    return shlex.quote(text)


def user_bin_dir() -> Path:
    """``~/.local/bin``: where pip and pipx put commands for one user."""
    return Path.home() / ".local" / "bin"


def on_path(directory: Path, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``directory`` is one of the folders of ``$PATH``."""
    path = (os.environ if environ is None else environ).get("PATH", "")
    return any(part and _same_file(part, str(directory)) for part in path.split(os.pathsep))


def installed_script() -> Path:
    """The console script of this installation: ``voiceguide`` beside the interpreter."""
    return Path(sys.executable).parent / "voiceguide"
