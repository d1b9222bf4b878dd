"""The polyphase true peak, and the levelling built on it, against what they replaced: the
clip oversampled four times by zero-padding its whole spectrum (exact band-limited
interpolation), kept here as the reference. Same peaks and gains within 0.1 dB, on real
espeak-ng speech and on sines whose peaks fall between samples."""

from __future__ import annotations

import math
import subprocess
import wave

import numpy as np
import pytest

from voiceguide.pcm import level
from voiceguide.pcm.clip import Clip
from voiceguide.pcm.level import TRUE_PEAK_CEILING_DBTP, level_clip, loudness_lufs, to_db, true_peak

RATE = 22050
TEXTS = [
    "Lie on your back with your knees bent, and breathe in slowly through your nose.",
    "three",
    "Relax.",
    "Breathe in",
    "Stop at once if you feel sharp pain, numbness or tingling, and rest for a moment.",
]


def fft_sample_peaks(samples: np.ndarray) -> np.ndarray:
    """Each sample's largest magnitude among its four values oversampled by zero-padding
    the spectrum (the method before the polyphase filter)."""
    n = len(samples) + 64
    n += n % 2
    spectrum = np.fft.rfft(samples, n)
    wider = np.zeros(n * 2 + 1, dtype=np.complex128)
    wider[: len(spectrum)] = spectrum
    oversampled = np.fft.irfft(wider, n * 4)[: len(samples) * 4] * 4
    peaks: np.ndarray = np.abs(oversampled).reshape(-1, 4).max(axis=1)
    return peaks


def fft_true_peak_db(samples: np.ndarray) -> float:
    return to_db(float(fft_sample_peaks(samples).max()))


def fft_level_clip(clip: Clip, target_lufs: float) -> Clip:
    """The levelling as it was before (limiter on the FFT peaks, dense gains, every try
    measured on the whole clip, placed in a second of silence each side), for comparison."""
    samples = floats(clip)
    weighted = level.k_weighted(samples, RATE)
    measured = level.gated_loudness(np.pad(weighted, RATE), RATE)
    ceiling = 10 ** (TRUE_PEAK_CEILING_DBTP / 20)
    half = RATE * 3 // 1000
    envelope = level._running_max(np.pad(fft_sample_peaks(samples), 2 * half), 4 * half + 1)
    tried = [(0.0, measured)]
    for _ in range(6):
        gain_db = min(level.MAX_GAIN_DB, level._next_gain(tried, target_lufs))
        gain = 10 ** (gain_db / 20)
        gains = np.full(len(samples), gain)
        if (envelope * gain).max() > ceiling:
            floor = np.minimum(1.0, ceiling / np.maximum(envelope * gain, 1e-12))
            sums = np.concatenate(([0.0], np.cumsum(np.pad(floor, half, mode="edge"))))
            gains *= (sums[2 * half + 1 :] - sums[: -2 * half - 1]) / (2 * half + 1) * 0.999
        measured = level.gated_loudness(np.pad(weighted * gains, RATE), RATE)
        tried.append((gain_db, measured))
        if abs(measured - target_lufs) < 0.05:
            break
    return Clip(np.clip(np.rint(samples * gains * 32768), -32768, 32767).astype("<i2").tobytes(), RATE)


def floats(clip: Clip) -> np.ndarray:
    return np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64) / 32768


def placed_lufs(clip: Clip) -> float:
    """The clip's loudness as a session's meter hears it: in a second of silence each side
    (what levelling aims at, see pcm.level._placed_energies)."""
    return loudness_lufs(np.pad(floats(clip), RATE), RATE)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    """Each of :data:`TEXTS` as the espeak-ng program says it, at 22.05 kHz."""
    folder = tmp_path_factory.mktemp("speech")
    clips = []
    for i, text in enumerate(TEXTS):
        path = folder / f"{i}.wav"
        subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
        with wave.open(str(path)) as w:
            assert w.getframerate() == RATE
            clips.append(Clip(w.readframes(w.getnframes()), RATE))
    return clips


def sine(cycles_per_sample: float, phase: float, n: int = 4000) -> np.ndarray:
    """A sine at half scale, faded in and out over a quarter of its length each side."""
    fade = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (n / 4))
    wave: np.ndarray = 0.5 * np.sin(2 * math.pi * cycles_per_sample * np.arange(n) + phase) * fade
    return wave


@pytest.mark.parametrize("index", range(len(TEXTS)))
def test_the_true_peak_of_speech_is_the_fft_one(speech: list[Clip], index: int) -> None:
    samples = floats(speech[index])
    assert to_db(true_peak(samples)) == pytest.approx(fft_true_peak_db(samples), abs=0.1)


@pytest.mark.parametrize("cycles_per_sample", [0.01, 0.05, 0.1, 0.2, 0.25, 0.3, 0.37, 0.4])
@pytest.mark.parametrize("phase_degrees", [0, 20, 45, 60, 90])
def test_peaks_between_samples_read_as_the_fft_reads_them(
    cycles_per_sample: float, phase_degrees: int
) -> None:
    samples = sine(cycles_per_sample, math.radians(phase_degrees))
    assert to_db(true_peak(samples)) == pytest.approx(fft_true_peak_db(samples), abs=0.1)


def test_a_quarter_rate_sine_at_45_degrees_peaks_between_its_samples() -> None:
    samples = sine(0.25, math.pi / 4)  # every sample at ±0.354 where it is not faded
    assert to_db(float(np.abs(samples).max())) == pytest.approx(to_db(0.5) - 3.01, abs=0.01)
    assert to_db(true_peak(samples)) == pytest.approx(to_db(0.5), abs=0.05)  # 3 dB over them


@pytest.mark.parametrize("seed", range(4))
def test_peaks_computed_only_near_loud_samples_are_exact_where_they_can_matter(seed: int) -> None:
    rng = np.random.default_rng(seed)
    samples = rng.standard_normal(20000) * np.repeat(rng.uniform(0.01, 0.3, 20), 1000)
    exact = level._sample_peaks(samples)
    above = float(np.quantile(exact, 0.9))
    sparse = level._sample_peaks(samples, above)
    loud = exact > above
    assert 0 < loud.sum() < len(samples)
    assert np.array_equal(sparse[loud], exact[loud])
    assert (sparse[~loud] <= above).all()
    assert (sparse <= exact).all()


@pytest.mark.parametrize("target", [-16.0, -23.0])
def test_levelled_speech_gets_the_gain_and_peak_the_fft_levelling_gave(
    speech: list[Clip], target: float
) -> None:
    for clip in speech:
        ours, theirs = level_clip(clip, target), fft_level_clip(clip, target)
        assert ours.n_samples == clip.n_samples
        ours_db, theirs_db = placed_lufs(ours), placed_lufs(theirs)
        assert ours_db == pytest.approx(target, abs=0.05)
        assert ours_db == pytest.approx(theirs_db, abs=0.1)  # the same gain
        assert fft_true_peak_db(floats(ours)) == pytest.approx(fft_true_peak_db(floats(theirs)), abs=0.1)
        assert fft_true_peak_db(floats(ours)) <= TRUE_PEAK_CEILING_DBTP + 0.05


def test_a_clip_of_loud_inter_sample_peaks_is_held_at_the_ceiling_by_the_fft_meter() -> None:
    tone = 0.1 * sine(0.25, math.pi / 4, 22050)  # its samples 3 dB under its peaks
    clip = Clip(np.rint(tone * 32767).astype("<i2").tobytes(), RATE)
    levelled = level_clip(clip, -1.0)  # loud: the limiter works on every peak
    assert loudness_lufs(floats(levelled), RATE) < -1.5  # (it did)
    assert fft_true_peak_db(floats(levelled)) <= TRUE_PEAK_CEILING_DBTP + 0.05
    assert fft_true_peak_db(floats(levelled)) == pytest.approx(
        fft_true_peak_db(floats(fft_level_clip(clip, -1.0))), abs=0.1
    )
