"""A background bed under the voice, ducked while it speaks, and loudness normalization.

Applied to the rendered PCM stream, the same way for ``export`` and ``play``:

* the **bed** is a sound file (decoded by ffmpeg, looped or cut to the session) or a
  generated brown noise (ffmpeg's ``anoisesrc`` with a fixed seed, so exports stay
  byte-identical), at ``bed_db`` below its own level;
* **ducking**: while speech plays the bed is ``duck_db`` lower, reached by a linear ramp
  (in dB) of :data:`ATTACK_MS` that ends as the speech starts, and released over
  :data:`RELEASE_MS` after it ends. Gains change every :data:`BLOCK_MS` of the session
  (a grid from its first sample, whatever the chunks); gaps shorter than attack +
  release stay ducked;
* **loudness**: the mixed session is measured with ffmpeg's EBU R128 meter (integrated
  loudness) and scaled by one gain to the target; peaks that the gain would push above
  :data:`PEAK_LIMIT_DBFS` are held there by a block limiter (5 ms blocks, one block of
  look-ahead, 0.5 dB per block release), and a second measurement corrects the gain for
  what the limiter took (an equivalent of two-pass loudnorm; timing untouched).

Memory stays flat: the bed is read from ffmpeg as the voice is rendered. The sample maths
is numpy, with audioop's rounding (products rounded down, clipped to 16 bits), so the
samples are the ones the audioop version made (tests/test_sample_maths.py).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExportError, UsageError
from ..pcm.clip import SAMPLE_WIDTH, Clip
from ..pcm.level import DEFAULT_LOUDNESS_LUFS as DEFAULT_LOUDNESS_LUFS  # (re-exported)
from ..timing.timeline import SPEECH, Event, Phase, Timeline
from .ffmpeg import Reader, feed, find_ffmpeg, pcm_format
from .sound import DEFAULT_SOUND, Sound
from .tones import DUCK_DB as TONE_DUCK_DB
from .tones import add_tones, tone_phases

if TYPE_CHECKING:  # numpy itself is imported where the maths is done (not for --help)
    import numpy as np
    import numpy.typing as npt

    Pcm = npt.NDArray[np.int16]  # mono 16-bit samples
    Floats = npt.NDArray[np.float64]

BROWN_NOISE = "brown-noise"
ATTACK_MS = 300
RELEASE_MS = 600
BLOCK_MS = 10
PEAK_LIMIT_DBFS = -3.0  # sample peaks: a bed lifts true peaks ≈1.5 dB above them (≤ -1 dBTP encoded)
#: what a missing ffmpeg stops, and what works without it (see ffmpeg.find_ffmpeg)
BACKGROUND_NEEDS_FFMPEG = "--background needs it (ffmpeg reads or makes the bed)"
BACKGROUND_INSTEAD = "play, and export to .wav, without --background need none"
LOUDNESS_NEEDS_FFMPEG = "--loudness needs it (ffmpeg measures the session's loudness)"
LOUDNESS_INSTEAD = "play, and export to .wav, with --loudness off need none"


@dataclass(frozen=True)
class Mix:
    """How the voice track is finished. ``gain_db`` is set by :func:`with_loudness_gain`."""

    background: str | None = None  # a sound file's path, or "brown-noise"
    bed_db: float = -20.0  # the bed's level against its own (0 = as recorded)
    duck_db: float = -12.0  # how much lower the bed is while speech plays
    loudness_lufs: float | None = None  # target integrated loudness; None = leave as is
    gain_db: float = 0.0  # applied to the mixed session (from the loudness measurement)
    sound: Sound = DEFAULT_SOUND  # clip levels and the bell (see audio.sound)
    output_rate: int | None = None  # files are written at this rate (Hz); None = the engine's

    @property
    def changes_audio(self) -> bool:
        return self.background is not None or self.gain_db != 0.0


NO_MIX = Mix()  # the voice alone, as rendered


def check_background(background: str) -> None:
    """Refuse a missing background file before any work (UsageError, exit 2)."""
    if background != BROWN_NOISE and not Path(background).is_file():
        raise UsageError(
            f"no such background file: {background} (give a sound file ffmpeg can read, or {BROWN_NOISE})"
        )


Render = Callable[[int], Iterable[bytes]]  # start sample → the session's PCM from there


def apply_mix(
    render: Render, mix: Mix, timeline: Timeline, rate: int, start_sample: int = 0
) -> Iterator[bytes]:
    """The session's PCM from ``start_sample`` with the bed mixed in and the gain (and
    limiter) applied; the same number of samples as ``render(start_sample)``. The result
    depends neither on ``start_sample`` nor on how ``render`` cuts its chunks: the bed's
    gain is a function of the sample's absolute position, and the limiter starts early
    enough (and on the same block grid) to be in the state it would have reached from the
    session's start."""
    tones = tone_phases(timeline)
    if not mix.changes_audio and not tones:
        yield from render(start_sample)
        return
    limiter = _Limiter(10 ** (mix.gain_db / 20), rate)
    begin = limiter.settled_start(start_sample)
    stream = _with_bed(render(begin), mix, timeline, rate, begin)
    if tones:
        stream = _with_tones(stream, tones, timeline, rate, begin, mix.sound.loudness_lufs)
    skip = start_sample - begin  # samples
    for piece in limiter.process(stream):
        if skip >= len(piece):
            skip -= len(piece)
            continue
        yield piece[skip:].tobytes()
        skip = 0


#: kept back from a growing session's frontier when the mix looks ahead (the limiter reads
#: one block ahead; under breath tones it runs even without a bed), so that what is
#: rendered before it never changes, ms
LOOK_AHEAD_MS = 50


def look_ahead_ms(mix: Mix, timeline: Timeline) -> int:
    """How far before a growing session's frontier rendering must stop with ``mix`` (ms)."""
    return LOOK_AHEAD_MS if mix.changes_audio or tone_phases(timeline) else 0


def mixed_range(
    timeline: Timeline,
    clip_for: Callable[[Event], Clip],
    mix: Mix,
    rate: int,
    start_sample: int,
    stop_sample: int,
) -> Iterator[bytes]:
    """The session's final samples ``[start_sample, stop_sample)``: rendered, mixed, gained.
    Joined end to end, ranges give exactly the whole session's :func:`apply_mix`."""
    from .render import render_pcm

    def render(first: int) -> Iterable[bytes]:
        return render_pcm(timeline, clip_for, rate, start_sample=first, stop_sample=stop_sample)

    return apply_mix(render, mix, timeline, rate, start_sample)


def _with_bed(
    chunks: Iterable[bytes], mix: Mix, timeline: Timeline, rate: int, start_sample: int
) -> Iterator[Pcm]:
    """The voice's samples, with the bed under them if there is one."""
    import numpy as np

    if mix.background is None:
        for chunk in chunks:
            yield np.frombuffer(chunk, dtype="<i2")
        return
    envelope = _Ducking(timeline, rate, mix)
    position = start_sample
    with _Bed(mix.background, rate, start_sample) as bed:
        for chunk in chunks:
            voice = np.frombuffer(chunk, dtype="<i2")
            bed_samples = np.frombuffer(bed.read(len(chunk)), dtype="<i2")
            under = _scaled(bed_samples, envelope.gains(position, len(voice)))
            yield np.clip(voice.astype(np.int32) + under, -32768, 32767).astype("<i2")
            position += len(voice)


def _with_tones(
    pieces: Iterable[Pcm],
    phases: list[Phase],
    timeline: Timeline,
    rate: int,
    start_sample: int,
    loudness_lufs: float | None,
) -> Iterator[Pcm]:
    """``pieces`` (from ``start_sample`` on) with the breath tones added (see audio.tones),
    ducked by :data:`~voiceguide.audio.tones.DUCK_DB` under speech as a bed is (the same
    ramps, a function of the absolute sample)."""
    import numpy as np

    ducking = _Ducking(timeline, rate, Mix(bed_db=0.0, duck_db=TONE_DUCK_DB))
    position = start_sample
    for piece in pieces:
        tones = np.zeros(len(piece))
        add_tones(tones, position, phases, rate, loudness_lufs)
        if tones.any():
            tones *= ducking.gains(position, len(piece))
        position += len(piece)
        yield np.clip(np.rint(piece + tones), -32768, 32767).astype("<i2")


def _scaled(samples: Pcm, gains: Floats | float) -> Pcm:
    """``samples × gains`` rounded down and clipped to 16 bits, as audioop.mul did
    (so the limiter and the bed give the samples they gave with it)."""
    import numpy as np

    product = np.multiply(samples, gains, dtype=np.float64)
    np.floor(product, out=product)
    np.clip(product, -32768, 32767, out=product)
    result: Pcm = product.astype("<i2")
    return result


def with_loudness_gain(mix: Mix, render: Render, timeline: Timeline, rate: int) -> tuple[Mix, float, float]:
    """``mix`` with ``gain_db`` set so the mixed session (``render(0)`` on)
    reaches ``mix.loudness_lufs``; also the loudness measured before and after (LUFS)."""
    if mix.loudness_lufs is None:
        return mix, math.nan, math.nan
    if mix.background is not None:  # say first that the bed needs ffmpeg, not just --loudness
        find_ffmpeg(BACKGROUND_NEEDS_FFMPEG, BACKGROUND_INSTEAD)
    unscaled = replace(mix, gain_db=0.0)
    measured, peak_dbfs = measure_loudness(apply_mix(render, unscaled, timeline, rate), rate)
    if math.isinf(measured):  # silence: nothing to scale
        return unscaled, measured, measured
    first = replace(mix, gain_db=round(mix.loudness_lufs - measured, 2))
    if peak_dbfs + first.gain_db <= PEAK_LIMIT_DBFS:  # the limiter will not act: the gain is
        return first, measured, measured + first.gain_db  # all there is (levelled voices)
    limited, _ = measure_loudness(apply_mix(render, first, timeline, rate), rate)
    second = replace(first, gain_db=round(first.gain_db + mix.loudness_lufs - limited, 2))
    return second, measured, limited + second.gain_db - first.gain_db


def measure_loudness(chunks: Iterable[bytes], rate: int) -> tuple[float, float]:
    """(integrated loudness in LUFS, sample peak in dBFS) of mono 16-bit PCM, by ffmpeg's
    ``ebur128`` filter (EBU R128 / ITU-R BS.1770)."""
    ffmpeg = find_ffmpeg(LOUDNESS_NEEDS_FFMPEG, LOUDNESS_INSTEAD)
    command = [
        ffmpeg,
        "-hide_banner",
        "-nostats",
        *pcm_format(rate),
        "-i",
        "pipe:0",
        "-af",
        "ebur128=peak=sample:framelog=verbose",
        "-f",
        "null",
        "-",
    ]
    finished = feed(command, chunks)
    text = finished.messages
    summary = text[text.rfind("Summary:") :]
    loudness = re.search(r"I:\s+(-?[\d.]+|-inf)\s+LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf)\s+dBFS", summary)
    if finished.returncode != 0 or not loudness or not peak:
        raise ExportError(f"could not measure the loudness (ffmpeg exit {finished.returncode})")
    return float(loudness.group(1)), float(peak.group(1))


class _Limiter:
    """Multiplies by ``factor`` and holds sample peaks at :data:`PEAK_LIMIT_DBFS`, in
    blocks on a fixed grid of the session's samples: each block gets the smallest of its
    own allowed factor, the next block's (look-ahead) and the previous block's raised by
    :attr:`RELEASE_DB`."""

    BLOCK_MS = 5
    RELEASE_DB = 0.5  # per block

    def __init__(self, factor: float, rate: int) -> None:
        self._factor = factor
        self._block_samples = rate * self.BLOCK_MS // 1000
        self._ceiling = 32767 * 10 ** (PEAK_LIMIT_DBFS / 20)
        self._release = 10 ** (self.RELEASE_DB / 20)

    def settled_start(self, start_sample: int) -> int:
        """Where to start so that the state at ``start_sample`` is the one a run from 0
        reaches: the release recovers at most the whole gain (+ the ceiling's margin)
        in that many blocks, after which the earlier history no longer matters."""
        if self._factor == 1.0:
            return start_sample
        recovery_db = max(0.0, 20 * math.log10(self._factor)) - PEAK_LIMIT_DBFS + 1
        history = (math.ceil(recovery_db / self.RELEASE_DB) + 2) * self._block_samples
        begin = max(0, start_sample - history)
        return begin // self._block_samples * self._block_samples

    def process(self, pieces: Iterable[Pcm]) -> Iterator[Pcm]:
        """``pieces`` (starting on the block grid) limited; a block is written once the
        next one (its look-ahead) has arrived."""
        import numpy as np

        if self._factor == 1.0:
            yield from pieces
            return
        size = self._block_samples
        previous = self._factor  # the factor of the last block written
        held: Pcm = np.empty(0, dtype="<i2")  # from the next block to write on
        for piece in pieces:
            held = np.concatenate((held, piece)) if len(held) else piece
            n_blocks = len(held) // size
            if n_blocks < 2:
                continue
            allowed = self._allowed(held[: n_blocks * size])
            factors = self._factors(np.minimum(allowed[:-1], allowed[1:]), previous)
            previous = factors[-1]
            done = (n_blocks - 1) * size
            yield _scaled(held[:done], np.repeat(factors, size))
            held = held[done:]
        if len(held):  # the last block is its own look-ahead
            allowed = self._allowed(held)
            factors = self._factors(np.minimum(allowed, np.append(allowed[1:], allowed[-1])), previous)
            yield _scaled(held, np.repeat(factors, size)[: len(held)])

    def _allowed(self, samples: Pcm) -> Floats:
        """Each block's largest factor that keeps its peak under the ceiling (at most the
        gain's); the last block may be short."""
        import numpy as np

        size = self._block_samples
        whole = len(samples) // size * size
        blocks = samples[:whole].reshape(-1, size)
        highest = blocks.max(axis=1).astype(np.int32)
        lowest = blocks.min(axis=1).astype(np.int32)
        if whole < len(samples):
            highest = np.append(highest, int(samples[whole:].max()))
            lowest = np.append(lowest, int(samples[whole:].min()))
        peaks = np.maximum(np.maximum(highest, -lowest), 1)
        allowed: Floats = np.minimum(self._factor, self._ceiling / peaks)
        return allowed

    def _factors(self, limits: Floats, previous: float) -> Floats:
        """Each block's factor: its limit, or the previous block's raised by the release
        if that is smaller. Sequential, in plain floats: the same products as before."""
        import numpy as np

        release = self._release
        factors = []
        for limit in limits.tolist():
            previous *= release
            if limit < previous:
                previous = limit
            factors.append(previous)
        return np.array(factors)


class _Ducking:
    """The bed's linear gain at each sample: stepped every :data:`BLOCK_MS` of the
    session (a grid from its first sample), each block at its first sample's depth."""

    def __init__(self, timeline: Timeline, rate: int, mix: Mix) -> None:
        self._rate = rate
        self._mix = mix
        self._block = rate * BLOCK_MS // 1000
        ducked: list[tuple[int, int]] = []  # merged (start, end) ms of speech
        for event in timeline.events:
            if event.kind != SPEECH:
                continue
            if ducked and event.start_ms - ducked[-1][1] < ATTACK_MS + RELEASE_MS:
                ducked[-1] = (ducked[-1][0], max(ducked[-1][1], event.end_ms))
            else:
                ducked.append((event.start_ms, event.end_ms))
        self._ducked = ducked
        # where the depth is steady: (from ms, to ms, depth), both ends included, in order
        steady = [(-math.inf, ducked[0][0] - ATTACK_MS if ducked else math.inf, 0.0)]
        for number, (start, end) in enumerate(ducked):
            following = ducked[number + 1][0] - ATTACK_MS if number + 1 < len(ducked) else math.inf
            steady += [(start, end, 1.0), (end + RELEASE_MS, following, 0.0)]
        self._steady = steady
        self._steady_from = [zone[0] for zone in steady]

    def steady_depth(self, first_ms: float, last_ms: float) -> float | None:
        """The depth if it is the same from ``first_ms`` to ``last_ms``, else None."""
        start, end, depth = self._steady[bisect.bisect_right(self._steady_from, first_ms) - 1]
        return depth if start <= first_ms and last_ms <= end else None

    def depths(self, at_ms: Floats) -> Floats:
        """0 = the full bed, 1 = fully ducked, at each time (ms)."""
        import numpy as np

        if not self._ducked:
            return np.zeros(len(at_ms))
        starts, ends = np.array(self._ducked, dtype=np.float64).T
        # the first stretch whose release has not ended by then
        index = np.searchsorted(ends + RELEASE_MS, at_ms, side="right")
        some = index < len(starts)
        start, end = starts[np.minimum(index, len(starts) - 1)], ends[np.minimum(index, len(ends) - 1)]
        inside = some & (start <= at_ms) & (at_ms <= end)
        attack = some & (start - ATTACK_MS < at_ms) & (at_ms < start)
        release = some & (end < at_ms) & (at_ms < end + RELEASE_MS)
        depth: Floats = np.where(
            inside,
            1.0,
            np.where(
                attack,
                1 - (start - at_ms) / ATTACK_MS,
                np.where(release, 1 - (at_ms - end) / RELEASE_MS, 0.0),
            ),
        )
        return depth

    def gains(self, first_sample: int, n_samples: int) -> Floats | float:
        """The gain of each of ``n_samples`` samples from ``first_sample`` on (one number
        if they all have the same)."""
        import numpy as np

        first_block = first_sample // self._block
        n_blocks = (first_sample + n_samples - 1) // self._block - first_block + 1
        first_ms = first_block * self._block * 1000 / self._rate
        last_ms = (first_block + n_blocks - 1) * self._block * 1000 / self._rate
        steady = self.steady_depth(first_ms, last_ms)
        if steady is not None:  # most of a session: the formula below, in Python floats
            return float(10 ** ((self._mix.bed_db + steady * self._mix.duck_db) / 20))
        block_starts = (first_block + np.arange(max(0, n_blocks))) * self._block
        exponents = (
            self._mix.bed_db + self.depths(block_starts * 1000 / self._rate) * self._mix.duck_db
        ) / 20
        # 10 ** x by Python's float power, so the gains are the ones it gave before
        distinct, which = np.unique(exponents, return_inverse=True)
        block_gains = np.array([10**x for x in distinct.tolist()])[which]
        counts = np.full(len(block_gains), self._block)
        if len(counts):
            counts[0] = min(n_samples, (first_block + 1) * self._block - first_sample)
            counts[-1] -= counts.sum() - n_samples
        gains: Floats = np.repeat(block_gains, counts)
        return gains


class _Bed:
    """The bed's PCM from ffmpeg, read as needed, from ``start_sample`` on."""

    def __init__(self, background: str, rate: int, start_sample: int) -> None:
        ffmpeg = find_ffmpeg(BACKGROUND_NEEDS_FFMPEG, BACKGROUND_INSTEAD)
        if background == BROWN_NOISE:
            source = ["-f", "lavfi", "-i", f"anoisesrc=color=brown:sample_rate={rate}:amplitude=0.5:seed=7"]
        else:
            # ``file:`` so that a name such as ``concat:a|b`` or ``http:x`` is a file name,
            # never an ffmpeg protocol
            source = ["-stream_loop", "-1", "-i", f"file:{Path(background).resolve()}"]
        self._ffmpeg = Reader(
            [ffmpeg, "-hide_banner", "-loglevel", "error", *source, *pcm_format(rate), "pipe:1"]
        )
        self._skip = start_sample * SAMPLE_WIDTH  # decoded and dropped here: sample-exact
        self._background = background

    def __enter__(self) -> _Bed:
        self._ffmpeg.__enter__()
        try:
            while self._skip:
                self._skip -= len(self.read(min(self._skip, 1 << 20)))
        except BaseException:
            self._ffmpeg.__exit__(None, None, None)
            raise
        return self

    def read(self, n_bytes: int) -> bytes:
        data = self._ffmpeg.read(n_bytes)
        if len(data) < n_bytes:
            raise ExportError(
                f"cannot use {self._background} as a background: "
                + (self._ffmpeg.last_message() or "ffmpeg produced no audio from it")
            )
        return data

    def __exit__(self, *exc_info: object) -> None:
        self._ffmpeg.__exit__(*exc_info)
