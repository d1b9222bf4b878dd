"""Making one clip: synthesize, level, store in the cache; and every clip of a session.

:func:`synthesize_into` is the one way a new clip enters the cache: with a listener, a take
heard wrong is made again first, and the entry records its check (:mod:`voiceguide.speech.takes`);
:func:`recheck_cached` is the one way a cached take is replaced. :func:`synthesize_all` asks
this process's synthesis scheduler (:mod:`voiceguide.speech.scheduler`) for every text a
session needs and waits for their lengths; the scheduler orders, de-duplicates, spreads
and cancels the work for every caller of the process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from ..pcm.clip import Clip
from .cache import ClipCache, key_for
from .engine import SpeechEngine, VoiceSpec
from .hearing import Listener
from .takes import Check, Rechecked, recheck, take, takes_vary

EngineFactory = Callable[[], SpeechEngine]
Progress = Callable[[int, int], None]


def _meta(engine: SpeechEngine, text: str, voice: VoiceSpec, check: Check) -> dict[str, object]:
    return {
        "text": text,
        "engine": engine.engine_id,
        "engine_version": engine.version,
        "voice": voice.name,
        "rate": voice.rate_wpm,
        "loudness": voice.loudness_lufs,
        **check.meta(),
    }


def synthesize_into(
    cache: ClipCache,
    engine: SpeechEngine,
    text: str,
    voice: VoiceSpec,
    listener: Listener | None = None,
    urgent: Callable[[], bool] = lambda: False,
    storing: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
) -> Clip:
    """Synthesize ``text`` into ``cache``; the clip the cache then holds (another writer's,
    if it stored one first: see :meth:`ClipCache.put`). With a ``listener``, where the
    engine's takes vary, a take heard wrong is made again before it is stored, unless
    ``urgent()`` says somebody waits for it (:mod:`voiceguide.speech.takes`); the entry
    records its check. The write into the cache runs inside ``storing()`` (the scheduler's:
    it refuses once the process is leaving, and is waited for while it writes)."""
    clip, check = take(lambda: spoken(engine, text, voice), text, listener, takes_vary(engine), urgent)
    with storing():
        return cache.put(key_for(engine, text, voice), clip, _meta(engine, text, voice, check))


def recheck_cached(
    cache: ClipCache, engine: SpeechEngine, text: str, voice: VoiceSpec, listener: Listener
) -> Rechecked | None:
    """``synthesize --check`` for one text: its cached take heard and, if heard wrong,
    replaced by a better new take (:func:`voiceguide.speech.takes.recheck`); None when
    ``text`` is not cached."""
    key = key_for(engine, text, voice)
    return recheck(cache, key, text, lambda: spoken(engine, text, voice), listener, takes_vary(engine))


def spoken(engine: SpeechEngine, text: str, voice: VoiceSpec) -> Clip:
    """``text`` as ``engine`` speaks it, levelled to ``voice.loudness_lufs`` (see
    :mod:`voiceguide.pcm.level`; with None, as the engine made it, its true peak held
    under the ceiling), its onsets faded in (:mod:`voiceguide.pcm.fade`): what the cache
    stores, so play and export place the same samples."""
    from ..pcm.fade import fade_onsets
    from ..pcm.level import held_under, level_clip

    clip = engine.synthesize(text, voice)
    if voice.loudness_lufs is None:
        clip = held_under(clip)
    else:
        clip = level_clip(clip, voice.loudness_lufs)
    return fade_onsets(clip)


def load_clip(cache: ClipCache, engine: SpeechEngine, text: str, voice: VoiceSpec) -> Clip:
    """The cached clip for ``text``, synthesizing (and caching) it if missing or damaged."""
    clip = cache.get(key_for(engine, text, voice))
    return clip if clip is not None else synthesize_into(cache, engine, text, voice)


def usable_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def synthesize_all(
    texts: Iterable[str],
    engine_factory: EngineFactory,
    voice: VoiceSpec,
    cache: ClipCache,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Length in ms (:attr:`Clip.duration_ms`) of every distinct text, synthesizing only
    the misses, in the order given.

    ``progress(done, total)`` is called as lengths become known (cached ones at once).
    ``workers``: a private scheduler with that many threads (benchmarks, tests); default
    this process's :func:`~voiceguide.speech.scheduler.scheduler`. An engine's
    :class:`~voiceguide.errors.VoiceguideError` is raised here unchanged; Ctrl-C cancels
    what is still queued.
    """
    from .scheduler import Scheduler, scheduler

    own = Scheduler(workers) if workers is not None else None
    try:
        with (own or scheduler()).request(texts, engine_factory, voice, cache) as request:
            return request.wait_all(progress)
    finally:
        if own is not None:
            own.close()
