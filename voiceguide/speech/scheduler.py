"""One synthesis scheduler per process: every clip any caller needs is made here.

Callers (a playing session, an export, the server's previews and renders) say which texts
they need and how urgently (:class:`Need`); the scheduler keeps one queue ordered by need,
then by who asked first, then by the caller's own order (a session lists its texts in
timeline order, so the clip the playhead needs next is made next). A text asked for twice,
by one caller or several, is made once. A caller that no longer needs its texts (Ctrl-C, a
client that disconnected, a preview superseded by a newer one) cancels its
:class:`Request`: texts nobody else waits for are dropped from the queue; a clip already
being made is finished and stored whole (the cache writes atomically), never half.

The work runs on a few threads of this process, one per usable CPU: no process is forked
or spawned, so nothing inherits a running thread, and one engine (one piper model, one
espeak-ng) serves every caller. Engines keep their own locks where their library is not
thread-safe (libespeak-ng: every call is serialized in :mod:`voiceguide.speech.espeak`);
levelling and writing the cache run in parallel with them. Measured on 2 CPUs with piper
(``benchmarks/bench_synthesis.py --engine piper``): two threads sharing one model with one
onnxruntime thread each beat both one thread with onnxruntime's own threading and two
processes.

Memory is bounded by the number of texts asked for (a length per text, in ms): clips go
straight into the cache and only their lengths come back.

Leaving (:func:`leave`, the command line's last step): the queue is dropped, a take being
checked stops after the engine call in progress, and what is still inside an engine after a
short grace is not waited for; no clip is stored from then on, so the process can end at
once without a partial entry (see :meth:`Scheduler.leave`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import heapq
import itertools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from ..errors import EXIT_INTERRUPTED, VoiceguideError
from . import hearing
from .cache import ClipCache, key_for
from .engine import SpeechEngine, VoiceSpec
from .hearing import Listener
from .synth import synthesize_into, usable_cpus

EngineFactory = Callable[[], SpeechEngine]
Progress = Callable[[int, int], None]
Listen = Callable[[], Listener | None]


class Need(IntEnum):
    """How urgently a caller needs its texts: lower is sooner."""

    PLAYHEAD = 0  # a clip the playing session needs now (it was missing, or was just cleared)
    SESSION = 1  # the rest of a session that is playing or exporting, in timeline order
    PREVIEW = 2  # a length the page is waiting to show
    BACKGROUND = 3  # renders nobody is waiting for yet


class Cancelled(VoiceguideError):
    """The request was cancelled before this text was made."""


_QUEUED, _RUNNING, _DONE, _FAILED, _DROPPED = range(5)


@dataclass(eq=False)
class _Task:
    """One clip to make: ``text`` by ``factory``'s engine with ``voice`` into ``cache``."""

    key: tuple[str, str]  # (cache directory, cache key)
    text: str
    factory: EngineFactory
    voice: VoiceSpec
    cache: ClipCache
    priority: tuple[int, int, int]
    state: int = _QUEUED
    length_ms: int = 0
    error: BaseException | None = None
    waiters: set[Request] = field(default_factory=set)

    def urgent(self) -> bool:
        """Whether somebody waits for this clip now: its take is then stored unchecked."""
        return self.priority[0] == Need.PLAYHEAD


class Request:
    """Some texts one caller needs, and their lengths (ms) as they are made.

    Use it as a context manager (or call :meth:`cancel`): leaving the block cancels
    whatever is still queued for it alone."""

    def __init__(self, scheduler: Scheduler, texts: Sequence[str]) -> None:
        self._scheduler = scheduler
        self.texts: tuple[str, ...] = tuple(dict.fromkeys(texts))
        self.lengths: dict[str, int] = {}  # ms, by text: filled as clips are made
        self._tasks: dict[str, _Task] = {}
        self._failure: BaseException | None = None
        self._cancelled = False
        self.cached = 0  # texts whose clip was in the cache when asked for
        self.failed_text: str | None = None  # the text whose synthesis failed, if one did

    # ---- asking -------------------------------------------------------------------------------
    def done(self) -> bool:
        """Whether every text has its length (or one failed)."""
        with self._scheduler.changed:
            return len(self.lengths) == len(self.texts) or self._failure is not None

    def known(self) -> dict[str, int]:
        """A copy of the lengths known so far (ms, by text)."""
        with self._scheduler.changed:
            return dict(self.lengths)

    def wait_for(self, text: str, timeout: float | None = None) -> int | None:
        """The length of ``text`` (ms) once it is made; None after ``timeout`` seconds.
        Raises the error that made it fail (or :class:`Cancelled`)."""
        with self._scheduler.changed:
            self._scheduler.changed.wait_for(
                lambda: text in self.lengths or self._failure is not None, timeout
            )
            self._raise_failure()
            return self.lengths.get(text)

    def wait_any(self, count: int, timeout: float | None = None) -> int:
        """Wait until more than ``count`` lengths are known (or all are, or ``timeout``
        seconds pass); how many are known. Raises as :meth:`wait_for` does."""
        with self._scheduler.changed:
            self._scheduler.changed.wait_for(
                lambda: (
                    len(self.lengths) > count
                    or len(self.lengths) == len(self.texts)
                    or self._failure is not None
                ),
                timeout,
            )
            self._raise_failure()
            return len(self.lengths)

    def wait_all(self, progress: Progress | None = None) -> dict[str, int]:
        """Every length (ms, by text), in the order asked for, calling ``progress(made,
        missing)`` for the texts that were not cached: ``(0, missing)`` first, then as
        each is made."""
        known = -1
        reported = self.cached - 1  # the last count given to progress
        while True:
            count = self.wait_any(known)
            if progress is not None:  # each count, also when several were made in one wait
                for made in range(reported + 1, count + 1):
                    progress(made - self.cached, len(self.texts) - self.cached)
                reported = max(reported, count)
            known = count
            if count == len(self.texts):
                lengths = self.known()
                return {text: lengths[text] for text in self.texts}

    def hurry(self, text: str) -> None:
        """``text`` is needed now (the session caught up with synthesis): made next, and
        a take of it being checked is stored as soon as it is made (see
        :mod:`voiceguide.speech.takes`)."""
        self._scheduler._hurry(self, text)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    # ---- letting go ---------------------------------------------------------------------------
    def cancel(self) -> None:
        """Nobody needs these texts any more: drop what only this request waits for."""
        self._scheduler._cancel(self)

    def __enter__(self) -> Request:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()


class Scheduler:
    """The synthesis queue and its worker threads (see the module docstring). One per
    process: :func:`scheduler`."""

    def __init__(self, workers: int | None = None, listen: Listen | None = None) -> None:
        self.workers = max(1, workers or usable_cpus())
        #: the recognizer that checks new takes (see speech.takes); default hearing.listener's
        self._listen = listen or (lambda: hearing.listener())
        self.changed = threading.Condition()  # guards every field below and each request
        self._queue: list[tuple[tuple[int, int, int], int, _Task]] = []
        self._tasks: dict[tuple[str, str], _Task] = {}
        self._engines: dict[EngineFactory, SpeechEngine] = {}
        self._engine_lock = threading.Lock()
        self._order = itertools.count()  # who asked first, among equal needs
        self._threads: list[threading.Thread] = []
        self._running = 0
        self._closed = False
        #: held while a clip is stored; :meth:`leave` takes it for good (``_sealed``)
        self._storing = threading.Lock()
        self._sealed = False
        self.made = 0  # clips synthesized by this scheduler (for tests and benchmarks)

    # ---- engines ------------------------------------------------------------------------------
    def engine(self, factory: EngineFactory) -> SpeechEngine:
        """The one engine this scheduler makes ``factory``'s clips with (built on first use;
        cheap: engines load their model when they first speak)."""
        with self._engine_lock:
            engine = self._engines.get(factory)
            if engine is None:
                engine = factory()
                use_threads = getattr(engine, "use_threads", None)
                if callable(use_threads) and self.workers > 1:
                    use_threads(1)  # one intra-op thread per worker thread: see the docstring
                self._engines[factory] = engine
            return engine

    def _listener(self) -> Listener | None:
        """The recognizer checking new takes; None: takes are stored unchecked. (Asked for
        each clip: finding whether it is installed costs microseconds; the model itself
        loads once, see speech.hearing.)"""
        return self._listen()

    # ---- asking -------------------------------------------------------------------------------
    def request(
        self,
        texts: Iterable[str],
        factory: EngineFactory,
        voice: VoiceSpec,
        cache: ClipCache,
        need: Need = Need.SESSION,
    ) -> Request:
        """Ask for the clips of ``texts`` (in the order they are needed). Texts already in
        the cache get their length at once, without synthesis."""
        engine = self.engine(factory)
        request = Request(self, list(texts))
        order = next(self._order)
        cached: dict[str, int] = {}
        missing: list[tuple[str, str]] = []
        for text in request.texts:
            key = key_for(engine, text, voice)
            clip = cache.get(key)
            if clip is None:
                missing.append((text, key))
            else:
                cached[text] = clip.duration_ms
        with self.changed:
            if self._closed:
                raise Cancelled("the synthesis scheduler has stopped")
            request.lengths.update(cached)
            request.cached = len(cached)
            for index, (text, key) in enumerate(missing):
                priority = (int(need), order, index)
                task_key = (str(cache.directory), key)
                task = self._tasks.get(task_key)
                if task is None or task.state == _DROPPED:
                    task = _Task(task_key, text, factory, voice, cache, priority)
                    self._tasks[task_key] = task
                    heapq.heappush(self._queue, (priority, next(self._order), task))
                elif task.state == _DONE:
                    request.lengths[text] = task.length_ms
                    continue
                elif task.state == _FAILED:  # a new request tries again
                    task = _Task(task_key, text, factory, voice, cache, priority)
                    self._tasks[task_key] = task
                    heapq.heappush(self._queue, (priority, next(self._order), task))
                elif priority < task.priority:
                    self._sooner(task, priority)
                task.waiters.add(request)
                request._tasks[text] = task
            if missing:
                self._start_threads()
                self.changed.notify_all()
        return request

    def _sooner(self, task: _Task, priority: tuple[int, int, int]) -> None:
        """``task`` is needed sooner (under ``changed``): queued again (the old entry is
        skipped); while it is being made, its check sees the new need."""
        task.priority = priority
        if task.state == _QUEUED:
            heapq.heappush(self._queue, (priority, next(self._order), task))

    def _hurry(self, request: Request, text: str) -> None:
        with self.changed:
            task = request._tasks.get(text)
            if task is not None and task.priority[0] > Need.PLAYHEAD:
                self._sooner(task, (int(Need.PLAYHEAD), *task.priority[1:]))
                self.changed.notify_all()

    def _cancel(self, request: Request) -> None:
        with self.changed:
            if request._cancelled:
                return
            request._cancelled = True
            for task in request._tasks.values():
                task.waiters.discard(request)
                if not task.waiters and task.state == _QUEUED:
                    task.state = _DROPPED
                    self._tasks.pop(task.key, None)
            if request._failure is None and len(request.lengths) < len(request.texts):
                request._failure = Cancelled("synthesis was cancelled")
            self.changed.notify_all()

    # ---- working ------------------------------------------------------------------------------
    def _start_threads(self) -> None:
        """Start the worker threads (under ``changed``), once."""
        if self._threads:
            return
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"voiceguide-synthesis-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _next_task(self) -> _Task | None:
        """The most needed queued task (under ``changed``), or None when closed."""
        while True:
            while self._queue:
                priority, _, task = heapq.heappop(self._queue)
                if task.state == _QUEUED and priority == task.priority:
                    task.state = _RUNNING
                    self._running += 1
                    return task
            if self._closed:
                return None
            self.changed.wait()

    def _work(self) -> None:
        while True:
            with self.changed:
                task = self._next_task()
            if task is None:
                return
            try:
                engine = self.engine(task.factory)
                clip = synthesize_into(
                    task.cache,
                    engine,
                    task.text,
                    task.voice,
                    self._listener(),
                    functools.partial(self._urgent, task),
                    self._store,
                )
            except BaseException as exc:  # kept for every waiter; the thread goes on
                self._finish(task, None, exc)
            else:
                self._finish(task, clip.duration_ms, None)

    def _finish(self, task: _Task, length_ms: int | None, error: BaseException | None) -> None:
        with self.changed:
            self._running -= 1
            if error is None and length_ms is not None:
                task.state, task.length_ms = _DONE, length_ms
                self.made += 1
                for request in task.waiters:
                    request.lengths[task.text] = length_ms
            else:
                task.state, task.error = _FAILED, error
                for request in task.waiters:
                    if request._failure is None:
                        request._failure, request.failed_text = error, task.text
            task.waiters.clear()
            if self._tasks.get(task.key) is task and task.state == _FAILED:
                del self._tasks[task.key]  # asked again later: tried again
            self.changed.notify_all()

    def _urgent(self, task: _Task) -> bool:
        """Whether ``task``'s take is stored as it is, without another take or a check:
        somebody waits for it, or the scheduler is closing (no more engine calls)."""
        return task.urgent() or self._closed

    @contextlib.contextmanager
    def _store(self) -> Iterator[None]:
        """Around a clip's write into the cache: raises :class:`Cancelled` once the
        scheduler was left (:meth:`leave`), which then waits for a write in progress."""
        with self._storing:
            if self._sealed:
                raise Cancelled("the process is leaving: the clip is not stored")
            yield

    def leave(self, grace_s: float) -> bool:
        """Stop at once, for a process about to end: drop the queue, fail every request
        still waiting (:class:`Cancelled`), let each thread's take stop after the engine
        call it is in (no more takes, no check) and give the threads ``grace_s`` seconds
        to store what they made; then store nothing more (a write in progress is waited
        for: milliseconds). True when every thread has ended; False when one is still
        inside an engine call (piper's onnxruntime, Whisper, a model being loaded): the
        interpreter must not then finish under it (see :func:`leave`)."""
        self._close_queue()
        deadline = time.monotonic() + grace_s
        with self.changed:
            self.changed.wait_for(lambda: self._running == 0, grace_s)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        with self._storing:
            self._sealed = True
        ended = not any(thread.is_alive() for thread in self._threads)
        if ended:
            self._close_engines()
        return ended

    def _close_queue(self) -> None:
        """Drop everything queued; requests still waiting fail with :class:`Cancelled`."""
        with self.changed:
            self._closed = True
            for _, _, task in self._queue:
                if task.state == _QUEUED:
                    task.state = _DROPPED
                    for request in task.waiters:
                        if request._failure is None:
                            request._failure = Cancelled("synthesis stopped: the process is ending")
            self._queue.clear()
            self.changed.notify_all()

    def _close_engines(self) -> None:
        with self._engine_lock:
            for engine in self._engines.values():
                engine.close()
            self._engines.clear()

    def close(self, timeout: float = 30.0) -> None:
        """Drop everything queued and wait (at most ``timeout`` s in all, not per thread) for
        the clips being made to be stored whole. Called at exit: after Ctrl-C or SIGTERM
        the process ends once each thread has finished its one clip (espeak-ng: a few ms;
        piper: a clip's synthesis, and its model's load if that was under way). Once
        :meth:`leave` has run, nothing is waited for."""
        self._close_queue()
        if self._sealed:
            return
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        self._close_engines()


_scheduler: Scheduler | None = None
_scheduler_lock = threading.Lock()


def scheduler() -> Scheduler:
    """This process's one scheduler (made on first use, closed at exit)."""
    global _scheduler
    with _scheduler_lock:
        if _scheduler is None or _scheduler._closed:
            _scheduler = Scheduler()
            atexit.register(_close_at_exit, _scheduler)
        return _scheduler


def leave(grace_s: float) -> bool:
    """This process's scheduler left (:meth:`Scheduler.leave`), if one was made; whether
    the interpreter may finish normally. False: a synthesis thread is still inside an
    engine's native call, and finishing the interpreter would abort the process: Python
    (3.11-3.13) ends a daemon thread that wants the GIL back after finalization with
    ``pthread_exit``, whose unwinding through the C++ frames of a pybind11 call
    (onnxruntime, CTranslate2) calls ``std::terminate`` ("terminate called without an
    active exception", SIGABRT); exit's C++ destructors can also run under such a thread.
    The caller then ends the process with ``os._exit`` after its own clean-up (the command
    line: :func:`voiceguide.cli.app.main`). Nothing is lost: no clip is being stored (the
    scheduler is sealed), and the clip abandoned was never in the cache."""
    with _scheduler_lock:
        synthesis = _scheduler
    return synthesis is None or synthesis.leave(grace_s)


def _close_at_exit(synthesis: Scheduler) -> None:
    """At exit, the clips being made are stored whole (:meth:`Scheduler.close`: with piper
    that is a clip's synthesis, seconds). Ctrl-C again meanwhile ends the process at once,
    with os._exit: letting the interpreter finish while an engine's threads still run tore
    their C++ state down under them (onnxruntime: "terminate called without an active
    exception", SIGABRT, after an "Exception ignored in atexit callback" traceback). A clip
    being written then is left as a temporary file of a dead process, which the next write
    into its cache shard removes, as after SIGKILL. (A second SIGTERM has its default
    action by then: the process ends at once the same way.)"""
    try:
        synthesis.close()
    except KeyboardInterrupt:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(EXIT_INTERRUPTED)
