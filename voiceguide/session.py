"""Prepare a session: load → pacing → synthesize what is missing → compile.

This is the one path that ``show``, ``render``, ``export`` and ``play`` share, so
they all hear exactly the same timing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from .audio.mix import Mix, look_ahead_ms, mixed_range
from .audio.render import render_pcm, total_samples
from .audio.sound import DEFAULT_SOUND, Sound
from .errors import CacheError, Diagnostic, EngineUnavailable, UsageError, VoiceguideError, in_file_order
from .formatting import format_seconds
from .inputs import display_name
from .pcm.clip import Clip, ms_to_samples
from .routine.lexicon import lexicon_for
from .routine.loader import load_routine, parse_routine
from .routine.model import Routine
from .speech.cache import ClipCache, key_for
from .speech.engine import SpeechEngine, VoiceSpec, find_voice
from .speech.engines import available_engine, default_engine_name
from .speech.estimate import estimate_ms
from .speech.offline import OfflineEngine, OfflineFactory
from .speech.scheduler import Need, Request, scheduler
from .speech.synth import load_clip
from .timing.fit import fit_duration, texts_for_fitting
from .timing.pacing import Layer, Pacing, place_voice_error, resolve_pacing
from .timing.timeline import CHIME, SPEECH, Event, Timeline, compile, utterances

Progress = Callable[[int, int], None]


#: Samples of recent clips a :class:`ClipSource` keeps (1 MB of 16-bit PCM: 24 s at 22,050 Hz).
RECENT_SAMPLES = 1 << 19


class ClipSource:
    """Clips for timeline events: speech from the cache (re-made if missing), the chime
    generated. Keeps the most recent clips up to ``recent_samples`` samples in all (the
    newest always), since texts such as countdown numbers and cues recur; bounded by
    samples, not clips, so a long session's memory does not depend on how long its
    sentences are (64 clips of a few seconds each held 10 MB; ``benchmarks/bench_memory.py``).

    ``lengths`` (ms, by text) are the lengths the timeline was compiled from. The cache
    keeps the first entry written for a text, so a clip read here is normally exactly that
    long; if its entry vanished meanwhile (``cache clear`` in another process) and was
    made again a few samples longer, it is cut to its place, so it never overlaps the
    next sound.

    ``respell`` turns a shown text into the one the engine speaks (the routine's
    pronunciation lexicon); the clip of a shown text is that of its respelling."""

    def __init__(
        self,
        engine_factory: Callable[[], SpeechEngine],
        engine: SpeechEngine,
        cache: ClipCache,
        voice: VoiceSpec,
        lengths: Mapping[str, int] | None = None,
        recent_samples: int = RECENT_SAMPLES,
        respell: Callable[[str], str] = str,
        sound: Sound = DEFAULT_SOUND,
    ):
        self.engine_factory = engine_factory  # for synthesizing more texts (the lead-in)
        self.engine = engine
        self.cache = cache
        self.voice = voice
        self.lengths = dict(lengths or {})
        self._recent: OrderedDict[str, Clip] = OrderedDict()
        self._recent_samples = recent_samples
        self.sound = sound  # levels and bell: the same for play and export
        self.respell = respell

    def _held(self) -> int:
        """Samples in the recent clips."""
        return sum(clip.n_samples for clip in self._recent.values())

    def _load(self, text: str) -> Clip:
        """The cached clip of ``text``; if its entry is gone (``cache clear`` elsewhere), made
        again first, ahead of everything else the scheduler has queued."""
        clip = self.cache.get(key_for(self.engine, text, self.voice))
        if clip is not None:
            return clip
        with scheduler().request(
            [text], self.engine_factory, self.voice, self.cache, Need.PLAYHEAD
        ) as request:
            request.wait_for(text)
        return load_clip(self.cache, self.engine, text, self.voice)  # (cleared again: made here)

    def __call__(self, event: Event) -> Clip:
        if event.kind == CHIME:
            return self.sound.chime(self.engine.sample_rate)
        clip = self._recent.get(event.text)
        if clip is None:
            clip = self._load(self.respell(event.text))
            expected = self.lengths.get(event.text)
            if expected is not None and clip.duration_ms > expected:
                clip = clip.cut(ms_to_samples(expected, clip.sample_rate))
            clip = self.sound.voice_clip(clip)
            self._recent[event.text] = clip
            while len(self._recent) > 1 and self._held() > self._recent_samples:
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
    warnings: tuple[Diagnostic, ...]  # the loader's and the timeline's, in file order
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


@dataclass(frozen=True)
class Plan:
    """A routine at a pacing, before any speech is measured: what to say, with which
    engine and voice, into which cache. :func:`prepare` and :func:`stream` start here."""

    routine: Routine
    pacing: Pacing
    sources: Mapping[str, str]  # pacing setting → where its value came from
    load_warnings: tuple[Diagnostic, ...]
    voice: VoiceSpec
    engine_factory: Callable[[], SpeechEngine]
    engine: SpeechEngine
    cache: ClipCache
    respell: Callable[[str], str]
    sound: Sound

    @property
    def texts(self) -> list[str]:
        """The texts whose lengths compiling needs, in the order they are first heard
        (for ``--duration``: at every pacing the fitting may try)."""
        if self.pacing.duration_ms is not None:
            return texts_for_fitting(self.routine, self.pacing)
        return utterances(self.routine, self.pacing)

    def clips(self, lengths: Mapping[str, int] | None = None) -> ClipSource:
        return ClipSource(
            self.engine_factory,
            self.engine,
            self.cache,
            self.voice,
            lengths,
            respell=self.respell,
            sound=self.sound,
        )

    def session(self, pacing: Pacing, sources: Mapping[str, str], timeline: Timeline) -> Session:
        return Session(
            routine=self.routine,
            pacing=pacing,
            timeline=timeline,
            warnings=in_file_order(self.load_warnings + timeline.warnings),
            voice=self.voice,
            sample_rate=self.engine.sample_rate,
            engine_id=self.engine.engine_id,
            pacing_sources=MappingProxyType(dict(sources)),
            sound=self.sound,
        )

    def request(self, need: Need = Need.SESSION) -> Request:
        """Ask this process's scheduler for every text's clip (by its respelling)."""
        spoken = [self.respell(text) for text in self.texts]
        return scheduler().request(spoken, self.engine_factory, self.voice, self.cache, need)

    def estimated_ms(self, text: str) -> int:
        """The length (ms) ``text``'s clip is estimated at before it is made: the estimate of
        its respelling (:func:`~voiceguide.speech.estimate.estimate_ms`), as ``show`` gives it."""
        return estimate_ms(self.respell(text), self.engine.engine_id, self.voice)

    def speaking(
        self, exc: EngineUnavailable | CacheError, request: Request, timeline: Timeline | None = None
    ) -> VoiceguideError:
        """``exc`` (a clip of ``request`` that could not be made or stored) naming the step
        whose speech it was, as a person would name it: ``… (speaking "Knee to chest —
        left")``. ``timeline``: where to look; by default compiled from the lengths known."""
        respell, failed = self.respell, request.failed_text
        if timeline is None:
            spoken = request.known()
            known = {text: spoken[respell(text)] for text in self.texts if respell(text) in spoken}
            timeline = compile(self.routine, self.pacing, _Provisional(known, self.estimated_ms))
        event = next((e for e in timeline.events if e.kind == SPEECH and respell(e.text) == failed), None)
        step = "the session" if event is None else f'"{timeline.chapters[event.chapter].title}"'
        return type(exc)(f"{exc.message} (speaking {step})", exc.exit_code, hint=exc.hint)

    def voice_error(self, exc: UsageError) -> VoiceguideError:
        """``exc`` (an engine's refusal) placed where the voice was chosen, when it is
        about a voice the engine lacks; else ``exc`` itself."""
        if self.pacing.voice is None or _has_voice(self.engine, self.pacing.voice):
            return exc
        return place_voice_error(exc, self.routine, self.sources["voice"])


def plan(
    routine_path: Path,
    engine_factory: Callable[[], SpeechEngine] | None,
    cache: ClipCache,
    *,
    layers: Sequence[Layer] = (),
    sound: Sound = DEFAULT_SOUND,
    source: bytes | None = None,
) -> Plan:
    """Load ``routine_path`` and resolve its pacing (``layers``, highest first, above the
    routine's own: see :func:`voiceguide.timing.pacing.resolve_pacing`); nothing is synthesized.
    ``source``: the file's bytes when the caller has read them already (standard input
    can be read only once), named as ``routine_path`` is in messages.

    ``engine_factory`` None: the engine the pacing names (checked to be installed).
    ``sound``: the loudness clips are levelled to as they enter the cache (part of their
    key), the voice and chime levels and the bell."""
    loaded = load_at_pacing(routine_path, cache, layers, engine_factory, source)
    engine = scheduler().engine(loaded.engine_factory)
    if not isinstance(engine, OfflineEngine):
        cache.remember_engine(engine)
    return Plan(
        loaded.routine,
        loaded.pacing,
        MappingProxyType(loaded.sources),
        loaded.warnings,
        voice_for(loaded.pacing, sound),
        loaded.engine_factory,
        engine,
        cache,
        lexicon_for(loaded.routine).respell,
        sound,
    )


@dataclass(frozen=True)
class Loaded:
    """A routine loaded at its pacing, with the engine that pacing names: what a
    :class:`Plan` and a :func:`voiceguide.preview.preview` both start from."""

    routine: Routine
    warnings: tuple[Diagnostic, ...]
    pacing: Pacing  # its engine always named (the default filled in)
    sources: dict[str, str]  # pacing setting → where its value came from
    engine_factory: Callable[[], SpeechEngine]


def load_at_pacing(
    routine_path: Path,
    cache: ClipCache,
    layers: Sequence[Layer] = (),
    engine_factory: Callable[[], SpeechEngine] | None = None,
    source: bytes | None = None,
) -> Loaded:
    """Load ``routine_path`` (or parse ``source``, its bytes already read), resolve its
    pacing (``layers`` above the routine's own) and name its engine: ``engine_factory``,
    else the one the pacing names (checked to be installed; a stand-in for a missing engine
    the cache knows)."""
    if source is None:
        routine, load_warnings = load_routine(routine_path)
    else:
        routine, load_warnings = parse_routine(source, display_name(routine_path))
    resolved = resolve_pacing(routine, layers)
    effective, sources = resolved.pacing, dict(resolved.sources)
    if effective.engine is None:
        name, sources["engine"] = default_engine_name()
        effective = replace(effective, engine=name)
    if engine_factory is None:
        engine_factory = _engine_or_cached_identity(effective.engine, cache)
    return Loaded(routine, load_warnings, effective, sources, engine_factory)


def prepare(
    routine_path: Path,
    engine_factory: Callable[[], SpeechEngine] | None,
    cache: ClipCache,
    *,
    layers: Sequence[Layer] = (),
    progress: Progress | None = None,
    sound: Sound = DEFAULT_SOUND,
) -> tuple[Session, ClipSource]:
    """:func:`plan`, then every missing utterance synthesized into ``cache`` (``progress(done,
    total)`` as lengths come), ``--duration`` fitted on measured speech, and the timeline
    compiled."""
    return finish(plan(routine_path, engine_factory, cache, layers=layers, sound=sound), progress)


def finish(
    planned: Plan, progress: Progress | None = None, need: Need = Need.SESSION
) -> tuple[Session, ClipSource]:
    """The session of ``planned`` once every length is measured (waiting for synthesis,
    queued at ``need``)."""
    request: Request | None = None
    try:
        request = planned.request(need)
        with request:
            spoken = request.wait_all(progress)
    except UsageError as exc:  # e.g. an unknown voice: say where it was chosen
        raise planned.voice_error(exc) from None
    except (EngineUnavailable, CacheError) as exc:  # say which step could not be made
        if request is None:
            raise
        raise planned.speaking(exc, request) from None
    lengths = {text: spoken[planned.respell(text)] for text in planned.texts}
    effective, sources = planned.pacing, dict(planned.sources)
    if effective.duration_ms is not None:
        label = f"fitted to {format_seconds(effective.duration_ms)} ({sources['duration_ms']})"
        effective = fit_duration(planned.routine, effective, lengths)
        sources.update(dict.fromkeys(("hold_scale", "rest_scale", "cycle_scale"), label))
    timeline = compile(planned.routine, effective, lengths)
    return planned.session(effective, sources, timeline), planned.clips(lengths)


class GrowingSession:
    """A session that plays while its speech is still being made (see DESIGN §streaming).

    Its timeline is compiled again each time :meth:`advance` finds new lengths. An event is
    placed from the lengths of the sounds before it only, so every sound that starts before
    the first one whose length is unknown — the *frontier* — is already where the finished
    timeline puts it: the samples before the frontier never change, and a session played
    this way is sample-identical to one prepared in full. ``timeline`` past the frontier is
    provisional: a text not made yet counts as long as its estimate (:meth:`Plan.estimated_ms`,
    the length ``show`` gives it), so its total and chapter starts are ``show``'s from the
    start (what a display's time left and a stopped session's history say) and become the
    measured ones as speech is made; its warnings are the lint's only once :attr:`complete`
    (:attr:`timing_warnings`). Not for ``--duration`` (fitting needs every length):
    :func:`finish` that instead."""

    def __init__(self, planned: Plan, need: Need = Need.SESSION) -> None:
        if planned.pacing.duration_ms is not None:
            raise ValueError("a --duration session is fitted on every length: use finish()")
        self.plan = planned
        self._request = planned.request(need)
        self.clips = planned.clips()
        self._used = -1  # how many lengths the current timeline was compiled with
        self._estimates: dict[str, int] = {}  # text (as shown) → its estimated length, ms
        self.timeline: Timeline = compile(planned.routine, planned.pacing, self._provisional({}))
        self.frontier_ms = 0
        self._frontier_text: str | None = None  # the first text whose length is unknown
        self.complete = False
        self._fitted: Session | None = None
        self.advance(timeout=0)

    @classmethod
    def finished(cls, planned: Plan, session: Session, clips: ClipSource) -> GrowingSession:
        """A session :func:`finish` prepared in full (a ``--duration`` fitted on every
        length), in the same shape: complete from the start."""
        growing = cls.__new__(cls)
        growing.plan, growing.clips, growing.timeline = planned, clips, session.timeline
        growing._request = planned.request()  # every clip is cached: nothing is made
        growing._request.cancel()
        growing._used = len(planned.texts)
        growing._estimates = {}
        growing.frontier_ms = session.timeline.duration_ms
        growing.complete, growing._fitted = True, session
        return growing

    def advance(self, timeout: float | None = 0) -> bool:
        """Take in the lengths made since the last call, waiting up to ``timeout`` seconds
        (None: until there is one, or the session is complete) when there is none yet;
        whether the timeline moved. Raises a synthesis error (an unknown voice is placed
        where it was chosen)."""
        if self.complete:
            return False
        try:
            count = self._request.wait_any(self._used, timeout)
        except UsageError as exc:
            raise self.plan.voice_error(exc) from None
        except (EngineUnavailable, CacheError) as exc:  # say which step could not be made
            raise self.plan.speaking(exc, self._request, self.timeline) from None
        if count == self._used:
            return False
        spoken = self._request.known()
        respell = self.plan.respell
        known = {text: spoken[respell(text)] for text in self.plan.texts if respell(text) in spoken}
        self._used = len(spoken)
        self.clips.lengths = dict(known)
        self.complete = len(known) == len(self.plan.texts)
        if self.complete:
            self.timeline = compile(self.plan.routine, self.plan.pacing, known)
            self.frontier_ms = self.timeline.duration_ms
            self._request.cancel()  # (nothing left: frees the request)
            return True
        self.timeline = compile(self.plan.routine, self.plan.pacing, self._provisional(known))
        frontier = next((e for e in self.timeline.events if e.kind == SPEECH and e.text not in known), None)
        if frontier is None:  # only countdown numbers left out of the timeline are still unknown
            self.frontier_ms, self._frontier_text = self.timeline.duration_ms, None
        else:
            self.frontier_ms, self._frontier_text = frontier.start_ms, frontier.text
        return True

    def _provisional(self, known: Mapping[str, int]) -> _Provisional:
        """``known`` lengths, any other text's estimated (each text estimated once)."""

        def estimated(text: str) -> int:
            if text not in self._estimates:
                self._estimates[text] = self.plan.estimated_ms(text)
            return self._estimates[text]

        return _Provisional(known, estimated)

    @property
    def timing_warnings(self) -> tuple[Diagnostic, ...]:
        """The timeline's warnings (the timing lint, as ``validate`` gives it on measured
        speech) once :attr:`complete`; none before: on estimated lengths they would not be
        the lint's (a move's time, a cue's length), and a warning ``validate`` then
        contradicts is one the user cannot act on."""
        return self.timeline.warnings if self.complete else ()

    def hurry(self) -> None:
        """The playhead has (nearly) caught up with the frontier: its clip is needed now.
        It is made next, and if its take is being checked it is stored as soon as it is
        made, unchecked (see :mod:`voiceguide.speech.takes`): a check never delays a sound."""
        if not self.complete and self._frontier_text is not None:
            self._request.hurry(self.plan.respell(self._frontier_text))

    def final_samples(self) -> int:
        """Session samples ``[0, n)`` that are final (all of them once complete)."""
        return ms_to_samples(self.frontier_ms, self.plan.engine.sample_rate)

    def session(self) -> Session:
        """The session: finished once :attr:`complete`, else as far as it is known (its
        timeline provisional after the frontier, its warnings the loader's alone: see
        :attr:`timing_warnings`)."""
        if self._fitted is not None:
            return self._fitted
        session = self.plan.session(self.plan.pacing, self.plan.sources, self.timeline)
        if self.complete:
            return session
        return replace(session, warnings=in_file_order(self.plan.load_warnings))

    def pcm(self, mix: Mix) -> Iterator[bytes]:
        """The whole session's final samples with ``mix``, yielded as synthesis makes them
        final (waiting for it): exactly what :func:`voiceguide.export.outputs.final_pcm`
        gives once every length is known. Not for a mix with a bed's loudness gain (that is
        measured on the whole session first)."""
        rate = self.plan.engine.sample_rate
        position = 0
        while True:
            ready = self.final_samples()
            if not self.complete:
                ready -= ms_to_samples(look_ahead_ms(mix, self.timeline), rate)
            if ready > position:
                yield from mixed_range(self.timeline, self.clips, mix, rate, position, ready)
                position = ready
            if self.complete:
                return
            self.hurry()  # a stream is consumed as it is made (a player, the page's live mp3)
            self.advance(None)

    def close(self) -> None:
        """Nobody needs the rest of this session's speech: cancel what is still queued."""
        self._request.cancel()

    def __enter__(self) -> GrowingSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Provisional(dict[str, int]):
    """Lengths known so far (ms, by text); any other text's is ``estimate(text)``: placed,
    but not final."""

    def __init__(self, known: Mapping[str, int], estimate: Callable[[str], int]) -> None:
        super().__init__(known)
        self._estimate = estimate

    def __missing__(self, text: str) -> int:
        return self._estimate(text)


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


def lead_in_clip(seconds: int, pacing: Pacing, voice: VoiceSpec, sample_rate: int, clips: ClipSource) -> Clip:
    """ "Starting in 3, 2, 1": a one-step routine compiled like any other, cut where the
    session begins (one second after "1" starts). Its clips are asked for at the
    playhead's need: they are heard first."""
    from .errors import Position
    from .routine.model import Step

    where = Position("<lead-in>", 1, 1)
    routine = Routine(
        title="lead-in",
        path="<lead-in>",
        where=where,
        steps=(
            Step(
                name="Lead-in",
                where=where,
                say=LEAD_IN_TEXT,
                hold_ms=seconds * 1000,
                countdown=seconds,
                rest_ms=0,
            ),
        ),
    )
    # only the voice carries over: the session's scales and countdown must not stretch it
    lead_pacing = Pacing(rate_wpm=pacing.rate_wpm, voice=pacing.voice)
    texts = utterances(routine, lead_pacing)
    spoken = [clips.respell(text) for text in texts]
    with scheduler().request(spoken, clips.engine_factory, voice, clips.cache, Need.PLAYHEAD) as request:
        made = request.wait_all()
    lengths = {text: made[said] for text, said in zip(texts, spoken, strict=True)}
    timeline = compile(routine, lead_pacing, lengths)
    hold_end = next(p.end_ms for p in timeline.phases if p.kind == "hold")
    lead_clips = ClipSource(
        clips.engine_factory,
        clips.engine,
        clips.cache,
        voice,
        lengths,
        respell=clips.respell,
        sound=clips.sound,
    )
    pcm = b"".join(render_pcm(timeline, lead_clips, sample_rate))
    return Clip(pcm[: 2 * ms_to_samples(hold_end, sample_rate)], sample_rate)
