"""The wheel carries the bundled routines, so `voiceguide list` works when installed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .helpers.run import REPO


@pytest.mark.slow
def test_the_wheel_ships_the_bundled_routines(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("voiceguide-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for routine in ("lower-back-massage", "lower-back-stretch", "box-breathing", "4-7-8-breathing"):
        assert f"voiceguide/scripts/{routine}.yaml" in names
    assert "voiceguide/cli/app.py" in names and "voiceguide/speech/espeak.py" in names
    for page_file in (
        "index.html",
        "app.js",
        "player.js",
        "style.css",
        "sw.js",
        "manifest.webmanifest",
        "icon.svg",
        "icon-192.png",
        "icon-512.png",
    ):  # `voiceguide serve`'s page
        assert f"voiceguide/serve/static/{page_file}" in names
