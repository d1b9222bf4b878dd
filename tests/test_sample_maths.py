"""The sample maths in numpy against the code it replaced (audioop loops, pydub's generators).

The old implementations are copied here, and only here, as the reference. The bound, per
function:

* limiter (``apply_mix`` with a gain), bed mixing on the 10 ms grid, ``trim_silence``,
  the chime: **identical** bytes (the same float64 products, the same floor and clipping
  as audioop.mul/add, the same ``math`` functions where a ulp could move a sample);
* bed mixing with chunks that do not fall on the 10 ms grid: the old code stepped the
  ducking gain every 10 ms *of each chunk*, so the same sample got a different gain for
  a different chunking (an export and a ``--from`` or ``--split`` part could differ). The
  gain is now a function of the sample's absolute position. Samples differ only inside
  the attack and release ramps, by at most one block's step of the ramp
  (``|duck_db| * BLOCK_MS / ATTACK_MS`` dB of the bed, 0.4 dB at -12) plus 1 LSB.
"""

from __future__ import annotations

import random
import subprocess
import sys
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceguide.audio import mix as mix_module
from voiceguide.audio.chime import chime_clip
from voiceguide.audio.mix import ATTACK_MS, BLOCK_MS, PEAK_LIMIT_DBFS, RELEASE_MS, Mix, apply_mix
from voiceguide.pcm.clip import Clip, trim_silence
from voiceguide.timing.timeline import CHIME_MS, Chapter, Event, Timeline

with warnings.catch_warnings():  # deprecated on 3.11 and 3.12; audioop-lts on 3.13
    warnings.simplefilter("ignore", DeprecationWarning)
    audioop: Any = pytest.importorskip("audioop")

RATE = 22050
BLOCK = RATE * BLOCK_MS // 1000
SAMPLE_WIDTH = 2


# ---- the old code, as it was (audioop) ---------------------------------------------------


class OldLimiter:
    BLOCK_MS = 5
    RELEASE_DB = 0.5
    OUT_BYTES = 1 << 16

    def __init__(self, factor: float, rate: int) -> None:
        self._factor = factor
        self._block_samples = rate * self.BLOCK_MS // 1000
        self._ceiling = 32767 * 10 ** (PEAK_LIMIT_DBFS / 20)  # -1.0 when audioop's was written
        self._release = 10 ** (self.RELEASE_DB / 20)

    def process(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        if self._factor == 1.0:
            yield from chunks
            return
        size = self._block_samples * SAMPLE_WIDTH
        previous = self._factor
        pending: bytes | None = None
        out: list[bytes] = []
        for block in old_blocks(chunks, size):
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
        return float(min(self._factor, self._ceiling / max(1, audioop.max(block, SAMPLE_WIDTH))))

    def _write(self, block: bytes, ahead: bytes, previous: float, out: list[bytes]) -> float:
        factor = min(self._allowed(block), self._allowed(ahead), previous * self._release)
        out.append(audioop.mul(block, SAMPLE_WIDTH, factor))
        return factor


def old_blocks(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    rest = b""
    for chunk in chunks:
        data = rest + chunk if rest else chunk
        whole = len(data) // size * size
        for i in range(0, whole, size):
            yield data[i : i + size]
        rest = data[whole:]
    if rest:
        yield rest


class OldDucking:
    def __init__(self, timeline: Timeline, rate: int, mix: Mix) -> None:
        self._rate = rate
        self._mix = mix
        self._index = 0
        self._ducked: list[tuple[int, int]] = []
        for event in timeline.events:
            if event.kind != "speech":
                continue
            if self._ducked and event.start_ms - self._ducked[-1][1] < ATTACK_MS + RELEASE_MS:
                self._ducked[-1] = (self._ducked[-1][0], max(self._ducked[-1][1], event.end_ms))
            else:
                self._ducked.append((event.start_ms, event.end_ms))

    def depth(self, at_ms: float) -> float:
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


def old_with_bed(
    chunks: Iterable[bytes], mix: Mix, timeline: Timeline, rate: int, bed: FakeBed
) -> Iterator[bytes]:
    envelope = OldDucking(timeline, rate, mix)
    block = rate * BLOCK_MS // 1000 * SAMPLE_WIDTH
    position = 0
    for chunk in chunks:
        out = []
        for offset in range(0, len(chunk), block):
            voice = chunk[offset : offset + block]
            under = audioop.mul(bed.read(len(voice)), SAMPLE_WIDTH, envelope.gain(position))
            out.append(audioop.add(voice, under, SAMPLE_WIDTH))
            position += len(voice) // SAMPLE_WIDTH
        yield b"".join(out)


def old_trim_silence(clip: Clip, *, threshold: int = 100, keep_ms: int = 30) -> Clip:
    samples = memoryview(clip.pcm).cast("h")
    first = next((i for i, s in enumerate(samples) if abs(s) >= threshold), None)
    if first is None:
        return Clip(b"", clip.sample_rate)
    last = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) >= threshold)
    keep = keep_ms * clip.sample_rate // 1000
    start = max(0, first - keep)
    end = min(len(samples), last + 1 + keep)
    return Clip(clip.pcm[2 * start : 2 * end], clip.sample_rate)


def old_chime_pcm(sample_rate: int) -> bytes:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Couldn't find ff", RuntimeWarning)
        generators = pytest.importorskip("pydub.generators")

    bell = None
    for frequency, level in ((660.0, -16.0), (1821.6, -26.0), (1320.0, -28.0)):
        tone = generators.Sine(frequency, sample_rate=sample_rate, bit_depth=16).to_audio_segment(
            duration=CHIME_MS, volume=level
        )
        tone = tone.fade_in(8).fade(to_gain=-50.0, start=8, end=CHIME_MS)
        bell = tone if bell is None else bell.overlay(tone)
    assert bell is not None
    pcm: bytes = bell.set_channels(1).set_sample_width(2).raw_data
    n = CHIME_MS * sample_rate // 1000
    return pcm[: n * 2].ljust(n * 2, b"\0")


# ---- inputs ---------------------------------------------------------------------------------


def random_pcm(n_samples: int, seed: int) -> bytes:
    """Speech-like bursts at several levels, silence between, full-scale extremes included."""
    rng = np.random.default_rng(seed)
    samples = np.zeros(n_samples, dtype=np.int64)
    for start in range(0, n_samples, 3000):
        level = rng.choice([300, 5000, 20000, 40000])  # 40000: clipped to the extremes
        length = int(rng.integers(200, 2500))
        burst = rng.normal(0, level, size=min(length, n_samples - start))
        samples[start : start + len(burst)] = burst.astype(np.int64)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def cut(pcm: bytes, sizes: list[int]) -> list[bytes]:
    """``pcm`` in chunks of the given sample counts, cycled."""
    chunks, at, i = [], 0, 0
    while at < len(pcm):
        n = sizes[i % len(sizes)] * SAMPLE_WIDTH
        chunks.append(pcm[at : at + n])
        at, i = at + n, i + 1
    return chunks


def timeline_with(*speech: tuple[int, int], duration_ms: int) -> Timeline:
    events = tuple(Event(a, b, "speech", "x", "S", 0) for a, b in speech)
    return Timeline("T", duration_ms, events, (Chapter("S", 0, duration_ms, "S"),), ())


class FakeBed:
    """A bed without ffmpeg: seeded noise, the same samples for the same positions."""

    def __init__(self, background: str, rate: int, start_sample: int, n_samples: int = 120_000) -> None:
        noise = np.random.default_rng(int(background)).normal(0, 9000, n_samples)
        self._pcm = np.clip(noise, -32768, 32767).astype("<i2").tobytes()
        self._at = start_sample * SAMPLE_WIDTH

    def __enter__(self) -> FakeBed:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def read(self, n_bytes: int) -> bytes:
        data = self._pcm[self._at : self._at + n_bytes]
        self._at += n_bytes
        return data


# ---- the limiter: identical ------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    gain=st.floats(-6, 24),
    sizes=st.lists(st.integers(1, 40_000), min_size=1, max_size=4),
)
def test_limiter_is_identical_to_the_audioop_limiter(seed: int, gain: float, sizes: list[int]) -> None:
    pcm = random_pcm(60_000, seed)
    gain = round(gain, 2)  # as with_loudness_gain sets it
    old = b"".join(OldLimiter(10 ** (gain / 20), RATE).process(cut(pcm, sizes)))
    duration_ms = 60_000 * 1000 // RATE + 1
    chunks = cut(pcm, sizes)
    new = b"".join(
        apply_mix(lambda start: chunks, Mix(gain_db=gain), timeline_with(duration_ms=duration_ms), RATE)
    )
    assert new == old


# ---- the bed under the voice ----------------------------------------------------------------

SPEECH = ((400, 1_200), (1_300, 1_600), (2_600, 3_100), (4_000, 4_100))  # 2 merged
LENGTH = 110_000  # samples, 5 s


@pytest.fixture
def fake_bed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mix_module, "_Bed", FakeBed)


def mixed_both_ways(seed: int, sizes: list[int], bed_db: float, duck_db: float) -> tuple[bytes, bytes]:
    pcm = random_pcm(LENGTH, seed)
    timeline = timeline_with(*SPEECH, duration_ms=LENGTH * 1000 // RATE + 1)
    mix = Mix(background=str(seed), bed_db=bed_db, duck_db=duck_db)
    old = b"".join(old_with_bed(cut(pcm, sizes), mix, timeline, RATE, FakeBed(str(seed), RATE, 0)))
    chunks = cut(pcm, sizes)
    new = b"".join(apply_mix(lambda start: chunks, mix, timeline, RATE))
    return old, new


@pytest.mark.usefixtures("fake_bed")
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    blocks=st.lists(st.integers(1, 300), min_size=1, max_size=4),
    bed_db=st.floats(-40, 6),
    duck_db=st.floats(-30, 0),
)
def test_the_bed_on_the_10_ms_grid_is_identical_to_the_audioop_mix(
    seed: int, blocks: list[int], bed_db: float, duck_db: float
) -> None:
    old, new = mixed_both_ways(seed, [n * BLOCK for n in blocks], bed_db, duck_db)
    assert new == old


@pytest.mark.slow  # 5-15 s: chunks down to 7 samples through the old per-block loop
@pytest.mark.usefixtures("fake_bed")
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    sizes=st.lists(st.integers(7, 40_000), min_size=1, max_size=4),
    duck_db=st.floats(-30, 0),
)
def test_the_bed_off_the_grid_differs_only_in_ramps_by_one_step(
    seed: int, sizes: list[int], duck_db: float
) -> None:
    bed_db = -6.0
    old, new = mixed_both_ways(seed, sizes, bed_db, duck_db)
    old_samples = np.frombuffer(old, "<i2").astype(np.int64)
    new_samples = np.frombuffer(new, "<i2").astype(np.int64)
    voice = np.frombuffer(random_pcm(LENGTH, seed), "<i2").astype(np.int64)
    bed = np.frombuffer(FakeBed(str(seed), RATE, 0).read(len(old)), "<i2").astype(np.int64)
    differ = np.flatnonzero(old_samples != new_samples)
    # a block that starts inside a ramp reaches up to BLOCK_MS past where the ramp ends
    ramps = [(a - ATTACK_MS - BLOCK_MS, a + BLOCK_MS) for a, _ in SPEECH]
    ramps += [(b, b + RELEASE_MS + BLOCK_MS) for _, b in SPEECH]
    at_ms = differ * 1000 / RATE
    assert all(any(a <= t <= b for a, b in ramps) for t in at_ms)
    step = 10 ** (abs(duck_db) * BLOCK_MS / ATTACK_MS / 20) - 1  # one block of the ramp, as a ratio
    top = 10 ** (bed_db / 20)
    unclipped = np.abs(voice[differ] + bed[differ] * top) < 32000
    bound = np.abs(bed[differ]) * top * step + 1
    assert (np.abs(new_samples - old_samples)[differ][unclipped] <= bound[unclipped]).all()


# ---- trim_silence: identical -------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    samples=st.lists(st.integers(-32768, 32767), max_size=400),
    threshold=st.integers(0, 40_000),
    keep_ms=st.integers(0, 50),
    quiet=st.integers(0, 300),
)
def test_trim_silence_is_identical_to_the_loop(
    samples: list[int], threshold: int, keep_ms: int, quiet: int
) -> None:
    padded = [0] * quiet + samples + [random.Random(quiet).randrange(-99, 100)] * quiet
    clip = Clip(np.array(padded, dtype="<i2").tobytes(), 8000)
    assert trim_silence(clip, threshold=threshold, keep_ms=keep_ms) == old_trim_silence(
        clip, threshold=threshold, keep_ms=keep_ms
    )


def test_trim_silence_of_a_real_length_clip() -> None:
    pcm = np.zeros(RATE * 3, dtype="<i2")
    pcm[RATE // 2 : RATE * 2] = np.frombuffer(random_pcm(RATE * 3 // 2, 3), "<i2")
    clip = Clip(pcm.tobytes(), RATE)
    assert trim_silence(clip) == old_trim_silence(clip)
    assert trim_silence(Clip(bytes(1000), RATE)) == Clip(b"", RATE)


# ---- the chime: identical, without pydub -----------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 24000, 44100, 48000])
def test_chime_is_identical_to_the_pydub_chime(rate: int) -> None:
    assert chime_clip(rate).pcm == old_chime_pcm(rate)
    assert chime_clip(rate).n_samples == CHIME_MS * rate // 1000


def test_chime_and_trim_import_neither_pydub_nor_audioop() -> None:
    code = (
        "import sys, voiceguide.audio.chime as c, voiceguide.pcm.clip as k, voiceguide.audio.mix as m;"
        "c.chime_clip(22050); k.trim_silence(c.chime_clip(22050));"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('pydub', 'audioop')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
