"""The user's own folders: the config directory (pacing file, routines, the local CA of
``serve --https``), the data directory (play history) and the cache directory (speech,
the library's index, rendered sessions).

``$VOICEGUIDE_CONFIG_DIR``, ``$VOICEGUIDE_DATA_DIR`` and ``$VOICEGUIDE_CACHE_DIR`` choose
them (tests, and a user who wants a second setup); else platformdirs' per-user folders
(``~/.config/voiceguide``, ``~/.local/share/voiceguide`` and ``~/.cache/voiceguide`` on
Linux; the cache is ``audio_cache/`` in a checkout). Nothing is created here.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_DIR_VARIABLE = "VOICEGUIDE_CONFIG_DIR"
DATA_DIR_VARIABLE = "VOICEGUIDE_DATA_DIR"
CACHE_DIR_VARIABLE = "VOICEGUIDE_CACHE_DIR"
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


def default_cache_dir(explicit: Path | None = None) -> Path:
    """``explicit`` > ``$VOICEGUIDE_CACHE_DIR`` > ``audio_cache/`` of the checkout this
    package runs from (if it has one) > the user cache directory."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(CACHE_DIR_VARIABLE)
    if env:
        return Path(env).expanduser()
    checkout = Path(__file__).resolve().parents[1]  # voiceguide/userdirs.py
    if (checkout / "audio_cache").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout / "audio_cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME))
