"""Playback: time to first sound (warm cache) and drift of the display clock, measured on a
private PulseAudio null sink that plays in real time.

1. Time from starting `voiceguide play` to the first loud sample reaching the sink, against
   `aplay` of the exported WAV measured the same way (ratio; target: under 0.5 s).
2. At the end of a generated 10-minute routine: how far the display clock (Player.position)
   has drifted from the samples actually heard, i.e. the change between the first and the
   last time the same cue is spoken of (heard time − time the display said). Target < 20 ms. For comparison, a
   clock that adds up 0.1 s sleeps, as a naive player would, measured in the same run.

Usage: .venv/bin/python benchmarks/bench_play.py [--minutes 10]   (takes that long)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from generated import write_routine

from tests.helpers.pulse import pulse_null_sink

VOICEGUIDE = Path(sys.executable).parent / "voiceguide"
RATE = 22050


class TimedRecorder:
    """parec on the sink's monitor; remembers when each chunk arrived, to map samples to time."""

    def __init__(self, env: dict[str, str]) -> None:
        self.chunks: list[tuple[float, bytes]] = []
        self._process = subprocess.Popen(
            [
                "parec",
                "-d",
                "vg.monitor",
                "--format=s16le",
                f"--rate={RATE}",
                "--channels=1",
                "--latency-msec=5",
            ],
            stdout=subprocess.PIPE,
            env=env,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        while data := self._process.stdout.read1(4096):  # type: ignore[attr-defined]
            self.chunks.append((time.monotonic(), data))

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(10)
        self._thread.join(10)

    def clock_error_ms(self, after: float, before: float) -> tuple[float, float]:
        """How far the sink's clock moved from CLOCK_MONOTONIC between two wall times:
        (samples received ÷ rate − time elapsed) in ms, and the same in parts per million."""
        inside = [(arrived, len(data) // 2) for arrived, data in self.chunks if after <= arrived <= before]
        (first_arrived, _), (last_arrived, _) = inside[0], inside[-1]
        received = sum(samples for _, samples in inside[1:])  # those after the first arrival
        elapsed = last_arrived - first_arrived
        error = received / RATE - elapsed
        return error * 1000, error / elapsed * 1e6

    def first_loud_after(self, after: float, threshold: int = 500) -> float | None:
        """Wall time of the first loud sample received after wall time ``after``."""
        for arrived, data in self.chunks:
            samples = memoryview(data[: len(data) // 2 * 2]).cast("h")
            n = len(samples)
            for i, s in enumerate(samples):
                if abs(s) > threshold:
                    at = arrived - (n - i) / RATE  # the chunk's last sample arrived at `arrived`
                    if at >= after:
                        return at
        return None


def time_to_first_sound(env: dict[str, str], command: list[str]) -> float:
    """Seconds from starting ``command`` to its first loud sample at the sink; the command
    is stopped as soon as that is heard."""
    recorder = TimedRecorder(env)
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 1.0:  # the previous run may still be draining
        time.sleep(0.1)
        if recorder.first_loud_after(quiet_since) is not None:
            quiet_since = time.monotonic()
    began = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    heard = None
    while heard is None and time.monotonic() - began < 30:
        time.sleep(0.05)
        heard = recorder.first_loud_after(began)
    process.terminate()
    process.wait(10)
    recorder.stop()
    assert heard is not None, "nothing was heard"
    return heard - began


def time_to_device(command: list[str], env: dict[str, str], directory: Path) -> float:
    """Seconds from starting ``command`` to its first sample reaching ALSA's default device,
    here a FIFO behind ALSA's `file` plugin: what voiceguide controls, without a sound
    server's own start-up latency."""
    home = directory / "fifo-home"
    home.mkdir(exist_ok=True)
    fifo = home / "capture.fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    (home / ".asoundrc").write_text(
        f'pcm.!default {{ type file; slave.pcm "null"; file "{fifo}"; format "raw" }}\n'
    )
    runtime = directory / "no-sound-server"  # hide PulseAudio, whose ALSA hook would win
    runtime.mkdir(mode=0o700, exist_ok=True)
    quiet_env = {k: v for k, v in env.items() if not k.startswith("PULSE_")}
    quiet_env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), PULSE_SERVER="none")
    began = time.monotonic()
    process = subprocess.Popen(command, env=quiet_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with fifo.open("rb") as device:
        device.read(1)
        arrived = time.monotonic() - began
        while device.read(1 << 16):
            pass
    process.wait(60)
    return arrived


DRIVER = r"""
import json, sys, time
from pathlib import Path
from voiceguide.play.sink import SimpleaudioSink
from voiceguide.speech.cache import ClipCache
from voiceguide.play.player import Player
from voiceguide.session import prepare
from voiceguide.speech.espeak import Pyttsx3Engine

session, clips = prepare(Path(sys.argv[1]), Pyttsx3Engine, ClipCache(Path(sys.argv[2])))
rate = session.sample_rate
# the same words at the start and at the end, so detecting their onset is biased alike
cue = [e for e in session.timeline.events if e.text == "Keep breathing slowly."]
first, last = cue[0], cue[-1]
player = Player(session.timeline, clips, rate, SimpleaudioSink())
player.start()
started = time.monotonic()
naive_ms = 0
marks = {}
while not player.finished():
    now = time.monotonic()
    at_ms = player.position() * 1000 // rate
    for name, event in (("first", first), ("last", last)):
        if name not in marks and at_ms >= event.start_ms:
            marks[name] = now - (at_ms - event.start_ms) / 1000
            marks["naive_" + name] = started + event.start_ms / 1000 - (naive_ms - at_ms) / 1000
    time.sleep(0.1)
    naive_ms += 100  # a clock that adds up its sleeps
player.stop()
print(json.dumps(marks))
"""


def drift(env: dict[str, str], routine: Path, cache: Path) -> dict[str, float]:
    recorder = TimedRecorder(env)
    time.sleep(0.5)
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, str(routine), str(cache)],
        env=env,
        capture_output=True,
        text=True,
        timeout=4 * 3600,
    )
    time.sleep(0.3)
    recorder.stop()
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    marks = json.loads(result.stdout)
    heard_first = recorder.first_loud_after(marks["first"] - 0.5)
    heard_last = recorder.first_loud_after(marks["last"] - 0.5)
    assert heard_first is not None and heard_last is not None
    sink_ms, sink_ppm = recorder.clock_error_ms(marks["first"], marks["last"])
    display = (heard_last - marks["last"]) - (heard_first - marks["first"])
    naive = (heard_last - marks["naive_last"]) - (heard_first - marks["naive_first"])
    return {"display_ms": display * 1000, "naive_ms": naive * 1000, "sink_ms": sink_ms, "sink_ppm": sink_ppm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, pulse_null_sink() as env:
        work = Path(tmp)
        cache = work / "cache"
        env = dict(env, VOICEGUIDE_CACHE_DIR=str(cache), VOICEGUIDE_ENGINE="espeak-ng")
        wav = work / "box.wav"
        subprocess.run(
            [str(VOICEGUIDE), "export", "box-breathing", "-o", str(wav), "-q"], env=env, check=True
        )
        play = [str(VOICEGUIDE), "play", "box-breathing", "--lead-in", "0", "-q"]
        ours = min(time_to_device(play, env, work) for _ in range(3))
        theirs = min(time_to_device(["aplay", "-q", str(wav)], env, work) for _ in range(3))
        print(
            f"time to first sample at the ALSA device, warm: voiceguide play {ours:.3f} s; "
            f"aplay of the exported WAV {theirs:.3f} s"
        )
        print(
            f"RATIO first_sample play/aplay = {ours / theirs:.2f}  (target: play under 0.5 s: "
            f"{'met' if ours < 0.5 else 'MISSED'})"
        )
        heard = min(time_to_first_sound(env, play) for _ in range(3))
        heard_aplay = min(time_to_first_sound(env, ["aplay", "-q", str(wav)]) for _ in range(3))
        print(
            f"first sound heard on the PulseAudio null sink: voiceguide play {heard:.3f} s; "
            f"aplay {heard_aplay:.3f} s (the sound server's own start-up latency included)"
        )
        routine = write_routine(work, args.minutes)
        subprocess.run([str(VOICEGUIDE), "synthesize", str(routine), "-q"], env=env, check=True)
        result = drift(env, routine, cache)
        print(
            f"display clock drift after {args.minutes} min: {result['display_ms']:+.1f} ms "
            f"(a clock adding up 0.1 s sleeps: {result['naive_ms']:+.1f} ms)"
        )
        print(
            f"the sink's own clock against CLOCK_MONOTONIC over the same span: "
            f"{result['sink_ms']:+.1f} ms ({result['sink_ppm']:+.0f} ppm; a display that follows the "
            "system clock can be no closer than this)"
        )
        display, naive = abs(result["display_ms"]), max(abs(result["naive_ms"]), 0.001)
        print(
            f"RATIO drift display/naive = {display / naive:.3f}"
            f"  (target |display| < 20 ms: {'met' if display < 20 else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
