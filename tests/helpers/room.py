"""Sound for the echo canceller's tests: speech-like talk and a room it is heard in."""

from __future__ import annotations

import numpy as np

from voiceguide.play.microphone import CAPTURE_RATE

RATE = CAPTURE_RATE


def talk(seconds: float, seed: int) -> np.ndarray:
    """Speech-like sound: noise through a few moving resonances, in syllables and pauses."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    frequencies = np.fft.rfftfreq(n, 1 / RATE)
    shape = sum(np.exp(-(((frequencies - f) / 150) ** 2)) for f in (300, 700, 1200, 2500))
    voiced = np.fft.irfft(spectrum * (shape + 0.02), n)
    t = np.arange(n) / RATE
    syllables = np.clip(np.sin(2 * np.pi * 3.7 * t), 0, None) ** 2
    phrases = (np.sin(2 * np.pi * 0.23 * t + seed) > -0.4).astype(float)  # pauses between phrases
    out = voiced * syllables * phrases
    scaled: np.ndarray = out / np.sqrt(np.mean(out**2)) * 3000
    return scaled


def through_room(x: np.ndarray, delay: int, seed: int = 5) -> np.ndarray:
    """``x`` as a microphone hears it from a speaker: ``delay`` samples late, with a room's
    reflections (decaying over 0.3 s), at half the level, over a quiet hiss."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE * 3 // 10) / RATE
    answer = rng.standard_normal(len(t)) * np.exp(-6.9 * t / 0.3) * 0.3
    answer[0] = 1.0
    heard = np.convolve(x, answer)[: len(x)] * 0.5
    return np.concatenate([np.zeros(delay), heard])[: len(x)] + rng.standard_normal(len(x)) * 20
