"""Synthesize every distinct utterance of a session into the cache, in parallel when it pays.

Each worker process builds one engine, writes its clips into the cache itself (atomically)
and returns only lengths. Workers are forked when the engine says that is safe (the real
engine: while this process has not started espeak-ng), else spawned. If a worker dies,
what is left is synthesized here, serially.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .cache import ClipCache, key_for
from .clip import Clip
from .tts.base import SpeechEngine, VoiceSpec

EngineFactory = Callable[[], SpeechEngine]
Progress = Callable[[int, int], None]

#: below this many missing utterances, starting worker processes costs more than it saves
PARALLEL_THRESHOLD = 24


def _meta(engine: SpeechEngine, text: str, voice: VoiceSpec) -> dict[str, object]:
    return {
        "text": text,
        "engine": engine.engine_id,
        "engine_version": engine.version,
        "voice": voice.name,
        "rate": voice.rate_wpm,
    }


def synthesize_into(cache: ClipCache, engine: SpeechEngine, text: str, voice: VoiceSpec) -> Clip:
    """Synthesize ``text`` and store it in ``cache``."""
    clip = engine.synthesize(text, voice)
    cache.put(key_for(engine, text, voice), clip, _meta(engine, text, voice))
    return clip


def load_clip(cache: ClipCache, engine: SpeechEngine, text: str, voice: VoiceSpec) -> Clip:
    """The cached clip for ``text``, synthesizing (and caching) it if missing or damaged."""
    clip = cache.get(key_for(engine, text, voice))
    return clip if clip is not None else synthesize_into(cache, engine, text, voice)


# ---- worker process side ---------------------------------------------------------------
_worker: tuple[SpeechEngine, ClipCache, VoiceSpec] | None = None


def _init_worker(factory: EngineFactory, cache_dir: str, voice: VoiceSpec) -> None:
    global _worker  # one engine per worker process, by design
    _worker = (factory(), ClipCache(cache_dir), voice)


def _work(text: str) -> tuple[str, int]:
    assert _worker is not None
    engine, cache, voice = _worker
    return text, synthesize_into(cache, engine, text, voice).duration_ms


# ---- caller side ---------------------------------------------------------------------------
def synthesize_all(
    texts: Iterable[str],
    engine_factory: EngineFactory,
    voice: VoiceSpec,
    cache: ClipCache,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    engine: SpeechEngine | None = None,
) -> dict[str, int]:
    """Length in ms of every distinct text, synthesizing only cache misses.

    ``engine`` (built from ``engine_factory`` when not given) serves the serial path and
    the cache keys; parallel workers each build their own from ``engine_factory``.
    """
    engine = engine or engine_factory()
    lengths: dict[str, int] = {}
    missing: list[str] = []
    for text in dict.fromkeys(texts):
        clip = cache.get(key_for(engine, text, voice))
        if clip is None:
            missing.append(text)
        else:
            lengths[text] = clip.duration_ms
    total = len(missing)
    if progress:
        progress(0, total)
    if not missing:
        return lengths
    n_workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if n_workers > 1 and total >= PARALLEL_THRESHOLD:
        lengths.update(_parallel(missing, engine_factory, voice, cache, n_workers, progress))
    else:
        for done, text in enumerate(missing, 1):
            lengths[text] = synthesize_into(cache, engine, text, voice).duration_ms
            if progress:
                progress(done, total)
    return lengths


def _parallel(
    texts: list[str],
    factory: EngineFactory,
    voice: VoiceSpec,
    cache: ClipCache,
    n_workers: int,
    progress: Progress | None,
) -> dict[str, int]:
    lengths: dict[str, int] = {}
    start = getattr(factory, "start_method", None)
    context = multiprocessing.get_context(start() if start else "spawn")
    # longest first: the last tasks to finish are short ones, so workers end together
    ordered = sorted(texts, key=len, reverse=True)
    with ProcessPoolExecutor(
        n_workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(factory, str(cache.directory), voice),
    ) as pool:
        pending: set[Future[tuple[str, int]]] = {pool.submit(_work, t) for t in ordered}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    text, ms = future.result()  # re-raises a worker's VoiceguideError
                    lengths[text] = ms
                if progress:
                    progress(len(lengths), len(texts))
        except BrokenProcessPool:
            pass  # a worker died (killed, out of memory): finish the rest below
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    if len(lengths) < len(texts):
        engine = factory()
        for text in texts:
            if text not in lengths:
                lengths[text] = synthesize_into(cache, engine, text, voice).duration_ms
                if progress:
                    progress(len(lengths), len(texts))
    return lengths
