"""Streaming render: exact sample positions, bounded chunks, start offsets."""

from __future__ import annotations

from array import array

import pytest

from voiceguide.audio.chime import chime_clip
from voiceguide.audio.render import render_pcm, total_samples
from voiceguide.pcm.clip import Clip, ms_to_samples, samples_to_ms
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine
from voiceguide.timing.pacing import Pacing
from voiceguide.timing.timeline import CHIME, CHIME_MS, Event, compile, utterances

from .helpers.routines import breathing, cue, routine, step

RATE = 22050
VOICE = VoiceSpec(None, 150)


def fixture_session(sample_rate: int = RATE):  # type: ignore[no-untyped-def]
    engine = FakeEngine(sample_rate)
    r = routine(
        step(
            "Lie down. [pause 1500ms] Relax.",
            hold_ms=7_000,
            countdown=3,
            chime=True,
            cues=(cue(2_000, "Breathe."),),
            rest_ms=1_234,
        ),
        step("", breathe=breathing("4-7-8", cycles=2)),
        intro="Welcome.",
        outro="Well done.",
    )
    clips = {t: engine.synthesize(t, VOICE) for t in utterances(r, Pacing())}
    timeline = compile(r, Pacing(), {t: c.duration_ms for t, c in clips.items()})

    def clip_for(e: Event) -> Clip:
        return chime_clip(sample_rate) if e.kind == CHIME else clips[e.text]

    return timeline, clip_for


@pytest.mark.parametrize("rate", [22050, 24000, 44100])
def test_every_sound_starts_at_the_sample_of_its_start_time(rate: int) -> None:
    timeline, clip_for = fixture_session(rate)
    pcm = b"".join(render_pcm(timeline, clip_for, rate, chunk_samples=1000))
    assert len(pcm) == 2 * total_samples(timeline, rate)
    cursor = 0
    for e in timeline.events:
        first = ms_to_samples(e.start_ms, rate)
        clip = clip_for(e)
        assert pcm[2 * first : 2 * first + len(clip.pcm)] == clip.pcm
        assert not any(pcm[2 * cursor : 2 * first])  # silence in between
        cursor = first + clip.n_samples
    assert not any(pcm[2 * cursor :])


def test_chunks_are_bounded() -> None:
    timeline, clip_for = fixture_session()
    sizes = [len(c) for c in render_pcm(timeline, clip_for, RATE, chunk_samples=512)]
    assert max(sizes) <= 1024 and sum(sizes) == 2 * total_samples(timeline, RATE)


@pytest.mark.parametrize("start_ms", [0, 1, 777, 4_321, 12_000, 20_000])
def test_rendering_from_an_offset_equals_the_tail_of_the_whole(start_ms: int) -> None:
    timeline, clip_for = fixture_session()
    whole = b"".join(render_pcm(timeline, clip_for, RATE))
    start = ms_to_samples(start_ms, RATE)
    tail = b"".join(render_pcm(timeline, clip_for, RATE, start_sample=start))
    assert tail == whole[2 * start :]


def test_overlapping_sounds_are_refused_not_mixed() -> None:
    timeline, clip_for = fixture_session()
    first = timeline.events[0]
    bad = Event(first.start_ms + 10, first.end_ms + 10, first.kind, first.text, first.step, 0)
    broken = type(timeline)(timeline.title, timeline.duration_ms, (first, bad), (), ())
    with pytest.raises(ValueError, match="overlap"):
        b"".join(render_pcm(broken, clip_for, RATE))


def test_clip_length_rounding_always_fits_its_slot() -> None:
    for rate in (8000, 22050, 44100, 48000):
        for n in range(0, 3000, 7):
            for start in (0, 1, 13, 999):
                assert ms_to_samples(start + samples_to_ms(n, rate), rate) - ms_to_samples(start, rate) >= n


def test_chime_is_exactly_its_length_and_not_silent() -> None:
    clip = chime_clip(RATE)
    assert clip.n_samples == ms_to_samples(CHIME_MS, RATE)
    peak = max(abs(s) for s in array("h", clip.pcm))
    assert 1000 < peak < 32767
