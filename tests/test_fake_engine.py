"""The test engine: a tone per text, its pitch from a hash and its length from the words
and the rate; its samples are the plain formula's, however they are computed."""

from __future__ import annotations

import hashlib
import math
from array import array

import pytest

from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine, fake_speech_ms


def reference_samples(text: str, voice: VoiceSpec, sample_rate: int) -> bytes:
    """The tone as first written: one math.sin per sample (16-bit, truncated toward 0)."""
    n = fake_speech_ms(text, voice.rate_wpm) * sample_rate // 1000
    freq = 180 + hashlib.sha256(f"{voice.name}|{text}".encode()).digest()[0] * 2  # Hz
    step = 2 * math.pi * freq / sample_rate
    return array("h", (int(3000 * math.sin(step * i)) for i in range(n))).tobytes()


@pytest.mark.parametrize("sample_rate", [8000, 22050, 48000])
@pytest.mark.parametrize("text", ["Hi.", "Pull your left knee in and hold it there.", "٣ breaths", ""])
def test_samples_are_the_formulas(text: str, sample_rate: int) -> None:
    voice = VoiceSpec(None, 150)
    clip = FakeEngine(sample_rate).synthesize(text, voice)
    assert clip.sample_rate == sample_rate
    assert clip.pcm == reference_samples(text, voice, sample_rate)


def test_length_follows_words_and_rate() -> None:
    engine = FakeEngine()
    slow, fast = (engine.synthesize("one two three four", VoiceSpec(None, r)) for r in (100, 200))
    assert slow.duration_ms == fake_speech_ms("one two three four", 100) == 4 * 600 + 120
    assert fast.duration_ms == fake_speech_ms("one two three four", 200) == 4 * 300 + 120
    assert engine.calls == ["one two three four"] * 2
