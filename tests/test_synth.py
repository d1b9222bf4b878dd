"""Synthesizing a session's utterances through the one scheduler: only misses, in need
order, de-duplicated, cancellable (fake engine; tests/test_espeak.py has the real one)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

import pytest

from voiceguide.errors import EngineUnavailable, UsageError, VoiceguideError
from voiceguide.pcm.clip import Clip
from voiceguide.speech.cache import ClipCache, key_for
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine, fake_speech_ms
from voiceguide.speech.scheduler import Cancelled, Need, Scheduler
from voiceguide.speech.synth import load_clip, spoken, synthesize_all

VOICE = VoiceSpec(None, 150)
TEXTS = [f"Utterance number {i} with {'some ' * (i % 5)}words." for i in range(24)]


class Recording(FakeEngine):
    """Records, across instances, the texts spoken and the threads they were spoken on."""

    spoken: ClassVar[list[str]] = []
    threads: ClassVar[set[str]] = set()
    lock = threading.Lock()

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        with Recording.lock:
            Recording.spoken.append(text)
            Recording.threads.add(threading.current_thread().name)
        return super().synthesize(text, voice)


class Gated(FakeEngine):
    """Speaks only once the test opens the gate (so the queue can be looked at)."""

    gate = threading.Event()
    started = threading.Event()
    spoken: ClassVar[list[str]] = []

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        Gated.started.set()
        assert Gated.gate.wait(30), "the test never opened the gate"
        Gated.spoken.append(text)
        return super().synthesize(text, voice)


@pytest.fixture(autouse=True)
def fresh_records() -> None:
    Recording.spoken, Recording.threads = [], set()
    Gated.gate, Gated.started, Gated.spoken = threading.Event(), threading.Event(), []


def test_lengths_for_every_distinct_text_and_only_misses_are_made(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    texts = ["One.", "Two words.", "One.", "Three words here."]
    calls: list[tuple[int, int]] = []
    lengths = synthesize_all(
        texts, Recording, VOICE, cache, workers=1, progress=lambda d, t: calls.append((d, t))
    )
    assert list(lengths) == ["One.", "Two words.", "Three words here."]
    assert Recording.spoken == ["One.", "Two words.", "Three words here."]  # in order, once each
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    engine = FakeEngine()
    for text, ms in lengths.items():
        assert ms == Clip(engine.synthesize(text, VOICE).pcm, 22050).duration_ms
        assert abs(ms - fake_speech_ms(text, 150)) <= 1
    calls.clear()
    again = synthesize_all(texts, Recording, VOICE, cache, progress=lambda d, t: calls.append((d, t)))
    assert again == lengths
    assert len(Recording.spoken) == 3 and calls == [(0, 0)]  # all cached: nothing made


def test_only_the_misses_are_made(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    synthesize_all(TEXTS[:10], FakeEngine, VOICE, cache)
    synthesize_all(TEXTS, Recording, VOICE, cache, workers=1)
    assert Recording.spoken == TEXTS[10:]


def test_threads_fill_the_cache_like_one(tmp_path: Path) -> None:
    serial = synthesize_all(TEXTS, FakeEngine, VOICE, ClipCache(tmp_path / "a"), workers=1)
    cache = ClipCache(tmp_path / "b")
    parallel = synthesize_all(TEXTS, Recording, VOICE, cache, workers=3)
    assert parallel == serial
    assert sorted(Recording.spoken) == sorted(TEXTS)  # each once
    engine = FakeEngine()
    for text in TEXTS:
        assert cache.get(key_for(engine, text, VOICE)) == spoken(engine, text, VOICE)  # faded in
    assert cache.stats().entries == len(TEXTS)
    assert not [p for p in cache.directory.rglob("*") if p.is_file() and not p.name.endswith(".wav")]


@pytest.mark.parametrize(
    ("error", "exit_code"),
    [
        (EngineUnavailable("espeak-ng is not installed: run `sudo apt-get install espeak-ng`"), 1),
        (UsageError("unknown voice 'Amerca'"), 2),
    ],
)
def test_an_engine_error_is_raised_as_it_was(tmp_path: Path, error: VoiceguideError, exit_code: int) -> None:
    class Failing(FakeEngine):
        def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
            raise error

    with pytest.raises(type(error)) as raised:
        synthesize_all(TEXTS, Failing, VOICE, ClipCache(tmp_path), workers=2)
    assert raised.value is error and raised.value.exit_code == exit_code


def test_work_is_done_in_order_of_need(tmp_path: Path) -> None:
    """The playhead's clip jumps the queue; then sessions in the order they asked; previews last."""
    scheduler = Scheduler(workers=1)
    cache = ClipCache(tmp_path)
    try:
        with scheduler.request(["first, holding the worker"], Gated, VOICE, cache, Need.SESSION) as busy:
            assert Gated.started.wait(30)
            preview = scheduler.request(["preview"], Gated, VOICE, cache, Need.PREVIEW)
            session = scheduler.request(["session one", "session two"], Gated, VOICE, cache)
            playhead = scheduler.request(["playhead"], Gated, VOICE, cache, Need.PLAYHEAD)
            Gated.gate.set()
            for request in (busy, preview, session, playhead):
                request.wait_all()
        assert Gated.spoken == [
            "first, holding the worker",
            "playhead",
            "session one",
            "session two",
            "preview",
        ]
    finally:
        scheduler.close()


def test_a_text_asked_for_twice_is_made_once_and_both_hear_of_it(tmp_path: Path) -> None:
    scheduler = Scheduler(workers=2)
    cache = ClipCache(tmp_path)
    try:
        first = scheduler.request(["Shared.", "Only first."], Gated, VOICE, cache)
        second = scheduler.request(["Shared.", "Only second."], Gated, VOICE, cache, Need.PREVIEW)
        Gated.gate.set()
        assert first.wait_all()["Shared."] == second.wait_all()["Shared."]
        assert sorted(Gated.spoken) == ["Only first.", "Only second.", "Shared."]
    finally:
        scheduler.close()


def test_cancelling_drops_what_nobody_else_needs(tmp_path: Path) -> None:
    scheduler = Scheduler(workers=1)
    cache = ClipCache(tmp_path)
    try:
        holding = scheduler.request(["Holding the worker."], Gated, VOICE, cache)
        assert Gated.started.wait(30)
        superseded = scheduler.request(["Old preview.", "Shared text."], Gated, VOICE, cache, Need.PREVIEW)
        newer = scheduler.request(["Shared text.", "New preview."], Gated, VOICE, cache, Need.PREVIEW)
        superseded.cancel()
        with pytest.raises(Cancelled):
            superseded.wait_all()
        Gated.gate.set()
        newer.wait_all()
        holding.wait_all()
        assert "Old preview." not in Gated.spoken
        assert sorted(Gated.spoken) == ["Holding the worker.", "New preview.", "Shared text."]
        assert cache.stats().entries == 3
    finally:
        scheduler.close()


def test_a_failed_text_is_tried_again_by_a_later_request(tmp_path: Path) -> None:
    class FailsOnce(FakeEngine):
        failed = False

        def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
            if not FailsOnce.failed:
                FailsOnce.failed = True
                raise EngineUnavailable("the engine stumbled")
            return super().synthesize(text, voice)

    scheduler = Scheduler(workers=1)
    try:
        with pytest.raises(EngineUnavailable):
            scheduler.request(["Again."], FailsOnce, VOICE, ClipCache(tmp_path)).wait_all()
        assert scheduler.request(["Again."], FailsOnce, VOICE, ClipCache(tmp_path)).wait_all()["Again."] > 0
    finally:
        scheduler.close()


def test_one_engine_serves_every_thread(tmp_path: Path) -> None:
    made: list[int] = []

    class Counted(FakeEngine):
        def __init__(self) -> None:
            made.append(1)
            super().__init__()

    synthesize_all(TEXTS, Counted, VOICE, ClipCache(tmp_path), workers=3)
    assert len(made) == 1


def test_load_clip_remakes_a_missing_entry(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    engine = FakeEngine()
    first = load_clip(cache, engine, "Hello.", VOICE)
    assert engine.calls == ["Hello."]
    assert load_clip(cache, engine, "Hello.", VOICE) == first
    assert engine.calls == ["Hello."]
    cache.clear()
    assert load_clip(cache, engine, "Hello.", VOICE) == first
    assert engine.calls == ["Hello.", "Hello."]


def test_leaving_waits_only_the_grace_and_stores_nothing_after(tmp_path: Path) -> None:
    """A process leaving (``play``'s q, Ctrl-C) does not wait for a thread inside an engine
    call (piper, a Whisper check: seconds): leave() returns after its grace, says a thread is
    still busy, fails the requests still waiting, and the clip that thread makes afterwards
    is not stored (the process ends with os._exit: nothing may be half written)."""
    import time

    gate, started = threading.Event(), threading.Event()

    class Stuck(FakeEngine):
        def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
            started.set()
            assert gate.wait(60)
            return super().synthesize(text, voice)

    synthesis = Scheduler(workers=1)
    cache = ClipCache(tmp_path)
    request = synthesis.request(["Being made.", "Queued."], Stuck, VOICE, cache)
    assert started.wait(30)
    began = time.monotonic()
    assert synthesis.leave(0.2) is False  # the thread is still in the engine
    assert time.monotonic() - began < 5  # the grace (0.2 s), not the clip
    with pytest.raises(Cancelled):
        request.wait_all()
    gate.set()  # the engine call ends: its clip reaches the store, which refuses it
    for thread in synthesis._threads:
        thread.join(30)
    assert cache.stats().entries == 0
    assert [p for p in tmp_path.rglob(".*") if p.is_file()] == []  # no temporary file either
    assert "Queued." not in request.known()


def test_leaving_an_idle_scheduler_lets_the_interpreter_finish(tmp_path: Path) -> None:
    synthesis = Scheduler(workers=2)
    assert synthesis.request(["Made."], FakeEngine, VOICE, ClipCache(tmp_path)).wait_all()["Made."] > 0
    assert synthesis.leave(5) is True
    assert not any(thread.is_alive() for thread in synthesis._threads)
