"""Several real processes on one speech cache: a session always renders the very clips its
timeline was compiled from, so racing exports never fail and always agree with a later
warm export, byte for byte.

espeak-ng's output for one text varies by a few samples with process state, so two
processes that synthesize a text at once each measure a different length. The cache keeps
the first entry written (later writers adopt it), and every process compiles from the
settled entries.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from voiceguide.pcm.clip import Clip
from voiceguide.session import ClipSource
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine
from voiceguide.speech.synth import synthesize_all
from voiceguide.timing.timeline import Event

from .helpers.alsa import alsa_env, alsa_home
from .helpers.run import VOICEGUIDE

#: Many cues close together: every cue starts as the previous one ends, so a clip a few
#: samples longer than the one measured would overlap the next.
CROWDED = """\
title: Crowded
steps:
  - name: Count
    say: Count with me.
    hold: 14s
    cues:
{cues}
    countdown: 3
    rest: 0
  - breathe: {{pattern: 2-1-2, cycles: 2, say: {{inhale: In now, hold: Stay, exhale: Out now}}}}
outro: Done.
"""
WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def crowded_routine(directory: Path, salt: str) -> Path:
    """A routine whose texts are new to any cache (``salt`` makes them unique)."""
    cues = "\n".join(f"      - {{at: {i}s, say: {w} {salt}}}" for i, w in enumerate(WORDS, 1))
    path = directory / "crowded.yaml"
    path.write_text(CROWDED.format(cues=cues), encoding="utf-8")
    return path


def env_for(cache: Path, home: Path | None = None) -> dict[str, str]:
    env = dict(
        os.environ,
        VOICEGUIDE_CACHE_DIR=str(cache),
        VOICEGUIDE_ENGINE="espeak-ng",
        VOICEGUIDE_CONFIG_DIR=str(cache.parent / "no-config"),
    )
    env.pop("VOICEGUIDE_DEBUG", None)
    if home is not None:
        env.update(alsa_env(home))
    return env


@pytest.mark.espeak
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(6))
def test_racing_exports_on_a_cold_cache_agree_with_a_warm_export(tmp_path: Path, round_: int) -> None:
    routine = crowded_routine(tmp_path, f"river {round_}")
    cache = tmp_path / "cache"
    env = env_for(cache)
    outputs = [tmp_path / f"race{n}.wav" for n in range(4)]
    racers = [
        subprocess.Popen(
            [str(VOICEGUIDE), "export", str(routine), "-o", str(out), "--quiet"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in outputs
    ]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in racers]
    for code, err in results:
        assert code == 0, err
        assert "internal error" not in err
    warm = tmp_path / "warm.wav"
    done = subprocess.run(
        [str(VOICEGUIDE), "export", str(routine), "-o", str(warm), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for out in outputs:
        assert out.read_bytes() == warm.read_bytes(), out.name


@pytest.mark.espeak
@pytest.mark.alsa
@pytest.mark.slow
def test_play_racing_an_export_plays_what_the_export_wrote(tmp_path: Path) -> None:
    routine = crowded_routine(tmp_path, "play race")
    cache = tmp_path / "cache"
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    exported = tmp_path / "export.wav"
    player = subprocess.Popen(
        [str(VOICEGUIDE), "play", str(routine), "--lead-in", "0", "--quiet"],
        env=env_for(cache, home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    exporter = subprocess.Popen(
        [str(VOICEGUIDE), "export", str(routine), "-o", str(exported), "--quiet"],
        env=env_for(cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for process in (player, exporter):
        code = process.wait(timeout=300)
        assert code == 0, process.stderr.read() if process.stderr else ""
    captured = (home / "capture.raw").read_bytes()
    from voiceguide.pcm.wavfile import read_wav

    assert captured == read_wav(exported.read_bytes()).pcm


# ---- the mechanism, in process -------------------------------------------------------------
class Jittery(FakeEngine):
    """Like espeak-ng: each synthesis of a text is a few samples longer or shorter."""

    syntheses = 0  # every instance's, in order

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        clip = super().synthesize(text, voice)
        Jittery.syntheses += 1
        extra = 37 * (Jittery.syntheses % 3)
        return Clip(clip.pcm + bytes(2 * extra), clip.sample_rate)


def test_the_first_entry_written_wins_and_later_writers_adopt_it(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    first, second = Clip(b"\x01\x00" * 100, 22050), Clip(b"\x02\x00" * 130, 22050)
    key = "ab" * 32
    assert cache.put(key, first) == first
    assert cache.put(key, second) == first  # the settled entry, not ours
    assert cache.get(key) == first


def test_lengths_are_those_of_the_settled_entries(tmp_path: Path) -> None:
    voice = VoiceSpec(None, 150)
    cache = ClipCache(tmp_path)
    engine = Jittery()
    texts = [f"text number {n}" for n in range(20)]
    # another process got there first with different clips for half of the texts
    for text in texts[::2]:
        cache.put(cache.key_for(engine, text, voice), engine.synthesize(text, voice))
    settled = {
        t: c.duration_ms for t in texts[::2] if (c := cache.get(cache.key_for(engine, t, voice))) is not None
    }
    # this process missed them all (it looked before the other process wrote)
    lengths = synthesize_all(texts, Jittery, voice, ClipCache(tmp_path), workers=1)
    for text in texts:
        clip = cache.get(cache.key_for(engine, text, voice))
        assert clip is not None and lengths[text] == clip.duration_ms
    assert all(lengths[t] == ms for t, ms in settled.items())


def test_a_clip_remade_mid_session_still_fits_its_place(tmp_path: Path) -> None:
    """An entry removed while a session plays (``cache clear`` elsewhere) is made again,
    maybe a little longer: it is fitted to the length the timeline was compiled with."""
    voice = VoiceSpec(None, 150)
    cache = ClipCache(tmp_path)
    engine = Jittery()
    text = "Hold it there"
    compiled_ms = synthesize_all([text], Jittery, voice, cache, workers=1)[text]
    clips = ClipSource(Jittery, engine, cache, voice, {text: compiled_ms})
    cache.clear()
    for _ in range(3):  # whatever length the engine makes now
        cache.clear()
        clip = clips(Event(0, compiled_ms, "speech", text, "Step", 0))
        assert clip.duration_ms <= compiled_ms
        clips._recent.clear()
