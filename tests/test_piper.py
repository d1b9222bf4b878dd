"""The optional neural engine (piper): the real model on a few cues when installed, the
missing-install path always."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from voiceguide.errors import EngineUnavailable, UsageError
from voiceguide.routine.text import CHUNK_CHARS, synthesis_chunks
from voiceguide.speech import pace
from voiceguide.speech.cache import ClipCache, key_for
from voiceguide.speech.chunked import chunk_pause_ms
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.pace import espeak_rate_for, length_scale_for
from voiceguide.speech.piper import INSTALL_COMMAND, LINKING_GLIDE, VOICE_ID, PiperEngine, without_glides
from voiceguide.speech.synth import synthesize_all

from .helpers.run import Runner

installed = pytest.mark.skipif(
    not PiperEngine.is_available(),
    reason="piper is not installed here (bin/setup --neural or pip install 'voiceguide[neural]')",
)
SENTENCE = "Breathe in slowly through your nose, and let your shoulders drop as you breathe out."


def test_rate_maps_onto_length_scale_and_espeak_rate_monotonically() -> None:
    scales = [length_scale_for(rate) for rate in range(80, 401, 10)]
    assert scales == sorted(scales, reverse=True)
    assert all(pace.MIN_LENGTH_SCALE <= s <= pace.MAX_LENGTH_SCALE for s in scales)
    nominal = [espeak_rate_for(rate) for rate in range(80, 401, 10)]
    assert nominal == sorted(nominal) and min(nominal) >= 80 and max(nominal) <= 450
    for scale, heard in pace.PIPER_HEARD_WPM[1:-1]:  # each measured point maps back to itself
        assert length_scale_for(round(heard)) == pytest.approx(scale, abs=0.02)
    for rate, heard in pace.ESPEAK_HEARD_WPM[1:-1]:
        assert espeak_rate_for(round(heard)) == pytest.approx(rate, abs=1)
    # espeak-ng is heard faster than its nominal rate: asked to be heard at 150, it is slower
    assert espeak_rate_for(150) < 135


def test_piper_sentences_are_apart_by_one_words_time() -> None:
    engine = PiperEngine()
    fake = _FakeVoice(sentences=2)
    engine._voice, engine._config = fake, lambda **options: options  # type: ignore[assignment]  # as if loaded
    clip = engine.synthesize(SENTENCE, VoiceSpec(None, 150))
    pause = chunk_pause_ms(150) * engine.sample_rate // 1000
    assert clip.n_samples == 2 * len(SENTENCE) + pause  # before: the sentences ran together


def test_missing_piper_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)  # what piper.py asks
    with pytest.raises(EngineUnavailable, match="pip install 'voiceguide\\[neural\\]'"):
        PiperEngine.ensure_available()


def test_missing_piper_through_the_cli_exits_1(tmp_path: Path) -> None:
    code = (
        "import importlib.util, sys\n"
        "importlib.util.find_spec = lambda name, *a: None  # as if piper were not installed\n"
        "from voiceguide.cli import run\n"
        "sys.exit(run(sys.argv[1:]))\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "show",
            "box-breathing",
            "--engine",
            "piper",
            "--cache-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert INSTALL_COMMAND in result.stderr and "Traceback" not in result.stderr


def test_engine_is_chosen_by_option_routine_and_pacing_file(vg_in_process: Runner, tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("title: T\nvoice: {engine: fake}\nsteps: [{say: Go.}]\n")
    doc = json.loads(vg_in_process("pacing", "r.yaml", "--json", engine="espeak-ng").stdout)
    assert (doc["pacing"]["engine"], doc["sources"]["engine"]) == ("fake", "routine voice:")
    (tmp_path / "p.yaml").write_text("engine: fake\n")
    shown = vg_in_process("pacing", "box-breathing", "--pacing", "p.yaml", "--json", engine="espeak-ng")
    doc = json.loads(shown.stdout)
    assert doc["sources"]["engine"] == "pacing file p.yaml"
    bad = vg_in_process("validate", "--no-speech", "r.yaml")
    assert bad.returncode == 0
    (tmp_path / "r.yaml").write_text("title: T\nvoice: {engine: pipr}\nsteps: [{say: Go.}]\n")
    bad = vg_in_process("validate", "--no-speech", "r.yaml")
    assert bad.returncode == 2
    assert "r.yaml:2:17: unknown engine 'pipr' (did you mean \"piper\"?)" in bad.stderr


@pytest.mark.slow
@installed
def test_real_piper_speaks_at_the_mapped_rate() -> None:
    engine = PiperEngine()
    slow = engine.synthesize(SENTENCE, VoiceSpec(None, 100))
    fast = engine.synthesize(SENTENCE, VoiceSpec(None, 200))
    assert slow.sample_rate == fast.sample_rate == 22050
    assert max(abs(s) for s in memoryview(slow.pcm).cast("h")) > 3000  # it speaks
    assert 1.6 < slow.duration_ms / fast.duration_ms < 2.4
    # a voice it has, named as `voices` lists it (its language too, as espeak-ng's are); another
    # is refused with the one it has
    assert engine.synthesize("Go.", VoiceSpec("en-us", 150)).duration_ms > 0
    with pytest.raises(UsageError, match=VOICE_ID):
        engine.synthesize(SENTENCE, VoiceSpec("joe", 150))


@pytest.mark.slow
@installed
@pytest.mark.espeak
def test_both_engines_speak_about_as_fast_at_the_same_rate() -> None:
    from voiceguide.speech.espeak import Pyttsx3Engine

    text = " ".join([SENTENCE] * 3)
    for rate in (110, 150, 220):
        neural = PiperEngine().synthesize(text, VoiceSpec(None, rate)).duration_ms
        robotic = Pyttsx3Engine().synthesize(text, VoiceSpec(None, rate)).duration_ms
        assert 0.8 < neural / robotic < 1.25, (rate, neural, robotic)


def test_linking_glides_are_dropped_and_nothing_else() -> None:
    slowly_out = [["s", "l", "ˈ", "o", "ʊ", "l", "i", LINKING_GLIDE, " ", "ˈ", "a", "ʊ", "t"]]
    assert without_glides(slowly_out) == [["s", "l", "ˈ", "o", "ʊ", "l", "i", " ", "ˈ", "a", "ʊ", "t"]]
    two = [["ˈ", "ɪ", "n", "."], ["b", "ɹ", "ˈ", "i", "ː", "ð", LINKING_GLIDE]]
    assert without_glides(two) == [["ˈ", "ɪ", "n", "."], ["b", "ɹ", "ˈ", "i", "ː", "ð"]]


@installed
def test_the_loaded_voice_speaks_without_linking_glides() -> None:
    """With its linking glide, "Slowly out" was heard "Flow lead out" in 0 of 19 takes."""
    from piper import PiperVoice

    voice, _ = PiperEngine()._load()
    espeak = PiperVoice.phonemize.__get__(voice)  # piper's own, unpatched
    assert LINKING_GLIDE in "".join(espeak("Slowly out")[0])  # espeak-ng marks one here
    assert voice.phonemize("Slowly out") == without_glides(espeak("Slowly out"))
    assert LINKING_GLIDE not in "".join(voice.phonemize("Slowly out")[0])
    text = "Breathe in. Slowly out, and rest."
    assert voice.phonemize(SENTENCE) == espeak(SENTENCE)  # no glide: the same phonemes
    assert len(voice.phonemize(text)) == len(espeak(text)) == 2  # sentences kept


@installed
def test_piper_clips_never_mix_with_espeak_clips(tmp_path: Path) -> None:
    from voiceguide.speech.espeak import Pyttsx3Engine

    voice = VoiceSpec(None, 150)
    assert key_for(PiperEngine(), "Relax.", voice) != key_for(Pyttsx3Engine(), "Relax.", voice)
    assert "piper-tts" in PiperEngine().version and VOICE_ID in PiperEngine().version


@pytest.mark.slow
@installed
def test_parallel_piper_workers_fill_the_cache(tmp_path: Path) -> None:
    texts = [f"Cue number {n}: hold the stretch and breathe." for n in range(1, 7)]
    cache = ClipCache(tmp_path)
    lengths = synthesize_all(texts, PiperEngine, VoiceSpec(None, 150), cache, workers=2)
    assert set(lengths) == set(texts) and all(ms > 500 for ms in lengths.values())
    engine = PiperEngine()
    assert all(cache.get(key_for(engine, t, VoiceSpec(None, 150))) is not None for t in texts)


@pytest.mark.slow
@installed
def test_export_and_voices_with_piper(vg: Runner, tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "title: Neural\nsteps:\n  - {say: Lie on your back., hold: 2s, countdown: 2}\n"
    )
    out = tmp_path / "n.wav"
    first = vg("export", "r.yaml", "-o", str(out), "--engine", "piper", "--json", engine="espeak-ng")
    assert first.returncode == 0, first.stderr
    doc = json.loads(vg("show", "r.yaml", "--json", "--engine", "piper", engine="espeak-ng").stdout)
    assert json.loads(first.stdout)["duration_ms"] == doc["duration_ms"]
    listed = json.loads(vg("voices", "--json", engine="espeak-ng").stdout)
    assert {"engine": "piper", "id": VOICE_ID}.items() <= next(
        v for v in listed if v["engine"] == "piper"
    ).items()
    assert any(v["engine"] == "espeak-ng" for v in listed)


class _FakeVoice:
    """Stands in for a loaded PiperVoice: one loud sample per character, texts recorded."""

    def __init__(self, sentences: int = 1) -> None:
        self.texts: list[str] = []
        self.sentences = sentences  # chunks per text (piper yields one per sentence)

    def synthesize(self, text: str, config: object) -> list[SimpleNamespace]:
        self.texts.append(text)
        return [SimpleNamespace(audio_int16_bytes=b"\x10\x27" * len(text))] * self.sentences


def test_piper_speaks_a_normal_text_in_one_piece_and_a_long_one_in_chunks() -> None:
    engine = PiperEngine()
    fake = _FakeVoice()
    engine._voice, engine._config = fake, lambda **options: options  # type: ignore[assignment]  # as if loaded
    clip = engine.synthesize(SENTENCE, VoiceSpec(None, 150))
    assert fake.texts == [SENTENCE] and clip.n_samples == len(SENTENCE)
    fake.texts.clear()
    text = " ".join([SENTENCE] * (3 * CHUNK_CHARS // len(SENTENCE)))
    clip = engine.synthesize(text, VoiceSpec(None, 150))
    assert fake.texts == list(synthesis_chunks(text)) and len(fake.texts) >= 3
    pause = chunk_pause_ms(150) * engine.sample_rate // 1000
    assert clip.n_samples == sum(map(len, fake.texts)) + (len(fake.texts) - 1) * pause
