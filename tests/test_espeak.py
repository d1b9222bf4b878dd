"""The real engine: espeak-ng through pyttsx3."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from voiceguide.cache import ClipCache
from voiceguide.errors import EngineUnavailable, VoiceguideError
from voiceguide.synth import synthesize_all
from voiceguide.tts import espeak as espeak_module
from voiceguide.tts.base import VoiceSpec
from voiceguide.tts.espeak import Pyttsx3Engine

pytestmark = pytest.mark.espeak


@pytest.fixture(scope="module")
def engine() -> Pyttsx3Engine:
    if not Pyttsx3Engine.is_available():
        pytest.fail("espeak-ng is missing: bin/setup installs it")
    return Pyttsx3Engine()


def test_speech_is_mono_16_bit_22050_and_trimmed(engine: Pyttsx3Engine) -> None:
    clip = engine.synthesize("Breathe in slowly.", VoiceSpec(None, 150))
    assert clip.sample_rate == 22050
    assert 600 < clip.duration_ms < 2000
    samples = memoryview(clip.pcm).cast("h")
    assert max(abs(s) for s in samples) > 3000
    assert max(abs(s) for s in samples[-200:]) < 2000  # espeak's 0.4 s tail is gone


def test_slower_rate_gives_longer_speech(engine: Pyttsx3Engine) -> None:
    text = "Relax your shoulders and breathe deeply into your lower back."
    lengths = [engine.synthesize(text, VoiceSpec(None, rate)).duration_ms for rate in (100, 150, 250)]
    assert lengths[0] > lengths[1] > lengths[2]
    assert 1.3 < lengths[0] / lengths[1] < 1.7  # about 150/100


def test_long_text_first_in_a_fresh_engine_works() -> None:
    # pyttsx3 writes nothing for a long text as a process's first synthesis (see module doc)
    text = " ".join(["Let your breath slow down, and let the floor carry your weight."] * 8)
    assert Pyttsx3Engine().synthesize(text, VoiceSpec(None, 150)).duration_ms > 20_000


def test_nothing_is_printed_on_stdout(engine: Pyttsx3Engine, capfd: pytest.CaptureFixture[str]) -> None:
    engine.synthesize("Hold.", VoiceSpec(None, 150))
    out, _ = capfd.readouterr()
    assert out == ""


def test_voices_and_voice_selection(engine: Pyttsx3Engine) -> None:
    voices = engine.voices()
    assert len(voices) > 10
    english = next(v for v in voices if v.id.endswith("en-us"))
    clip = engine.synthesize("Hello there.", VoiceSpec(english.name, 150))
    assert clip.n_samples > 0
    with pytest.raises(VoiceguideError, match=r"unknown voice 'English \(Amerca\)'.*did you mean") as err:
        engine.synthesize("Hello.", VoiceSpec("English (Amerca)", 150))
    assert err.value.exit_code == 2


def test_parallel_synthesis_in_spawned_workers_equals_serial(tmp_path: Path) -> None:
    texts = [f"Number {i}. Keep breathing slowly and let your back relax." for i in range(30)]
    voice = VoiceSpec(None, 150)
    serial = synthesize_all(texts, Pyttsx3Engine, voice, ClipCache(tmp_path / "a"), workers=1)
    parallel = synthesize_all(texts, Pyttsx3Engine, voice, ClipCache(tmp_path / "b"), workers=2)
    assert set(parallel) == set(serial)
    for text in texts:  # espeak-ng carries a little state between utterances: a few ms
        assert abs(parallel[text] - serial[text]) < 150, text


def test_missing_library_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_library(name: str | None = None, *args: object, **kwargs: object) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(espeak_module.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(espeak_module.ctypes, "CDLL", no_library)
    espeak_module._library.cache_clear()  # forget the handle loaded by earlier tests
    assert not Pyttsx3Engine.is_available()
    with pytest.raises(EngineUnavailable, match="apt-get install espeak-ng") as err:
        Pyttsx3Engine.ensure_available()
    assert err.value.exit_code == 1
    assert ctypes.CDLL is no_library
    monkeypatch.undo()
    espeak_module._library.cache_clear()
    assert Pyttsx3Engine.is_available()


def test_default_voice_is_restored_after_a_named_one(engine: Pyttsx3Engine) -> None:
    text = "Let the floor carry your weight."
    default = engine.synthesize(text, VoiceSpec(None, 150))
    german = next(v for v in engine.voices() if v.id.endswith("/de"))
    in_german = engine.synthesize(text, VoiceSpec(german.name, 150))
    assert abs(in_german.n_samples - default.n_samples) > 1000
    # espeak-ng carries a little state between utterances: a few samples, not a voice
    assert abs(engine.synthesize(text, VoiceSpec(None, 150)).n_samples - default.n_samples) < 50
