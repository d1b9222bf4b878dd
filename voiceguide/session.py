"""Prepare a session: load → pacing → synthesize what is missing → compile.

This is the one path that ``show``, ``render``, ``export`` and ``play`` share, so
they all hear exactly the same timing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from .audio.render import render_pcm, total_samples
from .audio.sound import DEFAULT_SOUND, Sound
from .errors import Diagnostic, EngineUnavailable, UsageError, VoiceguideError
from .formatting import format_seconds
from .pcm.clip import Clip, ms_to_samples
from .routine.lexicon import lexicon_for
from .routine.loader import load_routine
from .routine.model import Routine
from .speech.cache import ClipCache
from .speech.engine import SpeechEngine, VoiceSpec, find_voice
from .speech.engines import available_engine, default_engine_name
from .speech.offline import OfflineEngine, OfflineFactory
from .speech.synth import load_clip, synthesize_all
from .timing.fit import fit_duration, texts_for_fitting
from .timing.pacing import Layer, Pacing, place_voice_error, resolve_pacing
from .timing.timeline import CHIME, Event, Timeline, compile, utterances

Progress = Callable[[int, int], None]


class ClipSource:
    """Clips for timeline events: speech from the cache (re-made if missing), the chime
    generated. Keeps a small LRU of recent clips, since texts such as countdown numbers
    recur.

    ``lengths`` (ms, by text) are the lengths the timeline was compiled from. The cache
    keeps the first entry written for a text, so a clip read here is normally exactly that
    long; if its entry vanished meanwhile (``cache clear`` in another process) and was
    made again a few samples longer, it is cut to its place, so it never overlaps the
    next sound.

    ``respell`` turns a shown text into the one the engine speaks (the routine's
    pronunciation lexicon); the clip of a shown text is that of its respelling."""

    def __init__(self, engine_factory: Callable[[], SpeechEngine], engine: SpeechEngine,
                 cache: ClipCache, voice: VoiceSpec, lengths: Mapping[str, int] | None = None,
                 size: int = 64, respell: Callable[[str], str] = str, sound: Sound = DEFAULT_SOUND):
        self.engine_factory = engine_factory  # for synthesizing more texts (the lead-in)
        self.engine = engine
        self.cache = cache
        self.voice = voice
        self.lengths = dict(lengths or {})
        self._recent: OrderedDict[str, Clip] = OrderedDict()
        self._size = size
        self.sound = sound  # levels and bell: the same for play and export
        self.respell = respell

    def __call__(self, event: Event) -> Clip:
        if event.kind == CHIME:
            return self.sound.chime(self.engine.sample_rate)
        clip = self._recent.get(event.text)
        if clip is None:
            clip = load_clip(self.cache, self.engine, self.respell(event.text), self.voice)
            expected = self.lengths.get(event.text)
            if expected is not None and clip.duration_ms > expected:
                clip = clip.cut(ms_to_samples(expected, clip.sample_rate))
            clip = self.sound.voice_clip(clip)
            self._recent[event.text] = clip
            if len(self._recent) > self._size:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(event.text)
        return clip


@dataclass(frozen=True)
class Session:
    """Everything needed to play or export a routine."""

    routine: Routine
    pacing: Pacing
    timeline: Timeline
    warnings: tuple[Diagnostic, ...]
    voice: VoiceSpec
    sample_rate: int
    engine_id: str
    pacing_sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sound: Sound = DEFAULT_SOUND

    @property
    def n_samples(self) -> int:
        return total_samples(self.timeline, self.sample_rate)


def voice_for(pacing: Pacing, sound: Sound = DEFAULT_SOUND) -> VoiceSpec:
    return VoiceSpec(name=pacing.voice, rate_wpm=pacing.rate_wpm, loudness_lufs=sound.loudness_lufs)


def prepare(
    routine_path: Path,
    engine_factory: Callable[[], SpeechEngine] | None,
    cache: ClipCache,
    *,
    layers: Sequence[Layer] = (),
    progress: Progress | None = None,
    sound: Sound = DEFAULT_SOUND,
) -> tuple[Session, ClipSource]:
    """Load and compile ``routine_path`` at the pacing ``layers`` ask for (highest first,
    above the routine's own; see :func:`voiceguide.timing.pacing.resolve_pacing`), synthesizing
    every missing utterance into ``cache`` and fitting ``--duration`` on measured speech.

    ``engine_factory`` None: the engine the pacing names (checked to be installed).
    ``sound``: the loudness clips are levelled to as they enter the cache (part of their
    key), the voice and chime levels and the bell."""
    routine, load_warnings = load_routine(routine_path)
    resolved = resolve_pacing(routine, layers)
    effective, sources = resolved.pacing, dict(resolved.sources)
    if effective.engine is None:
        name, sources["engine"] = default_engine_name()
        effective = replace(effective, engine=name)
    if engine_factory is None:
        engine_factory = _engine_or_cached_identity(effective.engine, cache)
    voice = voice_for(effective, sound)
    engine = engine_factory()
    if not isinstance(engine, OfflineEngine):
        cache.remember_engine(engine)
    fitting = effective.duration_ms is not None
    texts = texts_for_fitting(routine, effective) if fitting else utterances(routine, effective)
    respell = lexicon_for(routine).respell
    try:
        lengths = synthesize_shown(texts, respell, engine_factory, voice, cache, progress=progress)
    except UsageError as exc:  # e.g. an unknown voice: say where it was chosen
        if effective.voice is None or _has_voice(engine, effective.voice):
            raise
        raise place_voice_error(exc, routine, sources["voice"]) from None
    if effective.duration_ms is not None:
        label = f"fitted to {format_seconds(effective.duration_ms)} ({sources['duration_ms']})"
        effective = fit_duration(routine, effective, lengths)
        sources.update(dict.fromkeys(("hold_scale", "rest_scale", "cycle_scale"), label))
    timeline = compile(routine, effective, lengths)
    session = Session(
        routine=routine,
        pacing=effective,
        timeline=timeline,
        warnings=load_warnings + timeline.warnings,
        voice=voice,
        sample_rate=engine.sample_rate,
        engine_id=engine.engine_id,
        pacing_sources=MappingProxyType(sources),
        sound=sound,
    )
    return session, ClipSource(engine_factory, engine, cache, voice, lengths, respell=respell,
                                 sound=sound)


def synthesize_shown(
    texts: Iterable[str],
    respell: Callable[[str], str],
    engine_factory: Callable[[], SpeechEngine],
    voice: VoiceSpec,
    cache: ClipCache,
    *,
    progress: Progress | None = None,
    engine: SpeechEngine | None = None,
) -> dict[str, int]:
    """:func:`~voiceguide.speech.synth.synthesize_all` of each text's respelling (what the
    engine says and the cache is keyed by); the lengths in ms by the text as shown."""
    spoken = {text: respell(text) for text in texts}
    lengths = synthesize_all(spoken.values(), engine_factory, voice, cache, progress=progress,
                             engine=engine)
    return {text: lengths[said] for text, said in spoken.items()}


def _engine_or_cached_identity(name: str | None, cache: ClipCache) -> Callable[[], SpeechEngine]:
    """The engine ``name`` when it is installed; else, if the cache knows that engine, a
    stand-in that finds its cached clips (and says what to install for anything else)."""
    try:
        return available_engine(name)
    except EngineUnavailable as missing:
        identity = cache.recorded_engine(name) if name else None
        if identity is None:
            raise
        return OfflineFactory(identity, missing.message)


def _has_voice(engine: SpeechEngine, name: str) -> bool:
    """Whether ``engine`` offers a voice with this name or id (any case); True when it
    cannot say, so that its own error stands."""
    try:
        offered = engine.voices()
    except VoiceguideError:
        return True
    return find_voice(offered, name) is not None


def render(session: Session, clips: ClipSource, start_sample: int = 0) -> Iterator[bytes]:
    """The session's PCM stream from ``start_sample``, before any mix (see
    :func:`voiceguide.audio.render.render_pcm` and :func:`voiceguide.export.outputs.final_pcm`)."""
    return render_pcm(session.timeline, clips, session.sample_rate, start_sample=start_sample)


LEAD_IN_TEXT = "Starting in"


def lead_in_clip(seconds: int, session: Session, clips: ClipSource) -> Clip:
    """ "Starting in 3, 2, 1": a one-step routine compiled like any other, cut where the
    session begins (one second after "1" starts)."""
    from .errors import Position
    from .routine.model import Step

    where = Position("<lead-in>", 1, 1)
    routine = Routine(title="lead-in", path="<lead-in>", where=where,
                      steps=(Step(name="Lead-in", where=where, say=LEAD_IN_TEXT,
                                  hold_ms=seconds * 1000, countdown=seconds, rest_ms=0),))
    # only the voice carries over: the session's scales and countdown must not stretch it
    pacing = Pacing(rate_wpm=session.pacing.rate_wpm, voice=session.pacing.voice)
    lengths = synthesize_shown(utterances(routine, pacing), clips.respell, clips.engine_factory,
                               session.voice, clips.cache, engine=clips.engine)
    timeline = compile(routine, pacing, lengths)
    hold_end = next(p.end_ms for p in timeline.phases if p.kind == "hold")
    pcm = b"".join(render_pcm(timeline, clips, session.sample_rate))
    return Clip(pcm[: 2 * ms_to_samples(hold_end, session.sample_rate)], session.sample_rate)
