"""Checked takes: a new take the recognizer mishears is made again before it enters the cache.

A *take* is one synthesis of a text. piper's takes differ from run to run (its model adds
random noise to phoneme lengths and to the waveform; nothing seeds it), so a take heard
wrong ("Hold" heard as "Old") is usually heard right the next time: :func:`best_take` makes
up to :data:`MAX_TAKES` (:data:`SHORT_TAKES` of a text of one or two words), hears each
(:mod:`voiceguide.speech.hearing`) and keeps the first heard well enough
(:func:`good_enough`: whole, or a long sentence one word in ten off), else the best heard.
espeak-ng speaks a text the same way every time: a second take cannot be heard better,
so its takes are not checked as they are made (the cost would buy nothing); ``voiceguide
synthesize --check`` hears them and records the score, and says that a retry cannot help.

Checking never delays a sound somebody waits for. The synthesis scheduler passes
``urgent``: it turns true once the clip is needed at the playhead (the session caught up
with synthesis). An urgent take is stored as it is, *unchecked*, or with the best hearing
made so far, and the cache keeps it marked so (:class:`Check`, in the entry's metadata).
A cached take never changes by itself afterwards: only :func:`recheck` (the explicit
``synthesize --check``) replaces one, so what was played is what a later export writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..pcm.clip import Clip
from .cache import ClipCache
from .engine import SpeechEngine
from .hearing import Heard, Listener, judge, words_of

MAX_TAKES = 3  # takes made of one text at most (the first included)
#: takes made at most of a text of up to :data:`SHORT_WORDS` words: a breath cue ("In",
#: "Slowly out") costs about a tenth of a sentence to make, and its words are most of what
#: a breathing routine says (heldout-calm-breath says "Slowly out" 8 times)
SHORT_TAKES = 6
SHORT_WORDS = 2
#: a take is kept without another try when it misses at most one word in this many: a
#: text under ten words must be heard whole; a long sentence one word off is kept, as more
#: takes of those rarely did better (13 of 15 still missed a word after four takes) and
#: each take heard costs about as much CPU as making it
WORDS_PER_MISS = 10


def tries_for(text: str) -> int:
    """Takes made of ``text`` at most: :data:`SHORT_TAKES` for a text of up to
    :data:`SHORT_WORDS` words, else :data:`MAX_TAKES`."""
    return SHORT_TAKES if len(words_of(text)) <= SHORT_WORDS else MAX_TAKES


def good_enough(heard: Heard) -> bool:
    """Whether a take heard so is kept without another try (:data:`WORDS_PER_MISS`)."""
    return heard.words - heard.found <= heard.words // WORDS_PER_MISS


@dataclass(frozen=True)
class Check:
    """What the cache records about how a take was heard: whether it was ``checked``, its
    word ``recall`` (0-1, None when unchecked), what was ``heard`` and how many ``takes``
    were made to choose it."""

    checked: bool
    recall: float | None = None
    heard: str | None = None
    takes: int = 1

    @property
    def right(self) -> bool:
        """Checked and every word heard."""
        return self.checked and self.recall is not None and self.recall >= 1.0

    def meta(self) -> dict[str, object]:
        """The entry metadata's ``check`` field."""
        if not self.checked:
            return {"check": {"checked": False}}
        recall = None if self.recall is None else round(self.recall, 4)
        return {"check": {"checked": True, "recall": recall, "heard": self.heard, "takes": self.takes}}

    @classmethod
    def from_meta(cls, meta: Mapping[str, object] | None) -> Check:
        """The check an entry's metadata records (entries made before checking: unchecked)."""
        field = (meta or {}).get("check")
        if not isinstance(field, dict) or field.get("checked") is not True:
            return UNCHECKED
        recall, heard, takes = field.get("recall"), field.get("heard"), field.get("takes")
        return cls(
            True,
            float(recall) if isinstance(recall, int | float) else None,
            heard if isinstance(heard, str) else None,
            takes if isinstance(takes, int) else 1,
        )


UNCHECKED = Check(False)


def takes_vary(engine: SpeechEngine) -> bool:
    """Whether a second take of a text can differ from the first (the engine's
    ``takes_vary``; False when it does not say)."""
    return bool(getattr(engine, "takes_vary", False))


def _never() -> bool:
    return False


def hear(listener: Listener, text: str, clip: Clip) -> Heard:
    """How ``listener`` hears ``clip`` said for ``text``."""
    return judge(text, listener.transcribe(clip))


def best_take(
    make: Callable[[], Clip],
    text: str,
    listener: Listener,
    *,
    tries: int | None = None,
    urgent: Callable[[], bool] = _never,
    first: tuple[Clip, Heard] | None = None,
) -> tuple[Clip, Check]:
    """The take to keep of ``text``: takes from ``make`` are heard until one is heard well
    enough (:func:`good_enough`) or ``tries`` were made (default :func:`tries_for`); the
    best heard wins (the earliest among equals). ``first``: a take already made and heard
    (counts as one). Once ``urgent()`` is true no more is made or heard: the best heard so
    far is kept, or the newest take unchecked if none was heard."""
    best: tuple[Clip, Heard] | None = first
    made = 1 if first is not None else 0
    tries = tries_for(text) if tries is None else tries
    while made < tries and (best is None or not good_enough(best[1])):
        clip = make()
        made += 1
        if urgent():
            return (clip, UNCHECKED) if best is None else (best[0], _check(best[1], made - 1))
        heard = hear(listener, text, clip)
        if best is None or heard.recall > best[1].recall:
            best = (clip, heard)
        if urgent():
            break
    assert best is not None  # tries >= 1
    return best[0], _check(best[1], made)


def _check(heard: Heard, takes: int) -> Check:
    return Check(True, heard.recall, heard.transcript, takes)


def take(
    make: Callable[[], Clip],
    text: str,
    listener: Listener | None,
    vary: bool,
    urgent: Callable[[], bool] = _never,
) -> tuple[Clip, Check]:
    """A new take of ``text`` from ``make`` and its check: checked (up to :func:`tries_for`)
    where a listener is installed and takes ``vary``, else unchecked."""
    if listener is None or not vary or urgent():
        return make(), UNCHECKED
    return best_take(make, text, listener, urgent=urgent)


@dataclass(frozen=True)
class Rechecked:
    """What :func:`recheck` did to one cached take: its check before and after, and whether
    a better take replaced it."""

    text: str
    before: Check
    after: Check
    replaced: bool


def recheck(
    cache: ClipCache,
    key: str,
    text: str,
    make: Callable[[], Clip],
    listener: Listener,
    vary: bool,
    *,
    tries: int | None = None,
) -> Rechecked | None:
    """Hear the take of ``text`` cached under ``key`` (None when it is not cached) and, if
    it is heard wrong and takes ``vary``, make new takes with ``make``: the cached take is
    replaced only by one heard better. A take already checked and heard right is left as
    it is; otherwise the entry's check is rewritten (atomically, see
    :meth:`ClipCache.replace`)."""
    stored = cache.entry(key)
    if stored is None:
        return None
    clip, meta = stored
    before = Check.from_meta(meta)
    if before.right:
        return Rechecked(text, before, before, False)
    heard = hear(listener, text, clip)
    if good_enough(heard) or not vary:
        after = _check(heard, max(1, before.takes))
        cache.replace(key, clip, {**meta, **after.meta()})
        return Rechecked(text, before, after, False)
    more = tries_for(text) if tries is None else tries
    best, after = best_take(make, text, listener, tries=more + 1, first=(clip, heard))
    replaced = best is not clip
    cache.replace(key, best, {**meta, **after.meta()})
    return Rechecked(text, before, after, replaced)
