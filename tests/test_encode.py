"""Export: WAV written directly, compressed formats through the real ffmpeg, atomic output."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from voiceguide.errors import EncoderUnavailable, ExportError, UsageError
from voiceguide.export.encode import export_pcm, format_for
from voiceguide.export.formats import CODECS, FORMATS
from voiceguide.pcm.wavfile import read_wav

RATE = 22050


def tone_chunks(n_samples: int, chunk: int = 4096):  # type: ignore[no-untyped-def]
    """A deterministic non-silent signal, in chunks."""
    pattern = bytes((i * 37) % 256 for i in range(2 * chunk))
    left = n_samples
    while left:
        n = min(chunk, left)
        yield pattern[: 2 * n]
        left -= n


def decoded_samples(path: Path, rate: int) -> int:
    """Decode with ffmpeg (the real one) and count the samples."""
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-",
        ],
        capture_output=True,
        check=True,
    )
    return len(out.stdout) // 2


def probe_tags(path: Path) -> dict[str, str]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "format_tags:stream_tags",
            "-of",
            "default=nw=1",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    tags = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition("=")
        tags[key.split(":")[-1].lower()] = value
    return tags


def test_wav_is_exact_and_titled(tmp_path: Path) -> None:
    n = 3 * RATE + 17
    out = tmp_path / "s.wav"
    result = export_pcm(tone_chunks(n), n, RATE, out, metadata={"title": "Box breathing"})
    data = read_wav(out.read_bytes())
    assert data.sample_rate == RATE
    assert data.pcm == b"".join(tone_chunks(n))
    assert b"Box breathing" in data.chunks.get(b"LIST", b"")
    assert result.size_bytes == out.stat().st_size and result.format == "wav"
    assert probe_tags(out).get("title") == "Box breathing"


@pytest.mark.ffmpeg
@pytest.mark.parametrize("fmt", list(CODECS))
def test_compressed_formats_keep_the_length_within_one_frame(tmp_path: Path, fmt: str) -> None:
    n = 5 * RATE + 123
    out = tmp_path / f"s.{fmt}"
    export_pcm(tone_chunks(n), n, RATE, out, metadata={"title": "Knee to chest"})
    decoded = decoded_samples(out, RATE)
    frame = CODECS[fmt].frame_samples
    assert abs(decoded - n) <= frame, (decoded, n)
    assert probe_tags(out).get("title") == "Knee to chest"


def test_failure_midway_leaves_no_file_and_no_temp(tmp_path: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield bytes(1000)
        raise KeyboardInterrupt

    out = tmp_path / "s.wav"
    out_mp3 = tmp_path / "s.mp3"
    with pytest.raises(KeyboardInterrupt):
        export_pcm(broken(), 10_000, RATE, out)
    with pytest.raises(KeyboardInterrupt):
        export_pcm(broken(), 10_000, RATE, out_mp3)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_survives_a_failed_export(tmp_path: Path) -> None:
    out = tmp_path / "s.wav"
    out.write_bytes(b"previous")
    with pytest.raises(ExportError):
        export_pcm(tone_chunks(10), 20, RATE, out)  # fewer samples than promised
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["s.wav"]


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="wav, mp3"):
        format_for(Path("x.aiff"))
    assert format_for(Path("x.MP3")) == "mp3"
    assert format_for(Path("x"), "flac") == "flac"
    assert set(FORMATS) == {"wav", "mp3", "ogg", "flac", "m4a", "m4b", "opus"}


def test_a_name_of_another_format_or_none_is_a_usage_error_that_says_what_to_do() -> None:
    """A new user's `-o box.mp3 --format ogg` wrote Ogg audio named .mp3 (a phone's player
    trips on it), and `-o phone` said only "cannot export to format '(none)'"."""
    with pytest.raises(UsageError, match=r"box.mp3 is named .mp3 but --format is ogg: name it box.ogg"):
        format_for(Path("box.mp3"), "ogg")
    assert format_for(Path("box.MP3"), "mp3") == "mp3"
    assert format_for(Path("box.session"), "ogg") == "ogg"  # not a format's extension: as asked
    with pytest.raises(UsageError, match=r"phone has no extension .* \(phone.mp3; .*end it with /"):
        format_for(Path("phone"))


def test_missing_ffmpeg_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    with pytest.raises(EncoderUnavailable, match="apt-get install ffmpeg"):
        export_pcm(tone_chunks(100), 100, RATE, tmp_path / "s.mp3")
    assert not (tmp_path / "s.mp3").exists()


def test_ffmpeg_failure_is_reported_with_its_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Unknown encoder libmp3lame' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    with pytest.raises(ExportError, match="Unknown encoder libmp3lame"):
        export_pcm(tone_chunks(50_000), 50_000, RATE, tmp_path / "s.mp3")
    assert not (tmp_path / "s.mp3").exists()


def test_ffmpeg_is_found_the_way_pydub_finds_it() -> None:
    from voiceguide.audio.ffmpeg import find_ffmpeg

    assert Path(find_ffmpeg()).resolve() == Path(shutil.which("ffmpeg") or "").resolve()


def test_wav_silence_is_written_as_holes_and_reads_back_as_zeros(tmp_path: Path) -> None:
    second = 2 * RATE
    chunks = [b"\x01\x02" * RATE, bytes(60 * second), b"\x03\x04" * 1000, bytes(30 * second)]
    n = sum(len(c) for c in chunks) // 2
    out = tmp_path / "s.wav"
    export_pcm(iter(chunks), n, RATE, out)
    assert read_wav(out).pcm == b"".join(chunks)
    assert out.stat().st_size > 90 * second
    assert out.stat().st_blocks * 512 < 10 * second  # the 90 s of silence take no disk blocks


def test_an_os_error_names_the_output_not_the_temp_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(ExportError, match="afile") as err:
        export_pcm(tone_chunks(10), 10, RATE, tmp_path / "afile" / "s.wav")
    assert "partial" not in err.value.message


def test_a_stream_is_the_file_without_its_holes(tmp_path: Path) -> None:
    from voiceguide.export.encode import export_stream

    n = RATE + 5
    chunks = [bytes(4000), *tone_chunks(n - 2000)]
    export_pcm(iter(chunks), n, RATE, tmp_path / "s.wav")
    read_end, write_end = os.pipe()
    with open(read_end, "rb") as reader:
        export_stream(iter(chunks), n, RATE, write_end, "wav")
        os.close(write_end)
        streamed = reader.read()
    assert streamed == (tmp_path / "s.wav").read_bytes()
    with pytest.raises(UsageError, match="seekable"):
        export_stream(iter(chunks), n, RATE, 1, "m4a")
