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
oversampled four times by a polyphase interpolating filter (BS.1770-4 Annex 2's method:
the sample itself and three interpolated values after it, each a 12-tap FIR). Levelling
must cost less than synthesizing (espeak-ng makes a clip in a few ms), so it measures once
and then works on what the limiter touches. ``tests/test_loudness.py`` checks both meters
against ffmpeg's ``ebur128``; ``tests/test_level_polyphase.py`` checks the true peak and
the levelling against the whole-clip FFT oversampling used before.
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
    Floats32 = npt.NDArray[np.float32]
    AnyFloats = Floats | Floats32
    Ints = npt.NDArray[np.intp]
    Complexes = npt.NDArray[np.complex128]
    Complexes64 = npt.NDArray[np.complex64]

#: The loudness every clip is levelled to unless ``--loudness`` says otherwise (LUFS):
#: the podcast norm (Apple, Spotify and most hosts normalize speech to −16).
DEFAULT_LOUDNESS_LUFS = -16.0
#: Highest true peak a levelled clip may reach (dBTP). Lossy encoders overshoot (measured
#: on the bundled routines: mp3 +0.1, m4a 0, opus +1.2, ogg +1.7 dB), so −2.5 before
#: encoding keeps every export at or under the −1 dBTP that podcast and audiobook
#: specifications ask for.
TRUE_PEAK_CEILING_DBTP = -2.5
#: Names this way of levelling in the cache key: change it when the samples would change.
LEVELLING = "bs1770 as placed in silence, polyphase true peak 4x12, -2.5 dBTP, 4"
#: Loudest a clip is ever made, in dB of gain: a near-silent clip stays near silent.
MAX_GAIN_DB = 30.0

_FULL_SCALE = 32768.0
_HOP_MS = 100  # BS.1770 gating blocks of 400 ms (four hops), one every hop
_BLOCK_HOPS = 4
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
_OVERSAMPLING = 4
_TAPS = 12  # per phase of the interpolating filter: ≤ 0.04 dB from exact up to 0.4 × rate
_KAISER_BETA = 6.0  # its window
_PAD_MS = 100  # zero padding: the K-filter's response is under −200 dB by then (measured)
_LEVEL_PASSES = 6  # gain, limit, measure: speech lands within 0.05 LU in 2-4 tries
_SEGMENT = 1 << 18  # samples per FFT piece for long clips (≈ 12 s at 22.05 kHz)
_LIMITER_MS = 3  # the limiter's gain changes over at least this long (each side of a peak)
_EXACT_MARGIN = 2.0  # true peaks computed exactly down to 6 dB under the first try's limit
_LIMITER_ROOM = 0.999  # where the limiter works, all gains × this (for the peaks between samples)


def loudness_lufs(samples: Floats, rate: int) -> float:
    """Gated loudness (LUFS) of mono samples scaled to ±1.0; −inf for silence.

    BS.1770's integrated loudness, with one difference for short clips: a clip shorter
    than a gating block is measured as one block (a word of 300 ms still has a loudness).
    """
    return gated_loudness(k_weighted(samples, rate), rate)


def gated_loudness(weighted: AnyFloats, rate: int) -> float:
    """:func:`loudness_lufs` of samples already K-weighted."""
    return _gated(_hop_energies(weighted * weighted, rate), len(weighted), rate)


def placed_loudness_lufs(samples: AnyFloats, rate: int) -> float:
    """Gated loudness (LUFS) of mono samples scaled to ±1.0 as a session's meter measures
    them placed in silence (the measure :func:`level_clip` levels to); −inf for silence."""
    weighted = k_weighted(samples, rate)
    return _placed_loudness(_placed_energies(weighted * weighted, rate), rate)


def _hop_energies(power: AnyFloats, rate: int) -> Floats:
    """Sums of ``power`` (squared samples) over each whole hop of :data:`_HOP_MS`; a clip
    no longer than a block is one sum."""
    import numpy as np

    hop = max(1, rate * _HOP_MS // 1000)
    if len(power) <= _BLOCK_HOPS * hop:
        return np.array([power.sum(dtype=np.float64)])
    energies: Floats = power[: len(power) - len(power) % hop].reshape(-1, hop).sum(axis=1, dtype=np.float64)
    return energies


def _placed_energies(power: AnyFloats, rate: int) -> Floats:
    """The hop energies of a clip as a session's meter sees it, placed in silence: a sum
    of ``power`` over every hop of :data:`_HOP_MS` (the last, partial one too), with
    three silent hops before and after, so that the blocks straddling its ends count
    (they pass the gates in a session: a word of 300 ms alone fills no block)."""
    import numpy as np

    hop = max(1, rate * _HOP_MS // 1000)
    silent = _BLOCK_HOPS - 1
    n_hops = -(-len(power) // hop)
    energies: Floats = np.zeros(n_hops + 2 * silent)
    if n_hops:
        starts = np.arange(0, len(power), hop)
        energies[silent : silent + n_hops] = np.add.reduceat(power, starts, dtype=np.float64)
    return energies


def _placed_loudness(energies: Floats, rate: int) -> float:
    """The gated loudness (LUFS) of :func:`_placed_energies`: its blocks of four hops,
    one every hop, through the absolute and the relative gate."""
    hop = max(1, rate * _HOP_MS // 1000)
    powers = (energies[:-3] + energies[1:-2] + energies[2:-1] + energies[3:]) / (_BLOCK_HOPS * hop)
    loud = powers[powers > 10 ** ((_ABSOLUTE_GATE_LUFS + 0.691) / 10)]
    if not len(loud):
        return -math.inf
    kept = loud[loud > float(loud.mean()) * 10 ** (_RELATIVE_GATE_LU / 10)]
    return -0.691 + 10 * math.log10(float(kept.mean()))


def _gated(energies: Floats, n_samples: int, rate: int) -> float:
    """The gated loudness (LUFS) of a clip of ``n_samples`` from its :func:`_hop_energies`:
    the mean power of the blocks (four hops each, one every hop) that pass the absolute
    gate, then the relative gate. (The gates compared as powers: no logarithm per block.)"""
    hop = max(1, rate * _HOP_MS // 1000)
    if n_samples <= _BLOCK_HOPS * hop:
        powers = energies / max(1, n_samples)
    else:
        powers = (energies[:-3] + energies[1:-2] + energies[2:-1] + energies[3:]) / (_BLOCK_HOPS * hop)
    loud = powers[powers > 10 ** ((_ABSOLUTE_GATE_LUFS + 0.691) / 10)]
    if not len(loud):
        return -math.inf
    kept = loud[loud > float(loud.mean()) * 10 ** (_RELATIVE_GATE_LU / 10)]
    return -0.691 + 10 * math.log10(float(kept.mean()))


def k_weighted(samples: AnyFloats, rate: int) -> Floats32:
    """``samples`` through BS.1770's K-weighting (same length; in float32, as loudness
    needs no more and its FFTs are a quarter faster), in pieces of :data:`_SEGMENT`
    samples, each with the :data:`_PAD_MS` before it as a run-up (the filter has
    forgotten anything older), so a 13-minute text needs no giant FFT."""
    import numpy as np

    pad = rate * _PAD_MS // 1000
    if len(samples) <= _SEGMENT:
        return _k_weighted_whole(samples, rate, pad)
    weighted: Floats32 = np.empty(len(samples), np.float32)
    for start in range(0, len(samples), _SEGMENT):
        end = min(len(samples), start + _SEGMENT)
        lead = min(start, pad)
        weighted[start:end] = _k_weighted_whole(samples[start - lead : end], rate, pad)[lead:]
    return weighted


def _k_weighted_whole(samples: AnyFloats, rate: int, pad: int) -> Floats32:
    import numpy as np

    n = _fft_size(len(samples) + pad)
    spectrum = np.fft.rfft(samples.astype(np.float32, copy=False), n)
    spectrum *= _k_response(rate, n)
    weighted: Floats32 = np.fft.irfft(spectrum, n)[: len(samples)]  # type: ignore[assignment]
    return weighted  # (numpy's stubs say float64; a complex64 spectrum gives float32)


def true_peak(samples: Floats) -> float:
    """Highest absolute value of ``samples`` (±1.0 scale) oversampled four times (dBTP
    when given to :func:`to_db`)."""
    if not len(samples):
        return 0.0
    return float(_sample_peaks(samples).max())


def to_db(value: float) -> float:
    """20·log10 of an amplitude (−inf for 0)."""
    return 20 * math.log10(value) if value > 0 else -math.inf


def level_clip(clip: Clip, target_lufs: float, ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP) -> Clip:
    """``clip`` scaled to ``target_lufs`` (at most :data:`MAX_GAIN_DB` louder), its true
    peak held at ``ceiling_dbtp``; the same number of samples. A silent clip is returned
    as it is."""
    import numpy as np

    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float32)  # (exact)
    samples *= 1 / _FULL_SCALE  # (in place, as below: fewer fresh pages to fault in)
    rate = clip.sample_rate
    # The limiter's gain moves over milliseconds, slowly against the K-filter's memory, so
    # K(samples × gains) ≈ K(samples) × gains: the clip is K-weighted once, not per try.
    weighted = k_weighted(samples, rate)
    power = np.square(weighted, out=weighted)
    energies = _placed_energies(power, rate)
    measured = _placed_loudness(energies, rate)
    if not len(samples) or math.isinf(measured):
        return clip
    ceiling = 10 ** (ceiling_dbtp / 20)
    hop = max(1, rate * _HOP_MS // 1000)
    exact_above = math.inf  # the peaks (and their envelopes) are exact above this
    tried = [(0.0, measured)]  # (gain dB, loudness it gave), the raw clip first
    for _ in range(_LEVEL_PASSES):  # the limiter takes some loudness: find the gain that
        gain_db = min(MAX_GAIN_DB, _next_gain(tried, target_lufs))  # lands on the target
        gain = 10 ** (gain_db / 20)
        if ceiling / gain < exact_above:  # (the first time, and rarely again)
            exact_above = ceiling / gain / _EXACT_MARGIN
            envelopes = _peak_envelopes(_sample_peaks(samples, exact_above), rate, exact_above)
        cuts = _limiter_cuts(envelopes, len(samples), ceiling / gain, rate)
        if cuts is None:  # the powers only scale
            measured = _placed_loudness(energies * gain**2, rate)
        else:  # ... less what the limiter takes, hop by hop
            positions, factors = cuts
            taken = power[positions] * (1.0 - factors * factors)
            lost = np.bincount(positions // hop + _BLOCK_HOPS - 1, taken, len(energies))
            measured = _placed_loudness((energies - lost) * (gain * _LIMITER_ROOM) ** 2, rate)
        tried.append((gain_db, measured))
        if abs(measured - target_lufs) < 0.05 or gain_db >= MAX_GAIN_DB:
            break
    levelled = np.full(len(samples), gain * _FULL_SCALE * (1.0 if cuts is None else _LIMITER_ROOM))
    if cuts is not None:
        levelled[cuts[0]] *= cuts[1]
    levelled *= samples
    np.clip(np.rint(levelled, out=levelled), -32768, 32767, out=levelled)
    return Clip(levelled.astype("<i2").tobytes(), clip.sample_rate)


def held_under(clip: Clip, ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP) -> Clip:
    """``clip`` as it is if its true peak is at or under ``ceiling_dbtp``, else scaled
    down by one gain until it is (``--loudness off``: the engine's own level, which may
    be quieter than a levelled clip but never clips: piper's sentences peak at full
    scale, +0.1 dBTP encoded)."""
    import numpy as np

    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64) / _FULL_SCALE
    peak_db = to_db(true_peak(samples))
    if peak_db <= ceiling_dbtp:
        return clip
    return scaled_clip(clip, ceiling_dbtp - peak_db - 0.01)  # (rounding to samples)


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


def _sample_peaks(samples: AnyFloats, above: float = 0.0) -> Floats32:
    """Each sample's true peak: the largest magnitude among the sample itself and the
    values a quarter, a half and three quarters of a sample after it (the clip oversampled
    four times by :func:`_interpolator`'s filter, zeros outside the clip). Exact wherever
    it may exceed ``above``; elsewhere the sample's own magnitude (both ≤ ``above``): no
    interpolated value exceeds the filter's gain × the largest of the samples it reads,
    so only samples near loud ones are interpolated."""
    import numpy as np

    n = len(samples)
    phases, gain = _interpolator()
    padded = np.zeros(n + _TAPS - 1, np.float32)
    padded[_TAPS // 2 - 1 : _TAPS // 2 - 1 + n] = samples
    peaks = np.abs(padded[_TAPS // 2 - 1 : _TAPS // 2 - 1 + n])  # (float32: half the traffic)
    if above > 0:
        where = np.flatnonzero(_running_max(np.abs(padded), _TAPS) * gain > above)
    else:
        where = np.arange(n)
    for start in range(0, len(where), _SEGMENT):  # (in pieces: bounded memory)
        some = where[start : start + _SEGMENT]
        interpolated = np.zeros((_OVERSAMPLING - 1, len(some)), np.float32)
        for tap in range(_TAPS):  # (not a matrix product: BLAS threads on a busy machine)
            interpolated += phases[:, tap : tap + 1] * padded[some + tap]
        peaks[some] = np.maximum(peaks[some], np.abs(interpolated).max(axis=0))
    return peaks


@lru_cache(maxsize=1)
def _interpolator() -> tuple[Floats32, float]:
    """The 4× interpolating filter, one row per phase after the sample: row ``k − 1`` gives
    the value ``k/4`` of a sample after sample ``i`` from samples ``i − 5 … i + 6``; and
    its gain (the largest sum of a row's magnitudes). A Kaiser-windowed sinc
    (β = :data:`_KAISER_BETA`), each row summing to 1; float32, as the peaks need no more.
    Measured against exact (band-limited) interpolation of sines up to 0.4 × the rate:
    within 0.04 dB (BS.1770-4 Annex 2's own 48-tap filter reads up to 0.6 dB off there,
    and its middle phases 0.24 dB low at low frequencies)."""
    import numpy as np

    offsets = np.arange(1 - _TAPS // 2, _TAPS // 2 + 1, dtype=np.float64)
    distance = offsets[None, :] - np.arange(1, _OVERSAMPLING)[:, None] / _OVERSAMPLING
    window = np.i0(_KAISER_BETA * np.sqrt(1 - (distance / (_TAPS / 2 + 0.5)) ** 2))
    taps = np.sinc(distance) * window
    phases: Floats32 = (taps / taps.sum(axis=1, keepdims=True)).astype(np.float32)
    phases.setflags(write=False)
    return phases, float(np.abs(phases).sum(axis=1).max()) * (1 + 1e-6)


def _peak_envelopes(peaks: Floats32, rate: int, above: float) -> tuple[Ints, Floats, Floats]:
    """The samples with a true peak over ``above`` within ±3 limiter windows, and for each
    its highest true peak within ±2 windows (the envelope) and within ±3 (``around``):
    computed once a clip, as the gain only scales them."""
    import numpy as np

    half = max(1, rate * _LIMITER_MS // 1000)
    envelope = _running_max(np.pad(peaks, 2 * half), 4 * half + 1)
    around = _running_max(np.pad(envelope, half), 2 * half + 1)
    where = np.flatnonzero(around > above)
    return where, envelope[where].astype(np.float64), around[where].astype(np.float64)


def _limiter_cuts(
    envelopes: tuple[Ints, Floats, Floats], n_samples: int, limit: float, rate: int
) -> tuple[Ints, Floats] | None:
    """Where and by how much the limiter lowers a clip of ``n_samples`` so its true peaks
    stay at ``limit`` (the ceiling over the gain), from :func:`_peak_envelopes` (computed
    for a lower ``above``): the gains at ``positions`` are ``factors`` (≤ 1), 1 elsewhere,
    all then × :data:`_LIMITER_ROOM`. None when no peak is over.

    Each sample's allowed gain over ±2 windows (limit / the highest peak there), averaged
    over ±1 window (the clip's first and last values continue outside it). The average
    never exceeds the gain a sample's own peak allows (every averaged value is a minimum
    over a range that includes the sample) and has no steps. Computed as 1 − the average
    shortfall (1 − the allowed gain, 0 where no peak is over), only at the samples with a
    shortfall within ±1 window (``around`` over the limit). They form runs that hold
    every sample within ±1 window of a shortfall, so the runs are laid out one after
    another with a window of zeros between them and each window's sum is a difference
    of prefix sums there."""
    import numpy as np

    where, envelope, around = envelopes
    chosen = around > limit
    positions = where[chosen]
    if not len(positions):
        return None
    half = max(1, rate * _LIMITER_MS // 1000)
    peaks = envelope[chosen]  # 0 where a sample's own ±2 windows are silent: no shortfall
    allowed = np.divide(limit, peaks, out=np.ones_like(peaks), where=peaks > limit)
    shortfalls = np.maximum(0.0, 1.0 - allowed)
    runs = np.concatenate(([0], np.cumsum(np.diff(positions) > 1)))
    slots = np.arange(len(positions)) + half * (runs + 1)
    laid = np.zeros(len(positions) + half * (int(runs[-1]) + 2))
    laid[slots] = shortfalls
    sums = np.concatenate(([0.0], np.cumsum(laid)))
    window = sums[slots + half + 1] - sums[slots - half]
    if positions[0] == 0:  # the first sample's shortfall continues before the clip
        window += shortfalls[0] * np.maximum(0, half - positions)
    if positions[-1] == n_samples - 1:
        window += shortfalls[-1] * np.maximum(0, positions + half - positions[-1])
    factors: Floats = 1.0 - window / (2 * half + 1)
    return positions, factors


def _running_max(values: Floats32, width: int) -> Floats32:
    """``max(values[i : i + width])`` for every full window: maxima over 2, 4, 8 … samples,
    each from two of the previous, then two overlapping ones of those (log2(width) passes
    over the array, each vectorized)."""
    import numpy as np

    result, span = values, 1
    while 2 * span <= width:
        result = np.maximum(result[:-span], result[span:])
        span *= 2
    if span < width:
        result = np.maximum(result[: len(result) - (width - span)], result[width - span :])
    return result


@lru_cache(maxsize=32)
def _k_response(rate: int, n: int) -> Complexes64:
    """The K-weighting's response at the bins of an ``n``-point real FFT, in complex64
    like the spectra it multiplies (cached: clips of one length class share it)."""
    import numpy as np

    omega = np.linspace(0.0, math.pi, n // 2 + 1)
    response: Complexes64 = (
        _biquad_response(_high_shelf(rate), omega) * _biquad_response(_high_pass(rate), omega)
    ).astype(np.complex64)
    response.setflags(write=False)
    return response


def _fft_size(n: int) -> int:
    """A fast FFT length of at least ``n``: m·2^k with m in 8, 9, 10, 12, 15 (at most 25 %
    longer, and few enough lengths that :func:`_k_response` is nearly always cached)."""
    size = 1 << max(0, n.bit_length() - 4)  # size * 8 <= n < size * 16
    return min(m * size for m in (8, 9, 10, 12, 15, 16) if m * size >= n)


def _high_shelf(rate: int) -> tuple[float, ...]:
    """BS.1770 stage 1 (the head's acoustic effect): +4 dB above ≈1.7 kHz."""
    gain_db, q, fc = 3.99984385397, 0.7071752369554193, 1681.9744509555319
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * fc / rate
    alpha = math.sin(w0) / (2 * q)
    cos = math.cos(w0)
    return (
        a * ((a + 1) + (a - 1) * cos + 2 * math.sqrt(a) * alpha),
        -2 * a * ((a - 1) + (a + 1) * cos),
        a * ((a + 1) + (a - 1) * cos - 2 * math.sqrt(a) * alpha),
        (a + 1) - (a - 1) * cos + 2 * math.sqrt(a) * alpha,
        2 * ((a - 1) - (a + 1) * cos),
        (a + 1) - (a - 1) * cos - 2 * math.sqrt(a) * alpha,
    )


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
