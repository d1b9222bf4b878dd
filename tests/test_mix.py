"""Background bed, ducking, limiter and loudness: pure parts with synthetic audio, then the
real command with real ffmpeg, read back."""

from __future__ import annotations

import array
import json
import math
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceguide.audio.mix import (
    ATTACK_MS,
    BLOCK_MS,
    RELEASE_MS,
    Mix,
    _Ducking,
    apply_mix,
    measure_loudness,
)
from voiceguide.pcm.wavfile import read_wav
from voiceguide.timing.timeline import Chapter, Event, Timeline

from .helpers.routines import YAML_ROUTINE
from .helpers.run import Runner

RATE = 22050


def timeline_with(*speech: tuple[int, int], duration_ms: int = 20_000) -> Timeline:
    events = tuple(Event(a, b, "speech", "x", "S", 0) for a, b in speech)
    return Timeline("T", duration_ms, events, (Chapter("S", 0, duration_ms, "S"),), ())


# ---- ducking envelope --------------------------------------------------------------------


def depths(ducking: _Ducking, *at_ms: float) -> list[float]:
    return [float(d) for d in ducking.depths(np.array(at_ms, dtype=np.float64))]


def test_ducking_ramps_down_before_speech_and_back_up_after() -> None:
    ducking = _Ducking(timeline_with((5_000, 7_000), (15_000, 16_000)), RATE, Mix(bed_db=0, duck_db=-12))
    assert depths(ducking, 1_000) == [0.0]
    assert depths(ducking, 5_000 - ATTACK_MS / 2) == [pytest.approx(0.5)]
    assert depths(ducking, 5_000, 6_000, 7_000, 15_500) == [1.0] * 4
    assert depths(ducking, 7_000 + RELEASE_MS / 2) == [pytest.approx(0.5)]
    assert depths(ducking, 7_000 + RELEASE_MS) == [0.0]
    assert depths(ducking, 16_000, 3_000, 1_000) == [1.0, 0.0, 0.0]  # any order


def test_the_bed_gain_steps_every_block_of_the_session() -> None:
    ducking = _Ducking(timeline_with((5_000, 7_000)), RATE, Mix(bed_db=-20, duck_db=-12))
    block = RATE * BLOCK_MS // 1000
    assert ducking.gains(1_000 * RATE // 1000, 3) == pytest.approx(10 ** (-20 / 20))  # steady: one
    assert ducking.gains(6_000 * RATE // 1000, 3) == pytest.approx(10 ** (-32 / 20))
    across = ducking.gains(7_000 * RATE // 1000 - 1, 2 * block)
    assert isinstance(across, np.ndarray) and across[0] == pytest.approx(10 ** (-32 / 20))
    ramp = 4_850 * RATE // 1000 + 7  # mid-attack, off the block grid
    gains = ducking.gains(ramp, 3 * block)
    assert isinstance(gains, np.ndarray) and len(gains) == 3 * block
    assert len(set(gains.tolist())) == 4  # a partial block, two whole ones, a part
    first = block - ramp % block
    assert len(set(gains[:first].tolist())) == 1 and gains[first] < gains[first - 1]
    for start in range(ramp - 600, ramp + 1, 37):  # the same gain for a sample, whatever the cut
        assert ducking.gains(start, 700)[ramp - start] == gains[0]  # type: ignore[index]


def test_speech_close_together_stays_ducked_between() -> None:
    gap = ATTACK_MS + RELEASE_MS - 1
    ducking = _Ducking(timeline_with((1_000, 2_000), (2_000 + gap, 3_000 + gap)), RATE, Mix())
    assert depths(ducking, 2_000 + gap / 2) == [1.0]
    assert depths(_Ducking(timeline_with(), RATE, Mix()), 10, 20) == [0.0, 0.0]


# ---- limiter: peaks held, and the same audio whatever the start ----------------------------


def noisy_speech(n_samples: int, seed: int) -> bytes:
    rng = random.Random(seed)
    samples = array.array("h", (0 for _ in range(n_samples)))
    for start in range(0, n_samples, 4000):
        loud = rng.choice((800, 4000, 30000))
        for i in range(start, min(n_samples, start + rng.randrange(500, 3000))):
            samples[i] = int(loud * math.sin(i / 7.0))
    return samples.tobytes()


def renderer(pcm: bytes, chunk: int) -> object:
    def render(start: int) -> Iterator[bytes]:
        data = pcm[start * 2 :]
        return (data[i : i + chunk * 2] for i in range(0, len(data), chunk * 2))

    return render


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 1000),
    start=st.integers(0, 40_000),
    chunk=st.integers(100, 9000),
    gain=st.floats(0.5, 18),
)
def test_limited_audio_does_not_depend_on_where_it_starts(
    seed: int, start: int, chunk: int, gain: float
) -> None:
    pcm = noisy_speech(48_000, seed)
    mix = Mix(gain_db=gain)
    timeline = timeline_with(duration_ms=48_000 * 1000 // RATE)
    whole = b"".join(apply_mix(renderer(pcm, 32768), mix, timeline, RATE))  # type: ignore[arg-type]
    part = b"".join(apply_mix(renderer(pcm, chunk), mix, timeline, RATE, start))  # type: ignore[arg-type]
    assert len(whole) == len(pcm)
    assert part == whole[start * 2 :]
    ceiling = 32767 * 10 ** (-1 / 20)
    assert max(abs(s) for s in memoryview(whole).cast("h")) <= ceiling + 1


@pytest.mark.slow  # 30 ffmpeg noise beds; the same property with a stand-in bed: test_sample_maths
@pytest.mark.ffmpeg
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 1000),
    start=st.integers(0, 60_000),
    chunk=st.integers(100, 9000),
    gain=st.sampled_from([0.0, 6.0, 18.0]),
)
def test_the_mix_with_a_bed_does_not_depend_on_where_it_starts_or_the_chunks(
    seed: int, start: int, chunk: int, gain: float
) -> None:
    pcm = noisy_speech(66_150, seed)  # 3 s
    timeline = timeline_with((500, 1_200), (1_400, 1_900), (2_500, 2_800), duration_ms=3_000)
    mix = Mix(background="brown-noise", bed_db=0.0, gain_db=gain)
    whole = b"".join(apply_mix(renderer(pcm, 32768), mix, timeline, RATE))  # type: ignore[arg-type]
    part = b"".join(apply_mix(renderer(pcm, chunk), mix, timeline, RATE, start))  # type: ignore[arg-type]
    assert len(whole) == len(pcm)
    assert part == whole[start * 2 :]


def test_audio_imports_nothing_from_export_or_play() -> None:
    audio = Path(__file__).parent.parent / "voiceguide" / "audio"
    for module in audio.glob("*.py"):
        text = module.read_text()
        for upper in ("export", "play", "cli"):
            assert f"from ..{upper}" not in text and f"voiceguide.{upper}" not in text, module.name


# ---- through the command, real ffmpeg -------------------------------------------------------


def pcm_of(path: Path) -> array.array[int]:
    samples = array.array("h")
    samples.frombytes(read_wav(path).pcm)
    return samples


def rms_db(samples: array.array[int] | list[int]) -> float:
    return 10 * math.log10(sum(s * s for s in samples) / len(samples) + 1e-9)


@pytest.fixture
def short(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(YAML_ROUTINE)
    return path


@pytest.mark.ffmpeg
def test_brown_noise_is_ducked_by_duck_db_under_speech(
    vg_in_process: Runner, tmp_path: Path, short: Path
) -> None:
    plain = tmp_path / "plain.wav"
    assert vg_in_process("export", str(short), "-o", str(plain), "--loudness", "off").returncode == 0
    voice = pcm_of(plain)  # the same clips as under the bed below (--loudness off)

    def bed_alone(duck_db: str) -> list[int]:
        out = tmp_path / f"bed{duck_db}.wav"
        options = ("--background", "brown-noise", "--loudness", "off", "--duck-db", duck_db)
        result = vg_in_process("export", str(short), "-o", str(out), *options)
        assert result.returncode == 0, result.stderr
        mixed = pcm_of(out)
        assert len(mixed) == len(voice)
        return [m - v for m, v in zip(mixed, voice, strict=True)]  # no clipping at these levels

    ducked, level = bed_alone("-12"), bed_alone("0")  # the same seeded noise, ducked or not
    doc = json.loads(vg_in_process("show", str(short), "--json").stdout)
    speech = max(
        (e for e in doc["events"] if e["kind"] == "speech"), key=lambda e: e["end_ms"] - e["start_ms"]
    )
    inside = slice(speech["start_ms"] * RATE // 1000, speech["end_ms"] * RATE // 1000)
    assert rms_db(ducked[inside]) - rms_db(level[inside]) == pytest.approx(-12, abs=0.2)
    last_word_end = max(e["end_ms"] for e in doc["events"] if e["kind"] == "speech")
    quiet = slice((last_word_end + RELEASE_MS + 10) * RATE // 1000, None)  # after the release
    assert ducked[quiet] == level[quiet] and rms_db(level[quiet]) > 30
    before = slice(inside.start - ATTACK_MS * RATE // 1000 // 2, inside.start)  # mid-ramp
    assert -12 < rms_db(ducked[before]) - rms_db(level[before]) < 0
    again = tmp_path / "again.wav"
    options = ("--background", "brown-noise", "--loudness", "off", "--duck-db", "-12")
    assert vg_in_process("export", str(short), "-o", str(again), *options).returncode == 0
    assert again.read_bytes() == (tmp_path / "bed-12.wav").read_bytes()  # seeded: byte-identical


@pytest.mark.slow
@pytest.mark.ffmpeg
@pytest.mark.parametrize(
    ("options", "target"), [(("--background", "brown-noise"), -16.0), (("--loudness", "-23"), -23.0)]
)
def test_loudness_reaches_the_target(
    vg_in_process: Runner, tmp_path: Path, options: tuple[str, ...], target: float
) -> None:
    out = tmp_path / "loud.wav"
    result = vg_in_process("export", "box-breathing", "-o", str(out), *options)
    assert result.returncode == 0, result.stderr
    loudness, peak = measure_loudness([read_wav(out).pcm], RATE)
    assert loudness == pytest.approx(target, abs=1.0)
    assert peak <= -0.9


@pytest.mark.ffmpeg
def test_a_short_music_file_loops_under_the_whole_session(
    vg_in_process: Runner, tmp_path: Path, short: Path
) -> None:
    music = tmp_path / "music.ogg"
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=f=330:d=1:r=44100",
            "-c:a",
            "libvorbis",
            str(music),
        ],
        check=True,
    )
    plain, bed = tmp_path / "plain.wav", tmp_path / "bed.wav"
    assert vg_in_process("export", str(short), "-o", str(plain)).returncode == 0
    result = vg_in_process(
        "export", str(short), "-o", str(bed), "--background", str(music), "--loudness", "off"
    )
    assert result.returncode == 0, result.stderr
    voice, mixed = pcm_of(plain), pcm_of(bed)
    assert len(mixed) == len(voice) > 5 * RATE  # the session is several times the music
    tail = [m - v for m, v in zip(mixed[-RATE // 2 :], voice[-RATE // 2 :], strict=True)]
    assert rms_db(tail) > 40  # still there at the end: looped


@pytest.mark.ffmpeg
def test_background_errors(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    missing = vg_in_process("export", str(short), "-o", str(tmp_path / "a.mp3"), "--background", "nope.mp3")
    assert missing.returncode == 2 and "no such background file: nope.mp3" in missing.stderr
    junk = tmp_path / "junk.mp3"
    junk.write_text("not audio")
    broken = vg_in_process("export", str(short), "-o", str(tmp_path / "b.mp3"), "--background", str(junk))
    assert broken.returncode == 1 and "cannot use" in broken.stderr and "Traceback" not in broken.stderr
    assert not list(tmp_path.glob("b*.mp3")) and not list(tmp_path.glob(".b.*"))
    bad = vg_in_process("export", str(short), "-o", str(tmp_path / "c.mp3"), "--loudness", "loud")
    assert bad.returncode == 2 and "LUFS" in bad.stderr


@pytest.mark.ffmpeg
def test_split_with_a_background_adds_up_to_the_whole(
    vg_in_process: Runner, tmp_path: Path, short: Path
) -> None:
    whole = tmp_path / "whole.wav"
    options = ("--background", "brown-noise")
    assert vg_in_process("export", str(short), "-o", str(whole), *options).returncode == 0
    split = vg_in_process("export", str(short), "-o", str(tmp_path / "p" / "s.wav"), "--split", *options)
    assert split.returncode == 0
    parts = sorted((tmp_path / "p").glob("s *.wav"))
    assert b"".join(read_wav(p).pcm for p in parts) == read_wav(whole).pcm


@pytest.mark.ffmpeg
def test_a_background_named_like_an_ffmpeg_protocol_is_read_as_a_file(
    vg_in_process: Runner, tmp_path: Path, short: Path
) -> None:
    music = tmp_path / "music.ogg"
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=f=330:d=1:r=44100",
            "-c:a",
            "libvorbis",
            str(music),
        ],
        check=True,
    )
    # as a protocol, this would concatenate music.ogg twice; as a file it is one second
    name = "concat:music.ogg|music.ogg"
    (tmp_path / name).write_bytes(b"not audio at all")
    result = vg_in_process(
        "export",
        str(short),
        "-o",
        str(tmp_path / "x.wav"),
        "--background",
        name,
        "--loudness",
        "off",
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "cannot use" in result.stderr, result.stderr
