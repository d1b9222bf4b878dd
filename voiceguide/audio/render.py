"""Timeline + clips → one stream of mono 16-bit PCM, in bounded chunks.

Memory does not grow with the session: silence is sliced from one zero buffer and
each clip is fetched when its turn comes. Every sound starts at the sample of its
absolute start time (:func:`~voiceguide.pcm.clip.ms_to_samples`), so nothing drifts
however long the session is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from ..pcm.clip import SAMPLE_WIDTH, Clip, ms_to_samples
from ..timing.timeline import Event, Timeline

#: what the renderer asks for each sound: the clip of a timeline event
ClipFor = Callable[[Event], Clip]

CHUNK_SAMPLES = 32_768  # ≈ 1.5 s at 22050 Hz


def total_samples(timeline: Timeline, sample_rate: int) -> int:
    """Length of the rendered session in samples."""
    return ms_to_samples(timeline.duration_ms, sample_rate)


def render_pcm(
    timeline: Timeline,
    clip_for: ClipFor,
    sample_rate: int,
    *,
    start_sample: int = 0,
    stop_sample: int | None = None,
    chunk_samples: int = CHUNK_SAMPLES,
) -> Iterator[bytes]:
    """Yield the session's PCM from ``start_sample`` to ``stop_sample`` (default: the end),
    in chunks of at most ``chunk_samples`` samples. The chunks add up to exactly
    ``stop_sample - start_sample`` samples (``total_samples(timeline, sample_rate) -
    start_sample`` by default). With ``stop_sample``, no sound starting at or after it is
    fetched (a growing session's timeline is provisional from its frontier on: see
    :class:`voiceguide.session.GrowingSession`).
    """
    zeros = bytes(chunk_samples * SAMPLE_WIDTH)
    end = total_samples(timeline, sample_rate) if stop_sample is None else stop_sample
    position = start_sample  # next sample to emit

    def silence_until(target: int) -> Iterator[bytes]:
        nonlocal position
        while position < target:
            n = min(chunk_samples, target - position)
            yield zeros[: n * SAMPLE_WIDTH]
            position += n

    sound_end = 0  # sample where the last emitted sound ended
    for event in timeline.events:
        first = ms_to_samples(event.start_ms, sample_rate)
        if first >= end:
            break  # at or after the stop: not fetched
        if ms_to_samples(event.end_ms, sample_rate) <= position:
            continue  # wholly before start_sample: not even fetched
        if first < sound_end:
            raise ValueError(f"sounds overlap at {event.start_ms} ms ({event.text!r})")
        clip = clip_for(event)
        if clip.sample_rate != sample_rate:
            raise ValueError(f"clip at {clip.sample_rate} Hz in a {sample_rate} Hz render")
        sound_end = first + clip.n_samples
        if sound_end > end and stop_sample is None:
            raise ValueError(f"sound at {event.start_ms} ms runs past the end of the session")
        yield from silence_until(first)
        heard_end = min(sound_end, end)  # a sound running past stop_sample is cut there
        pcm = memoryview(clip.pcm)[(position - first) * SAMPLE_WIDTH : (heard_end - first) * SAMPLE_WIDTH]
        for offset in range(0, len(pcm), chunk_samples * SAMPLE_WIDTH):
            yield bytes(pcm[offset : offset + chunk_samples * SAMPLE_WIDTH])
        position = max(position, heard_end)
    yield from silence_until(end)


def write_pcm(f: BinaryIO, chunks: Iterable[bytes], progress: Callable[[int], None] | None = None) -> int:
    """Write PCM chunks to ``f`` from its current position; return the samples written.

    Silent chunks become holes (the file is sparse): they read back as zeros and cost
    no disk writes. The file is truncated at the end, so a trailing hole still counts.
    """
    zeros = b""
    written = 0
    for chunk in chunks:
        if len(zeros) < len(chunk):
            zeros = bytes(len(chunk))
        if chunk == zeros[: len(chunk)]:
            f.seek(len(chunk), os.SEEK_CUR)
        else:
            f.write(chunk)
        written += len(chunk) // SAMPLE_WIDTH
        if progress:
            progress(written)
    f.truncate()
    return written
