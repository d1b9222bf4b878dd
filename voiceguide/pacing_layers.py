"""The pacing layers above a routine, as every front end (the command line, ``serve``)
builds them: the values asked for, a ``--pacing`` file, and the user's own pacing file
(``pacing.yaml`` in the config directory), highest first. The files are read here (through
the loader); how the layers combine with the routine and its preset is
:func:`voiceguide.timing.pacing.resolve_pacing`, which is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Diagnostic, Position, RoutineError, UsageError

if TYPE_CHECKING:
    from .timing.pacing import Layer

USER_PACING_FILE = "pacing.yaml"


def user_pacing_file() -> Path:
    """The user's own pacing file: ``pacing.yaml`` in the config directory
    (:func:`voiceguide.userdirs.config_dir`; ``~/.config/voiceguide/pacing.yaml`` on Linux)."""
    from .userdirs import config_dir

    return config_dir() / USER_PACING_FILE


def pacing_layers(
    values: Mapping[str, object], pacing_file: Path | None, source: str = "command line"
) -> tuple[Layer, ...]:
    """The layers above the routine, highest first: ``values`` (pacing keys, already checked
    and converted as :data:`~voiceguide.routine.pacing_settings.SETTINGS` says; named
    ``source`` where `voiceguide pacing` credits them), the ``--pacing`` file, the user's
    pacing file (when it exists)."""
    from .routine.loader import load_pacing_file
    from .routine.pacing_settings import pacing_values
    from .timing.pacing import Layer

    layers = [Layer(source, pacing_values(values))]
    if pacing_file is not None:
        layers.append(Layer(f"pacing file {pacing_file}", load_pacing_file(pacing_file)))
    user_file = user_pacing_file()
    if user_file.exists():  # whatever it is: a FIFO or directory there is reported, not skipped
        try:
            user_values = load_pacing_file(user_file)
        except RoutineError as exc:
            raise RoutineError([*exc.diagnostics, _user_file_hint(user_file)]) from None
        except UsageError as exc:
            raise UsageError(f"{exc.message}\n{_user_file_hint(user_file)}") from None
        layers.append(Layer(f"user pacing file {user_file}", user_values))
    return tuple(layers)


def _user_file_hint(user_file: Path) -> Diagnostic:
    """Says that a broken user pacing file stops every command, and how to get past it."""
    return Diagnostic(
        Position(str(user_file), 1, 1),
        "this is your own pacing file, which every command reads: fix it or delete it, or "
        "set VOICEGUIDE_CONFIG_DIR to another folder to run without it",
    )
