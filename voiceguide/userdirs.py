"""The user's own folders: the config directory (pacing file, routines, the local CA of
``serve --https``) and the data directory (play history).

``$VOICEGUIDE_CONFIG_DIR`` and ``$VOICEGUIDE_DATA_DIR`` choose them (tests, and a user who
wants a second setup); else platformdirs' per-user folders (``~/.config/voiceguide`` and
``~/.local/share/voiceguide`` on Linux). Nothing is created here.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_DIR_VARIABLE = "VOICEGUIDE_CONFIG_DIR"
DATA_DIR_VARIABLE = "VOICEGUIDE_DATA_DIR"
APP_NAME = "voiceguide"


def config_dir() -> Path:
    """``$VOICEGUIDE_CONFIG_DIR``, else the per-user config directory."""
    configured = os.environ.get(CONFIG_DIR_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    import platformdirs  # on use: it costs more than --help

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """``$VOICEGUIDE_DATA_DIR``, else the per-user data directory."""
    configured = os.environ.get(DATA_DIR_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))
