"""``play --listen`` end to end, in real time: a private PulseAudio daemon plays the session
into a null sink ("vg") whose sound also leaks into the microphone (a loopback into the null
sink "mic", whose monitor is the default source ALSA captures from), and espeak-ng's spoken
commands are played into "mic" at chosen points of the timeline. The played stream, recorded
from vg's monitor, shows the skip, the pause (and its confirmation blip), the repeat, the
step begun again and the stop; the guide's own "Pause here and breathe." leaking into the
microphone never pauses it. Waits are events: a line printed, the recording grown to a point
of the timeline. With no microphone, a silent one or ``listen: true`` in pacing.yaml, ALSA's
``file`` plugin stands in for the device."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voiceguide.play import recognizers

from .helpers.alsa import alsa_env, alsa_home
from .helpers.pulse import PulseUnavailable, Recorder, first_loud_sample, pulse_room
from .helpers.run import VOICEGUIDE, Runner

pytestmark = [
    pytest.mark.alsa,
    pytest.mark.espeak,
    pytest.mark.skipif(not recognizers.is_installed("whisper"), reason="the hearing extra is not installed"),
]

ROUTINE = """\
title: Listening
steps:
  - {name: First, say: Pause here and breathe., hold: 20s, rest: 0}
  - {name: Second, say: Now the second step., hold: 5s, rest: 0}
  - {name: Third, say: And the last one., hold: 2s}
"""
RATE = 22050  # the recording's


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The daemon, with a "mic" null sink as the default source's owner and vg's sound
    leaking into it."""
    try:
        with pulse_room(tmp_path, latency_ms=30) as env:
            yield env
    except PulseUnavailable as why:
        pytest.skip(str(why))


class Lines:
    """A process's standard output, read as it comes, every line kept. Read from the pipe's
    file descriptor itself: select() on a buffered reader misses lines already in its buffer
    (two lines written together, "heard ..." and the next step's, and the second was seen
    only when a third came, 6 s later)."""

    def __init__(self, process: subprocess.Popen[str], errors: Path) -> None:
        self.process = process
        self.errors = errors  # where its standard error goes
        self.seen: list[str] = []
        self._partial = b""  # the start of a line not yet ended
        self.ended = False

    def _read(self, seconds: float) -> None:
        """Take in what the process wrote within ``seconds`` (nothing waits once it ended)."""
        assert self.process.stdout is not None
        descriptor = self.process.stdout.fileno()
        if self.ended or not select.select([descriptor], [], [], seconds)[0]:
            return
        data = os.read(descriptor, 65536)
        self.ended = not data
        *lines, self._partial = (self._partial + data).split(b"\n")
        self.seen += [line.decode() for line in lines]

    def read_ready(self) -> None:
        self._read(0)

    def until(self, wanted: str, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while not any(wanted in line for line in self.seen):
            assert time.monotonic() < deadline, (
                f"{wanted!r} never printed: {self.seen}; {self.errors.read_text()}"
            )
            assert not self.ended, (
                f"the output ended before {wanted!r}: {self.seen}; {self.errors.read_text()}"
            )
            self._read(0.1)


def noted(errors: Path, wanted: str, seconds: float = 120) -> None:
    """Until ``wanted`` is in the player's standard error (``-v``'s notes; an event: the
    file grew to say it)."""
    deadline = time.monotonic() + seconds
    while wanted not in errors.read_text():
        assert time.monotonic() < deadline, f"{wanted!r} never noted: {errors.read_text()}"
        time.sleep(0.05)  # polling a file; the wait ends on the event, not the time


def first_sound(recording: Path) -> tuple[bytes, int]:
    """The recording once the session's first sound is in it, and that sound's first sample
    (the session's first sample: its speech starts at 0 ms)."""
    played = grown_to(recording, 1)
    start = -1
    while start < 0:
        played = grown_to(recording, len(played) // 2 + RATE // 10)
        start = first_loud_sample(played)
    return played, start


def speech_after(recording: Path, start: int) -> tuple[bytes, int]:
    """The recording once it holds the first sound after sample ``start`` that is loud for
    more than 300 ms of its first 500 (the guide speaking: a confirmation's blip is 160 ms),
    and that sound's first sample."""
    at = start
    while True:
        played = grown_to(recording, at + RATE // 10)
        first = first_loud_sample(played, start=at)
        if first < 0:
            at = max(at, len(played) // 2 - RATE // 10)
            continue
        played = grown_to(recording, first + RATE // 2)
        sound = np.abs(samples_of(played)[first : first + RATE // 2])
        loud_ms = sum(10 for k in range(0, len(sound), RATE // 100) if sound[k : k + RATE // 100].max() > 500)
        if loud_ms > 300:
            return played, first
        at = first + RATE // 2


def grown_to(recording: Path, samples: int, seconds: float = 90) -> bytes:
    """The recording once it holds ``samples`` samples (an event: the file grew)."""
    deadline = time.monotonic() + seconds
    while recording.stat().st_size < 2 * samples:
        assert time.monotonic() < deadline, "the recording stopped growing"
        time.sleep(0.02)  # polling a file's size; the wait ends on the event, not the time
    return recording.read_bytes()


def prepared(text: str, name: str, pulse: dict[str, str], folder: Path) -> tuple[Path, dict[str, str], Any]:
    """The routine ``text`` written as ``name``.yaml in ``folder``, its speech made with
    espeak-ng (a warm cache: the session plays at once), the environment to play it in
    (``pulse``'s, with private folders) and its ``show --json``."""
    routine = folder / f"{name}.yaml"
    routine.write_text(text)
    env = dict(
        pulse,
        VOICEGUIDE_ENGINE="espeak-ng",
        VOICEGUIDE_CACHE_DIR=str(folder / "cache"),
        VOICEGUIDE_DATA_DIR=str(folder / "data"),
        VOICEGUIDE_CONFIG_DIR=str(folder / "config"),
    )
    subprocess.run([str(VOICEGUIDE), "synthesize", str(routine)], env=env, check=True, capture_output=True)
    shown = subprocess.run(
        [str(VOICEGUIDE), "show", str(routine), "--json"], env=env, check=True, capture_output=True, text=True
    )
    return routine, env, json.loads(shown.stdout)


def listening_play(
    routine: Path, env: dict[str, str], folder: Path
) -> tuple[subprocess.Popen[str], Lines, Path]:
    """``play ROUTINE --listen -v`` started at once (no lead-in): the process, its output
    read as it comes, and the file its standard error (the notes) goes to."""
    errors = folder / "stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [str(VOICEGUIDE), "play", str(routine), "--listen", "--lead-in", "0", "-v"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    return process, Lines(process, errors), errors


def say(text: str, env: dict[str, str], folder: Path) -> None:
    """espeak-ng says ``text`` into the microphone (returns once it has been played); the
    words are made beforehand (:func:`made`), so that only playing them takes time here (on a
    loaded machine espeak-ng's start-up took seconds, and the command came late)."""
    subprocess.run(["paplay", "-d", "mic", str(made(text, folder))], env=env, check=True, timeout=30)


def made(text: str, folder: Path) -> Path:
    """``text`` spoken by espeak-ng into a WAV in ``folder`` (made once)."""
    wav = folder / f"said-{text.replace(' ', '-')}.wav"
    if not wav.exists():
        subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
    return wav


@pytest.mark.slow  # real time: about 30 s of session, Whisper's model loaded
def test_spoken_commands_act_at_their_point_of_the_timeline(pulse: dict[str, str], tmp_path: Path) -> None:
    routine, env, doc = prepared(ROUTINE, "listening", pulse, tmp_path)
    speech = [e for e in doc["events"] if e["kind"] == "speech"]
    second_start_ms = doc["chapters"][1]["start_ms"]
    for command in ("next", "pause", "continue"):
        made(command, tmp_path)
    recorder = Recorder(pulse, tmp_path / "played.raw", RATE)
    process, lines, errors = listening_play(routine, env, tmp_path)
    try:
        lines.until("] First")
        played, start = first_sound(recorder.path)
        noted(errors, "the recognizer is ready")  # (it loads while the session starts)
        # the guide's "Pause here and breathe." has leaked into the microphone; 1.5 s later, "next"
        said_at = max(start + (speech[0]["end_ms"] + 1500) * RATE // 1000, recorder.path.stat().st_size // 2)
        grown_to(recorder.path, said_at)
        lines.read_ready()
        assert not any("heard" in line for line in lines.seen), lines.seen  # the guide's own words
        say("next", pulse, tmp_path)
        lines.until('heard "next"')
        lines.until("] Second")
        # (not the confirmation's blip, which may sound before the stream restarts)
        played, second = speech_after(recorder.path, said_at + RATE // 2)
        # the second step began about when "next" was said, not 20 s into the first step's hold
        assert (second - said_at) / RATE < 4.0
        assert (second - start) / RATE < second_start_ms / 1000 - 10
        # "pause" in the second step's hold; nothing more is played until "resume"
        pause_at = second + (speech[1]["end_ms"] - speech[1]["start_ms"] + 1500) * RATE // 1000
        grown_to(recorder.path, pause_at)
        say("pause", pulse, tmp_path)
        lines.until('heard "pause"')
        paused_from = len(recorder.path.read_bytes()) // 2
        played = grown_to(recorder.path, paused_from + 7 * RATE)  # longer than the hold left
        lines.read_ready()
        assert not any("] Third" in line for line in lines.seen)  # the hold did not run on
        assert first_loud_sample(played, start=paused_from + RATE // 2) < 0  # and nothing sounded
        assert blip_at(samples_of(played), pause_at, paused_from + RATE // 2) >= 0  # but the confirmation
        say("continue", pulse, tmp_path)  # (espeak-ng's "resume" is heard as "review": see the benchmark)
        lines.until('heard "resume"')
        lines.until("] Third")
        process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
        recorder.stop()
    assert process.returncode == 0, errors.read_text()
    lines.read_ready()
    assert "Session complete" in "\n".join(lines.seen)


def test_no_command_plays_exactly_the_export(vg: Runner, tmp_path: Path) -> None:
    """Listening (to a silent microphone) changes nothing that is played."""
    routine = tmp_path / "listening.yaml"
    routine.write_text(ROUTINE.replace("20s", "2s"))
    home = alsa_home(
        tmp_path,
        device=f'type asym; playback.pcm {{ type file; slave.pcm "null"; '
        f'file "| cat >> {tmp_path / "home" / "capture.raw"}"; format "raw" }} '
        f'capture.pcm {{ type file; slave.pcm "null"; file "/dev/null"; infile "/dev/zero"; format "raw" }}',
    )
    env = alsa_env(home)
    played = vg("play", str(routine), "--listen", "--lead-in", "0", "--quiet", env=env)
    assert played.returncode == 0, played.stderr
    exported = tmp_path / "export.wav"
    assert vg("export", str(routine), "-o", str(exported), env=env).returncode == 0
    from voiceguide.pcm.wavfile import read_wav

    assert (home / "capture.raw").read_bytes() == read_wav(exported).pcm


def test_no_microphone_is_one_line_and_the_session_plays_on(vg: Runner, tmp_path: Path) -> None:
    routine = tmp_path / "listening.yaml"
    routine.write_text(ROUTINE.replace("20s", "2s"))
    home = alsa_home(
        tmp_path,
        device='type asym; playback.pcm { type file; slave.pcm "null"; file "/dev/null"; format "raw" }',
    )
    played = vg("play", str(routine), "--listen", "--lead-in", "0", env=alsa_env(home))
    assert played.returncode == 0
    assert played.stderr.splitlines() == [
        "voiceguide: warning: not listening: no microphone was found; connect a microphone (a headset's "
        "will do) and check that `arecord -d 2 /tmp/test.wav` records, or set ALSA's default capture "
        "device in ~/.asoundrc. The session plays on."
    ]
    assert "Session complete" in played.stdout


def test_listen_true_in_the_pacing_file_listens_without_the_flag(vg: Runner, tmp_path: Path) -> None:
    """``listen: true`` in the user's pacing.yaml makes listening the default: the microphone
    (a silent one) is opened and the commands are named, with no ``--listen``; without it,
    nothing listens."""
    from voiceguide.play.listening import COMMANDS_HINT

    routine = tmp_path / "listening.yaml"
    routine.write_text(ROUTINE.replace("20s", "2s"))
    home = alsa_home(
        tmp_path,
        device='type asym; playback.pcm { type file; slave.pcm "null"; file "/dev/null"; format "raw" } '
        'capture.pcm { type file; slave.pcm "null"; file "/dev/null"; infile "/dev/zero"; format "raw" }',
    )
    config = tmp_path / "config"
    config.mkdir()
    env = dict(alsa_env(home), VOICEGUIDE_CONFIG_DIR=str(config))
    unasked = vg("play", str(routine), "--lead-in", "0", env=env)
    assert unasked.returncode == 0, unasked.stderr
    assert COMMANDS_HINT not in unasked.stderr
    (config / "pacing.yaml").write_text("listen: true\n")
    played = vg("play", str(routine), "--lead-in", "0", env=env)
    assert played.returncode == 0, played.stderr
    assert played.stderr.splitlines() == [COMMANDS_HINT]
    assert "Session complete" in played.stdout


AGAIN = """\
title: Again
steps:
  - name: First
    say: Lie still on the mat.
    hold: 24s
    cues: [{at: 6s, say: Let the shoulders drop.}]
    rest: 0
  - {name: Second, say: And the last one., hold: 2s}
"""


def samples_of(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def found(recording: np.ndarray, sound: np.ndarray, start: int, end: int) -> tuple[int, float]:
    """Where ``sound`` is in ``recording[start:end]`` (its index in ``recording``) and how alike
    the two are there (normalized cross-correlation: 1 the same, near 0 unrelated)."""
    part = recording[start:end]
    size = 1 << (len(part) + len(sound)).bit_length()
    spectrum = np.fft.rfft(part, size) * np.conj(np.fft.rfft(sound, size))
    correlation = np.fft.irfft(spectrum, size)[: len(part) - len(sound) + 1]
    energy = np.concatenate([[0.0], np.cumsum(part**2)])
    windows = energy[len(sound) :] - energy[: len(part) - len(sound) + 1]
    alike = correlation / np.sqrt(np.maximum(windows, 1.0) * float(sound @ sound))
    best = int(np.argmax(alike))
    return start + best, float(alike[best])


def replayed(recording: np.ndarray, sentence: np.ndarray, start: int, end: int) -> tuple[int, float]:
    """Where ``sentence`` (as recorded once) sounds again in ``recording[start:end]`` (the index
    of its first sample) and how alike: its best 0.4 s piece's (on a loaded machine the device
    underran for 95 ms in the middle of a sentence, which the whole sentence's score counts)."""
    piece = RATE * 2 // 5
    best = (-1, 0.0)
    for offset in range(0, len(sentence) - piece + 1, piece):
        at, alike = found(recording, sentence[offset : offset + piece], start, end)
        if alike > best[1]:
            best = (at - offset, alike)
    return best


def blip_at(recording: np.ndarray, start: int, end: int) -> int:
    """The first sample in ``[start, end)`` of a 40 ms frame whose sound is mostly one of the
    confirmation's two notes (:data:`voiceguide.play.listening.BLIP`); -1: none."""
    from voiceguide.play.listening import BLIP

    size = RATE * 40 // 1000
    hz = np.fft.rfftfreq(size, 1 / RATE)
    for at in range(start, min(end, len(recording)) - size, size // 4):
        power = np.abs(np.fft.rfft(recording[at : at + size] * np.hanning(size))) ** 2
        if power.sum() < size * 500.0**2 / 4:  # quieter than the blip
            continue
        if any(power[np.abs(hz - note) < 80].sum() > 0.8 * power.sum() for _, note in BLIP):
            return at
    return -1


@pytest.mark.slow  # real time: about 30 s of session, Whisper's model loaded
def test_repeat_and_back_play_their_sentence_again_and_stop_stops(
    pulse: dict[str, str], tmp_path: Path
) -> None:
    """Said in a hold, "repeat" plays the last sentence (the cue) again, "go back" the step from its
    start (the instruction); "stop" ends the session (exit 0, the resume line) before the cue
    comes round again. (Their blips start with the sentence played again, so the blip is
    looked for after "pause", where it sounds alone.)"""
    routine, env, doc = prepared(AGAIN, "again", pulse, tmp_path)
    instruction, cue = [e for e in doc["events"] if e["kind"] == "speech"][:2]
    assert cue["text"] == "Let the shoulders drop."
    for command in ("repeat", "go back", "stop"):
        made(command, tmp_path)
    recorder = Recorder(pulse, tmp_path / "played.raw", RATE)
    process, lines, errors = listening_play(routine, env, tmp_path)

    def after(at: int, ms: int) -> int:
        return at + ms * RATE // 1000

    def recorded() -> int:
        return recorder.path.stat().st_size // 2

    try:
        lines.until("] First")
        played, start = first_sound(recorder.path)
        cue_at = -1  # the cue, found where it sounded (a loaded machine's underruns delay it)
        while cue_at < 0:
            played = grown_to(recorder.path, len(played) // 2 + RATE // 10)
            cue_at = first_loud_sample(played, start=after(start, instruction["end_ms"] + 1000))
        said = samples_of(played)[start : after(start, instruction["end_ms"])]
        noted(errors, "the recognizer is ready")  # (it loads while the session starts)
        # "repeat" 2 s after the cue: the cue again
        said_at = after(cue_at, cue["end_ms"] - cue["start_ms"] + 2000)
        grown_to(recorder.path, said_at)
        say("repeat", pulse, tmp_path)
        lines.until('heard "repeat"')
        heard_at = recorded()
        recording = samples_of(grown_to(recorder.path, heard_at + 4 * RATE))
        cue_sound = recording[cue_at : after(cue_at, cue["end_ms"] - cue["start_ms"])]
        again, alike = replayed(recording, cue_sound, said_at, heard_at + 4 * RATE)
        assert alike > 0.9 and again < heard_at + 2 * RATE, (alike, again - heard_at)  # as it was heard
        assert replayed(recording, said, said_at, heard_at + 4 * RATE)[1] < 0.5  # not the step's start
        # "go back" 2 s after the cue said again: the step from its start
        said_at = again + len(cue_sound) + 2 * RATE
        grown_to(recorder.path, said_at)
        say("go back", pulse, tmp_path)  # (a bare "back", 280 ms, was heard "bause" once in 8 runs)
        lines.until('heard "back"')
        heard_at = recorded()
        recording = samples_of(grown_to(recorder.path, heard_at + 4 * RATE))
        again, alike = replayed(recording, said, said_at, heard_at + 4 * RATE)
        assert alike > 0.9 and again < heard_at + 2 * RATE, (alike, again - heard_at)
        # "stop" 1.5 s after the instruction said again, 4.5 s before its cue would come round
        said_at = again + len(said) + RATE * 3 // 2
        grown_to(recorder.path, said_at)
        say("stop", pulse, tmp_path)
        lines.until('heard "stop"')
        heard_at = recorded()
        process.wait(60)
        recording = samples_of(grown_to(recorder.path, heard_at + 6 * RATE))
    finally:
        if process.poll() is None:
            process.kill()
        recorder.stop()
    assert process.returncode == 0, errors.read_text()
    assert 'stopped in "First"' in errors.read_text()
    # nothing played after the stop (but the blip): the cue did not come round again
    assert not np.any(np.abs(recording[heard_at + RATE :]) > 500)
