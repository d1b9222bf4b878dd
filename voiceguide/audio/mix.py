"""A background bed under the voice, ducked while it speaks, and loudness normalization.

Applied to the rendered PCM stream, the same way for ``export`` and ``play``:

* the **bed** is a sound file (decoded by ffmpeg, looped or cut to the session) or a
  generated brown noise (ffmpeg's ``anoisesrc`` with a fixed seed, so exports stay
  byte-identical), at ``bed_db`` below its own level;
* **ducking**: while speech plays the bed is ``duck_db`` lower, reached by a linear ramp
  (in dB) of :data:`ATTACK_MS` that ends as the speech starts, and released over
  :data:`RELEASE_MS` after it ends. Gains change every :data:`BLOCK_MS`; gaps shorter
  than attack + release stay ducked;
* **loudness**: the mixed session is measured with ffmpeg's EBU R128 meter (integrated
  loudness) and scaled by one gain to the target; peaks that the gain would push above
  :data:`PEAK_LIMIT_DBFS` are held there by a block limiter (5 ms blocks, one block of
  look-ahead, 0.5 dB per block release), and a second measurement corrects the gain for
  what the limiter took (an equivalent of two-pass loudnorm; timing untouched).

Memory stays flat: the bed is read from ffmpeg as the voice is rendered.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

if sys.version_info >= (3, 13):  # pragma: no cover - audioop-lts provides it there
    import audioop
else:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

from ..errors import ExportError, UsageError
from ..timing.timeline import SPEECH, Timeline
from .clip import SAMPLE_WIDTH

BROWN_NOISE = "brown-noise"
ATTACK_MS = 300
RELEASE_MS = 600
BLOCK_MS = 10
PEAK_LIMIT_DBFS = -1.0
DEFAULT_LOUDNESS_LUFS = -16.0
#: what a missing ffmpeg stops, and what works without it (see export.find_ffmpeg)
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

    @property
    def changes_audio(self) -> bool:
        return self.background is not None or self.gain_db != 0.0


NO_MIX = Mix()  # the voice alone, as rendered


def check_background(background: str) -> None:
    """Refuse a missing background file before any work (UsageError, exit 2)."""
    if background != BROWN_NOISE and not Path(background).is_file():
        raise UsageError(
            f"no such background file: {background} (give a sound file ffmpeg can read, "
            f"or {BROWN_NOISE})"
        )


Render = Callable[[int], Iterable[bytes]]  # start sample → the session's PCM from there


def apply_mix(render: Render, mix: Mix, timeline: Timeline, rate: int, start_sample: int = 0
              ) -> Iterator[bytes]:
    """The session's PCM from ``start_sample`` with the bed mixed in and the gain (and
    limiter) applied; the same number of samples as ``render(start_sample)``. The result
    does not depend on ``start_sample``: the limiter starts early enough (and on the same
    block grid) to be in the state it would have reached from the session's start."""
    if not mix.changes_audio:
        yield from render(start_sample)
        return
    limiter = _Limiter(10 ** (mix.gain_db / 20), rate)
    begin = limiter.settled_start(start_sample)
    stream = _with_bed(render(begin), mix, timeline, rate, begin)
    skip = (start_sample - begin) * SAMPLE_WIDTH
    for piece in limiter.process(stream):
        if skip >= len(piece):
            skip -= len(piece)
            continue
        yield piece[skip:]
        skip = 0


def _with_bed(chunks: Iterable[bytes], mix: Mix, timeline: Timeline, rate: int, start_sample: int
              ) -> Iterator[bytes]:
    if mix.background is None:
        yield from chunks
        return
    envelope = _Ducking(timeline, rate, mix)
    block = rate * BLOCK_MS // 1000 * SAMPLE_WIDTH
    position = start_sample
    with _Bed(mix.background, rate, start_sample) as bed:
        for chunk in chunks:
            out = []
            for offset in range(0, len(chunk), block):
                voice = chunk[offset : offset + block]
                under = audioop.mul(bed.read(len(voice)), SAMPLE_WIDTH, envelope.gain(position))
                out.append(audioop.add(voice, under, SAMPLE_WIDTH))
                position += len(voice) // SAMPLE_WIDTH
            yield b"".join(out)


def with_loudness_gain(
    mix: Mix, render: Render, timeline: Timeline, rate: int
) -> tuple[Mix, float, float]:
    """``mix`` with ``gain_db`` set so the mixed session (``render(0)`` on)
    reaches ``mix.loudness_lufs``; also the loudness measured before and after (LUFS)."""
    if mix.loudness_lufs is None:
        return mix, math.nan, math.nan
    if mix.background is not None:  # say first that the bed needs ffmpeg, not just --loudness
        from ..export.encode import find_ffmpeg

        find_ffmpeg(BACKGROUND_NEEDS_FFMPEG, BACKGROUND_INSTEAD)
    unscaled = replace(mix, gain_db=0.0)
    measured, _ = measure_loudness(apply_mix(render, unscaled, timeline, rate), rate)
    if math.isinf(measured):  # silence: nothing to scale
        return unscaled, measured, measured
    first = replace(mix, gain_db=round(mix.loudness_lufs - measured, 2))
    limited, _ = measure_loudness(apply_mix(render, first, timeline, rate), rate)
    second = replace(first, gain_db=round(first.gain_db + mix.loudness_lufs - limited, 2))
    return second, measured, limited + second.gain_db - first.gain_db


def measure_loudness(chunks: Iterable[bytes], rate: int) -> tuple[float, float]:
    """(integrated loudness in LUFS, sample peak in dBFS) of mono 16-bit PCM, by ffmpeg's
    ``ebur128`` filter (EBU R128 / ITU-R BS.1770)."""
    from ..export.encode import find_ffmpeg

    ffmpeg = find_ffmpeg(LOUDNESS_NEEDS_FFMPEG, LOUDNESS_INSTEAD)
    command = [ffmpeg, "-hide_banner", "-nostats", "-f", "s16le", "-ar", str(rate),
               "-ac", "1", "-i", "pipe:0", "-af", "ebur128=peak=sample:framelog=verbose",
               "-f", "null", "-"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=log)
        assert process.stdin is not None
        try:
            try:
                for chunk in chunks:
                    process.stdin.write(chunk)
                process.stdin.close()
            except BrokenPipeError:
                pass  # ffmpeg stopped reading: its exit status says why
            process.wait()
        except BaseException:  # the stream failed (a bad background) or Ctrl-C
            process.kill()
            process.wait()
            raise
        log.seek(0)
        text = log.read().decode(errors="replace")
    summary = text[text.rfind("Summary:") :]
    loudness = re.search(r"I:\s+(-?[\d.]+|-inf)\s+LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf)\s+dBFS", summary)
    if process.returncode != 0 or not loudness or not peak:
        raise ExportError(f"could not measure the loudness (ffmpeg exit {process.returncode})")
    return float(loudness.group(1)), float(peak.group(1))


class _Limiter:
    """Multiplies by ``factor`` and holds sample peaks at :data:`PEAK_LIMIT_DBFS`, in
    blocks on a fixed grid of the session's samples: each block gets the smallest of its
    own allowed factor, the next block's (look-ahead) and the previous block's raised by
    :attr:`RELEASE_DB`."""

    BLOCK_MS = 5
    RELEASE_DB = 0.5  # per block
    OUT_BYTES = 1 << 16  # joined output pieces, so writers see few, large chunks

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

    def process(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """``chunks`` (starting on the block grid) limited, in joined pieces."""
        if self._factor == 1.0:
            yield from chunks
            return
        size = self._block_samples * SAMPLE_WIDTH
        previous = self._factor
        pending: bytes | None = None  # a block waiting for its look-ahead
        out: list[bytes] = []
        for block in _blocks(chunks, size):
            if pending is not None:
                previous = self._write(pending, block, previous, out)
            pending = block
            if sum(map(len, out)) >= self.OUT_BYTES:
                yield b"".join(out)
                out.clear()
        if pending is not None:
            self._write(pending, pending, previous, out)
        if out:
            yield b"".join(out)

    def _allowed(self, block: bytes) -> float:
        return min(self._factor, self._ceiling / max(1, audioop.max(block, SAMPLE_WIDTH)))

    def _write(self, block: bytes, ahead: bytes, previous: float, out: list[bytes]) -> float:
        factor = min(self._allowed(block), self._allowed(ahead), previous * self._release)
        out.append(audioop.mul(block, SAMPLE_WIDTH, factor))
        return factor


def _blocks(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Re-cut a byte stream into pieces of ``size`` (the last may be shorter)."""
    rest = b""
    for chunk in chunks:
        data = rest + chunk if rest else chunk
        whole = len(data) // size * size
        for i in range(0, whole, size):
            yield data[i : i + size]
        rest = data[whole:]
    if rest:
        yield rest


class _Ducking:
    """The bed's linear gain at a sample, for positions that only move forward."""

    def __init__(self, timeline: Timeline, rate: int, mix: Mix) -> None:
        self._rate = rate
        self._mix = mix
        self._index = 0
        self._ducked: list[tuple[int, int]] = []  # merged (start, end) ms of speech
        for event in timeline.events:
            if event.kind != SPEECH:
                continue
            if self._ducked and event.start_ms - self._ducked[-1][1] < ATTACK_MS + RELEASE_MS:
                self._ducked[-1] = (self._ducked[-1][0], max(self._ducked[-1][1], event.end_ms))
            else:
                self._ducked.append((event.start_ms, event.end_ms))

    def depth(self, at_ms: float) -> float:
        """0 = the full bed, 1 = fully ducked."""
        ducked = self._ducked
        while self._index < len(ducked) and ducked[self._index][1] + RELEASE_MS <= at_ms:
            self._index += 1
        if self._index == len(ducked):
            return 0.0
        start, end = ducked[self._index]
        if start <= at_ms <= end:
            return 1.0
        if start - ATTACK_MS < at_ms < start:
            return 1 - (start - at_ms) / ATTACK_MS
        if end < at_ms < end + RELEASE_MS:
            return 1 - (at_ms - end) / RELEASE_MS
        return 0.0

    def gain(self, sample: int) -> float:
        depth = self.depth(sample * 1000 / self._rate)
        return float(10 ** ((self._mix.bed_db + depth * self._mix.duck_db) / 20))


class _Bed:
    """The bed's PCM from ffmpeg, read as needed, from ``start_sample`` on."""

    def __init__(self, background: str, rate: int, start_sample: int) -> None:
        from ..export.encode import find_ffmpeg

        ffmpeg = find_ffmpeg(BACKGROUND_NEEDS_FFMPEG, BACKGROUND_INSTEAD)
        if background == BROWN_NOISE:
            source = ["-f", "lavfi", "-i",
                      f"anoisesrc=color=brown:sample_rate={rate}:amplitude=0.5:seed=7"]
        else:
            # ``file:`` so that a name such as ``concat:a|b`` or ``http:x`` is a file name,
            # never an ffmpeg protocol
            source = ["-stream_loop", "-1", "-i", f"file:{Path(background).resolve()}"]
        self._command = [ffmpeg, "-hide_banner", "-loglevel", "error", *source,
                         "-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"]
        self._skip = start_sample * SAMPLE_WIDTH  # decoded and dropped here: sample-exact
        self._background = background
        self._process: subprocess.Popen[bytes] | None = None
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__

    def __enter__(self) -> _Bed:
        self._process = subprocess.Popen(self._command, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.PIPE, stderr=self._errors)
        while self._skip:
            self._skip -= len(self.read(min(self._skip, 1 << 20)))
        return self

    def read(self, n_bytes: int) -> bytes:
        assert self._process is not None and self._process.stdout is not None
        data = self._process.stdout.read(n_bytes)
        if len(data) < n_bytes:
            self._errors.seek(0)
            why = self._errors.read().decode(errors="replace").strip().splitlines()[-1:]
            raise ExportError(
                f"cannot use {self._background} as a background: "
                + (why[0] if why else "ffmpeg produced no audio from it")
            )
        return data

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
        self._errors.close()

