"""Loudness and true peak of a clip (ITU-R BS.1770), and levelling a clip to a target.

Every clip that enters the speech cache is levelled: scaled so its gated loudness is the
session's target (``--loudness``, −16 LUFS by default), then its true peak held under
:data:`TRUE_PEAK_CEILING_DBTP` by a smooth gain envelope. A short word ("three") and a long
sentence then sound equally loud, and a session of levelled clips and silence measures
about the target as a whole (silence is gated out of an integrated loudness), so play and
export need no measuring pass and stay sample-identical.

In numpy alone, no filter library: the K-weighting (a high shelf and a high pass, from
their analogue prototypes at any sample rate, as pyloudnorm derives them) is applied in the
frequency domain to the zero-padded clip, and the true peak is read from the clip
oversampled four times by zero-padding its spectrum (band-limited interpolation).
``tests/test_loudness.py`` checks both against ffmpeg's ``ebur128`` meter.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .clip import Clip

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]
    Complexes = npt.NDArray[np.complex128]

#: The loudness every clip is levelled to unless ``--loudness`` says otherwise (LUFS):
#: the podcast norm (Apple, Spotify and most hosts normalize speech to −16).
DEFAULT_LOUDNESS_LUFS = -16.0
#: Highest true peak a levelled clip may reach (dBTP). Lossy encoders overshoot (measured
#: on the bundled routines: mp3 +0.1, m4a 0, opus +1.2, ogg +1.7 dB), so −2.5 before
#: encoding keeps every export at or under the −1 dBTP that podcast and audiobook
#: specifications ask for.
TRUE_PEAK_CEILING_DBTP = -2.5
#: Names this way of levelling in the cache key: change it when the samples would change.
LEVELLING = "bs1770-fft, true peak -2.5 dBTP, 2"
#: Loudest a clip is ever made, in dB of gain: a near-silent clip stays near silent.
MAX_GAIN_DB = 30.0

_FULL_SCALE = 32768.0
_BLOCK_MS = 400  # BS.1770 gating blocks, with a 100 ms hop
_HOP_MS = 100
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
_OVERSAMPLING = 4
_PAD_MS = 500  # zero padding: the K-filter's response has died away by then (≈ −100 dB)
_LEVEL_PASSES = 6  # gain, limit, measure: speech lands within 0.05 LU in 2-4 tries
_SEGMENT = 1 << 16  # samples per FFT piece for long clips (≈ 3 s at 22.05 kHz)
_MARGIN = 512  # samples of context either side of a piece's interpolated peaks
_LIMITER_MS = 3  # the limiter's gain changes over at least this long (each side of a peak)


def loudness_lufs(samples: Floats, rate: int) -> float:
    """Gated loudness (LUFS) of mono samples scaled to ±1.0; −inf for silence.

    BS.1770's integrated loudness, with one difference for short clips: a clip shorter
    than a gating block is measured as one block (a word of 300 ms still has a loudness).
    """
    return gated_loudness(k_weighted(samples, rate), rate)


def gated_loudness(weighted: Floats, rate: int) -> float:
    """:func:`loudness_lufs` of samples already K-weighted."""
    import numpy as np

    block = max(1, rate * _BLOCK_MS // 1000)
    hop = max(1, rate * _HOP_MS // 1000)
    energy = np.concatenate(([0.0], np.cumsum(weighted * weighted)))
    if len(weighted) <= block:
        powers = np.array([energy[-1] / max(1, len(weighted))])
    else:
        starts = np.arange(0, len(weighted) - block + 1, hop)
        powers = (energy[starts + block] - energy[starts]) / block
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(powers)
    loud = powers[levels > _ABSOLUTE_GATE_LUFS]
    if not len(loud):
        return -math.inf
    relative_gate = -0.691 + 10 * math.log10(float(loud.mean())) + _RELATIVE_GATE_LU
    with np.errstate(divide="ignore"):
        kept = loud[-0.691 + 10 * np.log10(loud) > relative_gate]
    return -0.691 + 10 * math.log10(float(kept.mean()))


def k_weighted(samples: Floats, rate: int) -> Floats:
    """``samples`` through BS.1770's K-weighting (same length), in pieces of
    :data:`_SEGMENT` samples, each with the :data:`_PAD_MS` before it as a run-up (the
    filter has forgotten anything older), so a 13-minute text needs no giant FFT."""
    import numpy as np

    pad = rate * _PAD_MS // 1000
    if len(samples) <= _SEGMENT:
        return _k_weighted_whole(samples, rate, pad)
    weighted: Floats = np.empty(len(samples))
    for start in range(0, len(samples), _SEGMENT):
        end = min(len(samples), start + _SEGMENT)
        lead = min(start, pad)
        weighted[start:end] = _k_weighted_whole(samples[start - lead : end], rate, pad)[lead:]
    return weighted


def _k_weighted_whole(samples: Floats, rate: int, pad: int) -> Floats:
    import numpy as np

    n = _fft_size(len(samples) + pad)
    spectrum = np.fft.rfft(samples, n)
    weighted: Floats = np.fft.irfft(spectrum * _k_response(rate, n), n)[: len(samples)]
    return weighted


def true_peak(samples: Floats) -> float:
    """Highest absolute value of ``samples`` (±1.0 scale) oversampled four times (dBTP
    when given to :func:`to_db`)."""
    if not len(samples):
        return 0.0
    return float(_sample_peaks(samples).max())


def oversampled(samples: Floats) -> Floats:
    """``samples`` at four times the rate, band-limited (spectrum zero-padded)."""
    import numpy as np

    n = _fft_size(len(samples) + 64)
    spectrum = np.fft.rfft(samples, n)
    wider = np.zeros(n * _OVERSAMPLING // 2 + 1, dtype=np.complex128)
    wider[: len(spectrum)] = spectrum
    result: Floats = np.fft.irfft(wider, n * _OVERSAMPLING)[: len(samples) * _OVERSAMPLING]
    return result * _OVERSAMPLING


def to_db(value: float) -> float:
    """20·log10 of an amplitude (−inf for 0)."""
    return 20 * math.log10(value) if value > 0 else -math.inf


def level_clip(clip: Clip, target_lufs: float, ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP) -> Clip:
    """``clip`` scaled to ``target_lufs`` (at most :data:`MAX_GAIN_DB` louder), its true
    peak held at ``ceiling_dbtp``; the same number of samples. A silent clip is returned
    as it is."""
    import numpy as np

    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64) / _FULL_SCALE
    rate = clip.sample_rate
    # The limiter's gain moves over milliseconds, slowly against the K-filter's memory, so
    # K(samples × gains) ≈ K(samples) × gains: the clip is K-weighted once, not per try.
    weighted = k_weighted(samples, rate)
    measured = gated_loudness(weighted, rate)
    if not len(samples) or math.isinf(measured):
        return clip
    ceiling = 10 ** (ceiling_dbtp / 20)
    envelope = _peak_envelope(_sample_peaks(samples), rate)  # scales with the gain
    tried = [(0.0, measured)]  # (gain dB, loudness it gave), the raw clip first
    limited = samples
    for _ in range(_LEVEL_PASSES):  # the limiter takes some loudness: find the gain that
        gain_db = min(MAX_GAIN_DB, _next_gain(tried, target_lufs))  # lands on the target
        gain = 10 ** (gain_db / 20)
        gains = gain * _limiter_gains(envelope * gain, ceiling, rate)
        limited = samples * gains
        measured = gated_loudness(weighted * gains, rate)
        tried.append((gain_db, measured))
        if abs(measured - target_lufs) < 0.05 or gain_db >= MAX_GAIN_DB:
            break
    pcm = np.clip(np.rint(limited * _FULL_SCALE), -32768, 32767).astype("<i2")
    return Clip(pcm.tobytes(), clip.sample_rate)


def _next_gain(tried: list[tuple[float, float]], target: float) -> float:
    """The next gain to try (dB): by the secant through the last two tries (each dB of
    gain adds at most one dB of loudness, less once the limiter works; at most 4× the
    miss), from the raw clip's loudness at first."""
    gain, loudness = tried[-1]
    slope = 1.0
    if len(tried) > 1 and tried[-1][1] != tried[-2][1]:
        slope = min(4.0, max(1.0, (gain - tried[-2][0]) / (loudness - tried[-2][1])))
    return gain + slope * (target - loudness)


def scaled_clip(clip: Clip, gain_db: float) -> Clip:
    """``clip`` × ``gain_db`` (rounded to the nearest sample value, clipped)."""
    import numpy as np

    if gain_db == 0.0:
        return clip
    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64) * 10 ** (gain_db / 20)
    return Clip(np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes(), clip.sample_rate)


def _sample_peaks(samples: Floats) -> Floats:
    """Each sample's true peak: the largest magnitude among its four oversampled values."""
    import numpy as np

    if len(samples) <= _SEGMENT:
        whole: Floats = np.abs(oversampled(samples)).reshape(-1, _OVERSAMPLING).max(axis=1)
        return whole
    peaks: Floats = np.empty(len(samples))  # in pieces, each with a margin either side
    for start in range(0, len(samples), _SEGMENT):
        end = min(len(samples), start + _SEGMENT)
        first, last = max(0, start - _MARGIN), min(len(samples), end + _MARGIN)
        piece = np.abs(oversampled(samples[first:last])).reshape(-1, _OVERSAMPLING).max(axis=1)
        peaks[start:end] = piece[start - first : end - first]
    return peaks


def _peak_envelope(peaks: Floats, rate: int) -> Floats:
    """Each sample's highest true peak within ±2 limiter windows (computed once a clip:
    the gain only scales it)."""
    import numpy as np

    half = max(1, rate * _LIMITER_MS // 1000)
    return _running_max(np.pad(peaks, 2 * half, constant_values=0.0), 4 * half + 1)


def _limiter_gains(envelope: Floats, ceiling: float, rate: int) -> Floats | float:
    """Per-sample gains (≤ 1) that keep true peaks at ``ceiling``, from the
    :func:`_peak_envelope` of the peaks as they will be: each sample's allowed gain over
    ±2 windows (ceiling / the highest peak there), averaged over ±1 window. The average
    never exceeds the gain a sample's own peak allows (every averaged value is a minimum
    over a range that includes the sample) and has no steps. 1.0 when nothing is over."""
    import numpy as np

    if envelope.max(initial=0.0) <= ceiling:
        return 1.0
    half = max(1, rate * _LIMITER_MS // 1000)
    floor = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
    sums = np.concatenate(([0.0], np.cumsum(np.pad(floor, half, mode="edge"))))
    smooth: Floats = (sums[2 * half + 1:] - sums[: -2 * half - 1]) / (2 * half + 1)
    return smooth * 0.999  # (room for the interpolated peaks between samples)


def _running_max(values: Floats, width: int) -> Floats:
    """``max(values[i : i + width])`` for every full window, in O(n) (van Herk/Gil-Werman:
    maxima running forward and backward within blocks of ``width``)."""
    import numpy as np

    n = len(values)
    blocks = np.pad(values, (0, -n % width), constant_values=-np.inf).reshape(-1, width)
    forward = np.maximum.accumulate(blocks, axis=1).ravel()
    backward = np.maximum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    result: Floats = np.maximum(backward[: n - width + 1], forward[width - 1 : n])
    return result


@lru_cache(maxsize=16)
def _k_response(rate: int, n: int) -> Complexes:
    """The K-weighting's response at the bins of an ``n``-point real FFT (cached: clips of
    one length class share it)."""
    import numpy as np

    omega = np.linspace(0.0, math.pi, n // 2 + 1)
    response: Complexes = (_biquad_response(_high_shelf(rate), omega)
                           * _biquad_response(_high_pass(rate), omega))
    response.setflags(write=False)
    return response


@lru_cache(maxsize=256)
def _fft_size(n: int) -> int:
    """A fast FFT length of at least ``n``: the next even number with no prime factor above 5."""
    size = max(2, n + n % 2)
    while True:
        rest = size
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return size
        size += 2


def _high_shelf(rate: int) -> tuple[float, ...]:
    """BS.1770 stage 1 (the head's acoustic effect): +4 dB above ≈1.7 kHz."""
    gain_db, q, fc = 3.99984385397, 0.7071752369554193, 1681.9744509555319
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * fc / rate
    alpha = math.sin(w0) / (2 * q)
    cos = math.cos(w0)
    return (a * ((a + 1) + (a - 1) * cos + 2 * math.sqrt(a) * alpha),
            -2 * a * ((a - 1) + (a + 1) * cos),
            a * ((a + 1) + (a - 1) * cos - 2 * math.sqrt(a) * alpha),
            (a + 1) - (a - 1) * cos + 2 * math.sqrt(a) * alpha,
            2 * ((a - 1) - (a + 1) * cos),
            (a + 1) - (a - 1) * cos - 2 * math.sqrt(a) * alpha)


def _high_pass(rate: int) -> tuple[float, ...]:
    """BS.1770 stage 2 (RLB weighting): a high pass at ≈38 Hz."""
    q, fc = 0.5003270373253953, 38.13547087613982
    w0 = 2 * math.pi * fc / rate
    alpha = math.sin(w0) / (2 * q)
    cos = math.cos(w0)
    return ((1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)


def _biquad_response(coefficients: tuple[float, ...], omega: Any) -> Complexes:
    """H(e^{jω}) of a biquad (b0, b1, b2, a0, a1, a2) at the angular frequencies ``omega``."""
    import numpy as np

    b0, b1, b2, a0, a1, a2 = coefficients
    z1 = np.exp(-1j * omega)
    z2 = z1 * z1
    response: Complexes = (b0 + b1 * z1 + b2 * z2) / (a0 + a1 * z1 + a2 * z2)
    return response
