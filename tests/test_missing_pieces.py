"""Missing outside pieces (ffmpeg, espeak-ng's data) through the real console script: one
clear line that says what to install, nothing raw from pydub or espeak-ng.

ffmpeg is hidden by a PATH holding only a directory of symlinks to this venv's python
and voiceguide (nothing is uninstalled)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .helpers.run import VOICEGUIDE, Runner

ROUTINE = """\
title: Short
steps:
  - name: Reach
    say: Reach up slowly.
    hold: 2s
    chime: true
    rest: 1s
"""


@pytest.fixture
def no_ffmpeg(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH finds python and voiceguide, and no ffmpeg."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "voiceguide").symlink_to(VOICEGUIDE)
    (tmp_path / "r.yaml").write_text(ROUTINE, encoding="utf-8")
    return {"PATH": str(bin_dir)}


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_without_ffmpeg_commands_that_need_none_print_no_warning(
    vg: Runner, tmp_path: Path, no_ffmpeg: dict[str, str]
) -> None:
    for args in (
        ["export", "r.yaml", "-o", "out.wav"],
        ["show", "r.yaml"],
        ["validate", "r.yaml"],
        ["export", "r.yaml", "-o", "out.wav", "--loudness", "off"],
    ):
        result = vg(*args, env=no_ffmpeg)
        assert result.returncode == 0, (args, result.stderr)
        assert "Couldn't find ffmpeg" not in result.stderr + result.stdout, args
        assert "Warning" not in result.stderr, (args, result.stderr)
    assert (tmp_path / "out.wav").stat().st_size > 44


def test_without_ffmpeg_a_compressed_export_says_what_to_install(
    vg: Runner, tmp_path: Path, no_ffmpeg: dict[str, str]
) -> None:
    result = vg("export", "r.yaml", "-o", "out.mp3", env=no_ffmpeg)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "ffmpeg is not installed" in line and "apt-get install ffmpeg" in line
    assert ".wav" in line  # the way around it
    assert not (tmp_path / "out.mp3").exists()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--background", "brown-noise"], "--background"),
        (["--background", "brown-noise", "--loudness", "off"], "--background"),
    ],
)
def test_without_ffmpeg_a_wav_with_a_background_or_loudness_names_what_needs_it(
    vg: Runner, tmp_path: Path, no_ffmpeg: dict[str, str], options: list[str], named: str
) -> None:
    result = vg("export", "r.yaml", "-o", "out.wav", *options, env=no_ffmpeg)
    assert result.returncode == 1, result.stderr
    line = one_line(result.stderr)
    assert "ffmpeg is not installed" in line and "apt-get install ffmpeg" in line
    assert named in line, line
    assert "needs nothing" not in line
    assert not (tmp_path / "out.wav").exists()


@pytest.mark.parametrize("loudness", ["-16", "-23", "off"])
def test_without_ffmpeg_a_wav_is_still_levelled_to_any_loudness(
    vg: Runner, tmp_path: Path, no_ffmpeg: dict[str, str], loudness: str
) -> None:
    """Clips are levelled in numpy as they enter the cache: no ffmpeg measuring pass."""
    result = vg("export", "r.yaml", "-o", "out.wav", "--loudness", loudness, env=no_ffmpeg)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.wav").exists()


@pytest.mark.espeak
def test_missing_espeak_data_says_what_to_install(vg: Runner, tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(ROUTINE, encoding="utf-8")
    empty = tmp_path / "no-espeak-data"
    empty.mkdir()
    for args in (["show", "r.yaml"], ["voices"], ["export", "r.yaml", "-o", "out.wav"]):
        result = vg(*args, engine="espeak-ng", env={"ESPEAK_DATA_PATH": str(empty)})
        assert result.returncode == 1, (args, result.returncode, result.stderr)
        line = one_line(result.stderr)
        assert "espeak-ng" in line and "data" in line, line
        assert "apt-get install" in line and "espeak-ng-data" in line, line
        assert "Error processing file" not in result.stderr + result.stdout
    assert not (tmp_path / "out.wav").exists()
