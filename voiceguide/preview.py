"""A session's timing at once, without synthesizing: cached clips measured, the rest estimated.

``show``, ``list`` and the server's length previews tell a person how long a routine is
and when each sound comes. :func:`preview` compiles the same timeline as
:func:`voiceguide.session.prepare` (same loading, pacing, lexicon and ``--duration`` fit),
except that a text whose clip is not in the cache gets the length
:func:`voiceguide.speech.estimate.estimate_ms` estimates instead of being synthesized. The
:class:`Preview` says which texts were estimated, so a front end marks what it shows
(``≈`` in text, ``"estimated": true`` in JSON). As synthesis fills the cache, the same
call gives measured values; once every clip is cached it is exactly ``prepare``'s timeline.

A preview never writes to the cache (not even the engine record) and never starts an
engine: the engine object only names the cache keys (constructing one is cheap), except
that a voice named by the pacing is looked up in the engine's list, as ``prepare`` would
find out when synthesizing. Nothing is ever placed in ``play`` or ``export`` on a
preview: they go through ``prepare``, which measures every clip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .audio.sound import DEFAULT_SOUND, Sound
from .errors import UsageError, VoiceguideError, in_file_order
from .formatting import format_seconds
from .routine.lexicon import lexicon_for
from .session import Session, load_at_pacing, voice_for
from .speech.cache import ClipCache, key_for
from .speech.engine import SpeechEngine, VoiceSpec, find_voice
from .speech.engines import unknown_voice
from .speech.estimate import estimate_ms
from .timing.fit import fit_duration, texts_for_fitting
from .timing.pacing import Layer, place_voice_error
from .timing.timeline import SPEECH, compile, utterances


@dataclass(frozen=True)
class SpeechLengths:
    """Clip lengths in ms by text as shown; ``estimated``: the texts whose clip is not
    cached, whose length is an estimate."""

    ms: Mapping[str, int]
    estimated: frozenset[str]


def speech_lengths(
    texts: Iterable[str],
    respell: Callable[[str], str],
    engine: SpeechEngine,
    voice: VoiceSpec,
    cache: ClipCache,
) -> SpeechLengths:
    """The length of each text's clip (the clip of its respelling, as ``prepare`` keys
    it): measured where the cache holds it, else estimated from the respelling."""
    lengths: dict[str, int] = {}
    estimated: set[str] = set()
    for text in dict.fromkeys(texts):
        said = respell(text)
        clip = cache.get(key_for(engine, said, voice))
        if clip is not None:
            lengths[text] = clip.duration_ms
        else:
            lengths[text] = estimate_ms(said, engine.engine_id, voice)
            estimated.add(text)
    return SpeechLengths(MappingProxyType(lengths), frozenset(estimated))


@dataclass(frozen=True)
class Preview:
    """A :class:`~voiceguide.session.Session` compiled on :class:`SpeechLengths`:
    ``estimated`` holds the texts (as shown) whose length is an estimate."""

    session: Session
    estimated: frozenset[str]
    #: times up to this one (ms) are exact: the start of the first speech event whose length
    #: is estimated (everything after it may move); 0 when ``--duration`` was fitted on an
    #: estimate (every hold may move); None when nothing is estimated
    exact_until_ms: int | None

    @property
    def is_estimate(self) -> bool:
        """Whether the total, and every time after :attr:`exact_until_ms`, is an estimate."""
        return bool(self.estimated)


def preview(
    routine_path: Path,
    cache: ClipCache,
    *,
    layers: Sequence[Layer] = (),
    sound: Sound = DEFAULT_SOUND,
    engine_factory: Callable[[], SpeechEngine] | None = None,
) -> Preview:
    """``routine_path`` at the pacing ``layers`` ask for, as :func:`voiceguide.session.prepare`
    would compile it, on cached lengths where there are clips and estimates elsewhere.
    Raises what ``prepare`` raises for the routine, the pacing, an engine that is not
    installed (and unknown to the cache) and a voice the engine does not have."""
    loaded = load_at_pacing(routine_path, cache, layers, engine_factory)
    routine, load_warnings = loaded.routine, loaded.warnings
    effective, sources = loaded.pacing, loaded.sources
    voice = voice_for(effective, sound)
    engine = loaded.engine_factory()
    try:
        if effective.voice is not None:
            try:
                _check_voice(engine, effective.voice)
            except UsageError as exc:
                raise place_voice_error(exc, routine, sources["voice"]) from None
        fitting = effective.duration_ms is not None
        texts = texts_for_fitting(routine, effective) if fitting else utterances(routine, effective)
        lengths = speech_lengths(texts, lexicon_for(routine).respell, engine, voice, cache)
    finally:
        engine.close()
    if effective.duration_ms is not None:
        label = f"fitted to {format_seconds(effective.duration_ms)} ({sources['duration_ms']})"
        effective = fit_duration(routine, effective, lengths.ms)
        sources.update(dict.fromkeys(("hold_scale", "rest_scale", "cycle_scale"), label))
    timeline = compile(routine, effective, lengths.ms)
    session = Session(
        routine=routine,
        pacing=effective,
        timeline=timeline,
        warnings=in_file_order(load_warnings + timeline.warnings),
        voice=voice,
        sample_rate=engine.sample_rate,
        engine_id=engine.engine_id,
        pacing_sources=MappingProxyType(sources),
        sound=sound,
    )
    used = {e.text for e in timeline.events if e.kind == SPEECH}
    estimated = lengths.estimated & used
    exact_until_ms = next(
        (e.start_ms for e in timeline.events if e.kind == SPEECH and e.text in estimated), None
    )
    if lengths.estimated and fitting:
        exact_until_ms = 0  # the scales were fitted on estimates
    return Preview(session, estimated, exact_until_ms)


def _check_voice(engine: SpeechEngine, name: str) -> None:
    """Raise :class:`UsageError` (as synthesis would) when ``engine`` has no voice ``name``;
    nothing when it cannot say (an engine known only to the cache)."""
    try:
        offered = engine.voices()
    except VoiceguideError:
        return
    if find_voice(offered, name) is None:
        raise unknown_voice(engine.engine_id, offered, name)
