"""Voice commands for ``play --listen``: the microphone's sound cut into utterances, each
heard by an offline recognizer and understood as one of a few commands.

The pipeline, on a thread of its own (:class:`VoiceCommands`)::

    Microphone ─▶ EchoCanceller (less what the session played: PlayedSound) ─▶ Segmenter
    (energy over an adaptive floor and the echo left) ─▶ Utterance ─▶ GuideVoice: over the
    guide's sound with the canceller not trusted yet? dropped ─▶ Recognizer ─▶
    command_in(words) ─▶ the guide said that word then? dropped ─▶ queue ─▶ poll()

- **What counts as a command**: a short utterance (at most :data:`MAX_WORDS` words) whose
  words are one command's sayings (:data:`SAYINGS`) and polite fillers (:data:`FILLERS`).
  "Pause here and breathe" has other words, so it is no command whoever says it.
- **The guide's own voice** never triggers it. The play loop tells the listener what the
  session sounds (:class:`GuideVoice`: when, from the timeline, and the words said) and what
  the device plays next (:class:`~voiceguide.play.echo.PlayedSound`); the echo canceller
  (:mod:`voiceguide.play.echo`) takes that out of the microphone's sound, so a command said
  over the guide stands out in the residual. An utterance overlapping the guide's sound (with
  :data:`ECHO_MS` after it for the device's latency and the room) is dropped before it is
  recognized while the canceller is not trusted (no delay found yet, or under
  :data:`~voiceguide.play.echo.TRUSTED_ERLE_DB` taken out); once it is, it is recognized, and
  a command whose word the guide said then (its echo left over) is not acted on.
- **Noise**: the energy detector follows a steady bed's level (:class:`Segmenter`), and an
  utterance longer than :data:`MAX_UTTERANCE_MS` (talk, the guide) or shorter than
  :data:`MIN_UTTERANCE_MS` (a click) is not recognized at all.

The recognizer (:mod:`voiceguide.play.recognizers`) is Whisper tiny.en, chosen by
``benchmarks/bench_voice_commands.py``; ``benchmarks/bench_voice_echo.py`` measures commands
said over the guide. Times: utterance bounds are capture samples at
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ..speech.hearing import words_of
from .echo import TRUSTED_ERLE_DB, EchoCanceller, PlayedSound
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
#: ms: an utterance ends after this much quieter sound (the end-of-word latency; 200 heard as
#: many commands as 300 in bench_voice_commands, and no word's closure split one)
HANG_MS = 200
#: ms: after this much quieter sound an utterance's draft is cut (``Segmenter(drafts=True)``):
#: the recognizer starts on it while the detector waits out the rest of :data:`HANG_MS`, and
#: if no sound came back the utterance is the draft's, its transcript ready sooner. A
#: sibilant (:data:`HIGH_BAND_HZ`) is not quiet here: a draft cut in the "s" of "previous"
#: or the "z" of "pause" (quiet in the speech band) was heard "prabius", "vause". The draft's
#: calm end is repeated to as long as its utterance's (:data:`HANG_MS`): with less of the
#: quiet after it than its utterance, a draft of en+f3's or en+f4's "back" over a bed, which
#: Whisper writes "bye" or "buh", was taken for "pause"
DRAFT_MS = 100
#: ms of sound kept up to the start's third loud frame, for the word's first consonant: the
#: utterance's PCM begins 80 ms before its start (300 heard worse: more noise, other misses)
PRE_MS = 150
#: the band where a sibilant's energy is ("s" of "stop" and "skip": mostly 4-8 kHz, above
#: :data:`BAND_HZ`, so the utterance started late and Whisper heard "top", "kip")
HIGH_BAND_HZ = (4000, 7900)
#: frames this far above the high band's own floor (and the echo's level there) are a
#: sibilant: an utterance starting within :data:`SIBILANT_MS` after such frames starts at them
SIBILANT_DB = 12.0
SIBILANT_MS = 300  # ms: how far before the speech band's start a sibilant is looked for
#: ms: the longest quieter gap between the sibilant and the start (the closure of "st", "sk")
SIBILANT_GAP_MS = 160
MIN_UTTERANCE_MS = 150
MAX_UTTERANCE_MS = 2000
QUIETEST_DB = -55.0  # dBFS: a floor below this is taken as this (digital silence)
#: dB a frame: how fast the echo left by the canceller is taken to die away (a room's ringing:
#: 60 dB in 1.2 s)
ECHO_DECAY_DB = 1.0
#: ms after the guide's sound that the microphone may still hear it (device latency, room)
ECHO_MS = 600
#: ms before it (an utterance that runs into the guide's next sound)
BEFORE_MS = 100
#: ms a word of the guide's may be from where its sentence's even spacing puts it (speech is
#: not even: a comma's pause, long and short words)
WORD_SLACK_MS = 1500
#: dB an utterance said over the guide must stand over the echo the canceller left
#: (Utterance.over_echo_db): what is left of the guide's own speech, that Whisper twice took
#: for "pause" in 10 minutes, stood up to 12 dB over it; commands said as loud as the guide
#: 15 to 30 dB (benchmarks/bench_voice_echo.py, a simulated room)
OVER_ECHO_DB = 15.0
#: whether ``play --listen`` recognizes commands said over the guide (with the echo canceller
#: trusted): not yet. In a simulated room 0 false commands in 10 minutes of the guide, but on
#: a real PulseAudio device (bench_voice_echo.py --pulse-session) 3 false "pause"; until that
#: is 0 the guide's sound gates the microphone, which gave 0 on both
HEAR_OVER_GUIDE = False
#: s: the session's sound is taken from this long after each microphone sample's capture
#: time, so the canceller's delay (from the clock's "played" to "heard") is never negative
LEAD_S = 0.1
#: microphone reads whose timing gives the clock time of its samples (the last 2 s: samples
#: lost to an overrun put the clock time off until the reads before it are forgotten)
CLOCK_READS = 100
#: s: how far that clock time may move before it is taken (a PulseAudio source's reads
#: jitter by ±3 ms; a first read's backlog, or an overrun, moves it by far more)
ORIGIN_SLACK_S = 0.005


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
    capture sample indices of the speech (the PCM begins earlier: :data:`PRE_MS`)."""

    pcm: bytes
    start: int
    end: int
    #: dB the speech stood over the guide's echo left in it (the upper quartile over its frames,
    #: where there was any: a word's loud part, not the gaps between its syllables; inf: none)
    over_echo_db: float = math.inf
    #: a draft (:data:`DRAFT_MS`): the utterance as it will be if the quiet goes on; the
    #: utterance that follows with the same ``start`` and ``end`` is the same speech
    draft: bool = False

    @property
    def speech(self) -> tuple[int, int]:
        """``(start, end)``: a draft and its utterance have the same."""
        return self.start, self.end


def _frame_db(frame: bytes) -> tuple[float, float]:
    """A frame's levels in the speech band (:data:`BAND_HZ`: a bed's rumble, brown noise mostly
    below 200 Hz, and hiss above 4 kHz count little) and in the sibilants' band
    (:data:`HIGH_BAND_HZ`), dB against full scale."""
    import numpy as np

    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64) / 32768.0
    if not len(samples):
        return QUIETEST_DB, QUIETEST_DB
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    frequencies = np.fft.rfftfreq(len(samples), 1 / CAPTURE_RATE)
    scale = 2 / (len(samples) * len(samples) * 0.375)

    def level(low: int, high: int) -> float:
        band = (frequencies >= low) & (frequencies <= high)
        return 10 * math.log10(float(np.sum(spectrum[band])) * scale + 1e-12)

    return level(*BAND_HZ), level(*HIGH_BAND_HZ)


class Segmenter:
    """Cuts a stream of PCM into utterances by the speech band's energy against an adaptive
    floor: the median level of the last :data:`FLOOR_MS` outside utterances (hum, a background
    bed, the room). An utterance starts earlier where a sibilant came just before it
    (:data:`HIGH_BAND_HZ` over that band's own floor): the "s" of "stop". Feed it any chunks.
    With ``drafts``, each utterance is first given as a draft, :data:`DRAFT_MS` into its
    quiet end (and again if the sound, or a sibilant, comes back and it goes quiet again)."""

    def __init__(self, drafts: bool = False) -> None:
        self._drafts = drafts
        self._frame_bytes = CAPTURE_RATE * FRAME_MS // 1000 * 2
        self._pending = b""
        self._pending_mask = b""
        self._masked = QUIETEST_DB  # dB: the level of the guide's echo left, lately
        kept = PRE_MS // FRAME_MS + SIBILANT_MS // FRAME_MS  # frames kept before a start
        self._margins: deque[float] = deque(maxlen=kept)  # dB over it, of the last frames
        self._sibilant: deque[bool] = deque(maxlen=kept)  # ... and whether each was a sibilant
        self._high_levels: deque[float] = deque(maxlen=FLOOR_MS // FRAME_MS)
        self._high_floor = QUIETEST_DB  # the high band's floor (:data:`HIGH_BAND_HZ`)
        self._margin: list[float] = []  # ... of the utterance's frames
        self._frame = 0  # frames seen
        self._levels: deque[float] = deque(maxlen=FLOOR_MS // FRAME_MS)
        self._floor = QUIETEST_DB
        self._kept: deque[bytes] = deque(maxlen=kept)
        self._speech: list[bytes] = []  # the utterance so far (pre-roll included)
        self._talk = False  # in sound too long for a command: wait for it to end
        self._start = 0  # frame where the speech started
        self._loud = 0  # consecutive loud frames (before a start)
        self._quiet = 0  # consecutive quiet frames (in an utterance)
        self._calm = 0  # ... of them, the last that were no sibilant either (for a draft)

    @property
    def floor_db(self) -> float:
        return self._floor

    def feed(self, pcm: bytes, masking: bytes | None = None) -> list[Utterance]:
        """The utterances that ended in ``pcm``. ``masking``: as many samples of sound known
        to be in ``pcm`` that is not speech to hear (the guide's echo left by the canceller):
        a frame must stand out over it as over the floor, and the floor is not learned where
        it is louder than the floor."""
        data = self._pending + pcm
        mask = self._pending_mask + (masking if masking is not None else bytes(len(pcm)))
        cut = len(data) - len(data) % self._frame_bytes
        self._pending, self._pending_mask = data[cut:], mask[cut:]
        done: list[Utterance] = []
        for at in range(0, cut, self._frame_bytes):
            utterance = self._step(data[at : at + self._frame_bytes], mask[at : at + self._frame_bytes])
            if utterance is not None:
                done.append(utterance)
        return done

    def _sibilant_frames(self) -> int:
        """How many frames before the speech band's start (its :data:`START_FRAMES` loud
        frames) the utterance starts: back to the earliest sibilant frame within
        :data:`SIBILANT_MS` whose run to the start has no gap longer than
        :data:`SIBILANT_GAP_MS`; 0 without one."""
        before = list(self._sibilant)[:-START_FRAMES][::-1]  # nearest first
        early, gap = 0, 0
        for back, sibilant in enumerate(before[: SIBILANT_MS // FRAME_MS], start=1):
            if sibilant:
                early, gap = back, 0
            else:
                gap += 1
                if gap * FRAME_MS > SIBILANT_GAP_MS:
                    break
        return early

    def _step(self, frame: bytes, mask: bytes) -> Utterance | None:
        level, high = _frame_db(frame)
        # the echo left, held as it decays (a room rings on after the sound the filter knows)
        mask_level, mask_high = _frame_db(mask) if any(mask) else (QUIETEST_DB, QUIETEST_DB)
        masked = max(mask_level, self._masked - ECHO_DECAY_DB)
        self._masked = masked
        self._frame += 1
        floor = max(self._floor, masked)
        if not self._speech and not self._talk:
            if masked <= self._floor:  # (the guide's echo is not the room's floor)
                self._levels.append(level)
                self._high_levels.append(high)
            if self._frame % 5 == 0 or len(self._levels) < 5:
                self._floor = max(QUIETEST_DB, statistics.median(self._levels or [QUIETEST_DB]))
                self._high_floor = max(QUIETEST_DB, statistics.median(self._high_levels or [QUIETEST_DB]))
            self._loud = self._loud + 1 if level > floor + START_DB else 0
            self._kept.append(frame)
            self._margins.append(level - masked if masked > QUIETEST_DB else math.inf)
            self._sibilant.append(high > max(self._high_floor, mask_high) + SIBILANT_DB)
            if self._loud >= START_FRAMES:
                early = self._sibilant_frames()
                pre = PRE_MS // FRAME_MS - START_FRAMES  # frames of sound kept before the start
                self._speech = list(self._kept)[-(START_FRAMES + early + pre) :]
                self._margin = list(self._margins)[-(START_FRAMES + early) :]
                self._start = self._frame - START_FRAMES - early
                self._quiet = 0
            return None
        self._quiet = 0 if level > floor + CONTINUE_DB else self._quiet + 1
        hissing = high > max(self._high_floor, mask_high) + SIBILANT_DB
        self._calm = 0 if self._quiet == 0 or hissing else self._calm + 1
        if self._talk:
            if self._quiet * FRAME_MS >= HANG_MS:
                self._talk = False
                self._loud = 0
            return None
        self._speech.append(frame)
        self._margin.append(level - masked if masked > QUIETEST_DB else math.inf)
        if (self._frame - self._start) * FRAME_MS > MAX_UTTERANCE_MS + HANG_MS:
            self._speech, self._talk = [], True  # talk, not a command: dropped whole
            self._kept.clear()
            return None
        if self._drafts and self._calm * FRAME_MS == DRAFT_MS and self._quiet * FRAME_MS < HANG_MS:
            return self._utterance(draft=True)
        if self._quiet * FRAME_MS >= HANG_MS:
            utterance = self._utterance(draft=False)
            self._speech = []
            self._kept.clear()
            self._loud = 0
            return utterance
        return None

    def _utterance(self, draft: bool) -> Utterance | None:
        """The utterance so far, ending in :attr:`_quiet` frames of quieter sound (None when
        its speech is too short or too long for a command)."""
        end_frame = self._frame - self._quiet
        spoken_ms = (end_frame - self._start) * FRAME_MS
        if not MIN_UTTERANCE_MS <= spoken_ms <= MAX_UTTERANCE_MS:
            return None
        per = CAPTURE_RATE * FRAME_MS // 1000
        spoken = self._margin[: end_frame - self._start]
        echoed = sorted(m for m in spoken if m != math.inf)
        over = echoed[len(echoed) * 3 // 4] if len(echoed) * 2 >= len(spoken) else math.inf
        sound = self._speech
        if draft:  # its calm end goes on, as its utterance's will if it is the same speech
            calm = sound[-self._calm :]
            sound = sound + [calm[i % len(calm)] for i in range(HANG_MS // FRAME_MS - self._quiet)]
        return Utterance(b"".join(sound), self._start * per, end_frame * per, over, draft)


class Recognizer(Protocol):
    """Writes down what an utterance (mono int16 PCM at ``CAPTURE_RATE``) says."""

    name: str

    def hear(self, pcm: bytes) -> str: ...


class GuideVoice:
    """When the session was sounding, on the monotonic clock, as the play loop observes it,
    and the words it said then; read by the listening thread (thread-safe). ``sounding(start_ms,
    end_ms)``: the texts the session speaks between those session ms (empty: silent);
    ``spans(start_ms, end_ms)``: when in them it speaks (session ms), so that a tick that
    comes late (on a busy machine, 0.85 s) marks only the speech it covers, not the silence
    after it as well (without it, the whole time since the last tick)."""

    def __init__(
        self,
        sounding: Callable[[int, int], Sequence[str]],
        spans: Callable[[int, int], Sequence[tuple[int, int]]] | None = None,
    ) -> None:
        self._sounding = sounding
        self._spans_of = spans
        self._lock = threading.Lock()
        self._spans: deque[tuple[float, float]] = deque(maxlen=2000)
        self._said: deque[tuple[float, float, frozenset[str]]] = deque(maxlen=2000)
        self._last: tuple[float, int] | None = None  # (clock, position ms) last observed

    def observe(self, now: float, position_ms: int, paused: bool) -> None:
        """The player is at ``position_ms`` (paused or not) at ``now``: what played since
        the last observation was the session from there to here (negative: the lead-in)."""
        last, self._last = self._last, (now, position_ms)
        if paused:
            return
        since = now - 0.1 if last is None else last[0]  # after a jump: the last tick's worth
        if now <= since:
            return
        played_ms = round((now - since) * 1000)  # (after a jump, partly from before it: a margin)
        first_ms = position_ms - played_ms
        texts = self._sounding(first_ms, position_ms)
        if position_ms < 0 or (texts and self._spans_of is None):
            self.mark(since, now)
        elif texts and self._spans_of is not None:  # only when it sounded (a late tick spans more)
            for start_ms, end_ms in self._spans_of(first_ms, position_ms):
                self.mark(
                    since + (max(start_ms, first_ms) - first_ms) / 1000,
                    since + (min(end_ms, position_ms) - first_ms) / 1000,
                )
        if texts:
            with self._lock:
                self._said.append((since, now, frozenset(w for t in texts for w in words_of(t))))

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

    def words(self, start: float, end: float) -> frozenset[str]:
        """The words the guide said that the microphone may have heard from ``start`` to
        ``end`` (with the margins of :meth:`busy`, and :data:`WORD_SLACK_MS` either side)."""
        before, after = (BEFORE_MS + WORD_SLACK_MS) / 1000, (ECHO_MS + WORD_SLACK_MS) / 1000
        with self._lock:
            said = [w for a, b, w in self._said if a < end + before and b + after > start]
        return frozenset().union(*said)


@dataclass(frozen=True)
class Heard:
    """A command understood: ``transcript`` as the recognizer wrote it; ``spoken_end``:
    when the word ended and ``at``: when it was understood (monotonic clock, s)."""

    command: Command
    transcript: str
    spoken_end: float
    at: float


class VoiceCommands:
    """Listens on ``microphone`` until :meth:`close`, on two threads of its own: one reads the
    microphone, takes the session's sound out and cuts utterances (it never waits for the
    recognizer, so the capture buffer does not overrun), the other recognizes them. The play
    loop takes what was understood with :meth:`poll`. A microphone that fails leaves
    :attr:`failure` (one line) and stops listening; playing goes on. ``played``: what the
    session plays, taken out of the microphone's sound by an :class:`EchoCanceller` so a
    command said over the guide can be heard (without it, such a command is dropped).
    ``hear_over_guide``: recognize what was said over the guide once the canceller is
    trusted; off in ``play --listen`` (:data:`HEAR_OVER_GUIDE`): on a real PulseAudio device
    what the canceller left of the guide's speech was taken for "pause" 3 times in 10
    minutes, so commands said over the guide are dropped there, as before the canceller."""

    def __init__(
        self,
        microphone: Microphone,
        recognizer: Recognizer,
        guide: GuideVoice,
        clock: Callable[[], float] = time.monotonic,
        played: PlayedSound | None = None,
        hear_over_guide: bool = False,
    ) -> None:
        self.microphone = microphone
        self.recognizer = recognizer
        self.guide = guide
        self.clock = clock
        self.played = played
        self.hear_over_guide = hear_over_guide
        self.canceller = EchoCanceller() if played is not None else None
        self.failure: str | None = None
        self.ignored = 0  # utterances dropped because the guide was sounding
        self.notes: queue.Queue[str] = queue.Queue()  # what was heard and not acted on (for -v)
        self._queue: queue.Queue[Heard] = queue.Queue()
        #: utterances to recognize: (utterance, start, end, over the guide's sound); None: the end
        self._utterances: queue.Queue[tuple[Utterance, float, float, bool] | None] = queue.Queue()
        #: the last draft's speech (:attr:`Utterance.speech`) and transcript (recognizing thread)
        self._draft: tuple[tuple[int, int], str] | None = None
        self._stopping = threading.Event()
        self._reader = threading.Thread(target=self._read, name="voiceguide-listen", daemon=True)
        self._hearer = threading.Thread(target=self._hear, name="voiceguide-recognize", daemon=True)

    def start(self) -> VoiceCommands:
        self._hearer.start()
        self._reader.start()
        return self

    def poll(self) -> Heard | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        self._stopping.set()
        self._reader.join(timeout=2)
        self._utterances.put(None)
        self._hearer.join(timeout=2)
        self.microphone.close()

    def wait(self, timeout_s: float) -> None:
        """Until a recording's end was read and all it said recognized (tests, benchmarks)."""
        self._reader.join(timeout_s)
        self._hearer.join(timeout_s)

    def run_through(self) -> None:
        """Read the microphone (a recording) to its end and recognize on this thread, one
        utterance after the other (benchmarks: the process time is all the listener's)."""
        self._read(inline=True)

    def _read(self, inline: bool = False) -> None:
        segmenter = Segmenter(drafts=True)
        captured = 0  # samples read so far
        # the clock time of capture sample 0: the least of (read time - samples read) over the
        # last reads (a read returns at least as late as its sound was captured), changed only
        # when that moves by more than ORIGIN_SLACK_S (the reads' jitter would move the
        # reference against the microphone's sound, which the canceller cannot follow)
        origins: deque[float] = deque(maxlen=CLOCK_READS)
        origin = math.inf
        try:
            while not self._stopping.is_set():
                chunk = self.microphone.read()
                if not chunk:
                    return
                origins.append(self.clock() - (captured + len(chunk) // 2) / CAPTURE_RATE)
                if abs(min(origins) - origin) > ORIGIN_SLACK_S:
                    origin = min(origins)
                sound, echo = self._cancelled(chunk, origin + captured / CAPTURE_RATE)
                captured += len(chunk) // 2
                for utterance in segmenter.feed(sound, echo):
                    start = origin + utterance.start / CAPTURE_RATE
                    end = origin + utterance.end / CAPTURE_RATE
                    heard = self._listened(utterance, start, end)
                    if heard is not None and inline:
                        self._consider(*heard)
                    elif heard is not None:
                        self._utterances.put(heard)
        except MicrophoneError as exc:
            self.failure = exc.message
        finally:
            self._utterances.put(None)

    def _hear(self) -> None:
        while (heard := self._utterances.get()) is not None:
            if not self._stopping.is_set():  # (closing: what is left is not heard)
                self._consider(*heard)

    def _listened(
        self, utterance: Utterance, start: float, end: float
    ) -> tuple[Utterance, float, float, bool] | None:
        """The utterance to recognize, and whether it was said over the guide's sound; None
        when it was over the guide's sound and the canceller is not trusted (yet), or it did
        not stand out over the echo left (a draft dropped so counts nothing)."""
        over_guide = self.guide.busy(start, end)
        trusted = self.canceller is not None and self.canceller.trusted
        spoken_ms = (utterance.end - utterance.start) * 1000 // CAPTURE_RATE
        if over_guide and not (self.hear_over_guide and trusted):
            why = f"ignored {spoken_ms} ms of sound: the session was sounding{self._echo_state()}"
        elif over_guide and utterance.over_echo_db < OVER_ECHO_DB:
            why = (
                f"ignored {spoken_ms} ms of sound {utterance.over_echo_db:.0f} dB over the guide's echo "
                f"left ({OVER_ECHO_DB:.0f} needed)"
            )
        else:
            return utterance, start, end, over_guide
        if not utterance.draft:
            self.ignored += 1
            self.notes.put(why)
        return None

    def _cancelled(self, chunk: bytes, at: float) -> tuple[bytes, bytes | None]:
        """The microphone's ``chunk`` (captured from ``at`` on) less the session's sound in it,
        and the echo left in that (the canceller's output lags by up to a block: utterance
        indices still count the microphone's samples)."""
        if self.played is None or self.canceller is None:
            return chunk, None
        import numpy as np

        samples = np.frombuffer(chunk, dtype="<i2").astype(np.float64)
        reference = self.played.take(at + LEAD_S, len(samples))
        residual, echo = self.canceller.process(samples, reference)

        def pcm(x: np.ndarray) -> bytes:
            return bytes(np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes())

        return pcm(residual), pcm(echo)

    def _echo_state(self) -> str:
        """The canceller's state, for a note: why a sound over the guide was not listened to."""
        canceller = self.canceller
        if canceller is None:
            return ""
        if not self.hear_over_guide:
            return " (commands said over the guide are not listened to)"
        if canceller.delay is None:
            return " (echo canceller: the delay not found yet)"
        return (
            f" (echo canceller: {canceller.delay * 1000 // CAPTURE_RATE} ms late, "
            f"{canceller.erle_db:.0f} dB taken out; {TRUSTED_ERLE_DB:.0f} needed)"
        )

    def _consider(self, utterance: Utterance, start: float, end: float, over_guide: bool) -> None:
        """Recognize ``utterance`` and act on a command in it. A draft's transcript is kept
        for the utterance that follows it; that one, if the sound did not come back in between
        (the same speech), takes it instead of being heard again."""
        if utterance.draft:
            self._draft = (utterance.speech, self.recognizer.hear(utterance.pcm))
            return
        draft, self._draft = self._draft, None
        if draft is not None and draft[0] == utterance.speech:
            transcript = draft[1]
        else:
            transcript = self.recognizer.hear(utterance.pcm)
        spoken_ms = (utterance.end - utterance.start) * 1000 // CAPTURE_RATE
        command = command_in(transcript)
        if command is None:
            self.notes.put(f'heard "{transcript}" ({spoken_ms} ms): no command')
            return
        if over_guide:
            echoed = set(words_of(transcript)) & self.guide.words(start, end) & set(SAYINGS)
            if echoed:  # the guide said it then: its own word, left over by the canceller
                self.ignored += 1
                self.notes.put(f'ignored "{transcript}": the guide said "{min(echoed)}" then')
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
                if not self._hearer.is_alive() and self._queue.empty():
                    return
