"""Which chapter a person means: the text of ``play --from`` → a chapter of a timeline.

One rule for every front end, in this order (the first that matches decides):

1. a number: the chapter as ``voiceguide show`` numbers it (1 is the first chapter);
2. a chapter's title, in any case, its dashes and commas spelled any way or left out
   ("Knee to chest — right", "knee to chest right", "Knee to chest - right");
3. a step's name: where the step starts, its set-up and instructions included. A name is a
   title or the part of one before a dash, so "Knee to chest" starts at "Knee to chest —
   left" (its first side, a ``setup:`` said in it) and "Pelvic tilts" at "Pelvic tilts —
   setup", before "Pelvic tilts — round 1 of 4" (and a title typed whole, 1 and 2, at the
   chapters just before it that bear it as a name: "Breathing — setup" for "Breathing");
4. a title's words in another order ("right knee to chest");
5. the start of a title ("trigger", "knee to chest r") or some of its words ("tilts",
   "turn right"), when every chapter it fits belongs to one step: the first of them.

A step here is what the titles say it is: the part of a title before its first dash
("Stretching — knee to chest — left" is of "Stretching"), so a text that fits several says
which ones in its :class:`~voiceguide.errors.UsageError` (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..errors import UsageError
from ..formatting import shown
from ..routine.suggest import did_you_mean
from .timeline import Chapter, Timeline

#: where a title's parts meet: " — " as the titles are made, or a hyphen or en dash typed
_DASH = re.compile(r"\s+[—–-]\s+")


def find_chapter(timeline: Timeline, wanted: str) -> int:
    """``--from`` → the index of the chapter ``wanted`` names (see the module's rule).
    Raises UsageError (exit 2) for a blank text, a number past the last chapter, a text
    that fits chapters of several steps (naming them) or none (with the closest name)."""
    chapters = timeline.chapters
    text = wanted.strip()
    if not text:
        raise UsageError("--from needs a step: its name, a chapter title or a number (see `voiceguide show`)")
    if text.isascii() and text.isdigit():  # "٣".isdigit() too, but it is no step number
        number = int(text) if len(text) <= 9 else 0
        if 1 <= number <= len(chapters):
            return number - 1
        raise UsageError(f"--from {shown(text)[1:-1]}: the session has steps 1 to {len(chapters)}")
    folded = text.casefold()
    words = _words(text)
    exact: tuple[Callable[[Chapter], bool], ...] = (
        lambda c: c.title.casefold() == folded,
        lambda c: bool(words) and _words(c.title) == words,
        lambda c: bool(words) and words in {_words(name) for name in _names(c)},
        lambda c: bool(words) and sorted(_words(c.title)) == sorted(words),
    )
    for fits in exact:
        found = [i for i, chapter in enumerate(chapters) if fits(chapter)]
        if found:
            return _start_of(chapters, found[0], words)
    joined = " ".join(words)
    partial: tuple[Callable[[Chapter], bool], ...] = (
        lambda c: bool(words) and " ".join(_words(c.title)).startswith(joined),
        lambda c: bool(words) and set(words) <= set(_words(c.title)),
    )
    for fits in partial:
        found = [i for i, chapter in enumerate(chapters) if fits(chapter)]
        steps = list(dict.fromkeys(step_of(chapters[i]) for i in found))
        if len(steps) == 1:
            return found[0]
        if steps:
            raise UsageError(
                f'--from: "{shown(text)[1:-1]}" could be any of {_listed(steps)}; give more of the name'
            )
    names = list(dict.fromkeys([c.title for c in chapters] + [step_of(c) for c in chapters]))
    raise UsageError(
        f'--from: no step named "{shown(text)[1:-1]}"{did_you_mean(text[:200], names)}; '
        "give a step name, a chapter title or a number (see `voiceguide show`)"
    )


def _start_of(chapters: Sequence[Chapter], index: int, words: tuple[str, ...]) -> int:
    """Where the step named ``words`` starts, ``chapters[index]`` being one of its chapters:
    the chapters just before it that bear the name too come first ("Breathing — setup" before
    a chapter titled "Breathing")."""
    while index > 0 and words and words in {_words(name) for name in _names(chapters[index - 1])}:
        index -= 1
    return index


def step_of(chapter: Chapter) -> str:
    """The step ``chapter`` is part of, as its title says: the title up to its first dash
    ("Knee to chest — left" → "Knee to chest"; "Pelvic tilts — setup" → "Pelvic tilts")."""
    return _DASH.split(chapter.title, maxsplit=1)[0]


def _names(chapter: Chapter) -> list[str]:
    """The names ``chapter`` bears: its title and each part of it before a dash
    ("Stretching — knee to chest — left": "Stretching", "Stretching — knee to chest" and
    the title), its step's name among them."""
    parts = _DASH.split(chapter.title)
    return [" ".join(parts[:n]) for n in range(1, len(parts) + 1)] + [chapter.step]


def _words(text: str) -> tuple[str, ...]:
    """The words of ``text``, case folded, punctuation left out ("Child's pose — left" →
    ("childs", "pose", "left"))."""
    return tuple(re.findall(r"\w+", re.sub(r"['’]", "", text.casefold())))


def _listed(steps: Sequence[str]) -> str:
    """``"Knee to chest", "Knee rolls"`` (the first five)."""
    return ", ".join(f'"{step}"' for step in steps[:5])
