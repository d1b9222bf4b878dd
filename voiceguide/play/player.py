"""Hands-free playback: the exported audio, played as one continuous stream, even while its
speech is still being made.

The session is rendered into a sparse, memory-mapped temporary file (only speech is
written; silence is holes) with the same renderer export uses, so ``play`` and ``export``
produce the same samples. simpleaudio reads that mapping directly, so a stream starts at
once however long the session is, and every jump (resume, next, previous) starts a new
stream at an exact sample offset.

A session whose speech is not all cached plays from a :class:`SessionSource` that grows
(:class:`voiceguide.session.GrowingSession`): the file holds what is final so far, a stream
plays up to there, and :meth:`Player.tick` renders what synthesis has added since and
starts the next stream exactly where the last one ends (waiting for it to drain first), so
the samples heard are the export's; each join adds only the audio device's start latency.
A warm session is written whole before its one stream starts, as before.

Where playback is, in samples, comes from one reference: the sample a stream started at
and the monotonic time it started, converted in :meth:`Player.position`. Nothing is
accumulated from sleeps.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from ..audio.mix import NO_MIX, Mix, look_ahead_ms, mixed_range
from ..audio.render import ClipFor, total_samples, write_pcm
from ..errors import VoiceguideError
from ..pcm.clip import SAMPLE_WIDTH, Clip, ms_to_samples
from ..timing.chapters import find_chapter as find_chapter  # --from's rule, where play looks for it
from ..timing.timeline import Chapter, Phase, Timeline
from .sink import AudioSink, HeardSink

Clock = Callable[[], float]

#: pressing p twice within this many seconds goes to the previous step
DOUBLE_PRESS_S = 2.0
#: a stream this close to its end (s) is waited for, so the next starts as it drains
JOIN_AHEAD_S = 0.25
#: s: Player.upcoming times a stream by the device (a HeardSink) when it says the stream
#: sounds further than this from the stream's clock
DEVICE_LATE_S = 0.02
#: with less than this much (s) written ahead of the playhead, the next clip is needed now:
#: checking its take (speech.takes) must not delay it
HURRY_AHEAD_S = 3.0


class SessionSource(Protocol):
    """A session's timeline, final up to :meth:`final_samples` and growing until complete."""

    @property
    def timeline(self) -> Timeline: ...

    @property
    def complete(self) -> bool: ...

    def final_samples(self) -> int:
        """Samples ``[0, n)`` of the session that will not change."""
        ...

    def advance(self, timeout: float | None = 0) -> bool:
        """Take in new speech, waiting up to ``timeout`` s (None: until some comes); whether
        the timeline moved."""
        ...

    def hurry(self) -> None:
        """The playhead is about to need the sound at the frontier: make it first."""
        ...


class FixedSource:
    """A session whose every length is known: nothing grows."""

    complete = True

    def __init__(self, timeline: Timeline, sample_rate: int) -> None:
        self.timeline = timeline
        self._samples = total_samples(timeline, sample_rate)

    def final_samples(self) -> int:
        return self._samples

    def advance(self, timeout: float | None = 0) -> bool:
        return False

    def hurry(self) -> None:
        pass


class SessionBuffer:
    """``lead_in`` PCM followed by the session from ``start_sample`` on, in a sparse
    temporary file that :meth:`fill` extends and the sink reads through memory maps.
    Indices count samples from the first lead-in sample."""

    def __init__(self, start_sample: int = 0, lead_in: Clip | None = None) -> None:
        self.start_sample = start_sample
        self.lead_in_samples = lead_in.n_samples if lead_in else 0
        self.written = start_sample  # session sample up to which the file is written
        self._file = tempfile.TemporaryFile(prefix="voiceguide-play-")  # noqa: SIM115 - closed in close()
        # tmpfs allocates a hole when a mapping reads it: with no room left, the sink's read
        # is a SIGBUS that kills the process. There, each range is reserved before it is
        # written, so a full folder is an error here instead.
        self._reserve = _memory_backed(self._file.fileno())
        if lead_in:
            self._reserve_bytes(0, len(lead_in.pcm))
            self._file.write(lead_in.pcm)
        self._maps: list[mmap.mmap] = []
        self._views: list[memoryview] = []

    @property
    def n_samples(self) -> int:
        """Samples in the file (lead-in included)."""
        return self.index_of(self.written)

    def fill(self, pcm: Iterable[bytes], until: int) -> None:
        """Append the session's samples from :attr:`written` to ``until`` (``pcm`` yields
        exactly those)."""
        if until <= self.written:
            return
        end = self.index_of(self.written) * SAMPLE_WIDTH  # the file's end (a reservation goes past it)
        self._reserve_bytes(end, (until - self.written) * SAMPLE_WIDTH)
        self._file.seek(end)
        try:
            written = write_pcm(self._file, pcm)
        except OSError as exc:  # a full disk
            raise _no_room(exc) from exc
        if written != until - self.written:
            raise ValueError(f"rendered {written} samples, expected {until - self.written}")
        self._file.flush()
        self.written = until

    def _reserve_bytes(self, offset: int, length: int) -> None:
        """Allocate bytes ``[offset, offset + length)`` of the file where holes are not free
        to read (see ``__init__``); a full folder raises a VoiceguideError."""
        if not self._reserve or length <= 0:
            return
        try:
            os.posix_fallocate(self._file.fileno(), offset, length)
        except OSError as exc:
            if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # cannot reserve: read as before
                self._reserve = False
                return
            raise _no_room(exc) from exc

    def view(self, start_index: int, end_index: int) -> memoryview:
        """Samples ``[start_index, end_index)`` of the file, as the sink reads them."""
        size = end_index * SAMPLE_WIDTH
        if not self._maps or len(self._maps[-1]) < size:
            self._maps.append(mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ))
        view = memoryview(self._maps[-1])[start_index * SAMPLE_WIDTH : size]
        self._views.append(view)
        return view

    def read(self, start_index: int, end_index: int) -> bytes:
        """Samples ``[start_index, end_index)`` as written so far (fewer past the end)."""
        start, end = max(0, start_index), min(end_index, self.n_samples)
        if end <= start:
            return b""
        return os.pread(self._file.fileno(), (end - start) * SAMPLE_WIDTH, start * SAMPLE_WIDTH)

    def index_of(self, session_sample: int) -> int:
        return self.lead_in_samples + session_sample - self.start_sample

    def close(self) -> None:
        """Unmap and delete. Call after the sink stopped reading (it holds the views)."""
        for view in self._views:
            with contextlib.suppress(BufferError):
                view.release()
        for mapping in self._maps:
            with contextlib.suppress(BufferError):  # a view still held elsewhere: freed with it
                mapping.close()
        self._file.close()


def _no_room(exc: OSError) -> VoiceguideError:
    return VoiceguideError(
        f"no room for the sound being played in {tempfile.gettempdir()}: {exc.strerror or exc}",
        hint="Free some space there, or set TMPDIR to a folder with room "
        "(a 30-minute session takes about 80 MB).",
    )


def _memory_backed(fd: int) -> bool:
    """Whether ``fd``'s file lives on tmpfs (Linux: its device's line in mountinfo)."""
    if not hasattr(os, "posix_fallocate"):
        return False
    device = os.fstat(fd).st_dev
    wanted = f"{os.major(device)}:{os.minor(device)}"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as mounts:
            for line in mounts:
                fields, _, kind = line.partition(" - ")
                if fields.split()[2:3] == [wanted]:
                    return kind.split()[:1] == ["tmpfs"]
    except OSError:  # not Linux, or no /proc
        pass
    return False


@dataclass(frozen=True)
class Status:
    """What the display shows. Times in ms of the session (negative during the lead-in)."""

    position_ms: int
    duration_ms: int
    paused: bool
    chapter: Chapter | None
    next_chapter: Chapter | None
    phase: Phase | None
    chapter_number: int  # 1-based, 0 during the lead-in
    speaking: str = ""  # the sentence being heard now ("" between sounds)
    cycles: int = 0  # breath cycles of the breathing the phase belongs to (0: not breathing)


class Player:
    """Plays a session through an :class:`AudioSink`, with pause and step jumps. ``session``:
    a compiled :class:`Timeline`, or a :class:`SessionSource` that may still be growing."""

    def __init__(
        self,
        session: Timeline | SessionSource,
        clip_for: ClipFor,
        sample_rate: int,
        sink: AudioSink,
        *,
        clock: Clock = time.monotonic,
        mix: Mix = NO_MIX,
    ) -> None:
        self.source = FixedSource(session, sample_rate) if isinstance(session, Timeline) else session
        self.clip_for = clip_for
        self.rate = sample_rate
        self.sink = sink
        self.clock = clock
        self.mix = mix  # the same background and gain as export
        self._buffer: SessionBuffer | None = None
        self._stream_index = 0  # buffer index the current stream started at
        self._stream_end = 0  # buffer index where it ends
        self._stream_started = 0.0  # clock() when it started
        self._paused_at: int | None = None  # session sample, while paused
        self._last_back_press = -1e9  # clock() of the last p
        self._back_presses = 0  # p presses in the current quick run
        self.log: list[tuple[str, int]] = []  # (action, session sample): what the listener did
        self.last_position = 0  # session sample when stopped

    @property
    def timeline(self) -> Timeline:
        """The session's timeline as far as it is known (final once complete)."""
        return self.source.timeline

    @property
    def end(self) -> int:
        """The session's length in samples (provisional while it grows)."""
        return total_samples(self.source.timeline, self.rate)

    # ---- positions -------------------------------------------------------------------
    def _session_sample(self, index: int) -> int:
        assert self._buffer is not None
        return index - self._buffer.lead_in_samples + self._buffer.start_sample

    def _playing_index(self) -> int:
        """The buffer index the stream has reached by the clock (not clamped)."""
        return self._stream_index + round((self.clock() - self._stream_started) * self.rate)

    def position(self) -> int:
        """The session sample playing now (negative during the lead-in)."""
        if self._paused_at is not None:
            return self._paused_at
        if self._buffer is None:
            return 0
        index = min(self._playing_index(), self._stream_end)
        if not self.sink.is_playing():
            index = self._stream_end
        return self._session_sample(index)

    def upcoming(self, samples: int, before: int = 0) -> tuple[float, bytes]:
        """The PCM the sound device plays from now, at most ``samples`` of it if nothing
        changes (b"" while paused or stopped), with ``before`` samples of what came before
        it, and the clock time (s) its first sample plays: what a listener hears of the
        session next. The time is the stream's clock (as :meth:`position`), unless the device
        (:class:`~voiceguide.play.sink.HeardSink`, from its delay) says the stream sounds more
        than :data:`DEVICE_LATE_S` from it: a stream's start-up latency, which a PulseAudio
        sink varied by 50-900 ms from stream to stream. Closer, the clock is kept: on a busy
        machine the device's readings were off by up to 10 ms a stream, the clock by less."""
        if self._buffer is None or self._paused_at is not None or not self.sink.is_playing():
            return self.clock(), b""
        started = self._stream_started
        if isinstance(self.sink, HeardSink):  # the device says when the stream sounds
            heard = self.sink.first_heard()
            if heard is not None and abs(heard - started) > DEVICE_LATE_S:
                started = heard
        index = self._stream_index + max(0, round((self.clock() - started) * self.rate))
        first = max(0, index - before)
        at = started + (first - self._stream_index) / self.rate
        return at, self._buffer.read(first, min(index + samples, self._stream_end))

    def finished(self) -> bool:
        return (
            self._paused_at is None
            and self._buffer is not None
            and self.source.complete
            and self.position() >= self.end
        )

    # ---- growing ---------------------------------------------------------------------
    def _ready(self) -> int:
        """Session samples that may be written: final, less the mix's look-ahead."""
        ready = self.source.final_samples()
        if not self.source.complete:
            ready -= ms_to_samples(look_ahead_ms(self.mix, self.timeline), self.rate)
        return ready

    def _render(self, start: int, stop: int) -> Iterable[bytes]:
        return mixed_range(self.source.timeline, self.clip_for, self.mix, self.rate, start, stop)

    def _grow(self, timeout: float | None = 0) -> None:
        """Take in new speech (waiting up to ``timeout`` s for some) and write what became
        final. Waiting, or with less than :data:`HURRY_AHEAD_S` written ahead of the
        playhead, the clip at the frontier is asked for at once (its take unchecked if it
        was being checked: see :mod:`voiceguide.speech.takes`)."""
        if timeout != 0 or self._ahead() < HURRY_AHEAD_S * self.rate:
            self.source.hurry()
        self.source.advance(timeout)
        if self._buffer is not None:
            ready = self._ready()
            if ready > self._buffer.written:
                self._buffer.fill(self._render(self._buffer.written, ready), ready)

    def _ahead(self) -> int:
        """Samples written beyond what is playing now (0 before the first stream)."""
        if self._buffer is None or self._paused_at is not None:
            return 0 if self._buffer is None else self._buffer.n_samples
        return max(0, self._buffer.n_samples - self._playing_index())

    def _wait_written(self, session_sample: int) -> None:
        """Grow until the file holds ``session_sample`` (or the session is complete)."""
        assert self._buffer is not None
        self._grow(0)
        while self._buffer.written <= session_sample and not self.source.complete:
            self._grow(None)
        self._grow(0)

    def starved(self) -> bool:
        """Whether the sound has played out everything written and more is still being
        made (synthesis fell behind the playhead: the stream waits for it)."""
        played_out = not self.sink.is_playing() or self._playing_index() >= self._stream_end
        return (
            self._buffer is not None
            and self._paused_at is None
            and not self.source.complete
            and played_out
            and self._buffer.n_samples <= self._stream_end
        )

    def tick(self) -> None:
        """Take in new speech and keep the sound going: call every 0.1 s or so. When the
        stream is about to play out what was written, waits for it to drain and starts the
        next at the very sample where it ended."""
        self._grow(0)
        if self._buffer is None or self._paused_at is not None:
            return
        if self._buffer.n_samples <= self._stream_end:
            return  # nothing new yet (or the end)
        if self.sink.is_playing():
            left_s = (self._stream_end - self._playing_index()) / self.rate
            if left_s > JOIN_AHEAD_S:
                return
            self.sink.wait_done(left_s + 1.0)
        self._play_index(self._stream_end)

    # ---- starting streams ------------------------------------------------------------
    def startable(self, session_sample: int = 0) -> bool:
        """Whether :meth:`start` at ``session_sample`` without a lead-in would play at once
        (the sound there is written, or the session is complete); if not, the clip it waits
        for is asked for first. Nothing waits: a play loop asks again on its next turn."""
        self.source.hurry()
        self.source.advance(0)
        return self.source.complete or self._ready() > session_sample

    def start(self, session_sample: int = 0, lead_in: Clip | None = None) -> None:
        """Begin at ``session_sample`` (after ``lead_in``, if any): at once when the lead-in
        or the session's first sound is ready."""
        self._replace_buffer(SessionBuffer(session_sample, lead_in))
        if lead_in is None:
            self._wait_written(session_sample)
        else:
            self._grow(0)
        self._play_index(0)
        self.log.append(("start", session_sample))

    def _replace_buffer(self, buffer: SessionBuffer) -> None:
        self.sink.stop()
        if self._buffer is not None:
            self._buffer.close()
        self._buffer = buffer

    def _play_index(self, index: int) -> None:
        assert self._buffer is not None
        self._paused_at = None
        self._stream_end = self._buffer.n_samples
        self._stream_index = min(index, self._stream_end)
        self.sink.start(self._buffer.view(self._stream_index, self._stream_end), self.rate)
        self._stream_started = self.clock()

    def seek(self, session_sample: int) -> None:
        """Continue playing from ``session_sample`` (exactly)."""
        session_sample = max(0, session_sample)
        if self.source.complete:
            session_sample = min(session_sample, self.end)
        assert self._buffer is not None
        if session_sample < self._buffer.start_sample:  # before what was rendered: render it all
            self._replace_buffer(SessionBuffer())
        self._wait_written(session_sample)
        self.sink.stop()
        self._play_index(self._buffer.index_of(min(session_sample, self._buffer.written)))

    # ---- controls --------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def toggle_pause(self) -> None:
        if self._paused_at is None:
            self.pause()
        else:
            self.resume()

    def pause(self) -> None:
        """Stop the sound where it is (nothing if already paused)."""
        if self._paused_at is None:
            here = max(self.position(), self._buffer.start_sample if self._buffer else 0)
            self.sink.stop()
            self._paused_at = here
            self.log.append(("pause", here))

    def resume(self) -> None:
        """Play on from where it paused (nothing if playing)."""
        if self._paused_at is not None:
            here = self._paused_at
            self.log.append(("resume", here))
            self.seek(here)

    def repeat(self) -> None:
        """Say the last sentence again: back to the start of the speech playing now, or of
        the last one before it (nothing before the first)."""
        ms = max(self.position(), 0) * 1000 // self.rate
        started = [e.start_ms for e in self.timeline.events if e.kind == "speech" and e.start_ms <= ms]
        if not started:
            return
        target = ms_to_samples(max(started), self.rate)
        self.log.append(("repeat", target))
        self._jump(target)

    def next_step(self) -> None:
        here = max(self.position(), 0)
        while True:  # a chapter start is final only before the frontier
            final = self.source.final_samples()
            following = [
                start
                for c in self.timeline.chapters
                if here < (start := ms_to_samples(c.start_ms, self.rate)) <= final
            ]
            if following or self.source.complete:
                break
            self.source.advance(None)
        target = following[0] if following else self.end
        self.log.append(("next", target))
        self._jump(target)

    def previous_step(self, pressed_at: float | None = None) -> None:
        """Back to the start of this step; pressed again within 2 s, the step before. A quick
        run of presses (each within 2 s of the last) goes back one step at most: the third
        press and later ones do nothing, so a held key never runs back through the session.
        ``pressed_at``: when the press was made (:attr:`clock` time; default now), so a
        second press is counted by when it was made, not by when the first was done with."""
        here = max(self.position(), 0)
        now = self.clock() if pressed_at is None else pressed_at
        quick = now - self._last_back_press < DOUBLE_PRESS_S
        self._last_back_press = now
        self._back_presses = self._back_presses + 1 if quick else 1
        if self._back_presses > 2:
            self.log.append(("previous-ignored", here))
            return
        index = chapter_at(self.timeline, here, self.rate)
        if self._back_presses == 2:
            index = max(0, index - 1)
        target = ms_to_samples(self.timeline.chapters[index].start_ms, self.rate)
        self.log.append(("previous", target))
        self._jump(target)

    def _jump(self, target: int) -> None:
        if self._paused_at is not None:
            self._paused_at = target  # stay paused, at the new place
        else:
            self.seek(target)

    def stop(self) -> None:
        if self._buffer is not None:
            self.last_position = self.position()
        self.sink.stop()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None

    # ---- what to show ----------------------------------------------------------------
    def status(self) -> Status:
        sample = self.position()
        ms = sample * 1000 // self.rate
        chapters = self.timeline.chapters
        first = self._buffer.start_sample if self._buffer and self._buffer.lead_in_samples else 0
        if sample < first or sample < 0:  # the lead-in: "next" is the step it leads into
            following = chapters[chapter_at(self.timeline, first, self.rate)] if chapters else None
            return Status(
                ms, self.timeline.duration_ms, self._paused_at is not None, None, following, None, 0
            )
        index = chapter_at(self.timeline, sample, self.rate)
        phases = self.timeline.phases
        at = next((i for i, p in enumerate(phases) if p.start_ms <= ms < p.end_ms), None)
        speaking = next(
            (e.text for e in self.timeline.events if e.kind == "speech" and e.start_ms <= ms < e.end_ms), ""
        )
        return Status(
            ms,
            self.timeline.duration_ms,
            self._paused_at is not None,
            chapters[index],
            chapters[index + 1] if index + 1 < len(chapters) else None,
            None if at is None else phases[at],
            index + 1,
            speaking,
            0 if at is None else breath_cycles(phases, at),
        )


def breath_cycles(phases: tuple[Phase, ...], at: int) -> int:
    """How many cycles the breathing that ``phases[at]`` belongs to has (0 if it is no
    breath phase): its run of breath phases, whose cycle numbers never go down."""
    if phases[at].kind != "breath":
        return 0
    end = at
    while (
        end + 1 < len(phases)
        and phases[end + 1].kind == "breath"
        and phases[end + 1].cycle >= phases[end].cycle
    ):
        end += 1
    return phases[end].cycle


def chapter_at(timeline: Timeline, sample: int, rate: int) -> int:
    """Index of the chapter that contains session ``sample``."""
    index = 0
    for i, chapter in enumerate(timeline.chapters):
        if ms_to_samples(chapter.start_ms, rate) <= sample:
            index = i
    return index
