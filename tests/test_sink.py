"""play/sink.py's SimpleaudioSink against a stand-in simpleaudio module (the real one plays
through ALSA in tests/test_play_alsa.py): a stream replaces the one playing, ALSA's
refusal becomes one AudioDeviceError, ALSA's own chatter is kept off stderr."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from voiceguide.errors import AudioDeviceError
from voiceguide.play import sink as sink_module
from voiceguide.play.sink import FakeSink, SimpleaudioSink, _silenced_fd2, check_output


class SimpleaudioError(Exception):
    """Named like _simpleaudio's error, which has no public name."""


class Play:
    """A stream that plays for ``seconds`` of the monotonic clock, or until stopped."""

    def __init__(self, pcm: memoryview, seconds: float) -> None:
        self.pcm, self.ends = pcm, time.monotonic() + seconds
        self.stopped = threading.Event()

    def is_playing(self) -> bool:
        return not self.stopped.is_set() and time.monotonic() < self.ends

    def stop(self) -> None:
        self.stopped.set()

    def wait_done(self) -> None:
        while self.is_playing():
            time.sleep(0.001)


class FakeSimpleaudio:
    def __init__(self, seconds: float = 0.05, error: Exception | None = None) -> None:
        self.seconds, self.error = seconds, error
        self.plays: list[tuple[Play, tuple[int, int, int]]] = []

    def play_buffer(self, pcm: memoryview, channels: int, width: int, rate: int) -> Play:
        os.write(2, b"ALSA lib pcm.c:2660:(snd_pcm_open_noupdate) Unknown PCM\n")  # as ALSA does
        if self.error is not None:
            raise self.error
        play = Play(pcm, self.seconds)
        self.plays.append((play, (channels, width, rate)))
        return play


def sink_with(monkeypatch: pytest.MonkeyPatch, module: object) -> SimpleaudioSink:
    monkeypatch.setitem(sys.modules, "simpleaudio", module)
    monkeypatch.setattr(sink_module, "check_output", lambda device: None)  # a device is there
    return SimpleaudioSink()


PCM = memoryview(bytes(2 * 800))


def test_a_stream_plays_mono_16_bit_and_is_waited_for(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    fake = FakeSimpleaudio(seconds=0.05)
    sink = sink_with(monkeypatch, fake)
    sink.start(PCM, 16000)
    assert sink.is_playing()
    [(play, layout)] = fake.plays
    assert play.pcm is PCM and layout == (1, 2, 16000)  # the buffer itself, not a copy
    sink.wait_done(5)
    assert not sink.is_playing()
    assert "ALSA lib" not in capfd.readouterr().err  # fd 2 silenced while the device opens


def test_starting_again_stops_the_stream_playing(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSimpleaudio(seconds=60)
    sink = sink_with(monkeypatch, fake)
    sink.start(PCM, 22050)
    sink.start(PCM, 22050)
    (first, _), (second, _) = fake.plays
    assert first.stopped.is_set() and not second.stopped.is_set()
    sink.stop()
    assert second.stopped.is_set() and not sink.is_playing()
    sink.stop()  # stopping twice is fine


def test_wait_done_gives_up_after_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    sink = sink_with(monkeypatch, FakeSimpleaudio(seconds=60))
    sink.start(PCM, 22050)
    began = time.monotonic()
    sink.wait_done(0.02)
    assert sink.is_playing() and time.monotonic() - began < 30
    sink.stop()


def test_no_device_is_one_error_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    refused = SimpleaudioError("Error opening PCM device. -- CODE: -2 -- MSG: No such file or directory")
    sink = sink_with(monkeypatch, FakeSimpleaudio(error=refused))
    with pytest.raises(AudioDeviceError) as err:
        sink.start(PCM, 22050)
    message = err.value.message
    assert "no audio output device could be opened (ALSA said: Error opening PCM device)" in message
    assert "Connect speakers or headphones" in message and "CODE" not in message
    assert "voiceguide export" in err.value.hint  # what to do instead, on the next line
    assert err.value.__cause__ is None and not sink.is_playing()
    assert "ALSA lib" not in capfd.readouterr().err


def test_other_errors_are_not_disguised_as_a_missing_device(monkeypatch: pytest.MonkeyPatch) -> None:
    sink = sink_with(monkeypatch, FakeSimpleaudio(error=ValueError("bad buffer")))
    with pytest.raises(ValueError, match="bad buffer"):
        sink.start(PCM, 22050)


def test_without_simpleaudio_the_error_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "simpleaudio", None)  # as if the C extension did not build
    with pytest.raises(AudioDeviceError) as err:
        SimpleaudioSink()
    assert "bin/setup" in err.value.message and "libasound2-dev" in err.value.message
    assert "voiceguide export ROUTINE -o session.mp3" in err.value.hint


class FakeAlsaLib:
    """alsa-lib's snd_pcm_open answering ``code``; what was opened and closed is kept."""

    def __init__(self, code: int) -> None:
        self.code, self.closed = code, 0
        self.opened: list[tuple[bytes, int, int]] = []

    def snd_pcm_open(self, handle: object, name: bytes, stream: int, mode: int) -> int:
        self.opened.append((name, stream, mode))
        return self.code

    def snd_pcm_close(self, handle: object) -> int:
        self.closed += 1
        return 0

    def snd_strerror(self, code: int) -> bytes:
        return {-2: b"No such file or directory", -16: b"Device or resource busy"}[code]


def test_the_device_is_opened_and_closed_before_any_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    library = FakeAlsaLib(0)
    monkeypatch.setattr(sink_module, "alsa_library", lambda: library)
    check_output("speaker")
    assert library.opened == [(b"speaker", 0, 1)] and library.closed == 1  # playback, not waiting


def test_a_device_that_cannot_be_opened_is_said_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink_module, "alsa_library", lambda: FakeAlsaLib(-2))
    with pytest.raises(AudioDeviceError) as err:
        check_output()
    assert err.value.message.startswith(
        "no audio output device could be opened (ALSA said: No such file or directory). Connect"
    )
    monkeypatch.setitem(sys.modules, "simpleaudio", FakeSimpleaudio())
    monkeypatch.setattr(sink_module, "quiet_alsa", lambda: True)  # (not the fake library's)
    with pytest.raises(AudioDeviceError):
        SimpleaudioSink()  # made, a sink has found its device


def test_a_busy_device_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    library = FakeAlsaLib(-16)
    monkeypatch.setattr(sink_module, "alsa_library", lambda: library)
    check_output()  # playing waits for it, as before
    assert library.closed == 0


def test_fd_2_is_back_after_the_silence(capfd: pytest.CaptureFixture[str]) -> None:
    with _silenced_fd2():
        os.write(2, b"hidden\n")
    os.write(2, b"shown\n")
    assert capfd.readouterr().err == "shown\n"


def test_without_a_fd_2_nothing_is_silenced(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dup(fd: int) -> int:
        raise OSError(9, "Bad file descriptor")

    monkeypatch.setattr(os, "dup", no_dup)
    with _silenced_fd2():
        pass  # and no error


def test_the_fake_sink_records_and_is_done_at_once() -> None:
    sink = FakeSink()
    sink.start(memoryview(b"\x01\x00"), 8000)
    assert sink.is_playing() and sink.started == [b"\x01\x00"]
    sink.wait_done(0)
    assert not sink.is_playing()
    sink.start(memoryview(b""), 8000)
    sink.stop()
    assert not sink.is_playing()
