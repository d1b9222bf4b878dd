"""The session's own sound taken out of the microphone's: an acoustic echo canceller over
the signal the player played (the *reference*), so a command said over the guide's speech
is left to be heard.

- **Delay** (:class:`DelayFinder`): the microphone hears what was played some time later
  (the device's buffer, the air, the capture buffer): found by cross-correlation (GCC-PHAT,
  the phase transform keeps speech's strong low notes from smearing the peak) over the last
  :data:`SEARCH_MS` of both signals, whenever the reference had sound in them; a new delay
  is taken only when the same one is found twice in a row.
- **The room** (:class:`EchoCanceller`): a partitioned block frequency-domain NLMS filter
  (MDF: :data:`PARTITIONS` blocks of :data:`BLOCK` samples, :data:`FILTER_MS` of the room's
  answer after the delay) predicts the echo from the delayed reference, and the residual is
  the microphone less the prediction. Two copies of the filter (Ochiai's two-path): a
  *background* one adapts on every block, and the *foreground* one that makes the output is
  replaced by it only when it cancels better; so while someone speaks over the guide (where
  the background is misled), the output keeps the filter learned before.
- :attr:`EchoCanceller.erle_db`: how much of the echo is taken out (microphone over residual,
  the median over the last :data:`ERLE_BLOCKS` blocks where the reference sounds and the
  microphone is :data:`ERLE_OVER_ROOM_DB` over the room's own sound, so neither a word said
  over the guide nor the guide's quiet moments lower it): the listener trusts the residual only above
  :data:`TRUSTED_ERLE_DB`.

Everything is mono float samples at the capture rate (16 kHz, int16 scale). Pure numpy; no
clock: the caller aligns the reference to the microphone's samples (see
:class:`voiceguide.play.listen.PlayedSound`).
"""

from __future__ import annotations

import math
import threading
from collections import deque

import numpy as np

from .microphone import CAPTURE_RATE

BLOCK = 256  # samples (16 ms at 16 kHz)
PARTITIONS = 16
FILTER_MS = BLOCK * PARTITIONS * 1000 // CAPTURE_RATE  # 256 ms of the room after the delay
MAX_DELAY_MS = 1000  # the longest delay from playing to hearing that is looked for
SEARCH_MS = 3000  # the window the delay is found in
SEARCH_EVERY_MS = 500
#: every this many blocks of double talk in a row (0.4 s) the delay is looked for at once ...
HURRY_BLOCKS = 25
#: ... in this much of the latest sound (ms: once the path moved this long ago, most of it),
#: and taken when this far (samples, 1 ms) from the delay (a stream join moved it by 5-20 ms)
HURRY_MS = 1000
HURRY_MOVED_SAMPLES = 16
#: samples the delay found must move for the reference to be read at it (less: the filter's
#: own taps follow; a delay found alternates by a sample)
MOVED_SAMPLES = 2
#: samples of the filter kept before the delay found (a peak found a little late; an echo that
#: comes earlier as the clocks drift apart: 3/4 of this is followed before the filter starts again)
PRE_SAMPLES = BLOCK
MU = 1.0  # the NLMS step (0.4 followed clocks 20 ppm apart at 9 dB, 1.0 at 15 dB)
#: dB the background filter must cancel better (over the last blocks) to become the output
SWITCH_DB = 1.0
TRUSTED_ERLE_DB = 10.0
#: dB: the echo left is taken to be the prediction less at most this (the ERLE is a median
#: over blocks; between a voice's syllables, and in a room's late ringing, less is taken out)
LEFT_ERLE_DB = 12.0
FREEZE_ERLE_DB = 6.0  # from this much taken out, double talk stops the filters learning ...
DOUBLE_TALK_DB = 9.0  # ... when the residual is this far over the echo they should have left
ERLE_BLOCKS = 300  # the ERLE is the median over this many blocks where the reference sounds (≈ 5 s)
ERLE_OVER_ROOM_DB = 10.0  # ... and the microphone is this far over the room (where it is silent)
#: the band-limited interpolation's taps (PlayedSound.play_at)
TAPS = 16
_SILENT = 1.0  # int16 units: a reference block quieter than this (RMS) has no sound


class DelayFinder:
    """The delay (samples) of the reference in the microphone, by GCC-PHAT over the last
    :data:`SEARCH_MS`; ``None`` until found."""

    def __init__(self, rate: int = CAPTURE_RATE) -> None:
        self.rate = rate
        self.delay: int | None = None
        self._max = MAX_DELAY_MS * rate // 1000
        self._window = SEARCH_MS * rate // 1000
        self._every = SEARCH_EVERY_MS * rate // 1000
        self._mic: deque[np.ndarray] = deque()
        self._ref: deque[np.ndarray] = deque()
        self._held = 0  # samples held in the deques
        self._since = 0  # samples since the last search
        self._candidate: int | None = None

    def feed(self, mic: np.ndarray, ref: np.ndarray) -> int | None:
        """Take in aligned samples; the delay, once found (it may change)."""
        self._mic.append(mic)
        self._ref.append(ref)
        self._held += len(mic)
        self._since += len(mic)
        keep = self._window + self._max
        while self._held - len(self._mic[0]) >= keep:
            self._held -= len(self._mic.popleft())
            self._ref.popleft()
        if self._since >= self._every and self._held >= keep:
            self._since = 0
            found = self._search(np.concatenate(self._mic), np.concatenate(self._ref))
            if found is not None and self._candidate is not None and abs(found - self._candidate) <= 2:
                self.delay = found
            self._candidate = found
        return self.delay

    def hurry(self) -> int | None:
        """Search now, in the last :data:`HURRY_MS` only, and take what is found at once if it
        is :data:`HURRY_MOVED_SAMPLES` or more from the delay (the path moved: the
        canceller's residual stood over the echo for many blocks; a command said over the
        guide does that too, and its window finds the same path within a few samples)."""
        window = HURRY_MS * self.rate // 1000
        if self._held < window + self._max:
            return self.delay
        found = self._search(np.concatenate(self._mic), np.concatenate(self._ref), window)
        if found is not None and (self.delay is None or abs(found - self.delay) >= HURRY_MOVED_SAMPLES):
            self.delay = self._candidate = found
            self._since = 0
        return self.delay

    def _search(self, mic: np.ndarray, ref: np.ndarray, window: int | None = None) -> int | None:
        """The lag in ``[0, max]`` where the reference best explains the microphone's last
        ``window`` samples (:data:`SEARCH_MS`), or None when the reference was too quiet or no
        lag stands out."""
        window = window or self._window
        recent = ref[-window - self._max :]
        if float(np.sqrt(np.mean(recent**2))) < 30 * _SILENT:
            return None
        n = 1 << int(np.ceil(np.log2(len(mic) + len(ref))))
        m = np.fft.rfft(mic[-window:], n)
        r = np.fft.rfft(recent, n)
        cross = m * np.conj(r)
        cross /= np.abs(cross) + 1e-9
        correlation = np.fft.irfft(cross, n)
        # correlation[k] = Σ mic[i + k]·ref[i]; the microphone window starts max samples after
        # the reference's, so a delay D is at k = D - max: D = 0..max is k = -max..0
        lags = np.abs(np.concatenate([correlation[-self._max :], correlation[:1]]))
        best = int(np.argmax(lags))
        if float(lags[best]) < 8 * (float(np.median(lags)) + 1e-12):
            return None
        return best


class EchoCanceller:
    """Feed :meth:`process` the microphone and the reference, aligned sample for sample
    (what was played at the moment each microphone sample was captured, by the clock);
    it returns the residual: the microphone less the echo it predicts, :data:`BLOCK`
    samples at a time (so up to one block later than its input; the residual's samples
    are the input's, in order, none dropped)."""

    def __init__(self) -> None:
        self.delays = DelayFinder()
        self.delay: int | None = None  # samples the reference is read back: the delay found less PRE_SAMPLES
        self._found: int | None = None  # the delay found that self.delay follows
        self._talk = 0  # blocks of double talk in a row
        self._mic_in = np.zeros(0)
        self._ref_in = np.zeros(0)
        # the reference history, for the delay line and the partitions
        self._history = np.zeros(CAPTURE_RATE * MAX_DELAY_MS // 1000 + PARTITIONS * BLOCK + 2 * BLOCK)
        self._reset()

    def _reset(self) -> None:
        bins = BLOCK + 1
        self._spectra = np.zeros((PARTITIONS, bins), dtype=complex)
        self._background = np.zeros((PARTITIONS, bins), dtype=complex)
        self._foreground = np.zeros((PARTITIONS, bins), dtype=complex)
        self._power = np.full(bins, 1.0)
        self._energy_b = 1.0  # smoothed residual energies of the two filters
        self._energy_f = 1.0
        self._kept: np.ndarray | None = None  # the foreground last switched to from FREEZE_ERLE_DB
        self._erle: deque[float] = deque(maxlen=ERLE_BLOCKS)  # dB, blocks where the reference sounds
        self._room: deque[float] = deque(maxlen=ERLE_BLOCKS)  # microphone energy where it does not

    @property
    def erle_db(self) -> float:
        """dB of the echo taken out lately (0 before any)."""
        return float(np.median(self._erle)) if self._erle else 0.0

    @property
    def trusted(self) -> bool:
        """Whether the residual may be listened to over the guide's sound: a delay found and
        at least :data:`TRUSTED_ERLE_DB` of the echo taken out."""
        return self.delay is not None and self.erle_db >= TRUSTED_ERLE_DB

    def process(self, mic: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The residual of the blocks completed by these samples (see the class), and the
        echo left in it, as far as the canceller can tell: its prediction of the echo, scaled
        down by :attr:`erle_db` but by no more than :data:`LEFT_ERLE_DB` (sound this loud
        in the residual may be the guide's)."""
        self._mic_in = np.concatenate([self._mic_in, mic])
        self._ref_in = np.concatenate([self._ref_in, ref])
        residual, echo = [], []
        while len(self._mic_in) >= BLOCK:
            d, self._mic_in = self._mic_in[:BLOCK], self._mic_in[BLOCK:]
            x, self._ref_in = self._ref_in[:BLOCK], self._ref_in[BLOCK:]
            e, y = self._block(d, x)
            residual.append(e)
            echo.append(y * 10 ** (-min(self.erle_db, LEFT_ERLE_DB) / 20))
        if not residual:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(residual), np.concatenate(echo)

    def _block(self, d: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One block: the residual and the echo predicted."""
        self._history = np.concatenate([self._history[BLOCK:], x])
        self._follow(self.delays.feed(d, x))
        if self.delay is None:
            return d, np.zeros(BLOCK)
        end = len(self._history) - self.delay
        aligned = self._history[end - 2 * BLOCK : end]  # the delayed reference: last two blocks
        spectrum = np.fft.rfft(aligned)
        self._spectra = np.roll(self._spectra, 1, axis=0)
        self._spectra[0] = spectrum
        e_b = d - np.fft.irfft(np.sum(self._background * self._spectra, axis=0))[BLOCK:]
        y_f = np.fft.irfft(np.sum(self._foreground * self._spectra, axis=0))[BLOCK:]
        e_f = d - y_f
        sounding = float(np.sqrt(np.mean(aligned[BLOCK:] ** 2))) > _SILENT
        energy = float(np.sum(d**2))
        if sounding and self._someone_speaks(float(np.sum(e_f**2)), float(np.sum(y_f**2))):
            self._erle.append(0.0)  # (a block of its own: the median is not moved much)
            self._talk += 1
            if self._talk % HURRY_BLOCKS == 0:  # so long: more likely the path moved (a new stream)
                self._follow(self.delays.hurry())
            return e_f, y_f
        self._talk = 0
        if sounding:
            self._adapt(spectrum, e_b)
            self._choose(float(np.sum(e_b**2)), float(np.sum(e_f**2)), energy)
        else:
            self._room.append(energy)
        return e_f, y_f

    def _someone_speaks(self, residual: float, echo: float) -> bool:
        """Double talk: once the filter cancels (:data:`FREEZE_ERLE_DB`), a residual
        :data:`DOUBLE_TALK_DB` over the echo it should have left is someone speaking over the
        guide; the filters then learn nothing (they would learn the voice) until it ends."""
        erle = self.erle_db
        return erle >= FREEZE_ERLE_DB and residual > echo * 10 ** ((DOUBLE_TALK_DB - erle) / 10)

    def _follow(self, found: int | None) -> None:
        """Follow the delay found: the first one starts the filter; when it moves later by at
        least :data:`MOVED_SAMPLES` (the reference and the microphone timed afresh: a new
        stream, a device's clock that drifts), the whole path moved, so the reference is read
        that much further back and the filter is kept (it learned the room, which did not
        move). Only a delay out of the history's reach starts the filter again."""
        if found is None:
            return
        if self.delay is None or self._found is None:
            self.delay, self._found = max(0, found - PRE_SAMPLES), found
            self._reset()
            return
        moved = found - self._found
        if abs(moved) < MOVED_SAMPLES:
            return
        self._found = found
        if self.delay + moved < 0:
            self.delay = max(0, found - PRE_SAMPLES)
            self._reset()
            return
        self.delay += moved
        if self._kept is not None:  # the room as last learned cancelling (what came since
            self._foreground = self._kept.copy()  # was learned on the path before it moved)
            self._background = self._kept.copy()
            self._energy_b = self._energy_f = 1.0
        self._erle.clear()  # (it measured the path before it moved)
        # the reference's partitions read at the new delay, as of the last block (this one's
        # is put in front of them next)
        end = len(self._history) - self.delay - BLOCK
        for k in range(PARTITIONS):
            self._spectra[k] = np.fft.rfft(self._history[end - k * BLOCK - 2 * BLOCK : end - k * BLOCK])

    def _adapt(self, spectrum: np.ndarray, error: np.ndarray) -> None:
        """One NLMS step of the background filter, gradient constrained to BLOCK taps."""
        self._power = 0.9 * self._power + 0.1 * np.abs(spectrum) ** 2
        step = MU / (PARTITIONS * self._power + 1e3)
        error_spectrum = np.fft.rfft(np.concatenate([np.zeros(BLOCK), error]))
        gradient = np.fft.irfft(np.conj(self._spectra) * (step * error_spectrum), axis=1)
        gradient[:, BLOCK:] = 0
        self._background += np.fft.rfft(gradient, axis=1)

    def _choose(self, energy_b: float, energy_f: float, energy_mic: float) -> None:
        """Two-path: the background becomes the output when it cancelled better over the last
        blocks; it starts again from the output when it went far astray (someone spoke)."""
        a = 0.8
        self._energy_b = a * self._energy_b + (1 - a) * energy_b
        self._energy_f = a * self._energy_f + (1 - a) * energy_f
        if self._energy_b * 10 ** (SWITCH_DB / 10) < self._energy_f:
            self._foreground = self._background.copy()
            self._energy_f = self._energy_b
            energy_f = energy_b
            if self.delay is not None and self.erle_db >= FREEZE_ERLE_DB:
                self._kept = self._foreground.copy()
        elif self._energy_b > 8 * self._energy_f:
            self._background = self._foreground.copy()
            self._energy_b = self._energy_f
        room = float(np.median(self._room)) if self._room else 0.0
        if energy_mic > 10 ** (ERLE_OVER_ROOM_DB / 10) * room:  # the echo well over the room's sound
            self._erle.append(float(10 * np.log10((energy_mic + 1e-9) / (energy_f + 1e-9))))


class PlayedSound:
    """What the session plays, on the monotonic clock, at the capture rate (int16 scale): the
    play loop writes what plays from a moment on (:meth:`play`, again at every tick and after
    every jump: what follows is rewritten), the listening thread reads it back for the
    moments its microphone samples were captured (:meth:`take`). Thread-safe; keeps the last
    :data:`KEEP_S`."""

    KEEP_S = 3.0

    def __init__(self, rate: int = CAPTURE_RATE) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._origin: float | None = None  # the clock time of sample 0
        self._first = 0  # sample index of _samples[0]
        self._samples = np.zeros(0)

    def _index(self, at: float) -> int:
        assert self._origin is not None
        return round((at - self._origin) * self.rate)

    def play(self, now: float, samples: np.ndarray) -> None:
        """From ``now`` on, ``samples`` (at :attr:`rate`) play (then silence, unless told
        again)."""
        with self._lock:
            if self._origin is None:
                self._origin, self._first = now, 0
            self._write(self._index(now), samples)

    def play_at(self, first: float, pcm: np.ndarray, rate: int) -> None:
        """``pcm`` at ``rate`` Hz plays from the clock time ``first`` on (then silence): each
        sample of the capture rate's grid from the first with :data:`TAPS` of context is
        taken, band-limited, at its exact time in ``pcm``, so what successive calls write
        over each other is the same signal (no seam where a tick's sound meets the last)."""
        with self._lock:
            if self._origin is None:
                self._origin, self._first = first, 0
            half = TAPS // 2
            start = math.ceil((first + half / rate - self._origin) * self.rate)
            end = math.floor((first + (len(pcm) - half) / rate - self._origin) * self.rate)
            if end <= start:
                self._write(max(start, self._index(first)), np.zeros(0))
                return
            times = self._origin + np.arange(start, end) / self.rate
            self._write(start, band_limited(pcm, (times - first) * rate, min(1.0, self.rate / rate)))

    def _write(self, index: int, samples: np.ndarray) -> None:
        start = index - self._first
        kept = self._samples[: max(0, start)]
        gap = np.zeros(max(0, start - len(kept)))
        self._samples = np.concatenate([kept, gap, samples])
        old = len(self._samples) - int(self.KEEP_S * self.rate) - len(samples)
        if old > 0:
            self._samples = self._samples[old:]
            self._first += old

    def take(self, at: float, n: int) -> np.ndarray:
        """The ``n`` samples that played from ``at`` on (silence where nothing is known)."""
        out = np.zeros(n)
        with self._lock:
            if self._origin is None:
                return out
            start = self._index(at) - self._first
            lo, hi = max(0, start), min(len(self._samples), start + n)
            if hi > lo:
                out[lo - start : hi - start] = self._samples[lo:hi]
        return out


def band_limited(pcm: np.ndarray, positions: np.ndarray, ratio: float) -> np.ndarray:
    """``pcm``'s values at fractional ``positions`` (each at least TAPS/2 from either end),
    low-passed below ``ratio`` of its Nyquist frequency (a Hann-windowed sinc of
    :data:`TAPS` taps): resampling to a rate ``ratio`` times its own without aliasing."""
    base = np.floor(positions).astype(np.int64)
    offsets = np.arange(1 - TAPS // 2, TAPS // 2 + 1)
    distance = (positions - base)[:, None] - offsets[None, :]
    cutoff = 0.92 * ratio
    window = 0.5 + 0.5 * np.cos(np.pi * distance / (TAPS // 2))
    weights = cutoff * np.sinc(cutoff * distance) * window
    weights /= weights.sum(axis=1, keepdims=True)
    out: np.ndarray = np.sum(pcm[base[:, None] + offsets[None, :]] * weights, axis=1)
    return out
