"""Compile a routine into a timeline of sounds with exact integer-millisecond times.

Pure: no I/O, no clock. Speech lengths are measured beforehand (by synthesizing
into the cache) and passed in as ``speech_ms``; :func:`utterances` lists the texts
that :func:`compile` will ask for.

Placement rules (DESIGN §3):

* A step's ``hold`` starts when its instruction has finished speaking and lasts
  exactly ``hold × hold_scale``. Mid-hold cues start at their offset from the hold's
  start; the countdown says "3", "2", "1" starting 3, 2 and 1 s before the hold ends.
* A breath phase's length includes its spoken word: each phase starts exactly
  when the previous one ends, and its word starts with it.
* Sounds never overlap. A sound whose slot is still taken by an earlier sound
  (a cue longer than the gap before the next one) waits for it to end; the
  timeline then carries a warning naming the step, because the script's rhythm is
  off at that pacing. The exercise's own clock (holds, breath phases) is not moved.
* A countdown number belongs to that clock: it is said on its second or left out
  (a cue still speaking then covers it), never late, so the numbers heard stay a
  second apart and the hold ends on time; the warning names the cue, the countdown,
  the ms they collide by, and the latest ``at:`` where the cue fits.
* A chime rings when the hold (or the breathing) ends; the rest follows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from ..errors import Diagnostic, Position, RoutineError
from ..formatting import format_seconds
from ..routine.model import Breathing, Group, Routine, Step
from ..routine.moves import INSTRUCTION_MS, MOVE_MS, position_change
from ..routine.schema import MAX_DURATION_MS, BreathPhase
from ..routine.text import Pause, Speak, split_pauses, with_side
from .pacing import Pacing

MAX_EVENTS = 10_000
CHIME_MS = 1_500  # length of the generated bell (see voiceguide.audio.chime)
END_PADDING_MS = 1_500  # silence after the last word, so players don't clip it

#: what a sound on the timeline is: a spoken text or the bell
EventKind = Literal["speech", "chime"]
SPEECH: Final = "speech"
CHIME: Final = "chime"
#: what a timed stretch is: a step's hold, a rest, or one phase of a breath
PhaseKind = Literal["hold", "rest", "breath"]


@dataclass(frozen=True)
class Event:
    """A sound on the timeline: ``[start_ms, end_ms)``; ``text`` is the utterance ("" for a chime)."""

    start_ms: int
    end_ms: int
    kind: EventKind
    text: str
    step: str  # the step's name (or "Introduction"/"Safety"/"Closing")
    chapter: int  # index into Timeline.chapters


@dataclass(frozen=True)
class Chapter:
    """A navigable part of the session: one per step instance (each side and round)."""

    title: str
    start_ms: int
    end_ms: int
    step: str  # the step's name without side/round


@dataclass(frozen=True)
class Phase:
    """A timed stretch a display can show as a bar: a hold, a rest or a breath phase."""

    kind: PhaseKind
    start_ms: int
    end_ms: int
    chapter: int
    detail: BreathPhase | Literal[""] = ""  # the breath phase ("" for a hold or rest)
    cycle: int = 0  # 1-based breath cycle, 0 otherwise
    tone: bool = False  # a breath tone sounds through it (see voiceguide.audio.tones)


@dataclass(frozen=True)
class Timeline:
    """The compiled session. All times are integer milliseconds from the start."""

    title: str
    duration_ms: int
    events: tuple[Event, ...]
    chapters: tuple[Chapter, ...]
    phases: tuple[Phase, ...]
    warnings: tuple[Diagnostic, ...] = ()

    def speech_texts(self) -> set[str]:
        return {e.text for e in self.events if e.kind == SPEECH}


@dataclass(frozen=True)
class _Move:
    """A change of position just asked for: its words, when they end (ms), and by whom."""

    words: str
    end_ms: int
    step: Step | None  # None: the intro
    label: str  # the step's chapter title, for the warning
    where: Position
    instructed: bool = False  # the next instruction was said in time (the hold's check remains)


@dataclass(frozen=True)
class _Said:
    """A sound said during a hold, a cue or a countdown number: when it sounded (ms)."""

    text: str
    where: Position
    is_cue: bool
    start_ms: int
    end_ms: int  # when its last sound ends

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass
class _Builder:
    """Mutable state of one compile run; never escapes :func:`compile`."""

    routine: Routine
    pacing: Pacing
    measure: Callable[[str], int]
    events: list[Event] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    sound_free_at: int = 0  # ms at which the last placed sound ends
    step_number: int = 0  # steps met so far, for naming unnamed ones
    move: _Move | None = None  # the last change of position, until the next hold or breath

    # -- sounds -------------------------------------------------------------------
    def place(
        self,
        kind: EventKind,
        text: str,
        at_ms: int,
        length_ms: int,
        where: Position,
        warn: bool = True,
    ) -> int:
        """Put a sound at ``at_ms`` (or when the previous sound ends, with a warning unless
        ``warn`` is false); return its end."""
        start = max(at_ms, self.sound_free_at)
        if start > at_ms and warn:
            what = f'"{text}"' if text else "the chime"
            self.warnings.append(
                Diagnostic(
                    where,
                    f"{what} starts {start - at_ms} ms late: the sound before it is still "
                    "playing (shorten the earlier text or move this one later)",
                    "warning",
                )
            )
        if len(self.events) >= MAX_EVENTS:
            raise RoutineError.at(
                where, f"the routine expands to more than {MAX_EVENTS:,} sounds; split it up"
            )
        chapter = len(self.chapters) - 1
        step = self.chapters[chapter].step
        end = start + length_ms
        self.events.append(Event(start, end, kind, text, step, chapter))
        self.sound_free_at = end
        return end

    def say(self, text: str, at_ms: int, where: Position, warn: bool = True) -> int:
        """Speak ``text`` (with its ``[pause]`` marks) from ``at_ms``; return when it ends."""
        t = at_ms
        for segment in split_pauses(text):
            if isinstance(segment, Speak):
                t = self.place(SPEECH, segment.text, t, self.measure(segment.text), where, warn)
            elif isinstance(segment, Pause):
                t += segment.ms
        return t

    def chapter(self, title: str, step: str, start_ms: int) -> None:
        if self.chapters and self.chapters[-1].title == title:
            return  # unnamed steps of one round share their group's chapter
        self.chapters.append(Chapter(title, start_ms, start_ms, step))

    def phase(
        self,
        kind: PhaseKind,
        start: int,
        end: int,
        detail: BreathPhase | Literal[""] = "",
        cycle: int = 0,
        tone: bool = False,
    ) -> None:
        if end > start:
            self.phases.append(Phase(kind, start, end, len(self.chapters) - 1, detail, cycle, tone))

    # -- routine parts ----------------------------------------------------------------
    def spoken_block(self, texts: tuple[str, ...], t: int, gap_ms: int, where: Position) -> int:
        """Texts one after another with ``gap_ms`` between them (written at ``where``);
        return the end."""
        for i, text in enumerate(texts):
            if i:
                t += gap_ms
            t = self.say(text, t, where)
        return t

    def step(self, step: Step, t: int, rounds: tuple[tuple[str, int, int], ...]) -> int:
        """Every side of one step, each as its own chapter; return when the last ends."""
        self.step_number += 1
        unnamed = "Breathing" if step.breathe else f"Step {self.step_number}"
        base = step.name or (rounds[-1][0] if rounds else "") or unnamed
        round_suffix = "".join(f" — round {r} of {n}" for _, r, n in rounds)
        for number, side in enumerate(step.sides or (None,)):
            side_suffix = f" — {side}" if side else ""
            self.chapter(f"{base}{side_suffix}{round_suffix}", base, t)
            if step.breathe is not None or step.hold_ms:
                self.moved(t, step, own=True)  # the step's instruction asks for the action
            if step.setup and number == 0:  # said once, in the first side's chapter
                t = self.said(step.setup, t, step) + (self.pacing.phrase_gap_ms if step.say else 0)
            t = self.step_once(step, side, t)
        return t

    def said(self, text: str, t: int, step: Step | None) -> int:
        """Speak an instruction (a step's ``setup``/``say``, the intro); remember a change
        of position in it (:meth:`moved`). Return when it ends."""
        where = step.where if step else self.routine.intro_at or self.routine.where
        self.instructed(t, text)
        first = len(self.events)
        end = self.say(text, t, where)
        for spoken in reversed(self.events[first:]):  # the last piece that moves; what follows counts
            if words := position_change(spoken.text):
                self.move = _Move(words, spoken.end_ms, step, self.chapters[-1].title, where)
                break
        return end

    def instructed(self, said_ms: int, text: str) -> None:
        """An instruction ``text`` (another text than the move's) is said from ``said_ms``:
        warn if it comes less than INSTRUCTION_MS after the last change of position, while
        the listener is still moving. A text that itself moves ("and sit down" after "stand
        up") goes on with the movement: its own move is the one that counts."""
        move = self.move
        if move is None or move.instructed or position_change(text):
            return
        gap = said_ms - move.end_ms
        if gap >= INSTRUCTION_MS:
            self.move = replace(move, instructed=True)
            return
        self.move = None  # one warning a move
        self._rushed(
            move,
            f"the next instruction is said {format_seconds(max(gap, 0))} later, "
            "while the listener still moves",
        )

    def moved(self, action_ms: int, step: Step, own: bool) -> None:
        """A hold or breath of ``step`` is asked for at ``action_ms``: warn if it comes less
        than MOVE_MS after the last change of position (a step's own hold is its move's
        time, so ``own`` holds do not count)."""
        move = self.move
        if move is None or (own and move.step is step):
            return
        self.move = None
        gap = action_ms - move.end_ms
        if gap < MOVE_MS:
            self._rushed(move, f"the next hold or breath is asked for {format_seconds(max(gap, 0))} later")

    def _rushed(self, move: _Move, what_came: str) -> None:
        """Warn that ``move`` was followed too soon: ``what_came`` says by what, and when."""
        self.warnings.append(
            Diagnostic(
                move.where,
                f'{move.label}: "{move.words}" changes position, and {what_came}: give the move '
                "10–20 s of its own (a [pause 10s] after it, which no preset shortens, or a step "
                "that says how to move, with rest: 20s)",
                "warning",
            )
        )

    def step_once(self, step: Step, side: str | None, t: int) -> int:
        if step.say:
            t = self.said(with_side(step.say, side), t, step)
        if step.breathe is not None:
            self.moved(t, step, own=False)
            t = self.breathing(step.breathe, side, t)
        elif step.hold_ms:
            t = self.hold(step, side, t)
        if step.chime:
            self.place(CHIME, "", t, CHIME_MS, step.where)
        rest = self.pacing.scale_rest(self.pacing.step_gap_ms if step.rest_ms is None else step.rest_ms)
        start = max(t, self.sound_free_at)
        self.phase("rest", start, start + rest)
        return start + rest

    def hold(self, step: Step, side: str | None, t: int) -> int:
        """A hold from ``t`` (ms), exactly its scaled length, its cues and countdown in time
        order; return when it ends. A countdown number is a mark of the hold's clock, like
        a breath phase's start: said on its second, or left out when a sound before it is
        still playing then (a warning says so), so that the numbers heard stay a second
        apart and the hold ends on time whatever runs into it."""
        hold_ms = self.pacing.scale_hold(step.hold_ms)
        end = t + hold_ms
        self.phase("hold", t, end)
        countdown = step.countdown if self.pacing.countdown is None else self.pacing.countdown
        counted = min(countdown, hold_ms // 1000)
        due: list[tuple[int, str, Position, bool]] = []  # (start ms, text, where, is a cue)
        if self.pacing.cues:
            # a cue keeps its place relative to the hold: scaled holds scale cue offsets
            due += [
                (t + self.pacing.scale_hold(c.at_ms), with_side(c.text, side), c.where, True)
                for c in step.cues
            ]
        due += [(end - k * 1000, str(k), step.where, False) for k in range(counted, 0, -1)]
        said: list[_Said] = []  # the hold's sounds so far, cues and numbers
        left_out: dict[int, list[str]] = {}  # index in said → the numbers left out while it played
        for at_ms, text, where, is_cue in sorted(due, key=lambda d: d[0]):  # stable: cue first
            if said and not is_cue and self.sound_free_at > at_ms:  # the last one still plays
                left_out.setdefault(len(said) - 1, []).append(text)
                continue
            start = max(at_ms, self.sound_free_at)
            self.say(text, at_ms, where)
            said.append(_Said(text, where, is_cue, start, self.sound_free_at))
        countdown_at = end - counted * 1000
        for i, sound in enumerate(said):
            if sound.is_cue:
                self._lint_cue(sound, left_out.get(i, []), (t, end), countdown_at, counted)
            elif i in left_out:
                self._number_too_long(sound, left_out[i], step.where)
        return end

    def _lint_cue(
        self, cue: _Said, covered: list[str], hold: tuple[int, int], countdown_at: int, counted: int
    ) -> None:
        """Warn when a mid-hold cue outlasts its ``hold`` (start and end, ms) or covers
        countdown numbers (which are then left out), naming both, by how many ms, and where
        the cue would fit."""
        hold_start, hold_end = hold
        left_out = ""
        if covered:
            whole = len(covered) == counted
            left_out = "the whole countdown is left out" if whole else _left_out(covered)
        if cue.end_ms > hold_end:
            what = f"runs {cue.end_ms - hold_end} ms past the end of its hold"
            what += f", so {left_out}" if covered else ""
        elif covered:
            first_due = hold_end - int(covered[0]) * 1000
            what = (
                f'runs {cue.end_ms - first_due} ms into the {counted} s countdown, over its "{covered[0]}", '
                f"so {left_out} (a number is said on its second or not at all; the hold still ends on time)"
            )
        else:
            return
        fits_by = countdown_at if counted else hold_end  # the cue should end by then
        at_ms = self._latest_at(fits_by - hold_start - cue.length_ms)
        if at_ms is None:
            fix = (
                f"it lasts {format_seconds(cue.length_ms)}, more than the hold has before "
                f"{'its countdown' if counted else 'its end'}: shorten it"
            )
        else:
            scaled = (
                "" if self.pacing.hold_scale == 1 else f" (as scripted, holds ×{self.pacing.hold_scale:.4g})"
            )
            fix = f"move the cue to at: {format_seconds(at_ms)} or earlier{scaled}, or shorten it"
        self.warnings.append(Diagnostic(cue.where, f'the cue "{cue.text}" {what}; {fix}', "warning"))

    def _latest_at(self, offset_ms: int) -> int | None:
        """The latest cue offset as scripted (whole tenths of a second, ms) that the pacing
        places at or before ``offset_ms`` from the hold's start; None if below 0."""
        if offset_ms < 0:
            return None
        at_ms = (int(offset_ms / self.pacing.hold_scale) // 100 + 1) * 100  # one past, rounding aside
        while at_ms > 0 and self.pacing.scale_hold(at_ms) > offset_ms:
            at_ms -= 100
        return at_ms

    def _number_too_long(self, number: _Said, covered: list[str], where: Position) -> None:
        """Warn that a countdown number outlasted its second, so the ``covered`` were left out."""
        self.warnings.append(
            Diagnostic(
                where,
                f'the countdown\'s "{number.text}" takes {format_seconds(number.length_ms)}, longer '
                f"than its second, so {_left_out(covered)}; a faster --rate fixes it",
                "warning",
            )
        )

    def breathing(self, breathing: Breathing, side: str | None, t: int) -> int:
        base = self.pacing.breath or breathing.pattern
        steady = self.pacing.breath is not None  # an overriding pattern replaces the ramp too
        cycles = self.pacing.cycles_for(breathing.cycles)
        sound = self.pacing.breath_sound or breathing.sound
        for cycle in range(1, cycles + 1):
            pattern = base if steady else breathing.cycle_pattern(base, cycle, cycles)
            for name, length_ms in pattern.phases():
                self.phase("breath", t, t + length_ms, name, cycle, tone=sound != "words")
                word = with_side(breathing.words.get(name, ""), side) if sound != "tones" else ""
                if word:
                    spoken_end = self.say(word, t, breathing.where)
                    if spoken_end > t + length_ms:
                        self.warnings.append(
                            Diagnostic(
                                breathing.where,
                                f'"{word}" takes {format_seconds(spoken_end - t)}, longer than '
                                f"the {format_seconds(length_ms)} {name.replace('_', ' ')} phase",
                                "warning",
                            )
                        )
                t += length_ms
        return t

    def items(self, items: tuple[Step | Group, ...], t: int, rounds: tuple[tuple[str, int, int], ...]) -> int:
        for item in items:
            if isinstance(item, Group):
                t = self.group(item, t, rounds)
            else:
                t = self.step(item, t, rounds)
        return t

    def group(self, group: Group, t: int, rounds: tuple[tuple[str, int, int], ...]) -> int:
        name = group.name or (rounds[-1][0] if rounds else "")
        for r in range(1, group.repeat + 1):
            t = self.items(group.steps, t, (*rounds, (name, r, group.repeat)))
            if r < group.repeat and group.rest_ms:
                rest = self.pacing.scale_rest(group.rest_ms)
                self.phase("rest", t, t + rest)
                t += rest
        return t


def _left_out(numbers: list[str]) -> str:
    """``["3", "2"]`` → ``'"3" and "2" are left out'`` (at least one number)."""
    quoted = [f'"{number}"' for number in numbers]
    if len(quoted) == 1:
        return f"{quoted[0]} is left out"
    return f"{', '.join(quoted[:-1])} and {quoted[-1]} are left out"


def _walk(routine: Routine, pacing: Pacing, measure: Callable[[str], int]) -> Timeline:
    b = _Builder(routine, pacing, measure)
    t = 0
    if routine.intro:
        b.chapter("Introduction", "Introduction", t)
        t = b.said(routine.intro, t, None) + (pacing.phrase_gap_ms if routine.safety else 0)
    if routine.safety:  # a chapter of its own: the red flags can be found (and heard again)
        b.chapter("Safety", "Safety", t)
        t = b.spoken_block(routine.safety, t, pacing.phrase_gap_ms, routine.safety_at or routine.where)
    if routine.intro or routine.safety:
        t += pacing.scale_rest(pacing.step_gap_ms)
    t = b.items(routine.steps, t, ())
    if routine.outro:
        b.chapter("Closing", "Closing", t)
        t = b.say(routine.outro, t, routine.outro_at or routine.where)
    duration = max(t, b.sound_free_at) + END_PADDING_MS
    if duration > MAX_DURATION_MS:
        raise RoutineError.at(
            routine.where,
            f"at this pacing the session lasts {format_seconds(duration)}, more than 24 hours",
        )
    chapters = _close_chapters(b.chapters, duration)
    warnings = tuple(dict.fromkeys(b.warnings))  # a step repeated by sides/rounds warns once
    return Timeline(routine.title, duration, tuple(b.events), chapters, tuple(b.phases), warnings)


def _close_chapters(chapters: list[Chapter], duration_ms: int) -> tuple[Chapter, ...]:
    """Each chapter ends where the next begins; the last at the end of the session."""
    ends = [c.start_ms for c in chapters[1:]] + [duration_ms]
    return tuple(Chapter(c.title, c.start_ms, end, c.step) for c, end in zip(chapters, ends, strict=True))


def compile(routine: Routine, pacing: Pacing, speech_ms: Mapping[str, int]) -> Timeline:
    """Place every sound of ``routine`` at ``pacing``.

    ``speech_ms`` maps each text from :func:`utterances` to its spoken length in ms.
    Raises :class:`RoutineError` when the routine expands past the limits
    (10,000 sounds, 24 hours).
    """
    return _walk(routine, pacing, speech_ms.__getitem__)


def outline(routine: Routine) -> tuple[Chapter, ...]:
    """The chapters of ``routine``, nothing measured: titles and steps as every compile of it
    has them, in the order ``show`` and ``play --from N`` number them (the titles are the
    routine's structure: sides, rounds, names; no pacing changes them). Their times are a
    session's whose every text takes no time, at the default pacing. Raises
    :class:`RoutineError` past the limits, as :func:`compile` does."""
    return _walk(routine, Pacing(), lambda text: 0).chapters


def utterances(routine: Routine, pacing: Pacing) -> list[str]:
    """Every distinct text :func:`compile` will need a length for, in first-use order."""
    seen: dict[str, None] = {}

    def record(text: str) -> int:
        seen.setdefault(text, None)
        return 0

    _walk(routine, pacing, record)
    return list(seen)
