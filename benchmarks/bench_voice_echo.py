"""Voice commands said *over the guide's speech* (``play --listen``, issue 27): the player's
own pipeline (:class:`voiceguide.play.listen.VoiceCommands`: the echo canceller over what
was played, the detector on the residual, Whisper, the guide's-words rule) against the gate
it replaced (an utterance overlapping the guide's sound dropped), measured with no microphone.

The microphone's sound is what a room makes of the session (``room``: the played signal
:data:`DELAY_MS` late, with reflections dying away over :data:`RT60_S`, plus a quiet room's
hiss; ``--hard`` adds a speaker that saturates and a sound card whose clock runs
:data:`DRIFT_PPM` off the microphone's) and a spoken command, read back through ALSA's capture (the ``file``
plugin, as ``bench_voice_commands`` does). The listener is told, as the play loop tells it,
what plays next (every 0.1 s, the next 0.4 s) and which words the guide says when.

- **Recognition over the guide**: the sayings of ``bench_voice_commands`` by its voices,
  each said 1.2 s into a run of the guide's speech (its ``GUIDE_LINES``) after
  :data:`PRE_S` of the guide alone (a session's canceller has been listening for minutes),
  at 20, 10, 5 and 0 dB over the guide's echo (the word's voiced part against the echo's
  RMS while it is said). Right: the expected command, and nothing else in the whole run.
  Latency: the detector's (from the word's end to its utterance ending, in stream samples)
  plus the recognizer's wall time.
- **False commands** over the first ``--minutes`` of a bundled routine exported with
  espeak-ng, heard through the same room, the listener told the real timeline's words:
  goal 0. CPU: the listening thread's process time over that, a share of one CPU.

Usage: ``.venv/bin/python benchmarks/bench_voice_echo.py [--levels 20,10,5,0] [--minutes 10]
[--hard] [--no-session] [--voices en-us,...]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent.parent))
sys.path.insert(0, str(Path(__file__).parent))

import bench_voice_commands as base

RATE = base.RATE
DELAY_MS = 120  # from "played" by the player's clock to heard (device buffer, air, capture)
RT60_S = 0.3  # a furnished room
ECHO_GAIN = 0.5
PRE_S = 15.0
TICK_S = 0.1  # the play loop's
AHEAD_S = 0.4
DRIFT_PPM = 30  # --hard: two sound cards' crystals (one device's playback and capture share one)


def room(x: np.ndarray, rng: np.random.Generator, hard: bool) -> np.ndarray:
    """``x`` as a microphone hears it from the speaker (see the module)."""
    if hard:  # a small speaker driven near its limit, and a playback clock DRIFT_PPM fast
        x = 20000 * np.tanh(x / 20000)
        x = np.interp(np.arange(len(x)) * (1 + DRIFT_PPM * 1e-6), np.arange(len(x)), x)
    t = np.arange(int(RT60_S * RATE)) / RATE
    answer = rng.standard_normal(len(t)) * np.exp(-6.9 * t / RT60_S) * 0.25
    answer[0] = 1.0
    answer[int(0.004 * RATE)] += 0.5  # the floor's reflection
    heard = np.convolve(x, answer)[: len(x)] * ECHO_GAIN
    delay = DELAY_MS * RATE // 1000
    return np.concatenate([np.zeros(delay), heard])[: len(x)] + rng.standard_normal(len(x)) * 30


@dataclass(frozen=True)
class Said:
    """The guide's speech in a stream: sample ranges and their texts."""

    spans: tuple[tuple[int, int, str], ...]

    def texts(self, start_ms: int, end_ms: int) -> tuple[str, ...]:
        """The words said then, as the player tells them (listening.speech_texts)."""
        from voiceguide.play.listening import speech_texts
        from voiceguide.timing.timeline import Event, Timeline

        events = tuple(
            Event(s * 1000 // RATE, e * 1000 // RATE, "speech", text, "", 0) for s, e, text in self.spans
        )
        return speech_texts(Timeline("", 0, events, (), ()), start_ms, end_ms)


class PlayingMicrophone:
    """A recording read 20 ms at a time, and the play loop's part done in step with it: every
    0.1 s the guide told what played (``GuideVoice.observe``) and what plays next
    (``PlayedSound.play``), as :class:`voiceguide.play.listening.Listening` does."""

    def __init__(self, chunks: list[bytes], played: np.ndarray, said: Said, t0: float) -> None:
        from voiceguide.play.echo import PlayedSound
        from voiceguide.play.listen import GuideVoice

        self.chunks = chunks
        self.played_signal = played
        self.t0 = t0
        self.guide = GuideVoice(said.texts)
        self.played = PlayedSound()
        self._read = 0  # chunks read
        self._samples = 0
        self._next_tick = 0

    def read(self) -> bytes:
        while self._samples >= self._next_tick:  # the play loop's tick at this moment
            at = self._next_tick
            now = self.t0 + at / RATE
            self.guide.observe(now, at * 1000 // RATE, paused=False)
            self.played.play(now, self.played_signal[at : at + int(AHEAD_S * RATE)])
            self._next_tick += int(TICK_S * RATE)
        if self._read >= len(self.chunks):
            return b""
        chunk = self.chunks[self._read]
        self._read += 1
        self._samples += len(chunk) // 2
        return chunk

    def close(self) -> None:
        self._read = len(self.chunks)


class Ticks:
    """The listener's clock: 20 ms a read, from ``t0``."""

    def __init__(self, t0: float) -> None:
        self.now = t0

    def __call__(self) -> float:
        self.now += 0.02
        return self.now


class Timed:
    """The recognizer, its wall time per utterance kept."""

    def __init__(self, recognizer: object) -> None:
        self.recognizer = recognizer
        self.name = getattr(recognizer, "name", "?")
        self.walls: list[tuple[str, float]] = []  # (transcript, s)

    def hear(self, pcm: bytes) -> str:
        started = time.perf_counter()
        text = str(self.recognizer.hear(pcm))  # type: ignore[attr-defined]
        self.walls.append((text, time.perf_counter() - started))
        return text


@dataclass(frozen=True)
class Run:
    commands: list[str]
    latencies_s: list[float]
    utterances: int
    cpu_s: float


def run(
    chunks: list[bytes], played: np.ndarray, said: Said, recognizer: object, cancel: bool, t0: float = 1000.0
) -> Run:
    """The listener over a recording (with the echo canceller, or the old gate alone)."""
    from voiceguide.play.listen import VoiceCommands

    microphone = PlayingMicrophone(chunks, played, said, t0)
    timed = Timed(recognizer)
    cpu0 = time.process_time()
    listener = VoiceCommands(  # what the canceller would hear, were it used in play --listen
        microphone,
        timed,
        microphone.guide,
        clock=Ticks(t0),
        played=microphone.played if cancel else None,
        hear_over_guide=True,
    )
    listener.run_through()  # on this thread: the process time is the listener's
    cpu = time.process_time() - cpu0
    heard = []
    while (h := listener.poll()) is not None:
        heard.append(h)
    walls = iter(timed.walls)  # (each command's utterance was recognized once, in order)
    latencies = []
    for h in heard:
        wall = next((s for text, s in walls if text == h.transcript), 0.0)
        latencies.append(h.at - h.spoken_end + wall)
    return Run([h.command for h in heard], latencies, len(timed.walls), cpu)


def guide_lines() -> tuple[np.ndarray, Said]:
    parts, spans, at = [], [], 0
    for line in base.GUIDE_LINES * 6:
        clip = base.espeak(line, "en-us")
        parts += [clip, np.zeros(RATE // 4)]
        spans.append((at, at + len(clip), line))
        at += len(clip) + RATE // 4
    return np.concatenate(parts), Said(tuple(spans))


def trial_stream(
    command: np.ndarray, guide: np.ndarray, said: Said, db: float, rng: np.random.Generator, hard: bool
) -> tuple[np.ndarray, np.ndarray, Said, int]:
    """Microphone sound, what played, the guide's words and where the command ends."""
    pad = int(base.MARGIN_S * RATE)
    pre = int(PRE_S * RATE)
    n = pre + pad + len(command) + pad
    start = int(rng.integers(0, len(guide) - n))
    played = guide[start : start + n]
    echo = room(played, rng, hard)
    at = pre + pad
    level = base.rms(echo[at : at + len(command)]) or base.rms(echo)
    mic = echo.copy()
    mic[at : at + len(command)] += command / base.rms(command) * level * 10 ** (db / 20)
    shifted = Said(tuple((s - start, e - start, t) for s, e, t in said.spans if e > start and s < start + n))
    return mic, played, shifted, at + len(command)


def session(routine: str, minutes: int, folder: Path) -> tuple[np.ndarray, Said]:
    """The routine exported with espeak-ng (its first ``minutes``) at 16 kHz, and its words."""
    audio, _ = base.guide_session(routine, minutes, folder)
    env = dict(os.environ, VOICEGUIDE_ENGINE="espeak-ng", VOICEGUIDE_CACHE_DIR=str(folder / "cache"))
    doc = json.loads(
        subprocess.run(
            [sys.executable, "-m", "voiceguide", "show", routine, "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    spans = tuple(
        (e["start_ms"] * RATE // 1000, e["end_ms"] * RATE // 1000, e.get("text", ""))
        for e in doc["events"]
        if e.get("kind") == "speech"
    )
    return audio, Said(spans)


STREAM_S = 6.0  # --pulse: the guide plays as streams of this length, each started where the last ended
PULSE_PRE_S = 20.0  # --pulse: the guide alone before the first command
PULSE_EVERY_S = 6.0  # --pulse: a command every this many seconds


class StreamedGuide:
    """--pulse: the guide played in real time through :class:`voiceguide.play.sink.AlsaSink`
    as successive streams (each started at the sample where the last ended, once it has
    drained, as :meth:`voiceguide.play.player.Player.tick` joins them), with what plays next
    timed as ``Player.upcoming`` times it: by the device's delay, or (``device=False``, what
    the player did before) by the clock when each stream was started."""

    def __init__(self, guide: np.ndarray, stream_s: float = STREAM_S) -> None:
        from voiceguide.play.sink import AlsaSink

        self.pcm = np.clip(np.round(guide), -32768, 32767).astype("<i2").tobytes()
        self.n = len(guide)
        self.sink = AlsaSink()
        self.stream_index = 0
        self.stream_end = 0
        self.started = 0.0
        self.streams = 0
        self.stream_s = stream_s

    def _start(self, index: int) -> None:
        self.stream_index, self.stream_end = index, min(self.n, index + int(self.stream_s * RATE))
        self.sink.start(memoryview(self.pcm)[index * 2 : self.stream_end * 2], RATE)
        self.started = time.monotonic()
        self.streams += 1

    def tick(self) -> bool:
        """Keep the sound going; False at the end."""
        if self.streams == 0:
            self._start(0)
        left = (self.stream_end - self.position()) / RATE
        if left <= 0.25:
            if self.stream_end >= self.n:
                self.sink.wait_done(left + 2.0)
                return False
            self.sink.wait_done(left + 1.0)
            self._start(self.stream_end)
        return True

    def position(self) -> int:
        """The sample playing now, by the stream's clock (as Player.position)."""
        return min(self.stream_end, self.stream_index + round((time.monotonic() - self.started) * RATE))

    def upcoming(self, samples: int, before: int, device: bool) -> tuple[float, np.ndarray]:
        started = self.started
        from voiceguide.play.player import DEVICE_LATE_S

        heard = self.sink.first_heard() if device else None
        if heard is not None and abs(heard - started) > DEVICE_LATE_S:  # as Player.upcoming
            started = heard
        index = self.stream_index + max(0, round((time.monotonic() - started) * RATE))
        first = max(0, index - before)
        end = min(index + samples, self.stream_end)
        at = started + (first - self.stream_index) / RATE
        return at, np.frombuffer(self.pcm[first * 2 : end * 2], dtype="<i2").astype(np.float64)


def pulse_main(args: argparse.Namespace) -> None:
    """Commands said over the guide on a real-time PulseAudio device: the guide played into a
    null sink, leaking into the microphone's through ``module-loopback``, commands played
    into the microphone's sink; two listeners on the same microphone, one told what plays
    by the device's delay (after), one by the stream's clock (before)."""
    from tests.helpers.pulse import pulse_room

    folder = Path(tempfile.mkdtemp(prefix="bench-voice-echo-pulse-"))
    voices = [v for v in args.voices.split(",") if v != "piper"]
    commands = [
        (v, saying, expected, base.espeak(saying, v)) for v in voices for saying, expected in base.SAYINGS
    ]
    levels = [float(x) for x in args.levels.split(",")]
    trials = [(db, *c) for db in levels for c in commands]
    lines, said = guide_lines()
    if args.pulse_session:  # the false commands' session instead of the trials
        lines, session_said = session(args.routine, args.minutes, folder)
        said, trials = Said(tuple(session_said.spans)), []
    needed = int((PULSE_PRE_S + PULSE_EVERY_S * len(trials) + 3) * RATE)
    repeats = max(1, -(-needed // len(lines)))
    guide = np.tile(lines, repeats)[:needed] if trials else lines
    spans = tuple(
        (s + k * len(lines), e + k * len(lines), t) for k in range(repeats) for s, e, t in said.spans
    )
    said = Said(tuple(span for span in spans if span[0] < len(guide)))
    loudest = base.rms(guide) * 10 ** (max(levels, default=0.0) / 20)
    guide = guide * min(1.0, 8000 / loudest)  # the loudest command (its voiced RMS) at 8000: no clipping
    level = base.rms(guide)
    with pulse_room(folder, latency_ms=args.pulse_latency or None) as env:
        os.environ.update(env)
        from voiceguide.play.echo import TAPS, PlayedSound
        from voiceguide.play.listen import GuideVoice, Heard, VoiceCommands
        from voiceguide.play.microphone import AlsaMicrophone
        from voiceguide.play.recognizers import make_recognizer
        from voiceguide.play.sink import AlsaSink

        recognizer = make_recognizer("whisper")
        listeners = {}
        for name in args.pulse_timings.split(","):
            guide_voice = GuideVoice(said.texts)
            microphone = AlsaMicrophone()
            listeners[name] = VoiceCommands(
                microphone, recognizer, guide_voice, played=PlayedSound(), hear_over_guide=True
            )
        player = StreamedGuide(guide, args.pulse_stream_s)
        speaker = AlsaSink("speaker")
        print(
            f"PulseAudio room: loopback {args.pulse_latency} ms, streams of {args.pulse_stream_s:g} s; "
            f"{len(trials)} commands at {args.levels} dB over the guide; voices {', '.join(voices)}; "
            f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        for listener in listeners.values():
            listener.start()
        cpu0 = time.process_time()
        began = time.monotonic()
        trusted: dict[str, float | None] = dict.fromkeys(listeners)
        erle: dict[str, list[tuple[float, float, int | None]]] = {name: [] for name in listeners}
        said_at: list[
            tuple[float, float, str, str, str, float]
        ] = []  # start, end, voice, saying, expected, dB
        heard: dict[str, list[Heard]] = {name: [] for name in listeners}
        notes: dict[str, list[str]] = {name: [] for name in listeners}  # what was heard and not acted on
        next_trial, next_report = 0, 1.0
        while player.tick():
            now = time.monotonic()
            position = player.position()
            for name, listener in listeners.items():
                listener.guide.observe(now, position * 1000 // RATE, paused=False)
                first, samples = player.upcoming(int(AHEAD_S * RATE), TAPS, device=name != "clock")
                assert listener.played is not None
                listener.played.play_at(first, samples, RATE)
                while (h := listener.poll()) is not None:
                    heard[name].append(h)
                while not listener.notes.empty():
                    notes[name].append(f"{now - began:.1f}s {listener.notes.get()}")
            t = now - began
            if t >= next_report:
                next_report += 1.0
                for name, listener in listeners.items():
                    canceller = listener.canceller
                    assert canceller is not None
                    erle[name].append((t, canceller.erle_db, canceller.delay))
                    if trusted[name] is None and canceller.trusted:
                        trusted[name] = t
            if next_trial < len(trials) and t >= PULSE_PRE_S + PULSE_EVERY_S * next_trial:
                db, voice, saying, expected, clip = trials[next_trial]
                here = position
                spoken = next((s for s, e, _ in said.spans if s <= here < e - RATE), None)
                if spoken is not None or t >= PULSE_PRE_S + PULSE_EVERY_S * next_trial + 2.0:
                    scaled = clip / base.rms(clip) * level * 10 ** (db / 20)
                    pcm = np.clip(np.round(scaled), -32768, 32767).astype("<i2").tobytes()
                    speaker.start(memoryview(pcm), RATE)
                    said_at.append((now, now + len(clip) / RATE, voice, saying, expected, db))
                    next_trial += 1
            time.sleep(max(0.0, TICK_S - (time.monotonic() - now)))
        cpu = time.process_time() - cpu0
        wall = time.monotonic() - began
        time.sleep(3.0)
        for name, listener in listeners.items():
            while (h := listener.poll()) is not None:
                heard[name].append(h)
            listener.close()
        speaker.stop()
    share = cpu / wall
    print(f"\nplayed {wall:.0f} s as {player.streams} streams; the process took {share:.1%} of one CPU")
    results: dict[str, object] = {}
    for name in listeners:
        series = erle[name]
        marks = "  ".join(f"{t:.0f}s:{e:.1f}" for t, e, _ in series[4::5])
        delays = sorted({d for _, _, d in series if d is not None})
        when = trusted[name]
        print(
            f"\n{name}: trusted (ERLE >= 10 dB) at {'never' if when is None else f'{when:.0f} s'}; "
            f"delays found {delays[:6]}{'...' if len(delays) > 6 else ''}"
        )
        print(f"  ERLE dB over time: {marks}")
        after = [e for t, e, _ in series if t >= PULSE_PRE_S]
        if after:
            print(
                f"  ERLE from {PULSE_PRE_S:.0f} s: median {statistics.median(after):.1f} dB, "
                f"min {min(after):.1f}, max {max(after):.1f}"
            )
        right, wrong, used = {db: 0 for db in levels}, [], set()
        for start, end, voice, saying, expected, db in said_at:
            match = next(
                (
                    i
                    for i, h in enumerate(heard[name])
                    if i not in used and start - 0.3 <= h.spoken_end <= end + 1.5
                ),
                None,
            )
            if match is not None:
                used.add(match)
                if heard[name][match].command == expected:
                    right[db] += 1
                else:
                    wrong.append(f"{voice} {saying!r} -> {heard[name][match].command}")
        stray = [h.command for i, h in enumerate(heard[name]) if i not in used]
        per = {db: sum(1 for *_, d in said_at if d == db) for db in levels}
        for db in levels:
            if per[db]:
                print(f"  {db:g} dB over the guide: {right[db]}/{per[db]} heard ({right[db] / per[db]:.0%})")
        print(f"  wrong: {wrong}; commands heard with none said (false): {len(stray)} {stray}")
        if args.pulse_notes:
            print("  not acted on:\n    " + "\n    ".join(notes[name]))
        results[name] = dict(trusted_s=when, erle=series, right=right, said=per, wrong=wrong, false=stray)
    print(f"\n(load average {os.getloadavg()[0]:.1f} at the end)")
    (folder / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"results: {folder / 'results.json'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", default="20,10,5,0", help="dB of the command over the guide's echo")
    parser.add_argument("--voices", default=",".join((*base.ESPEAK_VOICES, "piper")))
    parser.add_argument("--routine", default="lower-back-massage")
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument(
        "--hard", action="store_true", help=f"a saturating speaker, clocks {DRIFT_PPM} ppm apart"
    )
    parser.add_argument("--no-session", action="store_true")
    parser.add_argument("--no-gate", action="store_true", help="leave out the old gate's runs")
    parser.add_argument(
        "--pulse",
        action="store_true",
        help="in real time on a private PulseAudio (the room a loopback): the trials",
    )
    parser.add_argument(
        "--pulse-session", action="store_true", help="--pulse: the routine's first --minutes, no commands"
    )
    parser.add_argument(
        "--pulse-timings",
        default="device,clock",
        help="--pulse: listeners, each timing what plays its own way: device (as the player "
        "does: the device's delay when 20 ms or more from the stream's clock), clock (the "
        "stream's clock: before)",
    )
    parser.add_argument(
        "--pulse-stream-s", type=float, default=STREAM_S, help="--pulse: s of each stream (a join after each)"
    )
    parser.add_argument("--pulse-notes", action="store_true", help="--pulse: what was heard and not acted on")
    parser.add_argument(
        "--pulse-latency",
        type=int,
        default=30,
        help="ms: the loopback's latency (0: no loopback, the microphone is the sink's monitor)",
    )
    args = parser.parse_args()
    if args.pulse:
        pulse_main(args)
        return
    from voiceguide.play.recognizers import make_recognizer

    folder = Path(tempfile.mkdtemp(prefix="bench-voice-echo-"))
    capture = base.Capture(folder)
    texts = [s for s, _ in base.SAYINGS]
    voices = args.voices.split(",")
    commands = {v: [base.espeak(t, v) for t in texts] for v in voices if v != "piper"}
    if "piper" in voices:
        try:
            commands["piper"] = base.piper(texts)
        except Exception as exc:  # the neural extra missing
            print(f"piper left out: {exc}")
    guide, said = guide_lines()
    recognizer = make_recognizer("whisper")
    room_name = f"hard room (saturating speaker, clocks {DRIFT_PPM} ppm apart)" if args.hard else "room"
    print(
        f"{room_name}: echo {DELAY_MS} ms late, RT60 {RT60_S} s; voices {', '.join(commands)}; "
        f"{len(texts)} sayings; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    print("\n| over the guide | canceller: right | wrong | latency median / p95 | old gate: right |")
    print("|---|---|---|---|---|")
    results: dict[str, object] = {}
    for db in (float(x) for x in args.levels.split(",")):
        rng = np.random.default_rng(base.SEED)
        right = wrong = gate_right = total = 0
        latencies: list[float] = []
        misses = []
        for voice, clips in commands.items():
            for (saying, expected), clip in zip(base.SAYINGS, clips, strict=True):
                mic, played, shifted, _ = trial_stream(clip, guide, said, db, rng, args.hard)
                chunks = capture.through_alsa(mic)
                outcome = run(chunks, played, shifted, recognizer, cancel=True)
                total += 1
                if outcome.commands == [expected]:
                    right += 1
                    latencies += outcome.latencies_s
                else:
                    wrong += bool(set(outcome.commands) - {expected})
                    misses.append(f"{voice} {saying!r}: {outcome.commands}")
                if not args.no_gate:
                    gated = run(chunks, played, shifted, recognizer, cancel=False)
                    gate_right += gated.commands == [expected]
        median = statistics.median(latencies) if latencies else float("nan")
        p95 = float(np.percentile(latencies, 95)) if latencies else float("nan")
        gate = "" if args.no_gate else f"{gate_right}/{total}"
        print(
            f"| {db:g} dB | {right}/{total} ({right / total:.0%}) | {wrong} "
            f"| {median:.2f} / {p95:.2f} s | {gate} |",
            flush=True,
        )
        print("   missed: " + "; ".join(misses), flush=True)
        results[f"{db:g}dB"] = dict(
            right=right, wrong=wrong, total=total, gate_right=gate_right, latencies=latencies
        )
    if not args.no_session:
        audio, words = session(args.routine, args.minutes, folder)
        rng = np.random.default_rng(base.SEED)
        chunks = capture.through_alsa(room(audio, rng, args.hard))
        minutes = len(audio) / RATE / 60
        for cancel in (True, False):
            outcome = run(chunks, audio, words, recognizer, cancel=cancel)
            what = "canceller" if cancel else "old gate"
            print(
                f"\n{what}: false commands over {minutes:.1f} min of {args.routine} heard through the "
                f"{room_name}: {len(outcome.commands)} {sorted(outcome.commands)}; {outcome.utterances} "
                f"utterances recognized; CPU {outcome.cpu_s:.1f} s = {outcome.cpu_s / (minutes * 60):.1%} of "
                f"one CPU (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            results[f"session_{what}"] = dict(
                commands=outcome.commands, utterances=outcome.utterances, cpu_s=outcome.cpu_s, minutes=minutes
            )
    print(f"\n(load average {os.getloadavg()[0]:.1f} at the end)")
    (folder / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
