"""A session plays while its speech is made: the frontier, the player's streams, and that
what is heard is exactly what export writes (fake engine; tests/test_play_alsa.py plays
cold sessions through real ALSA)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from voiceguide.audio.render import render_pcm
from voiceguide.errors import EngineUnavailable
from voiceguide.pcm.clip import Clip, ms_to_samples
from voiceguide.play.player import Player
from voiceguide.play.sink import FakeSink
from voiceguide.session import GrowingSession, finish, plan
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine
from voiceguide.speech.scheduler import scheduler

from .helpers.engines import Held

ROUTINE = """\
title: Streamed
intro: Find a comfortable place to lie down.
steps:
  - name: Knee to chest
    say: Bring your knee to your chest.
    hold: 4s
    sides: [left, right]
    cues: [{at: 1s, say: Breathe slowly.}]
  - name: Breathing
    breathe: {pattern: 2-1-2, cycles: 2}
outro: Well done.
"""


@pytest.fixture(autouse=True)
def held() -> Iterator[None]:
    Held.reset()
    yield
    Held.gate.set()  # never leave a scheduler thread waiting


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    path = tmp_path / "streamed.yaml"
    path.write_text(ROUTINE)
    return path


def full_pcm(routine: Path, cache: ClipCache) -> bytes:
    session, clips = finish(plan(routine, FakeEngine, cache))
    return b"".join(render_pcm(session.timeline, clips, session.sample_rate))


def test_samples_before_the_frontier_never_change(routine: Path, tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    Held.free = 2
    with GrowingSession(plan(routine, Held, cache)) as growing:
        growing.advance(None)  # the first clips are made; the rest wait for the gate
        while len(growing.clips.lengths) < 2:
            growing.advance(None)
        assert not growing.complete
        early_frontier = growing.final_samples()
        early = b"".join(render_pcm(growing.timeline, growing.clips, 22050, stop_sample=early_frontier))
        assert early_frontier > 0
        Held.gate.set()
        while not growing.complete:
            growing.advance(None)
        assert growing.final_samples() == ms_to_samples(growing.timeline.duration_ms, 22050)
    whole = full_pcm(routine, cache)
    assert early == whole[: len(early)]
    assert len(early) < len(whole)


def test_a_cold_session_starts_before_its_speech_is_made_and_plays_the_export(
    routine: Path, tmp_path: Path
) -> None:
    cache = ClipCache(tmp_path / "cache")
    now = [0.0]
    sink = FakeSink()
    with GrowingSession(plan(routine, Held, cache)) as growing:
        player = Player(growing, growing.clips, 22050, sink, clock=lambda: now[0])
        player.start(0)
        assert len(sink.started) == 1 and not growing.complete  # sound before the rest is made
        assert len(Held.spoken) == 1
        Held.gate.set()
        for _ in range(10_000):
            now[0] += 0.1
            player.tick()
            if player.finished():
                break
            if player.starved():
                growing.advance(None)  # wait for synthesis (an event, not a time)
        assert player.finished()
    heard = b"".join(sink.started)
    assert heard == full_pcm(routine, cache)  # streams joined at the very sample they ended
    assert len(sink.started) >= 2


def test_next_step_waits_for_a_chapter_start_that_is_final(routine: Path, tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    sink = FakeSink()
    with GrowingSession(plan(routine, Held, cache)) as growing:
        player = Player(growing, growing.clips, 22050, sink, clock=lambda: 0.0)
        player.start(0)
        threading.Timer(0.2, Held.gate.set).start()  # the rest comes while next waits
        player.next_step()
        session, _ = finish(plan(routine, FakeEngine, cache))
        second = session.timeline.chapters[1].start_ms
        assert player.position() == ms_to_samples(second, 22050)  # exact, not provisional


def test_a_clip_that_fails_mid_stream_names_its_step(routine: Path, tmp_path: Path) -> None:
    class FailsOnCue(FakeEngine):
        def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
            if text == "Breathe slowly.":
                raise EngineUnavailable("the engine crashed")
            return super().synthesize(text, voice)

    with (
        GrowingSession(plan(routine, FailsOnCue, ClipCache(tmp_path / "cache"))) as growing,
        pytest.raises(EngineUnavailable) as raised,
    ):
        while not growing.complete:
            growing.advance(None)
    assert raised.value.message == 'the engine crashed (speaking "Knee to chest — left")'


def test_closing_cancels_the_speech_nobody_will_hear(routine: Path, tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    growing = GrowingSession(plan(routine, Held, cache))
    growing.advance(None)
    growing.close()  # Ctrl-C: the rest is dropped from the queue
    Held.gate.set()
    finish(plan(routine, FakeEngine, ClipCache(tmp_path / "other")))  # the scheduler moves on
    # the first clip, and at most one being made on each of the scheduler's threads
    assert len(Held.spoken) <= 1 + scheduler().workers
    assert not [p for p in cache.directory.rglob("*") if p.name.startswith(".")]  # no temp file


def test_a_warm_session_is_one_stream(routine: Path, tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    whole = full_pcm(routine, cache)
    sink = FakeSink()
    with GrowingSession(plan(routine, FakeEngine, cache)) as growing:
        assert growing.complete
        player = Player(growing, growing.clips, 22050, sink, clock=lambda: 0.0)
        player.start(0)
        player.tick()
    assert sink.started == [whole]


def test_export_to_standard_output_streams_a_cold_session(tmp_path: Path, routine: Path) -> None:
    """``-o -`` starts writing while speech is still being made (the WAV header then says
    "size unknown", as ffmpeg's piped WAV does); the samples are the file export's."""
    import os
    import subprocess
    import sys

    from voiceguide.pcm.wavfile import read_wav

    from .helpers.run import private_environment

    env = dict(os.environ) | private_environment(tmp_path, "fake")
    voiceguide = Path(sys.executable).parent / "voiceguide"
    streamed = subprocess.run(
        [str(voiceguide), "export", str(routine), "-o", "-", "--format", "wav"],
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    ).stdout
    assert streamed[4:8] == b"\xff\xff\xff\xff"  # the length was not known when it began
    out = tmp_path / "file.wav"
    subprocess.run(
        [str(voiceguide), "export", str(routine), "-o", str(out), "-q"], env=env, check=True, timeout=300
    )
    data = streamed[streamed.index(b"data") + 8 :]
    assert data == read_wav(out).pcm


class WithholdsThree(FakeEngine):
    """Speaks every text at once but "3", which waits for ``gate``."""

    gate = threading.Event()

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        if text == "3":
            assert WithholdsThree.gate.wait(30), "the test never opened the gate"
        return super().synthesize(text, voice)


def test_a_countdown_number_left_out_does_not_hold_the_frontier(tmp_path: Path) -> None:
    """The cue covers "3" (left out of the timeline), so once every other length is known
    the whole timeline is final, though "3" is still being made."""
    path = tmp_path / "clash.yaml"
    path.write_text(
        "title: Clash\nsteps:\n  - say: Hold.\n    hold: 6s\n    countdown: 3\n"
        "    cues: [{at: 1s, say: one two three four five six seven eight}]\n"
    )
    WithholdsThree.gate = threading.Event()
    cache = ClipCache(tmp_path / "cache")
    try:
        with GrowingSession(plan(path, WithholdsThree, cache)) as growing:
            while len(growing.clips.lengths) < len(growing.plan.texts) - 1:
                growing.advance(None)
            assert not growing.complete and "3" not in growing.clips.lengths
            assert "3" not in {e.text for e in growing.timeline.events}
            assert growing.frontier_ms == growing.timeline.duration_ms
            early = growing.timeline
            WithholdsThree.gate.set()
            while not growing.complete:
                growing.advance(None)
            assert growing.timeline == early
    finally:
        WithholdsThree.gate.set()
