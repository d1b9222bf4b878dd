"""Speaking a long text in chunks and joining the clips into one.

One long utterance is what breaks espeak-ng through pyttsx3: time grows with the square
of the length (pyttsx3 appends every 1 s buffer to one ``bytes``: 2,000 words took
14 s, 3,000 words 28 s) and from about 20,000 characters libespeak-ng crashes the
process (SIGSEGV inside ``espeak_Synth``). A text longer than
:data:`~voiceguide.routine.text.CHUNK_CHARS` is therefore spoken as chunks cut at sentence ends
(:func:`~voiceguide.routine.text.synthesis_chunks`), each trimmed as the engine trims every clip,
joined with a pause as long as espeak-ng's own between two sentences. Shorter texts take
the engine's one-piece path unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..pcm.clip import Clip, ms_to_samples
from ..routine.text import synthesis_chunks

#: near-silence :func:`voiceguide.pcm.clip.trim_silence` keeps at each end of a clip, ms
_KEPT_MS = 30


def chunk_pause_ms(rate_wpm: int) -> int:
    """Silence added between two chunks, ms: one word's time at ``rate_wpm`` less what the
    trimmed clips keep at their ends, so the quiet heard is one word long. espeak-ng's own
    pause between sentences measured 389–466 ms at 150 wpm (one word: 400 ms), 142–193 ms
    at 250 wpm and 709–816 ms at 100 wpm."""
    return max(0, 60_000 // rate_wpm - 2 * _KEPT_MS)


def join_clips(clips: Iterable[Clip], pause_ms: int, sample_rate: int) -> Clip:
    """One clip: ``clips`` in order with ``pause_ms`` of silence between two of them
    (empty clips, chunks with nothing to say, are left out with their pause)."""
    gap = b"\0\0" * ms_to_samples(pause_ms, sample_rate)
    return Clip(gap.join(clip.pcm for clip in clips if clip.pcm), sample_rate)


def speak_in_chunks(text: str, speak: Callable[[str], Clip], rate_wpm: int, sample_rate: int) -> Clip:
    """``speak(text)`` when ``text`` is one chunk; otherwise ``speak`` for each chunk, the
    clips joined by :func:`join_clips` with :func:`chunk_pause_ms` between them."""
    chunks = synthesis_chunks(text)
    if len(chunks) == 1:
        return speak(text)
    return join_clips((speak(chunk) for chunk in chunks), chunk_pause_ms(rate_wpm), sample_rate)
