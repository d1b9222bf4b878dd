"""Onsets faded in: no phrase starts with a step out of silence (a click).

espeak-ng begins a clip after ≈13 ms of digital silence, and a fricative ("Stop", "Sit",
"See") then starts at full level: −14 to −25 dBFS within its first millisecond, heard as
a click before the word; piper sometimes starts a clip at its first sample. Every
:func:`onsets` of a clip (its first sound, and each sound after a pause inside it, as
between two sentences) gets a raised-cosine fade-in of :data:`FADE_IN_MS`. The shorter
silences inside a phrase (a stop's closure before its burst: up to ≈100 ms) are speech
and stay as they are, and so do the samples before an onset; the clip's length never
changes, so timing doesn't.
"""

from __future__ import annotations

from .clip import Clip

#: Length of the raised-cosine fade-in at each onset, ms. Its gain one millisecond in is
#: (1 − cos(π/12))/2 = 0.017 (−35 dB). Scanned over the bundled library's clips
#: (``benchmarks/bench_onsets.py``), onsets over −40 dBFS in their first millisecond:
#: unfaded 339 of espeak-ng's 908 (up to −14 dBFS) and 4 of piper's 742; faded 5 ms 84
#: and 2, 10 ms 2 and 0 (−39.8 dBFS), 12 ms none.
FADE_IN_MS = 12
#: Samples with ``|s|`` under this are silence (−60 dBFS).
SILENCE = 33
#: Samples with ``|s|`` at or under this are digital silence (zero, give or take rounding).
DIGITAL_SILENCE = 3
#: Silence at least this long before a sound makes that sound an onset, ms: longer than
#: the silences inside a phrase (espeak-ng's stop closures, ≤ 100 ms), shorter than its
#: pauses at a comma or between sentences (150 ms and more).
MIN_SILENCE_MS = 120


def onsets(pcm: bytes, sample_rate: int) -> list[int]:
    """Sample indices where a phrase starts: the first sample at or above :data:`SILENCE`,
    and every such sample after :data:`MIN_SILENCE_MS` or more under it. ``pcm``: mono
    int16 little-endian samples at ``sample_rate`` Hz."""
    import numpy as np

    loud = np.flatnonzero(np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32)) >= SILENCE)
    if len(loud) == 0:
        return []
    min_gap = MIN_SILENCE_MS * sample_rate // 1000
    after_silence = np.flatnonzero(np.diff(loud) > min_gap) + 1
    return [int(loud[0]), *(int(i) for i in loud[after_silence])]


def fade_onsets(clip: Clip, fade_ms: int = FADE_IN_MS) -> Clip:
    """``clip`` with a raised-cosine fade-in of ``fade_ms`` (ms) from each of its
    :func:`onsets`: gain (1 − cos(π·i/n))/2 at the i-th of n samples, products rounded
    towards zero (never louder). Same length; a clip without sound is returned as it is."""
    import numpy as np

    starts = onsets(clip.pcm, clip.sample_rate)
    n = fade_ms * clip.sample_rate // 1000
    if not starts or n == 0:
        return clip
    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64)
    ramp = (1.0 - np.cos(np.pi * np.arange(n) / n)) / 2.0
    for start in starts:  # onsets are more than n apart: the ramps never overlap
        piece = samples[start : start + n]
        piece *= ramp[: len(piece)]
    return Clip(np.trunc(samples).astype("<i2").tobytes(), clip.sample_rate)


def onset_peaks(clip: Clip) -> list[int]:
    """How loud each onset starts: the peak ``|sample|`` of its first millisecond, counted
    from where the sound leaves digital silence (the end of the last millisecond of
    ``|s|`` ≤ 3 in the pause before the onset; from the clip's first sample when the onset
    is the clip's first sound and nothing before it is that quiet, since silence precedes
    a clip; else from the onset). Above 328 (−40 dBFS) the step is heard as a click."""
    import numpy as np

    samples = np.abs(np.frombuffer(clip.pcm, dtype="<i2").astype(np.int32))
    one_ms = clip.sample_rate // 1000
    pause = MIN_SILENCE_MS * clip.sample_rate // 1000
    peaks = []
    for onset in onsets(clip.pcm, clip.sample_rate):
        first = max(0, onset - pause)
        quiet = np.concatenate([[0], np.cumsum(samples[first:onset] <= DIGITAL_SILENCE)])
        runs = np.flatnonzero(quiet[one_ms:] - quiet[:-one_ms] == one_ms)
        if len(runs):  # the end of the last millisecond of digital silence
            start = first + int(runs[-1]) + one_ms
        else:
            start = 0 if onset < pause else onset
        peaks.append(int(samples[start : start + one_ms].max()))
    return peaks
