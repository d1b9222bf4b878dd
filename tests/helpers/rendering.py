"""Rendering a timeline's ends with silent clips as long as the fake engine's speech."""

from __future__ import annotations

from itertools import islice

from voiceguide.audio.chime import chime_clip
from voiceguide.audio.render import CHUNK_SAMPLES, render_pcm, total_samples
from voiceguide.pcm.clip import Clip
from voiceguide.timing.timeline import CHIME, Event, Timeline


def render_ends(timeline: Timeline, speech: dict[str, int], rate: int = 8000) -> None:
    """Render the first and last few chunks of ``timeline`` (``speech``: each text's length
    in ms; ``rate``: samples per second) with silent clips: full sessions can last hours."""
    chime = chime_clip(rate)

    def clip_for(event: Event) -> Clip:
        if event.kind == CHIME:
            return chime
        return Clip(bytes(2 * (speech[event.text] * rate // 1000)), rate)

    total = total_samples(timeline, rate)
    head = sum(len(c) for c in islice(render_pcm(timeline, clip_for, rate), 4))
    assert head <= 2 * total
    start = max(0, total - 3 * CHUNK_SAMPLES)
    tail = sum(len(c) for c in render_pcm(timeline, clip_for, rate, start_sample=start))
    assert tail == 2 * (total - start)
