"""Synthesizing a session's utterances: only misses, in parallel when it pays (fake engine)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voiceguide.errors import EngineUnavailable, UsageError, VoiceguideError
from voiceguide.pcm.clip import Clip
from voiceguide.speech import synth
from voiceguide.speech.cache import ClipCache, key_for
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine, fake_speech_ms
from voiceguide.speech.synth import load_clip, process_count, start_method, synthesize_all

VOICE = VoiceSpec(None, 150)
TEXTS = [f"Utterance number {i} with {'some ' * (i % 5)}words." for i in range(24)]


def in_a_worker() -> bool:
    return os.environ.get("VG_TEST_PARENT_PID") != str(os.getpid())


@pytest.fixture
def parent_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets engines below tell the test's process from worker processes."""
    monkeypatch.setenv("VG_TEST_PARENT_PID", str(os.getpid()))


class ForkedFake(FakeEngine):
    @staticmethod
    def start_method() -> str:
        return "fork"


class CrashInWorkers(FakeEngine):
    """Dies in any process but the test's own."""

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        if in_a_worker():
            os._exit(3)
        return super().synthesize(text, voice)


class UnavailableInWorkers(FakeEngine):
    def __init__(self) -> None:
        if in_a_worker():
            raise EngineUnavailable("espeak-ng is not installed: run `sudo apt-get install espeak-ng`")
        super().__init__()


class UnknownVoiceInWorkers(FakeEngine):
    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        if in_a_worker():
            raise UsageError("unknown voice 'Amerca'")
        return super().synthesize(text, voice)


def test_lengths_for_every_distinct_text_and_only_misses_are_made(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    engine = FakeEngine()
    texts = ["One.", "Two words.", "One.", "Three words here."]
    calls: list[tuple[int, int]] = []
    lengths = synthesize_all(
        texts, FakeEngine, VOICE, cache, engine=engine, progress=lambda d, t: calls.append((d, t))
    )
    assert list(lengths) == ["One.", "Two words.", "Three words here."]
    assert engine.calls == ["One.", "Two words.", "Three words here."]
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    for text, ms in lengths.items():
        assert ms == Clip(engine.synthesize(text, VOICE).pcm, 22050).duration_ms
        assert abs(ms - fake_speech_ms(text, 150)) <= 1
    again = FakeEngine()
    calls.clear()
    again_lengths = synthesize_all(
        texts, FakeEngine, VOICE, cache, engine=again, progress=lambda d, t: calls.append((d, t))
    )
    assert again_lengths == lengths
    assert again.calls == [] and calls == [(0, 0)]


def test_only_the_misses_are_made(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    synthesize_all(TEXTS[:10], FakeEngine, VOICE, cache)
    engine = FakeEngine()
    synthesize_all(TEXTS, FakeEngine, VOICE, cache, engine=engine, workers=1)
    assert engine.calls == TEXTS[10:]


@pytest.mark.parametrize("factory", [FakeEngine, ForkedFake], ids=["spawn", "fork"])
def test_parallel_fills_the_cache_like_serial(tmp_path: Path, factory: type[FakeEngine]) -> None:
    serial = synthesize_all(TEXTS, FakeEngine, VOICE, ClipCache(tmp_path / "a"), workers=1)
    progress: list[tuple[int, int]] = []
    cache = ClipCache(tmp_path / "b")
    engine = factory()
    parallel = synthesize_all(
        TEXTS, factory, VOICE, cache, workers=3, engine=engine, progress=lambda d, t: progress.append((d, t))
    )
    assert parallel == serial
    assert 0 < len(engine.calls) < len(TEXTS)  # this process spoke some, the workers the rest
    for text in TEXTS:
        assert cache.get(key_for(engine, text, VOICE)) == engine.synthesize(text, VOICE)
    assert progress[0] == (0, len(TEXTS)) and progress[-1] == (len(TEXTS), len(TEXTS))
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert cache.stats().entries == len(TEXTS)
    assert list(cache.directory.rglob(".tmp-*")) == []


@pytest.mark.usefixtures("parent_pid")
def test_a_dead_worker_does_not_lose_the_work(tmp_path: Path) -> None:
    lengths = synthesize_all(TEXTS, CrashInWorkers, VOICE, ClipCache(tmp_path), workers=3)
    assert lengths == synthesize_all(TEXTS, FakeEngine, VOICE, ClipCache(tmp_path / "b"), workers=1)


@pytest.mark.usefixtures("parent_pid")
@pytest.mark.parametrize(
    ("factory", "error", "exit_code"),
    [(UnavailableInWorkers, EngineUnavailable, 1), (UnknownVoiceInWorkers, UsageError, 2)],
)
def test_a_worker_error_is_raised_as_it_was(
    tmp_path: Path, factory: type[FakeEngine], error: type[VoiceguideError], exit_code: int
) -> None:
    with pytest.raises(error) as raised:
        synthesize_all(TEXTS, factory, VOICE, ClipCache(tmp_path), workers=2)
    assert type(raised.value) is error
    assert raised.value.exit_code == exit_code
    assert raised.value.message.startswith(("espeak-ng is not installed", "unknown voice 'Amerca'"))


def test_an_error_here_stops_the_workers(tmp_path: Path) -> None:
    class Broken(FakeEngine):
        def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
            raise UsageError("unknown voice 'x'")

    with pytest.raises(UsageError):
        synthesize_all(TEXTS, FakeEngine, VOICE, ClipCache(tmp_path), workers=2, engine=Broken())


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


def test_how_many_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth, "usable_cpus", lambda: 2)
    assert process_count(1000, workers=1) == 1
    assert process_count(3, workers=8) == 3  # never more than one per miss
    assert process_count(0, workers=None) == 1
    spawn, fork = synth.PARALLEL_THRESHOLD["spawn"], synth.PARALLEL_THRESHOLD["fork"]
    assert process_count(spawn - 1, method="spawn") == 1
    assert process_count(spawn, method="spawn") == 2  # one process per CPU
    assert process_count(fork, method="fork") == 2
    assert fork < spawn
    monkeypatch.setattr(synth, "usable_cpus", lambda: 1)
    assert process_count(10_000, method="fork") == 1
    monkeypatch.setattr(synth, "usable_cpus", lambda: 64)
    assert process_count(10_000, method="fork") == synth.MAX_AUTO_WORKERS


def test_the_engine_chooses_how_workers_start() -> None:
    assert start_method(FakeEngine) == "spawn"
    assert start_method(ForkedFake) == "fork"
    assert start_method(lambda: FakeEngine()) == "spawn"  # says nothing

    class Odd(FakeEngine):
        @staticmethod
        def start_method() -> str:
            return "teleport"

    assert start_method(Odd) == "spawn"
