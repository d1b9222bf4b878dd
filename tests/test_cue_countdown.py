"""A cue running into a hold's countdown, with the real espeak-ng: the hold keeps its exact
length in the timeline and in the exported samples, the numbers the cue covers are left out
(never said late), and the warning's suggested ``at:`` makes the routine clean."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from voiceguide.pcm.clip import ms_to_samples
from voiceguide.pcm.wavfile import read_wav

from .helpers.run import Runner

pytestmark = [pytest.mark.espeak]

CUE = "Keep breathing slowly and let your shoulders soften into the floor."
CLASH = f"""\
title: Clash
steps:
  - name: Long hold
    say: Lie on your back.
    hold: 20s
    cues:
      - {{at: 15s, say: {CUE}}}
    countdown: 3
    rest: 5s
    chime: true
  - name: Next
    say: Well done.
"""


def numbers_and_chime(doc: Any) -> tuple[dict[str, int], int, tuple[int, int]]:
    """From ``show --json``: the countdown numbers said (text → start ms), the chime's start
    and the hold's start and end (ms)."""
    said = {e["text"]: e["start_ms"] for e in doc["events"] if e["text"].isdigit()}
    chime = next(e["start_ms"] for e in doc["events"] if e["kind"] == "chime")
    hold = next(p for p in doc["phases"] if p["kind"] == "hold")
    return said, chime, (hold["start_ms"], hold["end_ms"])


@pytest.mark.slow
def test_a_cue_into_the_countdown_keeps_the_hold_exact_with_espeak_ng(
    vg: Runner, shared_cache: Path, tmp_path: Path
) -> None:
    env = {"VOICEGUIDE_CACHE_DIR": str(shared_cache)}
    routine = tmp_path / "clash.yaml"
    routine.write_text(CLASH)

    checked = vg("validate", str(routine), engine="espeak-ng", env=env)
    assert checked.returncode == 0, checked.stderr
    warning = re.search(
        rf'clash\.yaml:7:9: warning: the cue "{re.escape(CUE)}" runs (\d+) ms into the 3 s countdown, '
        r'over its "3", so (.*?) left out .*; '
        r"move the cue to at: ([0-9.]+)s or earlier, or shorten it",
        checked.stderr,
    )
    assert warning, checked.stderr
    overlap_ms, at_s = int(warning[1]), warning[3]

    shown = vg("show", str(routine), "--json", engine="espeak-ng", env=env)
    doc = json.loads(shown.stdout)
    said, chime, (start, end) = numbers_and_chime(doc)
    assert end - start == 20_000
    assert chime == end  # the hold ends on time, as heard
    countdown_at = end - 3000
    covered = {str(k) for k in (3, 2, 1) if end - k * 1000 < countdown_at + overlap_ms}
    assert covered and "3" in covered
    assert said == {str(k): end - k * 1000 for k in (3, 2, 1) if str(k) not in covered}

    out = tmp_path / "clash.wav"
    exported = vg("export", str(routine), "-o", str(out), engine="espeak-ng", env=env)
    assert exported.returncode == 0, exported.stderr
    wav = read_wav(out)
    rate = wav.sample_rate
    assert len(wav.pcm) // 2 == ms_to_samples(doc["duration_ms"], rate)
    hold_end = ms_to_samples(end, rate)
    before = wav.pcm[2 * (hold_end - rate // 5) : 2 * hold_end]  # the hold's last 200 ms: silence
    after = wav.pcm[2 * hold_end : 2 * (hold_end + rate // 50)]  # the chime, from the hold's end
    assert before == bytes(len(before)) and after != bytes(len(after))

    routine.write_text(CLASH.replace("at: 15s", f"at: {at_s}s"))  # the warning's fix
    fixed = vg("validate", str(routine), engine="espeak-ng", env=env)
    assert fixed.returncode == 0 and "warning" not in fixed.stderr, fixed.stderr
    said, _, (_, end) = numbers_and_chime(
        json.loads(vg("show", str(routine), "--json", engine="espeak-ng", env=env).stdout)
    )
    assert said == {str(k): end - k * 1000 for k in (3, 2, 1)}
