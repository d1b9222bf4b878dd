"""Voice commands for ``play --listen``: the microphone's sound cut into utterances, each
heard by an offline recognizer and understood as one of a few commands.

The pipeline, on a thread of its own (:class:`VoiceCommands`)::

    Microphone ─▶ Segmenter (energy, adaptive floor) ─▶ Utterance ─▶ GuideVoice: the guide
    was sounding then? dropped ─▶ Recognizer ─▶ command_in(words) ─▶ queue ─▶ poll()

- **What counts as a command**: a short utterance (at most :data:`MAX_WORDS` words) whose
  words are one command's sayings (:data:`SAYINGS`) and polite fillers (:data:`FILLERS`).
  "Pause here and breathe" has other words, so it is no command whoever says it.
- **The guide's own voice** never triggers it: :class:`GuideVoice` is told by the play loop
  what the session is sounding (the timeline says when each clip plays) and an utterance that
  overlaps it, with :data:`ECHO_MS` after for the device's latency and the room, is dropped
  before it is recognized. A command said over the guide's speech is therefore not heard:
  say it again in the silence that follows (README).
- **Noise**: the energy detector follows a steady bed's level (:class:`Segmenter`), and an
  utterance longer than :data:`MAX_UTTERANCE_MS` (talk, the guide) or shorter than
  :data:`MIN_UTTERANCE_MS` (a click) is not recognized at all.

The recognizer (:mod:`voiceguide.play.recognizers`) is pocketsphinx in grammar mode, chosen
by ``benchmarks/bench_voice_commands.py``. Times: utterance bounds are capture samples at
:data:`~voiceguide.play.microphone.CAPTURE_RATE`; the gate and latencies use the monotonic
clock in seconds, as :class:`~voiceguide.play.player.Player` does.
"""

from __future__ import annotations

import math
import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from ..speech.hearing import words_of
from .microphone import CAPTURE_RATE, Microphone, MicrophoneError

Command = Literal["pause", "resume", "next", "back", "repeat", "stop"]
COMMANDS: tuple[Command, ...] = ("pause", "resume", "next", "back", "repeat", "stop")
#: the words that say each command (one word each, as recognizers write them)
SAYINGS: dict[str, Command] = {
    "pause": "pause",
    "resume": "resume",
    "continue": "resume",
    "next": "next",
    "skip": "next",
    "back": "back",
    "previous": "back",
    "repeat": "repeat",
    "again": "repeat",
    "stop": "stop",
    "quit": "stop",
}
#: words that may come with a command ("go back", "next please", "okay stop")
FILLERS = frozenset({"please", "okay", "ok", "go", "now", "that", "step", "say", "it", "um", "uh"})
#: an utterance of more words is talk, not a command
MAX_WORDS = 3

FRAME_MS = 20  # the detector's frame
START_DB = 9.0  # frames this far above the floor start an utterance ...
START_FRAMES = 3  # ... this many in a row
FLOOR_MS = 3000  # the floor is the median level of this much sound outside utterances
BAND_HZ = (250, 4000)  # the band whose energy is measured
CONTINUE_DB = 4.0  # an utterance goes on while frames stay this far above the floor
HANG_MS = 300  # an utterance ends after this much quieter sound (the end-of-word latency)
PRE_MS = 150  # sound kept from before the start, for the word's first consonant (300 heard worse)
MIN_UTTERANCE_MS = 150
MAX_UTTERANCE_MS = 2000
QUIETEST_DB = -55.0  # dBFS: a floor below this is taken as this (digital silence)
#: ms after the guide's sound that the microphone may still hear it (device latency, room)
ECHO_MS = 600
#: ms before it (an utterance that runs into the guide's next sound)
BEFORE_MS = 100


def command_in(transcript: str) -> Command | None:
    """The command a transcript says, or None: at most :data:`MAX_WORDS` words, each a
    saying of the same command or a filler, at least one saying."""
    words = words_of(transcript)
    if not words or len(words) > MAX_WORDS:
        return None
    said = {SAYINGS[w] for w in words if w in SAYINGS}
    if len(said) != 1 or any(w not in SAYINGS and w not in FILLERS for w in words):
        return None
    return said.pop()


@dataclass(frozen=True)
class Utterance:
    """Sound the detector cut out: mono int16 PCM at ``CAPTURE_RATE``; ``start``/``end``:
    capture sample indices of the speech (the PCM begins :data:`PRE_MS` earlier)."""

    pcm: bytes
    start: int
    end: int


def _frame_db(frame: bytes) -> float:
    """A frame's level in the speech band (:data:`BAND_HZ`), dB against full scale: a bed's
    rumble (brown noise is mostly below 200 Hz) and hiss above 4 kHz count little."""
    import numpy as np

    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64) / 32768.0
    if not len(samples):
        return QUIETEST_DB
    spectrum = np.fft.rfft(samples * np.hanning(len(samples)))
    frequencies = np.fft.rfftfreq(len(samples), 1 / CAPTURE_RATE)
    band = (frequencies >= BAND_HZ[0]) & (frequencies <= BAND_HZ[1])
    power = float(np.sum(np.abs(spectrum[band]) ** 2)) * 2 / (len(samples) * len(samples) * 0.375)
    return 10 * math.log10(power + 1e-12)


class Segmenter:
    """Cuts a stream of PCM into utterances by the speech band's energy against an adaptive
    floor: the median level of the last :data:`FLOOR_MS` outside utterances (hum, a background
    bed, the room). Feed it any chunks."""

    def __init__(self) -> None:
        self._frame_bytes = CAPTURE_RATE * FRAME_MS // 1000 * 2
        self._pending = b""
        self._frame = 0  # frames seen
        self._levels: deque[float] = deque(maxlen=FLOOR_MS // FRAME_MS)
        self._floor = QUIETEST_DB
        self._kept: deque[bytes] = deque(maxlen=PRE_MS // FRAME_MS)
        self._speech: list[bytes] = []  # the utterance so far (pre-roll included)
        self._talk = False  # in sound too long for a command: wait for it to end
        self._start = 0  # frame where the speech started
        self._loud = 0  # consecutive loud frames (before a start)
        self._quiet = 0  # consecutive quiet frames (in an utterance)

    @property
    def floor_db(self) -> float:
        return self._floor

    def feed(self, pcm: bytes) -> list[Utterance]:
        """The utterances that ended in ``pcm``."""
        data = self._pending + pcm
        cut = len(data) - len(data) % self._frame_bytes
        self._pending = data[cut:]
        done: list[Utterance] = []
        for at in range(0, cut, self._frame_bytes):
            utterance = self._step(data[at : at + self._frame_bytes])
            if utterance is not None:
                done.append(utterance)
        return done

    def _step(self, frame: bytes) -> Utterance | None:
        level = _frame_db(frame)
        self._frame += 1
        floor = self._floor
        if not self._speech and not self._talk:
            self._levels.append(level)
            if self._frame % 5 == 0 or len(self._levels) < 5:
                self._floor = max(QUIETEST_DB, statistics.median(self._levels))
            self._loud = self._loud + 1 if level > floor + START_DB else 0
            self._kept.append(frame)
            if self._loud >= START_FRAMES:
                self._speech = list(self._kept)
                self._start = self._frame - START_FRAMES
                self._quiet = 0
            return None
        self._quiet = 0 if level > floor + CONTINUE_DB else self._quiet + 1
        if self._talk:
            if self._quiet * FRAME_MS >= HANG_MS:
                self._talk = False
                self._loud = 0
            return None
        self._speech.append(frame)
        if (self._frame - self._start) * FRAME_MS > MAX_UTTERANCE_MS + HANG_MS:
            self._speech, self._talk = [], True  # talk, not a command: dropped whole
            self._kept.clear()
            return None
        if self._quiet * FRAME_MS >= HANG_MS:
            speech, self._speech = self._speech, []
            self._kept.clear()
            self._loud = 0
            end_frame = self._frame - self._quiet
            spoken_ms = (end_frame - self._start) * FRAME_MS
            if not MIN_UTTERANCE_MS <= spoken_ms <= MAX_UTTERANCE_MS:
                return None
            per = CAPTURE_RATE * FRAME_MS // 1000
            return Utterance(b"".join(speech), self._start * per, end_frame * per)
        return None


class Recognizer(Protocol):
    """Writes down what an utterance (mono int16 PCM at ``CAPTURE_RATE``) says."""

    name: str

    def hear(self, pcm: bytes) -> str: ...


class GuideVoice:
    """When the session was sounding, on the monotonic clock, as the play loop observes it;
    read by the listening thread (thread-safe). ``sounding(start_ms, end_ms)``: whether the
    session sounds speech (or a lead-in) between those session ms."""

    def __init__(self, sounding: Callable[[int, int], bool]) -> None:
        self._sounding = sounding
        self._lock = threading.Lock()
        self._spans: deque[tuple[float, float]] = deque(maxlen=2000)
        self._last: tuple[float, int] | None = None  # (clock, position ms) last observed

    def observe(self, now: float, position_ms: int, paused: bool) -> None:
        """The player is at ``position_ms`` (paused or not) at ``now``: what played since
        the last observation was the session from there to here."""
        last, self._last = self._last, (now, position_ms)
        if paused:
            return
        since = now - 0.1 if last is None else last[0]  # after a jump: the last tick's worth
        if now <= since:
            return
        played_ms = round((now - since) * 1000)  # (after a jump, partly from before it: a margin)
        if position_ms < 0 or self._sounding(position_ms - played_ms, position_ms):
            self.mark(since, now)

    def jumped(self) -> None:
        """The player moved (a command): the next observation starts afresh."""
        self._last = None

    def mark(self, start: float, end: float) -> None:
        """Something of ours sounded from ``start`` to ``end`` (e.g. a confirmation)."""
        with self._lock:
            if self._spans and self._spans[-1][1] >= start:
                self._spans[-1] = (self._spans[-1][0], max(end, self._spans[-1][1]))
            else:
                self._spans.append((start, end))

    def busy(self, start: float, end: float) -> bool:
        """Whether an utterance heard from ``start`` to ``end`` may be the session's sound."""
        with self._lock:
            return any(a < end + BEFORE_MS / 1000 and b + ECHO_MS / 1000 > start for a, b in self._spans)


@dataclass(frozen=True)
class Heard:
    """A command understood: ``transcript`` as the recognizer wrote it; ``spoken_end``:
    when the word ended and ``at``: when it was understood (monotonic clock, s)."""

    command: Command
    transcript: str
    spoken_end: float
    at: float


class VoiceCommands:
    """Listens on ``microphone`` on a thread of its own until :meth:`close`; the play loop
    takes what it understood with :meth:`poll`. A microphone that fails leaves
    :attr:`failure` (one line) and stops listening; playing goes on."""

    def __init__(
        self,
        microphone: Microphone,
        recognizer: Recognizer,
        guide: GuideVoice,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.microphone = microphone
        self.recognizer = recognizer
        self.guide = guide
        self.clock = clock
        self.failure: str | None = None
        self.ignored = 0  # utterances dropped because the guide was sounding
        self.notes: queue.Queue[str] = queue.Queue()  # what was heard and not acted on (for -v)
        self._queue: queue.Queue[Heard] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voiceguide-listen", daemon=True)

    def start(self) -> VoiceCommands:
        self._thread.start()
        return self

    def poll(self) -> Heard | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=2)
        self.microphone.close()

    def _run(self) -> None:
        segmenter = Segmenter()
        captured = 0  # samples read so far
        try:
            while not self._stopping.is_set():
                chunk = self.microphone.read()
                if not chunk:
                    return
                now = self.clock()
                captured += len(chunk) // 2
                for utterance in segmenter.feed(chunk):
                    start = now - (captured - utterance.start) / CAPTURE_RATE
                    end = now - (captured - utterance.end) / CAPTURE_RATE
                    self._consider(utterance, start, end)
        except MicrophoneError as exc:
            self.failure = exc.message

    def _consider(self, utterance: Utterance, start: float, end: float) -> None:
        spoken_ms = (utterance.end - utterance.start) * 1000 // CAPTURE_RATE
        if self.guide.busy(start, end):
            self.ignored += 1
            self.notes.put(f"ignored {spoken_ms} ms of sound: the session was sounding")
            return
        transcript = self.recognizer.hear(utterance.pcm)
        command = command_in(transcript)
        if command is None:
            self.notes.put(f'heard "{transcript}" ({spoken_ms} ms): no command')
            return
        self._queue.put(Heard(command, transcript, end, self.clock()))

    def drain(self, timeout_s: float) -> Iterator[Heard]:
        """Commands as they come until the microphone's recording ends (a recording) or
        ``timeout_s`` passes: for tests and benchmarks."""
        deadline = self.clock() + timeout_s
        while self.clock() < deadline:
            try:
                yield self._queue.get(timeout=0.05)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    return
