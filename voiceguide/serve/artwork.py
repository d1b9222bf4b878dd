"""The podcast's artwork: a square PNG of the page's icon (a ring round a warm disc on the
accent blue), as podcast directories want it: RGB without transparency, 1400–3000 px a side
(Apple Podcasts' rule; Spotify and Podcast Index ask no more), here :data:`SIZE_PX`.

Drawn with numpy (each pixel's coverage of the ring and the disc from its distance to the
centre, so the edges are anti-aliased) and written as a PNG by the standard library's zlib:
no imaging library for one picture. :func:`artwork_png` is pure; :func:`ensure_artwork`
writes the file once (atomically) and keeps it while it is whole: ``/artwork.png`` of
`voiceguide serve` and ``artwork.png`` beside ``voiceguide feed``'s ``feed.xml``.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ARTWORK_NAME = "artwork.png"
#: the artwork's side in pixels (podcast directories: 1400 to 3000)
SIZE_PX = 1400
#: the icon's colours (static/icon.svg): background, ring, disc
BACKGROUND, RING, DISC = (0x1F, 0x3B, 0x4D), (0xF6, 0xF3, 0xEE), (0xE9, 0xA2, 0x3B)
#: the icon's geometry on its 512-unit square: the ring's radius and width, the disc's radius
RING_RADIUS, RING_WIDTH, DISC_RADIUS = 150 / 512, 28 / 512, 70 / 512
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def artwork_png(size_px: int = SIZE_PX) -> bytes:
    """The artwork as PNG bytes, ``size_px`` square (8-bit RGB)."""
    import numpy as np

    half = (size_px + 1) // 2  # the picture is symmetric: one quadrant is drawn, then mirrored
    axis = np.arange(half, dtype=np.float32) - (size_px - 1) / 2  # pixels from the centre
    distance = np.hypot(axis[None, :], axis[:, None])
    ring = np.clip(RING_WIDTH * size_px / 2 + 0.5 - np.abs(distance - RING_RADIUS * size_px), 0, 1)
    disc = np.clip(DISC_RADIUS * size_px + 0.5 - distance, 0, 1)
    quadrant = np.empty((half, half, 3), dtype=np.float32)
    quadrant[:] = BACKGROUND
    for colour, cover in ((RING, ring), (DISC, disc)):
        quadrant += (np.asarray(colour, dtype=np.float32) - quadrant) * cover[:, :, None]
    top = np.concatenate([quadrant, quadrant[:, : size_px - half][:, ::-1]], axis=1)
    pixels = np.rint(np.concatenate([top, top[: size_px - half][::-1]], axis=0)).astype(np.uint8)
    rows = np.concatenate([np.zeros((size_px, 1), dtype=np.uint8), pixels.reshape(size_px, -1)], axis=1)
    header = struct.pack(">IIBBBBB", size_px, size_px, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


def png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's (width, height) from its header; None for what is not a PNG."""
    if len(data) < 24 or not data.startswith(_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def ensure_artwork(path: Path, size_px: int = SIZE_PX) -> Path:
    """``path`` holding the artwork: drawn and written atomically unless a whole PNG of that
    size is there already (the picture never changes, so it is drawn once)."""
    from ..atomic import atomic_path

    try:
        with path.open("rb") as existing:
            found = existing.read(24)
        if png_size(found) == (size_px, size_px) and path.stat().st_size > 64:
            return path
    except OSError:
        pass
    data = artwork_png(size_px)
    with atomic_path(path) as temp:
        temp.write_bytes(data)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
