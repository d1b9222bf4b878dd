"""Breath tones: `breathe: {sound: tones|both}` and `--breath-sound` put a rising swell under
each inhale and a falling one under each exhale, silence on holds, in the one sample stream
that play and export share."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from voiceguide.audio.mix import Mix, apply_mix, look_ahead_ms, mixed_range
from voiceguide.audio.tones import DUCK_DB, HIGH_HZ, LOW_HZ
from voiceguide.pcm.clip import ms_to_samples
from voiceguide.pcm.level import TRUE_PEAK_CEILING_DBTP, placed_loudness_lufs, true_peak
from voiceguide.session import GrowingSession, finish, plan, prepare, render
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.fake import FakeEngine

from .helpers.engines import Held
from .helpers.loudness import ebur128
from .helpers.run import Runner

RATE = 22050


def routine(tmp_path: Path, sound: str = "tones", extra: str = "") -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(
        f"""\
title: Tones
{extra}steps:
  - name: Breathe
    breathe: {{pattern: 4-2-6, cycles: 2, sound: {sound}}}
""",
        encoding="utf-8",
    )
    return path


def samples(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def dominant_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum)) * RATE / len(x)


def rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt((x**2).mean()) / 32768 + 1e-12))


def at(x: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return x[int(start_s * RATE) : int(end_s * RATE)]


def test_inhales_rise_exhales_fall_and_holds_are_silent(vg_in_process: Runner, tmp_path: Path) -> None:
    out = tmp_path / "tones.wav"
    assert vg_in_process("export", str(routine(tmp_path)), "-o", str(out), "-q").returncode == 0
    x = samples(out)
    # 4 s in, 2 s hold, 6 s out, twice; no words (tones instead of them)
    assert dominant_hz(at(x, 0.1, 0.5)) == pytest.approx(LOW_HZ, rel=0.08)
    assert dominant_hz(at(x, 3.5, 3.9)) == pytest.approx(HIGH_HZ, rel=0.08)
    assert rms_db(at(x, 3.5, 3.9)) - rms_db(at(x, 0.1, 0.5)) > 6  # a swell, not a flat beep
    assert not at(x, 4.05, 5.95).any()  # the hold is silent
    assert dominant_hz(at(x, 6.1, 6.5)) == pytest.approx(HIGH_HZ, rel=0.08)
    assert dominant_hz(at(x, 11.5, 11.9)) == pytest.approx(LOW_HZ, rel=0.08)
    # levelled as a clip is: an inhale, placed in silence, measures the loudness target
    assert placed_loudness_lufs(at(x, 0.0, 4.0) / 32768, RATE) == pytest.approx(-16.0, abs=0.1)


def test_tones_start_and_end_without_a_click(vg_in_process: Runner, tmp_path: Path) -> None:
    out = tmp_path / "tones.wav"
    assert vg_in_process("export", str(routine(tmp_path)), "-o", str(out), "-q").returncode == 0
    x = samples(out)
    for edge_s in (0.0, 4.0, 6.0, 12.0):  # phase boundaries: faded to (nearly) nothing
        edge = int(edge_s * RATE)
        assert np.abs(x[max(0, edge - 3) : edge + 3]).max() < 60


def test_tones_replace_the_words_and_both_keeps_them(vg_in_process: Runner, tmp_path: Path) -> None:
    def spoken(sound: str) -> list[str]:
        shown = vg_in_process("show", str(routine(tmp_path, sound)), "--json")
        assert shown.returncode == 0, shown.stderr
        return [e["text"] for e in json.loads(shown.stdout)["events"] if e["kind"] == "speech"]

    assert spoken("tones") == []
    assert spoken("both") == spoken("words") != []


def test_breath_sound_option_overrides_the_routine(vg_in_process: Runner, tmp_path: Path) -> None:
    words, tones = tmp_path / "words.wav", tmp_path / "tones.wav"
    path = routine(tmp_path, "words")
    assert vg_in_process("export", str(path), "-o", str(words), "-q").returncode == 0
    result = vg_in_process("export", str(path), "-o", str(tones), "-q", "--breath-sound", "tones")
    assert result.returncode == 0, result.stderr
    x = samples(tones)
    assert dominant_hz(at(x, 3.5, 3.9)) == pytest.approx(HIGH_HZ, rel=0.08)
    assert not np.array_equal(samples(words), x)
    paced = vg_in_process("pacing", str(path), "--breath-sound", "both")
    assert "breath sound" in paced.stdout and "both" in paced.stdout


def test_a_pacing_block_may_choose_tones(vg_in_process: Runner, tmp_path: Path) -> None:
    path = routine(tmp_path, "words", extra="pacing: {breath_sound: tones}\n")
    shown = vg_in_process("show", str(path), "--json")
    assert [e for e in json.loads(shown.stdout)["events"] if e["kind"] == "speech"] == []


@pytest.mark.parametrize(
    ("yaml", "where", "message"),
    [
        ("breathe: {pattern: 4-4, sound: tone}", "4:", "did you mean"),
        ("breathe: {pattern: 4-4, sound: [tones]}", "4:", "sound"),
    ],
)
def test_a_wrong_sound_is_an_error_where_it_is(
    vg_in_process: Runner, tmp_path: Path, yaml: str, where: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"title: T\nsteps:\n  - name: B\n    {yaml}\n", encoding="utf-8")
    result = vg_in_process("validate", str(path), "--no-speech")
    assert result.returncode == 2
    assert f"bad.yaml:{where}" in result.stderr and message in result.stderr


def test_any_stretch_of_the_stream_is_the_same_samples(tmp_path: Path) -> None:
    """play --from and chunked rendering: tones depend on the absolute sample only."""
    session, clips = prepare(routine(tmp_path, "both"), FakeEngine, ClipCache(tmp_path / "cache"))
    mix = Mix()

    def from_sample(start: int) -> bytes:
        return b"".join(
            apply_mix(lambda s: render(session, clips, s), mix, session.timeline, session.sample_rate, start)
        )

    whole = from_sample(0)
    for start in (1, 12_345, 3 * RATE + 17, 7 * RATE):
        assert from_sample(start) == whole[2 * start :]


def test_each_tone_measures_the_target_whatever_its_length(vg_in_process: Runner, tmp_path: Path) -> None:
    """A phase's tone is levelled on its own: short and long phases, rising and falling,
    and another --loudness, each measure the target placed in silence."""
    path = tmp_path / "r.yaml"
    path.write_text(
        "title: T\nsteps:\n  - name: B\n    breathe: {pattern: 1.5-0-9, cycles: 1, sound: tones}\n",
        encoding="utf-8",
    )
    for target in (-16.0, -23.0):
        out = tmp_path / "t.wav"
        result = vg_in_process("export", str(path), "-o", str(out), "-q", "--loudness", str(target))
        assert result.returncode == 0, result.stderr
        x = samples(out) / 32768
        for start_s, end_s in ((0.0, 1.5), (1.5, 10.5)):
            assert placed_loudness_lufs(at(x, start_s, end_s), RATE) == pytest.approx(target, abs=0.1)


def test_a_tone_steps_back_under_the_words(tmp_path: Path) -> None:
    """`both`: while a breath word sounds, its tone is ducked by DUCK_DB (the word stays
    clear and the sum under the ceiling); the same tone without words is not."""
    cache = ClipCache(tmp_path / "cache")
    both, both_clips = prepare(routine(tmp_path, "both"), FakeEngine, cache)
    tones, tone_clips = prepare(routine(tmp_path, "tones"), FakeEngine, cache)
    with_words = np.frombuffer(b"".join(render(both, both_clips, 0)), dtype="<i2").astype(np.float64)
    mixed = np.frombuffer(
        b"".join(apply_mix(lambda s: render(both, both_clips, s), Mix(), both.timeline, RATE)), dtype="<i2"
    ).astype(np.float64)
    tone_only = np.frombuffer(
        b"".join(apply_mix(lambda s: render(tones, tone_clips, s), Mix(), tones.timeline, RATE)), dtype="<i2"
    ).astype(np.float64)
    exhale = next(e for e in both.timeline.events if e.kind == "speech" and e.start_ms >= 6000)
    inside = slice(exhale.start_ms * RATE // 1000 + 10, exhale.end_ms * RATE // 1000 - 10)
    under_words = mixed[inside] - with_words[inside]  # the tone, as heard under the word
    alone = tone_only[inside]  # the same stretch of the same tone, no word over it
    assert rms_db(under_words) - rms_db(alone) == pytest.approx(DUCK_DB, abs=1.0)
    assert true_peak(mixed / 32768) <= 10 ** (TRUE_PEAK_CEILING_DBTP / 20) * 1.12  # +1 dB at most


@pytest.mark.parametrize("free", [1, 2, 3])
def test_tones_ducked_before_the_frontier_never_change(tmp_path: Path, free: int) -> None:
    """Play starts before the speech is made: the tones (and their ducking under the breath
    words, `both`) that a growing session has made final are the finished session's."""
    path = routine(tmp_path, "both", extra="intro: Sit comfortably and rest your hands.\n")
    cache = ClipCache(tmp_path / "cache")
    Held.reset(free)
    try:
        with GrowingSession(plan(path, Held, cache)) as growing:
            while len(growing.clips.lengths) < free:
                growing.advance(None)
            assert not growing.complete
            final = growing.final_samples() - ms_to_samples(look_ahead_ms(Mix(), growing.timeline), RATE)
            early = b"".join(mixed_range(growing.timeline, growing.clips, Mix(), RATE, 0, final))
            Held.gate.set()
            while not growing.complete:
                growing.advance(None)
    finally:
        Held.gate.set()  # never leave a scheduler thread waiting
    session, clips = finish(plan(path, FakeEngine, cache))
    whole = b"".join(apply_mix(lambda s: render(session, clips, s), Mix(), session.timeline, RATE))
    assert final > 0 and early == whole[: 2 * final]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "options"), [("box-breathing", ("--breath-sound", "tones")), ("coherent-breathing", ())]
)
def test_a_session_of_tones_measures_the_target(
    vg: Runner, tmp_path: Path, name: str, options: tuple[str, ...]
) -> None:
    """With the real espeak-ng and ffmpeg's meter: box-breathing with tones for its breath
    words (−17.7 LUFS before the tones were levelled) and coherent-breathing, whose own
    breaths are tones (−17.5), land on −16 ± 0.5 LUFS with true peaks at or under −1 dBTP."""
    out = tmp_path / f"{name}.mp3"
    result = vg("export", name, "-o", str(out), "-q", *options, engine="espeak-ng")
    assert result.returncode == 0, result.stderr
    loudness, peak = ebur128(out)
    assert loudness == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0
