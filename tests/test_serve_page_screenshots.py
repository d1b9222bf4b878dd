"""docs/screenshots/ holds every screen of the page that tests/helpers/screens.py reaches (the
ones the accessibility test checks), light and dark, and with reduced motion for a screen that
moves, each as tools/screenshots.py writes it: a 390×844 phone screen at twice the density
(issue 25's proof). A screen added to the walk without its pictures fails here; remake them
with ``.venv/bin/python tools/screenshots.py``."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from .helpers.browser import PHONE
from .helpers.screens import SCREENS

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height in pixels (its IHDR chunk); fails on a file that is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def expected_names() -> set[str]:
    names = set()
    for screen in SCREENS:
        names |= {f"{screen.name}.png", f"{screen.name}-dark.png"}
        if screen.motion:
            names.add(f"{screen.name}-reduced-motion.png")
    return names


def test_every_screen_is_pictured_light_dark_and_with_reduced_motion() -> None:
    present = {path.name for path in FOLDER.glob("*.png")}
    assert expected_names() - present == set(), "run tools/screenshots.py"
    assert present - expected_names() == set(), "a picture of no screen the walk reaches"


def test_the_pictures_are_phone_screens_at_twice_the_density() -> None:
    scale = PHONE["device_scale_factor"]
    phone = (PHONE["viewport"]["width"] * scale, PHONE["viewport"]["height"] * scale)
    for name in sorted(expected_names()):
        assert png_size(FOLDER / name) == phone, name


def test_png_size_reads_the_header(tmp_path: Path) -> None:
    picture = tmp_path / "x.png"
    picture.write_bytes(
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + struct.pack(">II", 7, 3) + b"\x08\x02"
    )
    assert png_size(picture) == (7, 3)
    picture.write_bytes(b"GIF89a" + bytes(30))
    with pytest.raises(AssertionError, match="not a PNG"):
        png_size(picture)
