"""Real playback through simpleaudio and ALSA, with no sound card: ALSA's `file` plugin in a
temporary HOME captures exactly the bytes played (unpaced), and a PulseAudio null sink
plays in real time."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from voiceguide.pcm.wavfile import read_wav

from .helpers.alsa import alsa_env, alsa_home
from .helpers.pulse import PulseUnavailable, pulse_null_sink
from .helpers.routines import YAML_ROUTINE as SHORT
from .helpers.run import VOICEGUIDE, Runner, wait_for_line

pytestmark = pytest.mark.alsa


def exported_pcm(vg: Runner, routine: str, tmp_path: Path, env: dict[str, str], **kw: str) -> bytes:
    out = tmp_path / "export.wav"
    result = vg("export", routine, "-o", str(out), env=env, **kw)
    assert result.returncode == 0, result.stderr
    return read_wav(out).pcm


@pytest.fixture
def short(tmp_path: Path) -> str:
    path = tmp_path / "short.yaml"
    path.write_text(SHORT)
    return str(path)


def test_played_bytes_equal_the_export(vg: Runner, tmp_path: Path, short: str) -> None:
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    env = alsa_env(home)
    result = vg("play", short, "--lead-in", "0", "--quiet", env=env)
    assert result.returncode == 0, result.stderr
    assert (home / "capture.raw").read_bytes() == exported_pcm(vg, short, tmp_path, env)


@pytest.mark.slow  # about the real engine: a bundled routine spoken by espeak-ng, played and exported
@pytest.mark.espeak
def test_a_bundled_routine_plays_exactly_with_the_real_engine(
    vg: Runner, tmp_path: Path, shared_cache: Path
) -> None:
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    env = alsa_env(home) | {"VOICEGUIDE_CACHE_DIR": str(shared_cache)}
    result = vg("play", "box-breathing", "--lead-in", "0", engine="espeak-ng", env=env)
    assert result.returncode == 0, result.stderr
    assert "Session complete" in result.stdout
    pcm = exported_pcm(vg, "box-breathing", tmp_path, env, engine="espeak-ng")
    assert (home / "capture.raw").read_bytes() == pcm


def test_lead_in_then_the_session(vg: Runner, tmp_path: Path, short: str) -> None:
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    env = alsa_env(home)
    assert vg("play", short, "--quiet", "--lead-in", "3", env=env).returncode == 0
    captured = (home / "capture.raw").read_bytes()
    pcm = exported_pcm(vg, short, tmp_path, env)
    lead = len(captured) - len(pcm)
    assert captured[lead:] == pcm
    assert 3 * 22050 * 2 <= lead <= 6 * 22050 * 2  # "Starting in", then 3 s of countdown
    assert any(captured[:lead])


def test_pacing_options_play_exactly_what_export_writes(vg: Runner, tmp_path: Path, short: str) -> None:
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    env = alsa_env(home)
    options = ("--preset", "brisk", "--hold-scale", "2", "--breath", "3-3", "--countdown", "off")
    assert vg("play", short, "--quiet", *options, env=env).returncode == 0
    captured = (home / "capture.raw").read_bytes()
    out = tmp_path / "paced.wav"
    assert vg("export", short, "-o", str(out), *options, env=env).returncode == 0
    pcm = read_wav(out).pcm
    assert pcm != exported_pcm(vg, short, tmp_path, env)  # the options changed the session
    lead = len(captured) - len(pcm)
    assert captured[lead:] == pcm
    # brisk's lead-in counts 2 s (not scaled by --hold-scale), after "Starting in"
    assert 2 * 22050 * 2 <= lead <= 4 * 22050 * 2


@pytest.mark.parametrize(
    "options",
    [
        ("--breath-sound", "tones", "--bell", "bowl"),
        ("--breath-sound", "both", "--voice-volume", "-6", "--chime-volume", "-12", "--bell", "wood"),
        pytest.param(("--loudness", "-23"), marks=pytest.mark.slow),  # levelling: the same stream as
        pytest.param(("--loudness", "off"), marks=pytest.mark.slow),  # export's (tests/test_loudness.py)
    ],
)
def test_sound_options_play_exactly_what_export_writes(
    vg: Runner, tmp_path: Path, short: str, options: tuple[str, ...]
) -> None:
    """Levels, tones and bells are in the one stream play and export share."""
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    env = alsa_env(home)
    assert vg("play", short, "--quiet", "--lead-in", "0", *options, env=env).returncode == 0
    out = tmp_path / "sound.wav"
    assert vg("export", short, "-o", str(out), *options, env=env).returncode == 0
    pcm = read_wav(out).pcm
    assert (home / "capture.raw").read_bytes() == pcm
    assert pcm != exported_pcm(vg, short, tmp_path, env)  # the options changed the sound


@pytest.mark.slow
def test_play_with_a_background_plays_what_export_writes(vg: Runner, tmp_path: Path, short: str) -> None:
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    env = alsa_env(home)
    options = ("--background", "brown-noise", "--from", "Knee to chest — right")
    assert vg("play", short, "--quiet", "--lead-in", "0", *options, env=env).returncode == 0
    out = tmp_path / "bed.wav"
    assert vg("export", short, "-o", str(out), "--background", "brown-noise", env=env).returncode == 0
    doc = json.loads(vg("show", short, "--json").stdout)
    start = next(c["start_ms"] for c in doc["chapters"] if c["title"] == "Knee to chest — right")
    # the same bed, ducking and loudness gain, from the same sample
    assert (home / "capture.raw").read_bytes() == read_wav(out).pcm[2 * (start * 22050 // 1000) :]


def test_from_a_step_plays_the_export_from_that_step(vg: Runner, tmp_path: Path, short: str) -> None:
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    env = alsa_env(home)
    result = vg("play", short, "--quiet", "--lead-in", "0", "--from", "Knee to chest — right", env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(vg("show", short, "--json").stdout)
    start = next(c["start_ms"] for c in doc["chapters"] if c["title"] == "Knee to chest — right")
    pcm = exported_pcm(vg, short, tmp_path, env)
    assert (home / "capture.raw").read_bytes() == pcm[2 * (start * 22050 // 1000) :]
    bad = vg("play", short, "--from", "Knee to chets", env=env)
    assert bad.returncode == 2 and 'did you mean "Knee to chest' in bad.stderr


DRIVER = """
import json, sys
from pathlib import Path
from voiceguide.play.sink import SimpleaudioSink
from voiceguide.speech.cache import ClipCache
from voiceguide.play.player import Player
from voiceguide.session import prepare
from voiceguide.speech.fake import FakeEngine

class StillPlaying(SimpleaudioSink):
    def is_playing(self):  # the test's clock says where playback is, not the unpaced device
        return True

class Clock:
    now = 0.0
    def __call__(self):
        return self.now

session, clips = prepare(Path(sys.argv[1]), FakeEngine, ClipCache(Path(sys.argv[2])))
clock = Clock()
player = Player(session.timeline, clips, session.sample_rate, StillPlaying(), clock=clock)
player.start()
for seconds, action in json.loads(sys.argv[3]):
    clock.now += seconds
    getattr(player, action)()
player.sink._play.wait_done()
player.stop()
print(json.dumps(player.log))
"""


def _common_prefix(a: bytes, a_from: int, b: bytes) -> int:
    """Length of the common prefix of ``a[a_from:]`` and ``b``."""
    n, step = 0, 1 << 16
    limit = min(len(a) - a_from, len(b))
    while n < limit and a[a_from + n : a_from + n + step] == b[n : n + step]:
        n += step
    n = min(n, limit)
    while n > 0 and a[a_from : a_from + n] != b[:n]:
        n -= 1
    while n < limit and a[a_from + n] == b[n]:
        n += 1
    return n


def is_made_of(captured: bytes, streams: list[bytes], position: int = 0) -> bool:
    """True when ``captured`` is a prefix of each stream in turn, then the whole last one:
    every stream began at exactly the expected sample, whatever the device consumed of it
    before it was stopped."""
    if len(streams) == 1:
        return captured[position:] == streams[0]
    common = _common_prefix(captured, position, streams[0])
    head = streams[1][:2048]
    found = captured.find(head, position, position + common + len(head))
    while 0 <= found <= position + common:  # each place the next stream could begin
        if is_made_of(captured, streams[1:], found):
            return True
        found = captured.find(head, found + 2, position + common + len(head))
    return False


def test_pause_resume_and_skips_continue_at_exact_samples(vg: Runner, tmp_path: Path, short: str) -> None:
    home = alsa_home(tmp_path, append=True)
    pcm = exported_pcm(vg, short, tmp_path, alsa_env(home))
    json.loads(vg("show", short, "--json").stdout)
    # next: to "Knee to chest — left", which starts with its instruction; pause 0.15 s into
    # that word (its samples are unique, unlike silence); resume; then back to the step's start
    actions = [[0.5, "next_step"], [0.15, "toggle_pause"], [5.0, "toggle_pause"], [0.2, "previous_step"]]
    env = dict(os.environ, VOICEGUIDE_ENGINE="fake") | alsa_env(home)
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, short, str(tmp_path / "cache"), json.dumps(actions)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    log = json.loads(result.stdout)
    starts = [sample for action, sample in log if action in ("start", "next", "resume", "previous")]
    assert [a for a, _ in log] == ["start", "next", "pause", "resume", "previous"]
    assert log[2][1] == log[3][1]  # resumed exactly where it paused
    captured = (home / "capture.raw").read_bytes()
    assert is_made_of(captured, [pcm[2 * s :] for s in starts])
    assert not is_made_of(captured, [pcm[2 * s :] for s in [*starts[:-1], starts[-1] + 1]])  # one sample off


NO_DEVICE = "type hw; card 42"  # an ALSA default device that cannot be opened


def test_no_audio_device_is_one_clear_message(vg: Runner, tmp_path: Path, short: str) -> None:
    home = alsa_home(tmp_path, device=NO_DEVICE)
    result = vg("play", short, env=alsa_env(home))
    assert result.returncode == 1
    assert result.stderr.startswith("voiceguide: error: no audio output device could be opened")
    assert "Connect speakers or headphones" in result.stderr and " export " in result.stderr
    assert "ALSA lib" not in result.stderr and "Traceback" not in result.stderr


def test_no_audio_device_is_said_before_any_speech_is_made(vg: Runner, tmp_path: Path) -> None:
    home = alsa_home(tmp_path, device=NO_DEVICE)
    result = vg("play", "lower-back-stretch", "--preset", "gentle", env=alsa_env(home))
    assert result.returncode == 1, result.stderr
    assert not list((tmp_path / "cache").rglob("*.wav"))  # the device was tried first
    message, hint = result.stderr.splitlines()
    assert message.startswith("voiceguide: error: no audio output device could be opened")
    # what to do instead names the routine and the options given, not "ROUTINE -o session.mp3"
    assert hint.endswith(
        " export lower-back-stretch --preset gentle -o lower-back-stretch.mp3` works without speakers."
    ), hint


def test_the_export_hint_keeps_what_export_takes(vg: Runner, tmp_path: Path, short: str) -> None:
    home = alsa_home(tmp_path, device=NO_DEVICE)
    args = ("--rate", "150", "--from", "2", "--lead-in", "0", "--no-cues", "--bell", "none")
    result = vg("play", short, *args, env=alsa_env(home))
    hint = result.stderr.splitlines()[-1]
    assert f" export {short} " in hint and hint.endswith(" -o short.mp3` works without speakers."), hint
    assert "--rate 150" in hint and "--no-cues" in hint and "--bell none" in hint
    assert "--from" not in hint and "--lead-in" not in hint  # play's own: export has neither


@pytest.mark.parametrize(
    ("args", "export"),
    [
        (["breathe", "4-7-8", "--rate", "150"], "breathe 4-7-8 --rate 150 -o breathe-4-7-8.mp3"),
        (
            ["timer", "--hold", "1:30", "--rounds", "3"],
            "timer --hold 1m30s --rounds 3 -o timer-1m30s-10s-x3.mp3",  # (as exact, not 90000ms)
        ),
    ],
)
def test_a_quick_session_without_a_device_hints_at_its_own_command(
    vg: Runner, tmp_path: Path, args: list[str], export: str
) -> None:
    home = alsa_home(tmp_path, device=NO_DEVICE)
    result = vg(*args, "--lead-in", "0", env=alsa_env(home))
    assert result.returncode == 1, result.stderr
    hint = result.stderr.splitlines()[-1]
    assert hint.endswith(f" {export}` works without speakers."), hint
    assert "/quick/" not in result.stderr  # not the routine file written in the cache


TINY = """\
title: Tiny
steps:
  - {name: Reach, say: Reach up., hold: 2s}
  - {name: Rest, say: And relax., hold: 1s, rest: 0}
"""


# ---- real time, through a PulseAudio null sink ---------------------------------------------


@pytest.fixture
def pulse(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private PulseAudio daemon with a null sink "vg"; yields the environment to use it."""
    try:
        with pulse_null_sink(tmp_path) as env:
            yield env
    except PulseUnavailable as why:
        pytest.skip(str(why))


@pytest.mark.slow
def test_real_time_playback_through_pulseaudio(pulse: dict[str, str], tmp_path: Path) -> None:
    short = str(tmp_path / "tiny.yaml")
    Path(short).write_text(TINY)
    env = dict(pulse, VOICEGUIDE_ENGINE="fake", VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"))
    doc = json.loads(
        subprocess.run(
            [str(VOICEGUIDE), "show", short, "--json"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    recording = tmp_path / "rec.raw"
    with recording.open("wb") as sink:
        recorder = subprocess.Popen(
            [
                "parec",
                "-d",
                "vg.monitor",
                "--format=s16le",
                "--rate=22050",
                "--channels=1",
                "--latency-msec=20",
            ],
            stdout=sink,
            env=pulse,
        )
        _wait_for_recording(recording, 1)  # parec is connected and writing
        began = time.monotonic()
        played = subprocess.run(
            [str(VOICEGUIDE), "play", short, "--lead-in", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        wall = time.monotonic() - began
        _wait_for_recording(recording, recording.stat().st_size + 22050)  # the tail: 0.5 s more
        recorder.terminate()
        recorder.wait(10)
    assert played.returncode == 0, played.stderr
    # not a terminal: one plain line per step, in order, as it plays
    lines = [line.split("] ", 1)[1] for line in played.stdout.splitlines() if line.startswith("[")]
    assert lines == [c["title"] for c in doc["chapters"]]
    duration = doc["duration_ms"] / 1000
    # real time, not unpaced (the upper bound leaves room for start-up on a loaded machine;
    # the recording below checks the pace itself)
    assert duration <= wall <= duration + 10
    samples = memoryview(recording.read_bytes()).cast("h")
    loud = [i for i in range(0, len(samples), 64) if abs(samples[i]) > 500]
    assert loud, "nothing was heard on the sink"
    heard_s = (loud[-1] - loud[0]) / 22050
    events = [e for e in doc["events"] if e["kind"] == "speech"]
    span_s = (events[-1]["end_ms"] - events[0]["start_ms"]) / 1000
    # the sounds are as far apart as the timeline says; on a busy machine the device may run
    # dry (an underrun plays silence and shifts the rest later), which shows as the player
    # finishing late: never earlier than the timeline, never later than the player ran late
    late_s = wall - duration
    assert -0.25 < heard_s - span_s < 0.25 + late_s, (heard_s, span_s, late_s)


def _wait_for_recording(recording: Path, size: int) -> None:
    """Until ``recording`` holds ``size`` bytes (the recorder writes continuously, silence
    included); a bound of 120 s on a recorder that stopped, not a timing check."""
    deadline = time.monotonic() + 120
    while recording.stat().st_size < size:
        assert time.monotonic() < deadline, f"the recording stopped at {recording.stat().st_size} bytes"
        time.sleep(0.02)


@pytest.mark.slow
def test_real_time_ctrl_c_stops_and_says_how_to_resume(pulse: dict[str, str], tmp_path: Path) -> None:
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY.replace("hold: 2s", "hold: 30s"))  # playing on would take 30 s more
    env = dict(pulse, VOICEGUIDE_ENGINE="fake", VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"))
    process = subprocess.Popen(
        [str(VOICEGUIDE), "play", str(routine), "--lead-in", "0"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    shown = wait_for_line(process, "] Reach")  # the step has begun (an event, not a time)
    assert "Reach" in shown
    began = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert time.monotonic() - began < 5  # stops at once (under 0.1 s here), not after the hold
    assert process.returncode == 130, err
    played = re.escape(f"play {routine} --lead-in 0")  # with the options it was played with
    assert re.search(rf'in "Reach"\. To resume: \S*voiceguide {played} --from "Reach"\n', err), err
    assert "Traceback" not in err


@pytest.mark.slow
def test_keys_on_a_terminal_and_the_terminal_is_restored(pulse: dict[str, str], tmp_path: Path) -> None:
    import pty
    import termios

    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    env = dict(
        pulse,
        VOICEGUIDE_ENGINE="fake",
        VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"),
        TERM="xterm",
        COLUMNS="80",
        LINES="24",
    )
    leader, follower = pty.openpty()
    before = termios.tcgetattr(follower)
    process = subprocess.Popen(
        [str(VOICEGUIDE), "play", str(routine), "--lead-in", "0"],
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    screen = b""

    def read_until(wanted: bytes, seconds: float = 60.0) -> None:
        """Read the screen until ``wanted`` shows after what was read so far (an event,
        not a time: the machine may be busy); fail after ``seconds``."""
        nonlocal screen
        import select

        seen = len(screen)
        deadline = time.monotonic() + seconds
        while wanted not in screen[seen:]:
            assert time.monotonic() < deadline, f"{wanted!r} never shown: {screen[-400:]!r}"
            if select.select([leader], [], [], 0.05)[0]:
                try:
                    screen += os.read(leader, 65536)
                except OSError:  # the program has ended and closed the terminal
                    break
        assert wanted in screen[seen:], wanted

    read_until(b"space pause/resume")  # the live panel
    assert b"Reach" in screen
    os.write(leader, b" ")  # pause
    read_until(b"paused")
    os.write(leader, b" ")  # resume
    os.write(leader, b"n")  # next step: "Rest"
    read_until(b"2/2")
    os.write(leader, b"q")
    assert process.wait(60) == 0
    read_until(b"--from")
    tail = screen[-600:].decode(errors="replace")
    played = re.escape(f"play {routine} --lead-in 0")
    assert re.search(rf'To resume: \S*voiceguide {played} --from "Rest"', tail), tail
    assert termios.tcgetattr(follower)[3] == before[3]  # echo and line mode are back
    os.close(leader)
    os.close(follower)
