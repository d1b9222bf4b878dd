"""Three small outputs (issue 25 item 16): `show` merges rests that follow each other,
`voices` prints aligned columns, and the bed's loudness line adds up."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from voiceguide.cli.misc import aligned
from voiceguide.cli.mixing import loudness_line

from .helpers.run import Runner

RESTS = """\
title: Rests
steps:
  - name: Tilts
    repeat: 2
    rest: 2s
    steps:
      - {say: Tilt., hold: 2s, rest: 3s}
  - {name: End, say: Done., hold: 1s}
"""


def test_show_merges_rests_that_follow_each_other(vg_in_process: Runner, tmp_path: Path) -> None:
    (tmp_path / "rests.yaml").write_text(RESTS)
    shown = vg_in_process("show", "rests.yaml")
    assert shown.returncode == 0, shown.stderr
    phases = re.findall(r"  (hold|rest) (\S+)$", shown.stdout, re.M)
    # round 1: the step's 3 s and the 2 s between rounds, one rest; round 2: its own 3 s
    assert phases[:4] == [("hold", "2s"), ("rest", "5s"), ("hold", "2s"), ("rest", "3s")], shown.stdout
    document = json.loads(vg_in_process("show", "rests.yaml", "--json").stdout)
    assert [p["kind"] for p in document["phases"][:3]] == ["hold", "rest", "rest"]  # the data: unchanged


def test_columns_are_as_wide_as_their_widest_cell() -> None:
    rows = [
        ("piper", "en_US-joe", "Joe", "en-us"),
        ("espeak-ng", "sit/cmn", "Chinese (Mandarin, long)", "cmn"),
    ]
    lines = aligned(rows)
    assert lines == [
        "piper      en_US-joe  Joe                       en-us",
        "espeak-ng  sit/cmn    Chinese (Mandarin, long)  cmn",
    ]
    assert aligned([]) == []


@pytest.mark.espeak
def test_voices_prints_aligned_columns(vg_in_process: Runner) -> None:
    result = vg_in_process("voices", engine="espeak-ng")
    listed = json.loads(vg_in_process("voices", "--json", engine="espeak-ng").stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == len(listed) > 10
    starts = set()
    for line, voice in zip(lines, listed, strict=True):
        at = line.index(voice["id"], len(voice["engine"]))
        starts.add((at, line.index(voice["name"], at + len(voice["id"]))))
    assert len(starts) == 1, starts  # each column begins at one place on every line


@pytest.mark.parametrize(
    ("before", "gain", "after"),
    [(-16.7, 1.4, -16.0), (-16.66, 1.44, -15.98), (-20.04, 4.04, -16.0), (-17.25, 1.25, -16.04)],
)
def test_the_loudness_line_adds_up(before: float, gain: float, after: float) -> None:
    line = loudness_line(before, gain, after)
    numbers = [float(n) for n in re.findall(r"[-+]?\d+\.\d", line)]
    assert numbers[-1] == round(after, 1)
    assert round(sum(numbers[:-1]), 1) == numbers[-1], line  # before + gain (+ limiter) = after
    assert "peak limiter" in line or len(numbers) == 3


def test_the_issue_s_line_now_says_what_the_limiter_took() -> None:
    assert loudness_line(-16.7, 1.4, -16.0) == (
        "loudness -16.7 LUFS, gain +1.4 dB, peak limiter -0.7 dB → ≈-16.0 LUFS"
    )
    assert loudness_line(float("-inf"), 0.0, float("-inf")) == "loudness -inf LUFS: nothing to level"


@pytest.mark.slow
@pytest.mark.ffmpeg
def test_an_export_over_a_bed_prints_a_line_that_adds_up(vg_in_process: Runner, tmp_path: Path) -> None:
    (tmp_path / "rests.yaml").write_text(RESTS)
    result = vg_in_process("export", "rests.yaml", "-o", "r.wav", "--background", "brown-noise")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("loudness "))
    numbers = [float(n) for n in re.findall(r"[-+]?\d+\.\d", line)]
    assert round(sum(numbers[:-1]), 1) == numbers[-1], line
