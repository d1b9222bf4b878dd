"""Onsets faded in (issue 24 item 4): no sound starts out of silence with a click.

espeak-ng starts a fricative at full level after digital silence ("Stop at once": −24 dBFS
within its first millisecond, "See a doctor" −16): a click before the word. Every clip
entering the cache has each onset faded in (``pcm.fade``), checked here on real
espeak-ng clips and on made-up ones.
"""

from __future__ import annotations

import math
from array import array

import pytest

from voiceguide.pcm.clip import Clip
from voiceguide.pcm.fade import FADE_IN_MS, fade_onsets, onset_peaks, onsets
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.espeak import Pyttsx3Engine
from voiceguide.speech.synth import spoken

RATE = 22050
ONE_MS = RATE // 1000
MINUS_40_DBFS = 32768 * 10 ** (-40 / 20)  # 327.7
S_WORDS = ("Stop at once.", "Sit.", "See a doctor at once.", "Stand.", "Slow.")


def _clip(samples: list[int]) -> Clip:
    return Clip(array("h", samples).tobytes(), RATE)


def _samples(clip: Clip) -> list[int]:
    return list(array("h", clip.pcm))


def test_a_step_out_of_silence_is_faded_in_and_nothing_else_changes() -> None:
    square = [12000 if (i // 20) % 2 else -12000 for i in range(2000)]  # -8.7 dBFS: louder than speech starts
    silence = [0] * 300
    gap = [0] * (200 * ONE_MS)  # a pause between two sentences: the next sound is an onset too
    clip = _clip(silence + square + gap + square)
    faded = fade_onsets(clip)
    before, after = _samples(clip), _samples(faded)
    n = FADE_IN_MS * RATE // 1000
    second = 300 + 2000 + len(gap)
    assert onsets(clip.pcm, RATE) == [300, second]
    assert faded.n_samples == clip.n_samples
    assert after[:300] == before[:300]  # the silence before stays
    for start in (300, second):
        assert max(onset_peaks(faded)) < MINUS_40_DBFS < max(onset_peaks(clip))
        assert after[start] == 0
        assert after[start + n : start + 2000] == before[start + n : start + 2000]
        ramp = [abs(s) for s in after[start : start + n : 20]]
        assert ramp == sorted(ramp)  # rising, never louder than the original
    assert all(abs(a) <= abs(b) for a, b in zip(after, before, strict=True))


def test_a_short_dip_is_not_an_onset() -> None:
    tone = [round(8000 * math.sin(2 * math.pi * 440 * i / RATE)) or 100 for i in range(1000)]
    dip = [0] * (60 * ONE_MS)  # shorter than MIN_SILENCE_MS: a stop's closure inside a word
    clip = _clip(tone + dip + tone)
    assert onsets(clip.pcm, RATE) == [0]


def test_silence_and_empty_clips_pass_through() -> None:
    assert fade_onsets(Clip(b"", RATE)) == Clip(b"", RATE)
    quiet = _clip([3, -2, 0, 7] * 100)
    assert fade_onsets(quiet) == quiet


@pytest.mark.espeak
@pytest.mark.parametrize("loudness", [-16.0, None])
def test_espeak_s_onsets_start_under_minus_40_dbfs(loudness: float | None) -> None:
    engine = Pyttsx3Engine()
    if not engine.is_available():
        pytest.skip("espeak-ng is not installed")
    voice = VoiceSpec(None, 150, loudness)
    clicked = 0
    for text in S_WORDS:
        raw = engine.synthesize(text, voice)
        clicked += max(onset_peaks(raw)) >= MINUS_40_DBFS
        clip = spoken(engine, text, voice)
        peaks = onset_peaks(clip)
        assert peaks and max(peaks) < MINUS_40_DBFS, (text, peaks)
    assert clicked >= 3  # espeak-ng's own clips do click: the check above can fail
