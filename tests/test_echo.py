"""The echo canceller (``play --listen`` over the guide's speech, issue 27): the delay found,
the guide's sound taken out of the microphone, a word said over it kept."""

from __future__ import annotations

import numpy as np

from voiceguide.play.echo import BLOCK, TRUSTED_ERLE_DB, DelayFinder, EchoCanceller
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


def cancel(canceller: EchoCanceller, mic: np.ndarray, ref: np.ndarray) -> np.ndarray:
    read = RATE // 50  # the microphone's 20 ms reads
    return np.concatenate(
        [canceller.process(mic[i : i + read], ref[i : i + read]) for i in range(0, len(mic), read)]
    )


def level_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x**2) + 1e-12))


def test_the_delay_from_playing_to_hearing_is_found() -> None:
    guide = talk(8, seed=1)
    delay = 2345  # 147 ms
    finder = DelayFinder()
    mic = through_room(guide, delay)
    for i in range(0, len(guide), 320):
        found = finder.feed(mic[i : i + 320], guide[i : i + 320])
    assert found is not None and abs(found - delay) <= 2


def test_no_delay_is_claimed_on_a_silent_reference() -> None:
    finder = DelayFinder()
    noise = np.random.default_rng(3).standard_normal(RATE * 8) * 500
    for i in range(0, len(noise), 320):
        assert finder.feed(noise[i : i + 320], np.zeros(320)) is None


def test_the_guides_sound_is_taken_out_of_the_microphone() -> None:
    guide = talk(20, seed=1)
    mic = through_room(guide, 1900)
    canceller = EchoCanceller()
    residual = cancel(canceller, mic, guide)
    assert len(residual) == len(mic) - len(mic) % BLOCK  # every sample, in order
    late = slice(12 * RATE, len(residual))
    assert level_db(mic[late]) - level_db(residual[late]) > 15  # dB of the echo taken out
    assert canceller.trusted and canceller.erle_db > TRUSTED_ERLE_DB
    untrained = EchoCanceller()  # the same microphone, the wrong reference: nothing to take out
    other = cancel(untrained, mic, talk(20, seed=9))
    assert abs(level_db(mic[late]) - level_db(other[late])) < 1 and not untrained.trusted


def test_a_word_said_over_the_guide_is_left_in_the_residual() -> None:
    guide = talk(20, seed=1)
    echo = through_room(guide, 1900)
    word = talk(0.6, seed=2)  # (a phrase from its start: sin(2) > -0.4)
    starts = range(14 * RATE, 18 * RATE, RATE // 10)
    at = max(starts, key=lambda a: float(np.mean(echo[a : a + len(word)] ** 2)))  # over the guide speaking
    word *= np.sqrt(np.mean(echo[at : at + len(word)] ** 2) / np.mean(word**2))  # as loud as the guide
    mic = echo.copy()
    mic[at : at + len(word)] += word
    residual = cancel(EchoCanceller(), mic, guide)
    kept = residual[at : at + len(word)]
    assert level_db(word) - level_db(kept - word) > 10  # the word, with the guide 10 dB under it
    before = level_db(word) - level_db(mic[at : at + len(word)] - word)
    assert before < 1  # (in the microphone the guide was as loud as the word)


def test_without_the_guides_sound_the_microphone_passes_unchanged() -> None:
    mic = talk(3, seed=2)
    residual = cancel(EchoCanceller(), mic, np.zeros(len(mic)))
    assert np.array_equal(residual, mic[: len(residual)])
