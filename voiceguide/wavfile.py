"""A tiny RIFF/WAVE writer and reader for mono 16-bit PCM (the cache's and export's format)."""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_FMT_PCM = 1


def _chunk(chunk_id: bytes, payload: bytes) -> bytes:
    pad = b"\0" if len(payload) % 2 else b""
    return chunk_id + struct.pack("<I", len(payload)) + payload + pad


def _info_chunk(info: Mapping[str, str]) -> bytes:
    body = b"INFO" + b"".join(
        _chunk(key.encode("ascii")[:4].ljust(4), value.encode("utf-8") + b"\0")
        for key, value in info.items()
    )
    return _chunk(b"LIST", body)


def wav_header(
    n_samples: int,
    sample_rate: int,
    *,
    info: Mapping[str, str] | None = None,
    extra_chunks: Sequence[tuple[bytes, bytes]] = (),
) -> bytes:
    """Every byte of a mono 16-bit WAV file before its PCM data.

    Write exactly ``2 * n_samples`` bytes of little-endian int16 after it (plus one
    zero byte never, since the data size is always even).
    """
    fmt = struct.pack("<HHIIHH", _FMT_PCM, 1, sample_rate, sample_rate * 2, 2, 16)
    middle = _chunk(b"fmt ", fmt)
    if info:
        middle += _info_chunk(info)
    for chunk_id, payload in extra_chunks:
        middle += _chunk(chunk_id, payload)
    data_size = 2 * n_samples
    riff_size = 4 + len(middle) + 8 + data_size
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVE"
        + middle
        + b"data"
        + struct.pack("<I", data_size)
    )


@dataclass(frozen=True)
class WavData:
    """A parsed mono 16-bit WAV: its PCM bytes, rate, and every other chunk by id."""

    pcm: bytes
    sample_rate: int
    chunks: dict[bytes, bytes]


def read_wav(source: bytes | Path | str) -> WavData:
    """Parse a mono 16-bit PCM WAV. Raises ``ValueError`` saying what is wrong."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    chunks: dict[bytes, bytes] = {}
    position = 12
    pcm = None
    while position + 8 <= len(data):
        chunk_id = data[position : position + 4]
        (size,) = struct.unpack("<I", data[position + 4 : position + 8])
        start = position + 8
        if start + size > len(data):
            raise ValueError(
                f"chunk {chunk_id!r} is truncated: {size} bytes declared, "
                f"{len(data) - start} present"
            )
        payload = data[start : start + size]
        if chunk_id == b"data":
            pcm = payload
        else:
            chunks[chunk_id] = payload
        position = start + size + (size % 2)
    fmt = chunks.get(b"fmt ")
    if fmt is None or len(fmt) < 16:
        raise ValueError("no fmt chunk")
    audio_format, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if audio_format != _FMT_PCM or channels != 1 or bits != 16:
        raise ValueError(
            f"expected mono 16-bit PCM, got format {audio_format}, {channels} channels, {bits} bits"
        )
    if pcm is None:
        raise ValueError("no data chunk")
    if len(pcm) % 2:
        raise ValueError("odd number of PCM bytes")
    return WavData(pcm, rate, chunks)
