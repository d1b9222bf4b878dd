"""A Player over a small routine, on a fake sink and a fake clock."""

from __future__ import annotations

from voiceguide.audio.chime import chime_clip
from voiceguide.audio.render import render_pcm
from voiceguide.pcm.clip import Clip
from voiceguide.play.player import Player
from voiceguide.play.sink import FakeSink
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine
from voiceguide.timing.pacing import Pacing
from voiceguide.timing.timeline import CHIME, Event, compile, utterances

from .routines import FakeClock, routine, step

RATE = 22050  # samples per second: the fake engine's


def make_player() -> tuple[Player, FakeClock, FakeSink, bytes]:
    """A Player of two steps (sides, a chime) at ``RATE``, its clock and sink, and the
    whole session's PCM as an export would write it."""
    engine = FakeEngine()
    r = routine(
        step("Pull your {side} knee in.", name="Knee to chest", sides=("left", "right"), hold_ms=5000),
        step("Both knees now.", name="Double knee", hold_ms=4000, chime=True),
        intro="Welcome.",
    )
    clips = {t: engine.synthesize(t, VoiceSpec(None, 150)) for t in utterances(r, Pacing())}
    timeline = compile(r, Pacing(), {t: c.duration_ms for t, c in clips.items()})

    def clip_for(e: Event) -> Clip:
        return chime_clip(RATE) if e.kind == CHIME else clips[e.text]

    clock, sink = FakeClock(), FakeSink()
    whole = b"".join(render_pcm(timeline, clip_for, RATE))
    return Player(timeline, clip_for, RATE, sink, clock=clock), clock, sink, whole
