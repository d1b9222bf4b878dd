"""A private PulseAudio daemon with a null sink named "vg", for real-time playback tests and
benchmarks. ALSA's default device is pointed at it through ~/.asoundrc in a temporary HOME
(libasound2-plugins provides `type pulse`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SINK_RATE = 50_000


class PulseUnavailable(Exception):
    """PulseAudio is not installed or would not start here (the reason is the message)."""


@contextlib.contextmanager
def pulse_null_sink(directory: Path | None = None) -> Iterator[dict[str, str]]:
    """Start the daemon; yield the environment variables that make programs use it."""
    if not shutil.which("pulseaudio") or not shutil.which("parec"):
        raise PulseUnavailable("pulseaudio/parec not installed (bin/setup --test installs them)")
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        runtime = Path(tmp) / "xdg"
        runtime.mkdir(mode=0o700)
        home = Path(tmp) / "home"
        home.mkdir()
        (home / ".asoundrc").write_text("pcm.!default { type pulse }\nctl.!default { type pulse }\n")
        env = dict(
            os.environ,
            XDG_RUNTIME_DIR=str(runtime),
            HOME=str(home),
            PULSE_RUNTIME_PATH=str(runtime / "pulse"),
        )
        started = subprocess.run(
            [
                "pulseaudio",
                "-n",
                "--daemonize",
                "--exit-idle-time=-1",
                "--use-pid-file=false",
                "--system=false",
                # 50 kHz: a frame lasts a whole 20 µs. The null sink times itself by adding
                # up each block's length floored to whole microseconds, so at 44.1/48 kHz its
                # clock runs 100-300 ppm fast against CLOCK_MONOTONIC (measured: -16 ms in
                # 120 s at 44.1 kHz, -0.5 ms at 50 kHz); a test sink must keep true time.
                f"--load=module-null-sink sink_name=vg rate={SINK_RATE}",
                "--load=module-native-protocol-unix",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
        )
        if started.returncode != 0:
            raise PulseUnavailable(f"PulseAudio could not start here: {started.stderr.strip()[:200]}")
        try:
            for _ in range(50):
                if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
                    break
                time.sleep(0.1)
            yield env
        finally:
            subprocess.run(["pactl", "exit"], env=env, capture_output=True, timeout=20)
            subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True, timeout=20)


class Recorder:
    """Records the sink's monitor (mono s16le at ``rate``) into a file, with the wall time
    (time.monotonic) of its first sample estimated from the bytes received."""

    def __init__(self, env: dict[str, str], path: Path, rate: int = 22050) -> None:
        self.path = path
        self.rate = rate
        self._file = path.open("wb")
        self._process = subprocess.Popen(
            [
                "parec",
                "-d",
                "vg.monitor",
                "--format=s16le",
                f"--rate={rate}",
                "--channels=1",
                "--latency-msec=10",
            ],
            stdout=self._file,
            env=env,
        )

    def stop(self) -> bytes:
        self._process.terminate()
        self._process.wait(10)
        self._file.close()
        return self.path.read_bytes()


def first_loud_sample(pcm: bytes, threshold: int = 500, start: int = 0) -> int:
    """Index of the first sample at or after ``start`` louder than ``threshold`` (-1: none)."""
    samples = memoryview(pcm).cast("h")
    for i in range(start, len(samples)):
        if abs(samples[i]) > threshold:
            return i
    return -1


#: Hz of the "mic" null sink whose monitor is the microphone (the capture rate: no resampling)
MIC_RATE = 16_000


@contextlib.contextmanager
def pulse_room(directory: Path | None = None, latency_ms: int | None = 30) -> Iterator[dict[str, str]]:
    """:func:`pulse_null_sink` with a room: what plays on "vg" leaks into the null sink "mic"
    (``module-loopback``, ``latency_ms``: its own rate control slews the delay by ±10 ms as
    it keeps that latency), whose monitor is the default source ALSA captures from; ALSA's
    device ``speaker`` plays into "mic" too (someone speaking in the room). ``latency_ms``
    None: no loopback, the microphone is vg's own monitor (the device's timing alone) and
    ``speaker`` plays into "vg"."""
    with pulse_null_sink(directory) as env:
        if latency_ms is None:
            subprocess.run(
                ["pactl", "set-default-source", "vg.monitor"],
                env=env,
                check=True,
                capture_output=True,
                timeout=20,
            )
            with (Path(env["HOME"]) / ".asoundrc").open("a") as asoundrc:
                asoundrc.write("pcm.speaker { type pulse; device vg }\n")
            yield env
            return
        for command in (
            ["pactl", "load-module", "module-null-sink", "sink_name=mic", f"rate={MIC_RATE}"],
            ["pactl", "set-default-sink", "vg"],
            ["pactl", "set-default-source", "mic.monitor"],
            [
                "pactl",
                "load-module",
                "module-loopback",
                "source=vg.monitor",
                "sink=mic",
                f"latency_msec={latency_ms}",
            ],
        ):
            subprocess.run(command, env=env, check=True, capture_output=True, timeout=20)
        with (Path(env["HOME"]) / ".asoundrc").open("a") as asoundrc:
            asoundrc.write("pcm.speaker { type pulse; device mic }\n")
        yield env
