"""What hosts and players look for in a file: the sample rate asked for, a bitrate floor for
mp3, and an m4b that says it is an audiobook (read back with ffprobe)."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import pytest

from .helpers.routines import YAML_ROUTINE
from .helpers.run import Runner


def probe(path: Path) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def export(vg_in_process: Runner, tmp_path: Path, name: str, *options: str) -> Path:
    """``name`` exported from a routine of a few seconds (what is read back does not depend
    on the length; a bundled routine took 15 s to encode twice as m4a)."""
    routine = tmp_path / "tiny.yaml"
    routine.write_text(YAML_ROUTINE)
    out = tmp_path / name
    result = vg_in_process("export", str(routine), "-o", str(out), "-q", *options)
    assert result.returncode == 0, result.stderr
    return out


def test_m4b_carries_the_audiobook_brand_and_m4a_does_not(vg_in_process: Runner, tmp_path: Path) -> None:
    book = probe(export(vg_in_process, tmp_path, "s.m4b"))["format"]["tags"]
    music = probe(export(vg_in_process, tmp_path, "s.m4a"))["format"]["tags"]
    assert book["major_brand"].strip() == "M4B"
    assert music["major_brand"].strip() == "M4A"


def test_mp3_is_at_least_64_kbps(vg_in_process: Runner, tmp_path: Path) -> None:
    stream = probe(export(vg_in_process, tmp_path, "s.mp3"))["streams"][0]
    assert int(stream["bit_rate"]) >= 64000


@pytest.mark.parametrize("rate", ["44100", "48000", "16000"])
def test_a_wav_at_another_rate_keeps_every_time_exactly(
    vg_in_process: Runner, tmp_path: Path, rate: str
) -> None:
    native = export(vg_in_process, tmp_path, "native.wav")
    other = export(vg_in_process, tmp_path, f"at{rate}.wav", "--sample-rate", rate)
    with wave.open(str(native)) as a, wave.open(str(other)) as b:
        assert b.getframerate() == int(rate)
        # the same length in time, to the sample of the new rate
        assert b.getnframes() == a.getnframes() * int(rate) // a.getframerate()


@pytest.mark.parametrize(
    ("fmt", "rate", "expected"),
    [("mp3", "44100", 44100), ("m4a", "48000", 48000), ("ogg", "44100", 44100), ("opus", "44100", 48000)],
)
def test_compressed_formats_take_the_rate(
    vg_in_process: Runner, tmp_path: Path, fmt: str, rate: str, expected: int
) -> None:
    stream = probe(export(vg_in_process, tmp_path, f"s.{fmt}", "--sample-rate", rate))["streams"][0]
    assert int(stream["sample_rate"]) == expected


def test_the_default_rate_is_the_engines(vg_in_process: Runner, tmp_path: Path) -> None:
    with wave.open(str(export(vg_in_process, tmp_path, "s.wav"))) as w:
        assert w.getframerate() == 22050
    assert int(probe(export(vg_in_process, tmp_path, "s.mp3"))["streams"][0]["sample_rate"]) == 22050


def test_ogg_is_written_at_44100_at_least(vg_in_process: Runner, tmp_path: Path) -> None:
    """vorbis's 22 kHz modes overshoot true peaks by about 2 dB."""
    assert int(probe(export(vg_in_process, tmp_path, "s.ogg"))["streams"][0]["sample_rate"]) == 44100
    stream = probe(export(vg_in_process, tmp_path, "t.ogg", "--sample-rate", "22050"))["streams"][0]
    assert int(stream["sample_rate"]) == 22050  # asked for


@pytest.mark.parametrize("rate", ["44101", "0", "-1", "44.1k", "nan"])
def test_an_unsupported_rate_is_a_usage_error(vg_in_process: Runner, tmp_path: Path, rate: str) -> None:
    result = vg_in_process("export", "desk-break", "-o", str(tmp_path / "x.wav"), "--sample-rate", rate)
    assert result.returncode == 2
    assert "44100" in result.stderr and "Traceback" not in result.stderr
