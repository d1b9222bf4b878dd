"""Lengths without waiting (issue 22 item 3): clip lengths estimated from the text, a routine
previewed on cached lengths where there are clips and estimates elsewhere, `show` and
`list` marking what is estimated and synthesizing nothing, `play`/`export` measuring."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest

from voiceguide.audio.sound import DEFAULT_SOUND
from voiceguide.pcm.clip import Clip, ms_to_samples
from voiceguide.preview import preview
from voiceguide.session import prepare
from voiceguide.speech.cache import ClipCache, key_for
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.estimate import _weights_at, estimate_ms, features, number_words
from voiceguide.speech.estimate_table import CALIBRATION
from voiceguide.speech.fake import FakeEngine, fake_speech_ms
from voiceguide.timing.pacing import Layer

from .conftest import Runner

ROUTINE = """\
title: Tiny
intro: Lie on your back and let your shoulders rest.
steps:
  - name: Knee
    say: Pull your knee in, gently.
    hold: 3s
    countdown: 2
    rest: 1s
outro: Well done.
"""
PLANTED_TEXT = "Pull your knee in, gently."
PLANTED_MS = 2_345  # not what the fake engine would make of it
SAMPLE_RATE = FakeEngine.sample_rate
FAKE = [Layer("test", {"engine": "fake"})]


def write(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(ROUTINE, encoding="utf-8")
    return path


def wav_files(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.wav")) if cache.exists() else []


def plant(cache: ClipCache, text: str, ms: int, rate_wpm: int = 150) -> None:
    """A clip of ``ms`` for ``text`` in the cache, as synthesis would key it."""
    voice = VoiceSpec(None, rate_wpm, DEFAULT_SOUND.loudness_lufs)
    pcm = b"\x10\x00" * ms_to_samples(ms, SAMPLE_RATE)
    cache.put(key_for(FakeEngine(), text, voice), Clip(pcm, SAMPLE_RATE))


# ---- the estimate itself ------------------------------------------------------------------


def test_features_count_what_is_heard() -> None:
    said = features("Breathe in for 4, slowly. Then out.")
    assert said.words == 7  # "4" is one word, "four"
    assert said.syllables == 8  # breathe in for four slow-ly then out
    assert said.clause_pauses == 1 and said.sentence_pauses == 1  # the final stop is no pause
    assert number_words(47) == "forty seven" and number_words(300) == "three hundred"
    assert features("17").syllables == 3  # seventeen: numbers are read as words


def test_estimates_follow_text_and_rate_for_each_calibrated_engine() -> None:
    short, long_ = "Hold.", "Let your lower back sink into the floor as you breathe out slowly."
    for engine in ("piper", "espeak-ng"):
        assert (engine, None) in CALIBRATION
        at = {rate: estimate_ms(long_, engine, VoiceSpec(None, rate)) for rate in (90, 130, 175, 300)}
        assert at[90] > at[130] > at[175] > at[300] > 0
        words = len(long_.split())
        assert words * 60_000 / 300 < at[130] < words * 60_000 / 90  # a plausible speaking rate
        assert 0 < estimate_ms(short, engine, VoiceSpec(None, 150)) < at[175]


def test_weights_are_exact_at_a_calibrated_rate_and_scaled_beyond() -> None:
    table = ((100, (10.0, 200.0)), (200, (6.0, 100.0)))
    assert _weights_at(table, 100) == (10.0, 200.0)
    middle = _weights_at(table, 150)  # a third of the way in minutes per word
    assert middle[1] == pytest.approx(200 - 100 * (1 / 150 - 1 / 100) / (1 / 200 - 1 / 100))
    assert _weights_at(table, 50) == (20.0, 400.0) and _weights_at(table, 400) == (3.0, 50.0)


def test_the_fake_engines_estimate_is_its_formula() -> None:
    voice = VoiceSpec(None, 130)
    assert estimate_ms("Breathe in slowly.", "fake", voice) == fake_speech_ms("Breathe in slowly.", 130)


# ---- previews -----------------------------------------------------------------------------


def test_a_cold_preview_estimates_everything_and_writes_nothing(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    found = preview(write(tmp_path), ClipCache(cache_dir), layers=FAKE)
    spoken = {e.text for e in found.session.timeline.events if e.kind == "speech"}
    assert found.is_estimate and found.estimated == spoken
    assert found.exact_until_ms == 0  # the first sound is already an estimate
    assert not cache_dir.exists()  # not a clip, not even the engine's record


def test_a_warm_preview_is_the_measured_session(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    plant(cache, PLANTED_TEXT, PLANTED_MS)  # measured lengths must win over estimates
    session, _ = prepare(write(tmp_path), None, cache, layers=FAKE)
    found = preview(write(tmp_path), cache, layers=FAKE)
    assert not found.is_estimate and found.exact_until_ms is None
    assert found.session.timeline == session.timeline
    planted = next(e for e in found.session.timeline.events if e.text == PLANTED_TEXT)
    assert planted.end_ms - planted.start_ms == PLANTED_MS


def test_a_partly_cached_preview_marks_only_what_it_estimated(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    cold = preview(write(tmp_path), cache, layers=FAKE)
    plant(cache, PLANTED_TEXT, PLANTED_MS)
    partly = preview(write(tmp_path), cache, layers=FAKE)
    assert PLANTED_TEXT in cold.estimated and PLANTED_TEXT not in partly.estimated
    assert partly.estimated == cold.estimated - {PLANTED_TEXT} and partly.is_estimate
    # the hold starts when the instruction ends: the total moves by the measured difference
    difference = PLANTED_MS - fake_speech_ms(PLANTED_TEXT, 150)
    assert partly.session.timeline.duration_ms - cold.session.timeline.duration_ms == difference


# ---- the commands -------------------------------------------------------------------------


def test_show_on_a_cold_cache_synthesizes_nothing_and_marks_estimates(
    vg_in_process: Runner, tmp_path: Path
) -> None:
    write(tmp_path)
    text = vg_in_process("show", "tiny.yaml")
    assert text.returncode == 0, text.stderr
    assert "(≈0:" in text.stdout and "≈ estimated" in text.stdout
    assert any(line.startswith("≈") and line.endswith("end") for line in text.stdout.splitlines())
    doc = json.loads(vg_in_process("show", "tiny.yaml", "--json").stdout)
    assert doc["estimated"] is True and doc["exact_until_ms"] == 0
    assert PLANTED_TEXT in doc["estimated_texts"]
    assert wav_files(tmp_path / "cache") == []


def test_show_after_synthesis_is_measured_and_unmarked(vg_in_process: Runner, tmp_path: Path) -> None:
    write(tmp_path)
    plant(ClipCache(tmp_path / "cache"), PLANTED_TEXT, PLANTED_MS)
    measured = json.loads(vg_in_process("show", "tiny.yaml", "--json", "--measure").stdout)
    assert measured["estimated"] is False and measured["estimated_texts"] == []
    assert wav_files(tmp_path / "cache")  # --measure synthesized the rest
    doc = json.loads(vg_in_process("show", "tiny.yaml", "--json").stdout)
    assert doc == measured
    text = vg_in_process("show", "tiny.yaml").stdout
    assert "≈" not in text


def test_export_places_sounds_on_measured_lengths_never_estimates(
    vg_in_process: Runner, tmp_path: Path
) -> None:
    write(tmp_path)
    cold = json.loads(vg_in_process("show", "tiny.yaml", "--json").stdout)
    plant(ClipCache(tmp_path / "cache"), PLANTED_TEXT, PLANTED_MS)  # its estimate is now wrong
    result = vg_in_process("export", "tiny.yaml", "-o", "out.wav")
    assert result.returncode == 0, result.stderr
    with wave.open(str(tmp_path / "out.wav")) as exported:
        frames, rate = exported.getnframes(), exported.getframerate()
    difference = PLANTED_MS - fake_speech_ms(PLANTED_TEXT, 150)
    assert frames == ms_to_samples(cold["duration_ms"] + difference, rate)
    measured = json.loads(vg_in_process("show", "tiny.yaml", "--json").stdout)
    assert measured["estimated"] is False and frames == ms_to_samples(measured["duration_ms"], rate)


def test_list_on_a_cold_cache_estimates_and_synthesizes_nothing(
    vg_in_process: Runner, tmp_path: Path
) -> None:
    rows = json.loads(vg_in_process("list", "--json", "--sort", "length").stdout)
    assert rows and all(r["estimated"] is True and r["length_ms"] > 0 for r in rows if r["problem"] is None)
    text = vg_in_process("list", "--max", "1h")
    assert "≈" in text.stdout and "≈ estimated" in text.stderr
    assert wav_files(tmp_path / "cache") == []


@pytest.mark.espeak
def test_espeak_estimates_are_close_and_replaced_by_measurements(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    layers = [Layer("test", {"engine": "espeak-ng"})]
    cold = preview(write(tmp_path), cache, layers=layers)
    assert cold.is_estimate and not cache.directory.exists()
    session, _ = prepare(write(tmp_path), None, cache, layers=layers)
    warm = preview(write(tmp_path), cache, layers=layers)
    assert not warm.is_estimate and warm.session.timeline == session.timeline
    measured, estimated = session.timeline.duration_ms, cold.session.timeline.duration_ms
    assert abs(estimated - measured) <= 0.08 * measured  # the worst-routine goal


def test_a_duration_fitted_on_estimates_is_estimated_from_the_start(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    plant(cache, "Lie on your back and let your shoulders rest.", 1_000)  # the first sound
    fitted = [Layer("test", {"engine": "fake", "duration": 20_000})]
    found = preview(write(tmp_path), cache, layers=fitted)
    assert found.is_estimate and found.exact_until_ms == 0  # every hold was scaled on estimates
    unfitted = preview(write(tmp_path), cache, layers=FAKE)
    knee = next(e for e in unfitted.session.timeline.events if e.text == PLANTED_TEXT)
    assert unfitted.exact_until_ms == knee.start_ms > 1_000  # the first estimated sound
