"""Loudness: every clip levelled as it enters the cache (measured as placed in silence, as a
session's meter hears it), so every export (and play) lands on the target (−16 LUFS by
default, ± 0.5 LU) with true peaks ≤ −1 dBTP after encoding, in every format, and over a
bed; measured by ffmpeg's own EBU R128 meter, not by the code under test."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from voiceguide.audio.chime import chime_clip
from voiceguide.audio.sound import Sound
from voiceguide.pcm.clip import Clip
from voiceguide.pcm.level import (
    TRUE_PEAK_CEILING_DBTP,
    held_under,
    level_clip,
    loudness_lufs,
    scaled_clip,
    to_db,
    true_peak,
)

from .helpers.loudness import ebur128
from .helpers.run import Runner


def espeak_clip(text: str, tmp_path: Path) -> Clip:
    path = tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    with wave.open(str(path)) as w:
        return Clip(w.readframes(w.getnframes()), w.getframerate())


def write_wav(clip: Clip, path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(clip.sample_rate)
        w.writeframes(clip.pcm)
    return path


def floats(clip: Clip) -> np.ndarray:
    return np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64) / 32768


def placed(clip: Clip) -> Clip:
    """``clip`` with a second of silence before and after: as it sounds in a session."""
    silence = bytes(2 * clip.sample_rate)
    return Clip(silence + clip.pcm + silence, clip.sample_rate)


SENTENCE = "Lie on your back with your knees bent, and breathe in slowly through your nose."


def test_the_meter_agrees_with_ffmpeg_on_real_speech(tmp_path: Path) -> None:
    clip = espeak_clip(SENTENCE, tmp_path)
    theirs, their_peak = ebur128(write_wav(clip, tmp_path / "s.wav"))
    assert loudness_lufs(floats(clip), clip.sample_rate) == pytest.approx(theirs, abs=0.4)
    assert to_db(true_peak(floats(clip))) == pytest.approx(their_peak, abs=0.3)


@pytest.mark.parametrize("text", [SENTENCE, "three", "Relax.", "Breathe in"])
def test_a_levelled_clip_measures_the_target_and_stays_under_the_ceiling(tmp_path: Path, text: str) -> None:
    raw = espeak_clip(text, tmp_path)
    levelled = level_clip(raw, -16.0)
    assert levelled.n_samples == raw.n_samples  # timing untouched
    ours = loudness_lufs(floats(placed(levelled)), levelled.sample_rate)
    assert ours == pytest.approx(-16.0, abs=0.15)
    assert to_db(true_peak(floats(levelled))) <= TRUE_PEAK_CEILING_DBTP + 0.05
    theirs, their_peak = ebur128(write_wav(placed(levelled), tmp_path / "l.wav"))
    assert theirs == pytest.approx(-16.0, abs=0.3)
    assert their_peak <= TRUE_PEAK_CEILING_DBTP + 0.1


def test_a_short_word_and_a_sentence_end_up_equally_loud_in_a_session(tmp_path: Path) -> None:
    word = level_clip(espeak_clip("three", tmp_path), -16.0)
    sentence = level_clip(espeak_clip(SENTENCE, tmp_path), -16.0)
    difference = loudness_lufs(floats(placed(word)), 22050) - loudness_lufs(floats(placed(sentence)), 22050)
    assert abs(difference) < 0.3


def test_loudness_off_never_clips() -> None:
    full = Clip((np.sin(np.arange(22050) * 0.31) * 32767).astype("<i2").tobytes(), 22050)
    assert to_db(true_peak(floats(full))) > 0.0  # inter-sample peaks over full scale
    held = held_under(full)
    assert to_db(true_peak(floats(held))) <= TRUE_PEAK_CEILING_DBTP
    assert held_under(held) == held  # under the ceiling: as it is


def test_silence_and_empty_clips_are_left_alone() -> None:
    silent = Clip(bytes(2 * 22050), 22050)
    assert level_clip(silent, -16.0) == silent
    assert level_clip(Clip(b"", 22050), -16.0) == Clip(b"", 22050)


def test_volume_offsets_scale_the_samples() -> None:
    clip = Clip(np.full(1000, 10000, dtype="<i2").tobytes(), 22050)
    assert np.frombuffer(scaled_clip(clip, -6.0206).pcm, dtype="<i2")[0] == 5000
    assert Sound(voice_db=0.0).voice_clip(clip) is clip


@pytest.mark.parametrize("bell", ["bell", "bowl", "wood"])
def test_every_bell_is_levelled_under_the_voice(bell: str) -> None:
    chime = Sound(bell=bell).chime(22050)
    assert chime.n_samples == chime_clip(22050).n_samples  # the timeline's chime slot
    assert loudness_lufs(floats(placed(chime)), 22050) == pytest.approx(-20.0, abs=0.3)
    quieter = Sound(bell=bell, chime_db=-10.0).chime(22050)
    assert loudness_lufs(floats(placed(quieter)), 22050) == pytest.approx(-30.0, abs=0.3)
    assert not floats(Sound(bell="none").chime(22050)).any()


def test_the_bells_sound_different() -> None:
    spectra = {}
    for bell in ("bell", "bowl", "wood"):
        samples = floats(Sound(bell=bell).chime(22050))
        spectrum = np.abs(np.fft.rfft(samples))
        spectra[bell] = float(np.argmax(spectrum)) * 22050 / (2 * (len(spectrum) - 1))
    assert spectra["bowl"] < spectra["bell"] < spectra["wood"]  # lowest fundamental first


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["wav", "mp3", "ogg", "m4a", "opus", "flac"])
def test_every_format_lands_on_the_target_with_headroom(vg: Runner, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"s.{fmt}"
    result = vg("export", "lower-back-stretch", "-o", str(out), "--quiet", engine="espeak-ng")
    assert result.returncode == 0, result.stderr
    loudness, peak = ebur128(out)
    assert loudness == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["wav", "mp3", "ogg", "opus", "m4a", "flac"])
def test_with_a_bed_every_format_lands_on_the_target_with_headroom(
    vg: Runner, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"bed.{fmt}"
    result = vg(
        "export", "desk-break", "-o", str(out), "-q", "--background", "brown-noise", engine="espeak-ng"
    )
    assert result.returncode == 0, result.stderr
    loudness, peak = ebur128(out)
    assert loudness == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0


@pytest.mark.slow
def test_loudness_off_keeps_the_engine_level_and_its_own_cache_entries(vg: Runner, tmp_path: Path) -> None:
    levelled, raw = tmp_path / "levelled.wav", tmp_path / "raw.wav"
    assert vg("export", "desk-break", "-o", str(levelled), "-q", engine="espeak-ng").returncode == 0
    cached = sum(1 for _ in (tmp_path / "cache").rglob("*.wav"))
    result = vg("export", "desk-break", "-o", str(raw), "-q", "--loudness", "off", engine="espeak-ng")
    assert result.returncode == 0, result.stderr
    assert sum(1 for _ in (tmp_path / "cache").rglob("*.wav")) == 2 * cached
    assert ebur128(levelled)[0] - ebur128(raw)[0] > 2.0  # espeak-ng speaks at about -20 LUFS
    for fmt in ("mp3", "opus"):  # quieter, but never clipping, even encoded (piper: full scale)
        encoded = tmp_path / f"raw.{fmt}"
        result = vg("export", "desk-break", "-o", str(encoded), "-q", "--loudness", "off", engine="piper")
        assert result.returncode == 0, result.stderr
        assert ebur128(encoded)[1] <= -1.0


def test_voice_volume_lowers_the_voice(vg_in_process: Runner, tmp_path: Path) -> None:
    base, softer = tmp_path / "base.wav", tmp_path / "softer.wav"
    assert vg_in_process("export", "desk-break", "-o", str(base), "-q", "--bell", "none").returncode == 0
    result = vg_in_process(
        "export", "desk-break", "-o", str(softer), "-q", "--bell", "none", "--voice-volume", "-6"
    )
    assert result.returncode == 0, result.stderr
    with wave.open(str(base)) as a, wave.open(str(softer)) as b:
        x = np.frombuffer(a.readframes(a.getnframes()), dtype="<i2").astype(float)
        y = np.frombuffer(b.readframes(b.getnframes()), dtype="<i2").astype(float)
    assert len(x) == len(y)
    assert 20 * np.log10(np.sqrt((y**2).mean()) / np.sqrt((x**2).mean())) == pytest.approx(-6, abs=0.1)


@pytest.mark.parametrize(
    "option", [("--voice-volume", "3"), ("--chime-volume", "nan"), ("--bell", "gong"), ("--loudness", "-3")]
)
def test_sound_options_refuse_what_they_cannot_do(vg_in_process: Runner, option: tuple[str, str]) -> None:
    result = vg_in_process("export", "desk-break", "-o", "x.wav", *option)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
