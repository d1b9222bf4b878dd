"""The RIFF/WAVE writer and reader, checked against the standard library's ``wave``."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceguide.pcm.wavfile import read_wav, wav_header


def pcm_of(n: int) -> bytes:
    """``n`` distinct-looking int16 samples."""
    return b"".join(struct.pack("<h", (i * 7919) % 65536 - 32768) for i in range(n))


def wav_bytes(n: int = 100, rate: int = 22050, **kwargs: object) -> bytes:
    return wav_header(n, rate, **kwargs) + pcm_of(n)  # type: ignore[arg-type]


def stdlib_wav(channels: int = 1, width: int = 2, rate: int = 22050, frames: bytes = b"\0\0" * 10) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def test_header_then_pcm_is_a_wav_the_standard_library_reads() -> None:
    data = wav_bytes(1001, 16000, info={"INAM": "Box breathing", "ISFT": "voiceguide"})
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 16000, 1001)
        assert w.readframes(1001) == pcm_of(1001)
    (riff_size,) = struct.unpack("<I", data[4:8])
    assert riff_size == len(data) - 8
    header = wav_header(1001, 16000, info={"INAM": "Box breathing", "ISFT": "voiceguide"})
    assert header.endswith(b"data" + struct.pack("<I", 2002))  # PCM streams right after it


def test_reads_what_the_standard_library_writes() -> None:
    wav = read_wav(stdlib_wav(rate=44100, frames=pcm_of(50)))
    assert (wav.pcm, wav.sample_rate) == (pcm_of(50), 44100)
    assert set(wav.chunks) == {b"fmt "}


def test_info_and_extra_chunks_round_trip_with_padding() -> None:
    info = {"INAM": "Knee to chest", "IART": "voiceguide", "ICMT": "odd", "ISFT": "é"}
    extra = [(b"vgmd", b'{"a": 1}'), (b"odd ", b"abc")]  # 8 and 3 bytes: the second is padded
    data = wav_bytes(7, info=info, extra_chunks=extra)
    assert len(data) % 2 == 0
    wav = read_wav(data)
    assert wav.pcm == pcm_of(7)
    assert wav.info == info
    assert wav.chunks[b"vgmd"] == b'{"a": 1}' and wav.chunks[b"odd "] == b"abc"
    with wave.open(io.BytesIO(data)) as w:  # the padding keeps every chunk aligned
        assert w.readframes(7) == pcm_of(7)


def test_path_and_file_object_sources(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(wav_bytes(20))
    with path.open("rb") as f:
        from_file = read_wav(f)
    assert read_wav(path) == read_wav(str(path)) == from_file == read_wav(bytearray(path.read_bytes()))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"info": {"TITLE": "x"}}, "4 printable ASCII"),
        ({"extra_chunks": [(b"abc", b"")]}, "4 printable ASCII"),
        ({"extra_chunks": [(b"data", b"")]}, "cannot be an extra chunk"),
        ({"extra_chunks": [(b"LIST", b"")]}, "cannot be an extra chunk"),
    ],
)
def test_bad_chunk_ids_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wav_header(10, 22050, **arguments)  # type: ignore[arg-type]


def test_sizes_beyond_riff_are_refused() -> None:
    wav_header(2_000_000_000, 22050)  # 4 GB of PCM still fits
    with pytest.raises(ValueError, match="4 GiB"):
        wav_header(2_200_000_000, 22050)
    with pytest.raises(ValueError):
        wav_header(-1, 22050)


def test_every_truncation_is_an_error() -> None:
    data = wav_bytes(30, info={"INAM": "x"}, extra_chunks=[(b"vgmd", b"{}")])
    for cut in range(len(data)):
        with pytest.raises(ValueError):
            read_wav(data[:cut])


def test_data_shorter_than_declared_says_so() -> None:
    data = bytearray(wav_bytes(30))
    del data[-10:]
    data[4:8] = struct.pack("<I", len(data) - 8)  # a consistent RIFF size: only data is short
    with pytest.raises(ValueError, match=r"truncated: chunk b'data' declares 60 bytes, 50 present"):
        read_wav(bytes(data))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a RIFF/WAVE"),
        (b"RIFX" + bytes(40), "not a RIFF/WAVE"),
        (stdlib_wav(channels=2, frames=bytes(40)), "mono 16-bit"),
        (stdlib_wav(width=1, frames=bytes(40)), "mono 16-bit"),
        (stdlib_wav(width=3, frames=bytes(42)), "mono 16-bit"),
        (b"RIFF" + struct.pack("<I", 4) + b"WAVE", "no fmt chunk"),
    ],
)
def test_malformed_files_say_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_wav(data)


def test_missing_data_chunk_and_odd_data() -> None:
    header = wav_header(0, 22050)
    no_data = header[:-8]
    no_data = b"RIFF" + struct.pack("<I", len(no_data) - 8) + no_data[8:]
    with pytest.raises(ValueError, match="no data chunk"):
        read_wav(no_data)
    odd = header[:-4] + struct.pack("<I", 3) + b"abc\0"
    odd = b"RIFF" + struct.pack("<I", len(odd) - 8) + odd[8:]
    with pytest.raises(ValueError, match="odd size"):
        read_wav(odd)


def test_bytes_after_the_riff_chunk_are_ignored() -> None:
    assert read_wav(wav_bytes(5) + b"junk").pcm == pcm_of(5)


@settings(max_examples=60, deadline=None)
@given(
    st.binary(max_size=400).map(lambda b: b[: len(b) // 2 * 2]),
    st.integers(1, 192_000),
    st.dictionaries(
        st.sampled_from(["INAM", "IART", "ICMT", "ISFT"]),
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0"), max_size=20),
    ),
    st.lists(st.tuples(st.sampled_from([b"vgmd", b"abcd", b"xyz "]), st.binary(max_size=20)), max_size=3),
)
def test_round_trip(pcm: bytes, rate: int, info: dict[str, str], extra: list[tuple[bytes, bytes]]) -> None:
    wav = read_wav(wav_header(len(pcm) // 2, rate, info=info, extra_chunks=extra) + pcm)
    assert (wav.pcm, wav.sample_rate) == (pcm, rate)
    assert wav.info == info
    for chunk_id, payload in dict(extra).items():
        assert wav.chunks[chunk_id] == payload
