"""Synthesize every distinct utterance of a session into the cache, in parallel when it pays.

In parallel, worker processes take the longest texts first while this process speaks the
shortest ones, so nobody waits for the workers to start. Each worker builds one engine in
its initializer, writes its clips into the cache itself (atomically) and returns only
their lengths, so no audio crosses a process boundary. Workers are forked when the
engine says that is safe (the real engine: while this process has not started
espeak-ng), else spawned; a forked pyttsx3 that had already started hangs. If a worker
dies, this process finishes its texts.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ..pcm.clip import Clip
from .cache import ClipCache, key_for
from .engine import SpeechEngine, VoiceSpec

EngineFactory = Callable[[], SpeechEngine]
Progress = Callable[[int, int], None]

#: Fewest cache misses worth starting worker processes for, by start method. Measured on
#: 2 CPUs (``benchmarks/bench_synthesis.py``): an utterance costs ≈4.5 ms serially;
#: forking two workers costs ≈10 ms, so they pay from ≈8 misses on; spawning them
#: costs ≈0.1 s of CPU (Python, pyttsx3), so they pay from ≈50.
PARALLEL_THRESHOLD = {"fork": 10, "spawn": 50, "forkserver": 50}
#: Most processes used automatically, this one included: one per CPU. espeak-ng is
#: CPU-bound; on 2 CPUs a third process won a little on many short cues (0.38 of the
#: CLI's time against 0.43) and lost a lot on a few long ones (lower-back-massage: 0.74
#: against 0.54).
MAX_AUTO_WORKERS = 8
_IN_FLIGHT_PER_WORKER = 2  # tasks queued per worker: enough to keep it busy


def _meta(engine: SpeechEngine, text: str, voice: VoiceSpec) -> dict[str, object]:
    return {
        "text": text,
        "engine": engine.engine_id,
        "engine_version": engine.version,
        "voice": voice.name,
        "rate": voice.rate_wpm,
        "loudness": voice.loudness_lufs,
    }


def synthesize_into(cache: ClipCache, engine: SpeechEngine, text: str, voice: VoiceSpec) -> Clip:
    """Synthesize ``text`` into ``cache``; the clip the cache then holds (another process's,
    if it stored one first: see :meth:`ClipCache.put`)."""
    clip = spoken(engine, text, voice)
    return cache.put(key_for(engine, text, voice), clip, _meta(engine, text, voice))


def spoken(engine: SpeechEngine, text: str, voice: VoiceSpec) -> Clip:
    """``text`` as ``engine`` speaks it, levelled to ``voice.loudness_lufs`` (what the
    cache stores: see :mod:`voiceguide.pcm.level`)."""
    clip = engine.synthesize(text, voice)
    if voice.loudness_lufs is None:
        return clip
    from ..pcm.level import level_clip

    return level_clip(clip, voice.loudness_lufs)


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


def start_method(factory: EngineFactory) -> str:
    """How to start workers: what the engine's ``start_method()`` says, else ``spawn``."""
    say = getattr(factory, "start_method", None)
    method = say() if callable(say) else "spawn"
    return method if method in multiprocessing.get_all_start_methods() else "spawn"


def process_count(misses: int, workers: int | None = None, method: str = "spawn") -> int:
    """How many processes synthesize ``misses`` utterances, this one included (1 = serially).

    ``workers`` given: that many, at most one per miss. ``None``: one per usable CPU (at
    most :data:`MAX_AUTO_WORKERS`) when there are two CPUs or more and at least
    :data:`PARALLEL_THRESHOLD` ``[method]`` misses; else 1. Measured on 2 CPUs for
    lower-back-massage: 2 processes 0.54–0.56 of the espeak-ng CLI's time, 3 processes 0.69.
    """
    if workers is not None:
        return max(1, min(workers, misses))
    cpus = usable_cpus()
    if cpus < 2 or misses < PARALLEL_THRESHOLD.get(method, PARALLEL_THRESHOLD["spawn"]):
        return 1
    return min(cpus, MAX_AUTO_WORKERS)


def synthesize_all(
    texts: Iterable[str], engine_factory: EngineFactory, voice: VoiceSpec, cache: ClipCache,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    engine: SpeechEngine | None = None,
) -> dict[str, int]:
    """Length in ms (:attr:`Clip.duration_ms`) of every distinct text, synthesizing only misses.

    ``engine_factory`` is a picklable zero-argument callable (an engine class) that worker
    processes call to build their own engine. ``engine`` (default: one from the factory,
    closed at the end) computes the cache keys and speaks in this process.
    ``progress(done, total)`` is called with 0 first, then as misses complete.
    ``workers``: processes to use, this one included (see :func:`process_count`).
    A worker's :class:`~voiceguide.errors.VoiceguideError` is raised here unchanged.
    """
    own_engine = engine is None
    engine = engine if engine is not None else engine_factory()
    try:
        lengths, missing = _lookup(texts, engine, voice, cache)
        if progress:
            progress(0, len(missing))
        method = start_method(engine_factory)
        processes = process_count(len(missing), workers, method)
        job = _Job(missing, engine, voice, cache, progress)
        if processes > 1:
            job.run_parallel(engine_factory, processes - 1, method)
        else:
            job.run_serial()
        lengths.update(job.lengths)
    finally:
        if own_engine:
            engine.close()
    return lengths


def _lookup(
    texts: Iterable[str], engine: SpeechEngine, voice: VoiceSpec, cache: ClipCache
) -> tuple[dict[str, int], list[str]]:
    """Lengths of the cached texts, and the distinct texts that are missing (in order)."""
    lengths: dict[str, int] = {}
    missing: list[str] = []
    for text in dict.fromkeys(texts):
        clip = cache.get(key_for(engine, text, voice))
        if clip is None:
            missing.append(text)
        else:
            lengths[text] = clip.duration_ms
    return lengths, missing


class _Writer:
    """Stores clips on a background thread, so the next utterance is synthesized while the
    last one is written and fsynced (≈1 ms each). Leaving the ``with`` block waits for
    every write and raises the first error; a failed write also stops the next call.
    :attr:`settled` then holds the length in ms of the clip the cache kept for each text
    (another process's, where it stored one first)."""

    def __init__(self, cache: ClipCache) -> None:
        self._cache = cache
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="voiceguide-cache-writer")
        self._writes: list[tuple[str, Future[Clip]]] = []
        self.settled: dict[str, int] = {}

    def _collect(self, only_done: bool) -> None:
        for text, write in list(self._writes):
            if write.done() or not only_done:
                self.settled[text] = write.result().duration_ms
                self._writes.remove((text, write))

    def synthesize(self, engine: SpeechEngine, text: str, voice: VoiceSpec) -> Clip:
        """:func:`synthesize_into`, with the writing left to the background thread; the
        clip as made here (its settled length is known after the ``with`` block)."""
        self._collect(only_done=True)
        clip = spoken(engine, text, voice)
        key = key_for(engine, text, voice)
        meta = _meta(engine, text, voice)
        self._writes.append((text, self._thread.submit(self._cache.put, key, clip, meta)))
        return clip

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._thread.shutdown(wait=True)
        if exc_info[0] is None:
            self._collect(only_done=False)


class _Job:
    """The misses of one :func:`synthesize_all` call and their lengths so far."""

    def __init__(
        self,
        texts: list[str],
        engine: SpeechEngine,
        voice: VoiceSpec,
        cache: ClipCache,
        progress: Progress | None,
    ) -> None:
        self.texts = texts
        self.engine = engine
        self.voice = voice
        self.cache = cache
        self.progress = progress
        self.lengths: dict[str, int] = {}

    def _done(self, text: str, ms: int) -> None:
        self.lengths[text] = ms
        if self.progress:
            self.progress(len(self.lengths), len(self.texts))

    def run_serial(self) -> None:
        with _Writer(self.cache) as writer:
            for text in self.texts:
                self._done(text, writer.synthesize(self.engine, text, self.voice).duration_ms)
        self.lengths.update(writer.settled)

    def run_parallel(self, factory: EngineFactory, n_workers: int, method: str) -> None:
        """Workers take texts from the long end of the queue, this process from the short
        end, until every text is done. If the pool breaks (a worker died), this process
        finishes alone."""
        queue = deque(sorted(self.texts, key=len, reverse=True))
        threads = max(1, usable_cpus() // (n_workers + 1))  # for engines with their own threads
        _use_threads(self.engine, threads)
        pool = ProcessPoolExecutor(
            n_workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(factory, str(self.cache.directory), self.voice, threads),
        )
        in_flight: dict[Future[int], str] = {}
        broken = False
        try:
            with _Writer(self.cache) as writer:
                while queue or in_flight:
                    while not broken and queue and len(in_flight) < _IN_FLIGHT_PER_WORKER * n_workers:
                        text = queue.popleft()
                        try:
                            in_flight[pool.submit(_work, text)] = text
                        except BrokenProcessPool:
                            broken = True
                            queue.appendleft(text)
                    ready = [f for f in in_flight if f.done()]
                    if not ready and not queue:
                        ready = list(wait(in_flight, return_when=FIRST_COMPLETED).done)
                    for future in ready:
                        text = in_flight.pop(future)
                        try:
                            self._done(text, future.result())  # a worker's error, as it was
                        except BrokenProcessPool:
                            broken = True
                            queue.append(text)
                    if queue:
                        text = queue.pop()
                        self._done(text, writer.synthesize(self.engine, text, self.voice).duration_ms)
            self.lengths.update(writer.settled)
        finally:
            # on an error or Ctrl-C: drop the queued work (running utterances take ms).
            # Always wait: an executor left to exit in the background can make the
            # interpreter print "Exception ignored … Bad file descriptor" at exit.
            pool.shutdown(wait=True, cancel_futures=True)


# ---- worker process side -----------------------------------------------------------------
@dataclass
class _Worker:
    """What one worker process keeps between tasks: its engine, or why it has none."""

    cache: ClipCache
    voice: VoiceSpec
    engine: SpeechEngine | None = None
    failure: Exception | None = None


_worker: _Worker | None = None  # per worker process: set by the pool's initializer


def _use_threads(engine: SpeechEngine, threads: int) -> None:
    """Tell an engine that runs its own threads (piper's onnxruntime) how many to use:
    the CPUs are shared with the other synthesizing processes."""
    use_threads = getattr(engine, "use_threads", None)
    if callable(use_threads):
        use_threads(threads)


def _init_worker(factory: EngineFactory, cache_dir: str, voice: VoiceSpec, threads: int) -> None:
    """Build this worker's one engine. Never raises (a failing initializer breaks the whole
    pool, and its error is lost): the error is kept and raised by each task instead."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    for signum in (signal.SIGTERM, signal.SIGHUP):  # a forked worker inherits the CLI's handler
        signal.signal(signum, signal.SIG_DFL)
    _worker = _Worker(ClipCache(cache_dir), voice)
    try:
        _worker.engine = factory()
        _use_threads(_worker.engine, threads)
    except Exception as exc:
        _worker.failure = exc


def _work(text: str) -> int:
    """Synthesize ``text`` into the cache; its length in ms."""
    if _worker is None:
        raise RuntimeError("synthesis worker was not initialized")
    if _worker.failure is not None:
        raise _worker.failure
    assert _worker.engine is not None
    return synthesize_into(_worker.cache, _worker.engine, text, _worker.voice).duration_ms
