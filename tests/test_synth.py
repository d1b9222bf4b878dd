"""Synthesizing a session's utterances: only misses, in parallel when it pays (fake engine)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voiceguide.cache import ClipCache, key_for
from voiceguide.synth import load_clip, synthesize_all
from voiceguide.tts.base import VoiceSpec
from voiceguide.tts.fake import FakeEngine, fake_speech_ms

VOICE = VoiceSpec(None, 150)


def test_lengths_for_every_distinct_text_and_only_misses_are_made(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    engine = FakeEngine()
    texts = ["One.", "Two words.", "One.", "Three words here."]
    calls: list[tuple[int, int]] = []
    lengths = synthesize_all(
        texts, FakeEngine, VOICE, cache, engine=engine, progress=lambda d, t: calls.append((d, t))
    )
    assert set(lengths) == {"One.", "Two words.", "Three words here."}
    assert engine.calls == ["One.", "Two words.", "Three words here."]
    assert calls[-1] == (3, 3)
    for text, ms in lengths.items():
        assert abs(ms - fake_speech_ms(text, 150)) <= 1
    again = FakeEngine()
    assert synthesize_all(texts, FakeEngine, VOICE, cache, engine=again) == lengths
    assert again.calls == []


def test_parallel_workers_fill_the_cache_like_serial(tmp_path: Path) -> None:
    texts = [f"Utterance number {i} with some words." for i in range(30)]
    serial = synthesize_all(texts, FakeEngine, VOICE, ClipCache(tmp_path / "a"), workers=1)
    parallel_cache = ClipCache(tmp_path / "b")
    parallel = synthesize_all(texts, FakeEngine, VOICE, parallel_cache, workers=2)
    assert parallel == serial
    engine = FakeEngine()
    for text in texts:
        assert parallel_cache.get(key_for(engine, text, VOICE)) == engine.synthesize(text, VOICE)


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


class CrashInWorkers(FakeEngine):
    """Dies in any process but the test's own."""

    def synthesize(self, text: str, voice: VoiceSpec):  # type: ignore[no-untyped-def]
        if os.environ.get("VG_TEST_PARENT_PID") != str(os.getpid()):
            os._exit(3)
        return super().synthesize(text, voice)


def test_a_dead_worker_does_not_lose_the_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VG_TEST_PARENT_PID", str(os.getpid()))
    texts = [f"Text {i} of the crash test." for i in range(30)]
    lengths = synthesize_all(texts, CrashInWorkers, VOICE, ClipCache(tmp_path), workers=2)
    assert set(lengths) == set(texts)
    assert lengths == synthesize_all(texts, FakeEngine, VOICE, ClipCache(tmp_path / "b"), workers=1)
