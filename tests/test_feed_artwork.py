"""The podcast's artwork (issue 25 item 4): a square PNG within podcast directories' rules
(1400–3000 px, RGB without transparency), drawn once and written atomically, referenced by
the feed's ``<image>`` and ``<itunes:image>`` and served at ``/artwork.png``. The feed
command's file next to feed.xml is checked in tests/test_feed.py."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from voiceguide.serve.artwork import (
    BACKGROUND,
    DISC,
    RING,
    RING_RADIUS,
    artwork_png,
    ensure_artwork,
    png_size,
)
from voiceguide.serve.feed import ITUNES, feed_xml

from .helpers.serving import make_client, serve_folder


def decoded(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, colour type, the filtered rows) of a PNG, its chunks' CRCs checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, dict[bytes, bytes]()
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and interlace == 0 and b"IEND" in chunks
    return width, height, colour, zlib.decompress(chunks[b"IDAT"])


def pixel(rows: bytes, width: int, x: int, y: int) -> tuple[int, ...]:
    start = y * (1 + 3 * width) + 1 + 3 * x
    assert rows[y * (1 + 3 * width)] == 0  # filter "none" on every row
    return tuple(rows[start : start + 3])


def test_the_artwork_is_a_square_rgb_png_podcast_directories_accept() -> None:
    data = artwork_png()
    width, height, colour, rows = decoded(data)
    assert width == height and 1400 <= width <= 3000
    assert colour == 2  # RGB: no alpha channel (Apple refuses transparency)
    assert len(rows) == height * (1 + 3 * width)
    assert pixel(rows, width, 0, 0) == BACKGROUND
    assert pixel(rows, width, width // 2, height // 2) == DISC
    assert pixel(rows, width, width // 2 + round(RING_RADIUS * width), height // 2) == RING
    edge = pixel(rows, width, width // 2 + round(RING_RADIUS * width) + 60, height // 2)
    assert edge == BACKGROUND and len(data) < 500_000
    assert png_size(data) == (width, height) and png_size(b"GIF89a" + bytes(30)) is None


def test_the_artwork_is_drawn_once_and_replaced_when_broken(tmp_path: Path) -> None:
    path = ensure_artwork(tmp_path / "art" / "artwork.png", size_px=64)
    assert png_size(path.read_bytes()) == (64, 64)
    stamp = path.stat().st_mtime_ns
    ensure_artwork(path, size_px=64)
    assert path.stat().st_mtime_ns == stamp  # kept, not drawn again
    path.write_bytes(path.read_bytes()[:30])  # cut short, as by a full disk long ago
    ensure_artwork(path, size_px=64)
    assert decoded(path.read_bytes())[:2] == (64, 64)
    assert [p.name for p in path.parent.iterdir()] == ["artwork.png"]  # no temporary file left


def test_feed_xml_names_the_artwork_in_image_and_itunes_image() -> None:
    channel = ET.fromstring(
        feed_xml(
            [], link="https://x/", self_url="https://x/feed.xml", image_url="https://x/artwork.png?token=a&b"
        )
    ).find("channel")
    assert channel is not None
    assert channel.findtext("image/url") == "https://x/artwork.png?token=a&b"
    assert channel.findtext("image/link") == "https://x/" and channel.findtext("image/title")
    assert channel.find(f"{{{ITUNES}}}image").get("href") == "https://x/artwork.png?token=a&b"  # type: ignore[union-attr]
    plain = ET.fromstring(feed_xml([], link="https://x/", self_url="https://x/feed.xml")).find("channel")
    assert plain is not None and plain.find("image") is None


def test_the_server_feed_links_the_artwork_it_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = serve_folder(tmp_path, monkeypatch)
    with make_client(env) as client:  # a token: a podcast app sends it in each URL
        channel = ET.fromstring(client.get("/feed.xml?token=test-token-123").content).find("channel")
        assert channel is not None
        url = channel.find(f"{{{ITUNES}}}image").get("href", "")  # type: ignore[union-attr]
        assert channel.findtext("image/url") == url
        parts = urlsplit(url)
        assert parts.path == "/artwork.png" and parts.query == "token=test-token-123"
        client.cookies.clear()  # the first ?token= set the page's cookie; a podcast app has none
        assert client.get("/artwork.png").status_code == 401
        answer = client.get(f"{parts.path}?{parts.query}")
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        width, height, _, _ = decoded(answer.content)
        assert width == height and 1400 <= width <= 3000
        again = client.get(f"{parts.path}?{parts.query}")
        assert again.content == answer.content
