"""A tiny RIFF/WAVE writer and reader for mono 16-bit PCM (the cache's and export's format).

The writer produces the whole header up front, so a caller can stream the PCM after it
without seeking back (sizes must be known in advance). The reader is strict: anything
malformed or truncated is a ``ValueError`` that says what is wrong.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO

_PCM = 0x0001
_EXTENSIBLE = 0xFFFE
_PCM_SUBFORMAT = bytes.fromhex("0100000000001000800000aa00389b71")  # KSDATAFORMAT_SUBTYPE_PCM
_MAX_RIFF_SIZE = 0xFFFF_FFFF
_RESERVED = {b"RIFF", b"fmt ", b"data", b"LIST"}

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO


def _chunk(chunk_id: bytes, payload: bytes) -> bytes:
    """``id``, little-endian size, payload, and a pad byte if the size is odd."""
    pad = b"\0" if len(payload) % 2 else b""
    return chunk_id + struct.pack("<I", len(payload)) + payload + pad


def _check_id(chunk_id: bytes) -> None:
    if len(chunk_id) != 4 or not all(32 <= b < 127 for b in chunk_id):
        raise ValueError(f"a chunk id is 4 printable ASCII bytes, not {chunk_id!r}")


def _info_chunk(info: Mapping[str, str]) -> bytes:
    """A ``LIST``/``INFO`` chunk: each value UTF-8, NUL-terminated, padded to even."""
    body = b"INFO"
    for key, value in info.items():
        chunk_id = key.encode("ascii", errors="replace")
        _check_id(chunk_id)
        body += _chunk(chunk_id, value.encode("utf-8") + b"\0")
    return _chunk(b"LIST", body)


def wav_header(
    n_samples: int,
    sample_rate: int,
    *,
    info: Mapping[str, str] | None = None,
    extra_chunks: Sequence[tuple[bytes, bytes]] = (),
) -> bytes:
    """Every byte of a mono 16-bit PCM WAV file up to and including the ``data`` chunk header.

    Write exactly ``2 * n_samples`` bytes of little-endian int16 after it (never a pad
    byte: the size is even). ``sample_rate`` in Hz. ``info``: RIFF INFO tags such as
    ``INAM`` (title), ``IART``, ``ICMT``, ``ISFT``. ``extra_chunks``: (4-byte id, payload)
    pairs, written before ``data``. Raises ``ValueError`` for a bad id or a file that
    would exceed RIFF's 4 GiB limit.
    """
    if n_samples < 0 or sample_rate <= 0:
        raise ValueError(f"bad WAV size: {n_samples} samples at {sample_rate} Hz")
    fmt = struct.pack("<HHIIHH", _PCM, 1, sample_rate, sample_rate * 2, 2, 16)
    middle = _chunk(b"fmt ", fmt)
    if info:
        middle += _info_chunk(info)
    for chunk_id, payload in extra_chunks:
        _check_id(chunk_id)
        if chunk_id in _RESERVED:
            raise ValueError(f"{chunk_id!r} cannot be an extra chunk")
        middle += _chunk(chunk_id, payload)
    data_size = 2 * n_samples
    riff_size = 4 + len(middle) + 8 + data_size
    if riff_size > _MAX_RIFF_SIZE:
        raise ValueError(f"{n_samples} samples do not fit in a WAV file (4 GiB at most)")
    return b"RIFF" + struct.pack("<I", riff_size) + b"WAVE" + middle + b"data" + struct.pack("<I", data_size)


@dataclass(frozen=True)
class WavData:
    """A parsed mono 16-bit WAV: little-endian int16 ``pcm``, ``sample_rate`` in Hz, and
    every other chunk's payload by id (``b"fmt "``, ``b"LIST"``, …; the last one wins)."""

    pcm: bytes
    sample_rate: int
    chunks: dict[bytes, bytes]

    @property
    def info(self) -> dict[str, str]:
        """The ``LIST``/``INFO`` tags, e.g. ``{"INAM": "Box breathing"}`` (empty if none)."""
        return _parse_info(self.chunks.get(b"LIST", b""))


def _read_source(source: Source) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return f.read()
    return source.read()


def read_wav(source: Source) -> WavData:
    """Parse a mono 16-bit PCM WAV from bytes, a path or a binary file object.

    Raises ``ValueError`` naming the problem: not RIFF/WAVE, a chunk or the data shorter
    than declared, no ``fmt`` or ``data`` chunk, or audio that is not mono 16-bit PCM.
    """
    data = _read_source(source)
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    (riff_size,) = struct.unpack("<I", data[4:8])
    if 8 + riff_size > len(data):
        raise ValueError(f"truncated: the RIFF header declares {8 + riff_size} bytes, {len(data)} present")
    end = 8 + riff_size  # bytes after the RIFF chunk are not part of the file
    chunks: dict[bytes, bytes] = {}
    pcm: bytes | None = None
    position = 12
    while position + 8 <= end:
        chunk_id = data[position : position + 4]
        (size,) = struct.unpack("<I", data[position + 4 : position + 8])
        start = position + 8
        if start + size > end:
            raise ValueError(f"truncated: chunk {chunk_id!r} declares {size} bytes, {end - start} present")
        if chunk_id == b"data":
            pcm = data[start : start + size]
        else:
            chunks[chunk_id] = data[start : start + size]
        position = start + size + size % 2
    rate = _check_format(chunks.get(b"fmt "))
    if pcm is None:
        raise ValueError("no data chunk")
    if len(pcm) % 2:
        raise ValueError(f"the data chunk has an odd size ({len(pcm)} bytes) for 16-bit samples")
    return WavData(pcm, rate, chunks)


def _check_format(fmt: bytes | None) -> int:
    """The sample rate from a ``fmt `` chunk that must describe mono 16-bit PCM."""
    if fmt is None or len(fmt) < 16:
        raise ValueError("no fmt chunk")
    audio_format, channels, rate, byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if audio_format == _EXTENSIBLE and len(fmt) >= 40 and fmt[24:40] == _PCM_SUBFORMAT:
        audio_format = _PCM
    if audio_format != _PCM or channels != 1 or bits != 16 or block_align != 2:
        raise ValueError(
            f"expected mono 16-bit PCM, got format 0x{audio_format:04x}, {channels} channel(s), {bits} bits"
        )
    if rate == 0 or byte_rate != 2 * rate:
        raise ValueError(f"inconsistent fmt chunk: {rate} Hz but {byte_rate} bytes/s")
    return int(rate)


def _parse_info(payload: bytes) -> dict[str, str]:
    if payload[:4] != b"INFO":
        return {}
    tags: dict[str, str] = {}
    position = 4
    while position + 8 <= len(payload):
        chunk_id = payload[position : position + 4]
        (size,) = struct.unpack("<I", payload[position + 4 : position + 8])
        value = payload[position + 8 : position + 8 + size]
        tags[chunk_id.decode("ascii", errors="replace")] = value.rstrip(b"\0").decode(
            "utf-8", errors="replace"
        )
        position += 8 + size + size % 2
    return tags
