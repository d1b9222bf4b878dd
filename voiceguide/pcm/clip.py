"""Audio clips and the one place where milliseconds become samples."""

from __future__ import annotations

from dataclasses import dataclass

SAMPLE_WIDTH = 2  # bytes: signed 16-bit little-endian, mono


def ms_to_samples(ms: int, sample_rate: int) -> int:
    """Sample index of an absolute time in ms (floor).

    Always convert *absolute* times, never add converted lengths: the error then
    stays below one sample. With floor, a clip of ``n`` samples placed at ``t``
    ends at or before ``ms_to_samples(t + samples_to_ms(n))``.
    """
    return ms * sample_rate // 1000


def samples_to_ms(samples: int, sample_rate: int) -> int:
    """Length in whole ms that a run of ``samples`` fits into (ceiling)."""
    return -(-samples * 1000 // sample_rate)


@dataclass(frozen=True)
class Clip:
    """Mono 16-bit PCM audio: ``pcm`` is little-endian int16 bytes at ``sample_rate`` Hz."""

    pcm: bytes
    sample_rate: int

    @property
    def n_samples(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH

    @property
    def duration_ms(self) -> int:
        """Length in whole ms, rounded up, so the clip fits in its timeline slot."""
        return samples_to_ms(self.n_samples, self.sample_rate)

    def cut(self, n_samples: int) -> Clip:
        """The first ``n_samples`` samples (all of them if the clip is shorter)."""
        return Clip(self.pcm[: SAMPLE_WIDTH * n_samples], self.sample_rate)


def trim_silence(clip: Clip, *, threshold: int = 100, keep_ms: int = 30) -> Clip:
    """Drop leading and trailing near-silence (|sample| < ``threshold``), keeping
    ``keep_ms`` of it at each end so words don't start or stop abruptly.

    espeak-ng ends every utterance with ≈ 0.4 s of silence; trimmed, a clip's
    length is the speech itself, which is what the timeline places.
    """
    import numpy as np

    samples = np.frombuffer(clip.pcm, dtype="<i2")
    loud = np.abs(samples.astype(np.int32)) >= threshold
    if not loud.any():
        return Clip(b"", clip.sample_rate)
    first = int(loud.argmax())
    last = len(samples) - 1 - int(loud[::-1].argmax())
    keep = keep_ms * clip.sample_rate // 1000
    start = max(0, first - keep)
    end = min(len(samples), last + 1 + keep)
    return Clip(clip.pcm[2 * start : 2 * end], clip.sample_rate)
