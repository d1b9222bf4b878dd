"""The pure core: compile(routine, pacing, speech_ms) -> Timeline."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from voiceguide.errors import Position, RoutineError
from voiceguide.routine.model import Cue, Group, Routine, Step
from voiceguide.timing.pacing import Pacing
from voiceguide.timing.timeline import (
    CHIME,
    CHIME_MS,
    END_PADDING_MS,
    MAX_EVENTS,
    Timeline,
    compile,
    utterances,
)

from .helpers.routines import breathing, cue, group, lengths, routine, step

PACING = Pacing()


def build(r: Routine, pacing: Pacing = PACING, ms_per_word: int = 400) -> Timeline:
    return compile(r, pacing, lengths(utterances(r, pacing), ms_per_word))


def test_hold_starts_when_the_instruction_ends_and_lasts_exactly() -> None:
    t = build(routine(step("Lie on your back now.", hold_ms=30_000, rest_ms=10_000)))
    say = t.events[0]
    assert (say.start_ms, say.end_ms) == (0, 2000)  # 5 words at 400 ms
    hold = next(p for p in t.phases if p.kind == "hold")
    rest = next(p for p in t.phases if p.kind == "rest")
    assert (hold.start_ms, hold.end_ms) == (2000, 32_000)
    assert (rest.start_ms, rest.end_ms) == (32_000, 42_000)
    assert t.duration_ms == 42_000 + END_PADDING_MS


def test_cues_land_at_their_offsets_and_countdown_on_the_last_seconds() -> None:
    r = routine(step("Hold.", hold_ms=20_000, countdown=3, cues=(cue(10_000, "Halfway there."),)))
    t = build(r)
    starts = {e.text: e.start_ms for e in t.events}
    hold_start = 400
    assert starts["Halfway there."] == hold_start + 10_000
    hold_end = hold_start + 20_000
    assert [starts["3"], starts["2"], starts["1"]] == [
        hold_end - 3000,
        hold_end - 2000,
        hold_end - 1000,
    ]
    assert not t.warnings


def test_countdown_never_exceeds_the_hold() -> None:
    t = build(routine(step("Go.", hold_ms=2_000, countdown=5)))
    assert [e.text for e in t.events] == ["Go.", "2", "1"]


def test_pause_marks_insert_silence_between_clips() -> None:
    t = build(routine(step("Tilt. [pause 2s] Release.", rest_ms=0)))
    a, b = t.events
    assert (a.text, b.text) == ("Tilt.", "Release.")
    assert b.start_ms - a.end_ms == 2000


def test_breath_phases_include_their_cue_and_follow_back_to_back() -> None:
    r = routine(step("", name="Box", breathe=breathing("4-4-4-4", cycles=2)))
    t = build(r)
    breaths = [p for p in t.phases if p.kind == "breath"]
    assert [p.detail for p in breaths] == ["inhale", "hold", "exhale", "hold_out"] * 2
    assert all(p.end_ms - p.start_ms == 4000 for p in breaths)
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(breaths))
    words = [e for e in t.events if e.kind == "speech"]
    assert [e.start_ms for e in words] == [p.start_ms for p in breaths]


def test_silent_phase_words_are_not_spoken() -> None:
    r = routine(step("", breathe=breathing("4-7-8", cycles=1, hold="")))
    assert [e.text for e in build(r).events] == ["Breathe in", "Breathe out"]


def test_a_phase_word_longer_than_its_phase_is_a_warning_and_never_overlaps() -> None:
    r = routine(step("", breathe=breathing("1-1", cycles=2, inhale="In slowly through your nose now")))
    t = build(r)
    assert any("longer than the 1s inhale" in w.message for w in t.warnings)
    assert all(a.end_ms <= b.start_ms for a, b in zip(t.events, t.events[1:], strict=False))


def test_sides_become_chapters_with_the_side_substituted() -> None:
    r = routine(
        step("Pull your {side} knee in.", name="Knee to chest", sides=("left", "right"), hold_ms=5000)
    )
    t = build(r)
    assert [c.title for c in t.chapters] == ["Knee to chest — left", "Knee to chest — right"]
    assert [e.text for e in t.events] == ["Pull your left knee in.", "Pull your right knee in."]


def test_groups_repeat_with_rest_between_rounds_only() -> None:
    r = routine(
        group(step("Tilt.", name=None, hold_ms=1000, rest_ms=0), repeat=3, rest_ms=5000, name="Tilts")
    )
    t = build(r)
    assert [c.title for c in t.chapters] == [f"Tilts — round {i} of 3" for i in (1, 2, 3)]
    rests = [p for p in t.phases if p.kind == "rest" and p.end_ms > p.start_ms]
    assert [p.end_ms - p.start_ms for p in rests] == [5000, 5000]


def test_intro_safety_outro_chapters() -> None:
    r = routine(step("Go."), intro="Hello there.", safety=("Stop if it hurts.",), outro="Done.")
    t = build(r)
    assert [c.title for c in t.chapters] == ["Introduction", "Safety", "A step", "Closing"]
    intro, safety = t.events[:2]
    assert safety.start_ms - intro.end_ms == PACING.phrase_gap_ms


def test_chime_rings_when_the_hold_ends_and_the_rest_follows_it() -> None:
    t = build(routine(step("Go.", hold_ms=3000, rest_ms=2000, chime=True)))
    chime = next(e for e in t.events if e.kind == CHIME)
    hold = next(p for p in t.phases if p.kind == "hold")
    rest = next(p for p in t.phases if p.kind == "rest")
    assert chime.start_ms == hold.end_ms and chime.end_ms == hold.end_ms + CHIME_MS
    assert rest.start_ms == chime.end_ms


def test_pacing_scales_holds_and_rests_once_and_can_drop_cues_and_countdown() -> None:
    r = routine(step("Go.", hold_ms=10_000, rest_ms=4_000, countdown=3, cues=(cue(5000, "Breathe."),)))
    pacing = replace(PACING, hold_scale=1.5, rest_scale=0.5, cues=False, countdown=0)
    t = build(r, pacing)
    assert [e.text for e in t.events] == ["Go."]
    assert [p.end_ms - p.start_ms for p in t.phases] == [15_000, 2_000]


def test_utterances_are_exactly_what_compile_asks_for() -> None:
    r = routine(
        step(
            "One. [pause 1s] Two.",
            hold_ms=5000,
            countdown=2,
            sides=("left", "right"),
            cues=(cue(1000, "Cue {side}."),),
        ),
        intro="Hi.",
        outro="Bye.",
    )
    texts = utterances(r, PACING)
    assert texts == ["Hi.", "One.", "Two.", "Cue left.", "2", "1", "Cue right.", "Bye."]
    with pytest.raises(KeyError):
        compile(r, PACING, {t: 100 for t in texts[:-1]})


def test_too_many_events_is_a_routine_error() -> None:
    r = routine(group(step("Go.", hold_ms=0, rest_ms=0), repeat=MAX_EVENTS + 1))
    with pytest.raises(RoutineError, match="more than 10,000"):
        utterances(r, PACING)


def test_more_than_a_day_is_a_routine_error() -> None:
    r = routine(step("Go.", hold_ms=20 * 3_600_000))
    with pytest.raises(RoutineError, match="more than 24 hours"):
        build(r, replace(PACING, hold_scale=2.0))


# ---- properties ----------------------------------------------------------------------

words = st.sampled_from(["Breathe.", "Relax your shoulders.", "Good.", "Keep going, slowly now.", "Press."])
seconds = st.integers(0, 60).map(lambda s: s * 1000)


@st.composite
def plain_steps(draw: st.DrawFn, counted: bool = False) -> Step:
    """A step that may hold, with cues and a countdown; ``counted``: always both."""
    countdown = draw(st.integers(1 if counted else 0, 5))
    hold = draw(st.integers(max(2, countdown) if counted else 0, 40)) * 1000
    cues: tuple[Cue, ...] = ()
    if counted:  # 3 s apart and done long before the countdown, at any hold scale
        slots = max(0, hold - 2 * countdown * 1000 - 3000) // 3000 + 1
        offsets = draw(st.lists(st.integers(0, slots - 1), max_size=3, unique=True))
        cues = tuple(cue(at * 3000, draw(words)) for at in sorted(offsets) if at * 3000 < hold)
    elif hold:
        offsets = draw(st.lists(st.integers(0, hold - 1), max_size=3, unique=True))
        cues = tuple(cue(at, draw(words)) for at in sorted(offsets))
    return step(
        draw(words),
        name=draw(st.sampled_from(["Stretch", "Press", None])),
        hold_ms=hold,
        rest_ms=draw(st.none() | seconds),
        countdown=countdown if hold else 0,
        cues=cues,
        sides=draw(st.sampled_from([(), ("left", "right")])),
        chime=draw(st.booleans()),
    )


@st.composite
def breathing_steps(draw: st.DrawFn) -> Step:
    pattern = draw(st.sampled_from(["4-4-4-4", "4-7-8", "5-5", "2.5-1-3"]))
    return step(
        draw(st.sampled_from(["", "Breathe with me."])),
        breathe=breathing(pattern, cycles=draw(st.integers(1, 4))),
    )


def items(leaves: st.SearchStrategy[Step]) -> st.SearchStrategy[Step | Group]:
    """Steps, and groups of them repeated, nested."""
    return st.recursive(
        leaves,
        lambda children: st.builds(
            lambda steps, repeat, rest: group(*steps, repeat=repeat, rest_ms=rest),
            st.lists(children, min_size=1, max_size=3),
            st.integers(1, 3),
            st.none() | seconds,
        ),
        max_leaves=8,
    )


ANY_ITEMS = items(plain_steps() | breathing_steps())
COUNTED_ITEMS = items(plain_steps(counted=True))


def longest_speech(text: str, counted: bool) -> int:
    """ms; counted: a number within its second, other texts shorter than the 3 s between cues."""
    if not counted:
        return 3000
    return 950 if text.isdigit() else 1400


#: (routine, pacing, timeline, speech ms by text)
Case = tuple[Routine, Pacing, Timeline, dict[str, int]]


@st.composite
def timelines(draw: st.DrawFn, counted: bool = False) -> Case:
    """(routine, pacing, timeline, speech ms by text). ``counted``: only steps that hold with a
    countdown, and each number said within its second (as both engines do), so that the
    countdown is heard in most examples."""
    r = routine(
        *draw(st.lists(COUNTED_ITEMS if counted else ANY_ITEMS, min_size=1, max_size=4)),
        intro=draw(st.sampled_from(["", "Welcome."])),
        outro=draw(st.sampled_from(["", "Done."])),
    )
    pacing = replace(
        PACING,
        hold_scale=draw(st.sampled_from([0.5, 1.0, 1.37, 2.0])),
        rest_scale=draw(st.sampled_from([0.25, 1.0, 3.0])),
    )
    texts = utterances(r, pacing)
    speech = {t: draw(st.integers(100, longest_speech(t, counted))) for t in texts}
    return r, pacing, compile(r, pacing, speech), speech


def sounds_sorted_never_overlapping_and_inside_the_session(case: Case) -> None:
    _, _, t, speech = case
    for a, b in zip(t.events, t.events[1:], strict=False):
        assert a.end_ms <= b.start_ms
    for e in t.events:
        assert 0 <= e.start_ms < e.end_ms <= t.duration_ms
        assert e.end_ms - e.start_ms == (CHIME_MS if e.kind == CHIME else speech[e.text])


def chapters_tile_the_session(case: Case) -> None:
    _, _, t, _ = case
    assert t.chapters[0].start_ms == 0
    assert t.chapters[-1].end_ms == t.duration_ms
    for a, b in zip(t.chapters, t.chapters[1:], strict=False):
        assert a.end_ms == b.start_ms
    assert sum(c.end_ms - c.start_ms for c in t.chapters) == t.duration_ms
    for e in t.events:
        c = t.chapters[e.chapter]
        assert c.start_ms <= e.start_ms < c.end_ms


def _expected_holds(items: tuple[Step | Group, ...], pacing: Pacing) -> list[int]:
    out: list[int] = []
    for item in items:
        if isinstance(item, Group):
            out += _expected_holds(item.steps, pacing) * item.repeat
        elif item.hold_ms and item.breathe is None:
            out += [pacing.scale_hold(item.hold_ms)] * max(1, len(item.sides))
    return out


def holds_exact_and_start_when_the_instruction_ends(case: Case) -> None:
    r, pacing, t, _ = case
    holds = [p for p in t.phases if p.kind == "hold"]
    assert [p.end_ms - p.start_ms for p in holds] == _expected_holds(r.steps, pacing)
    ends = {e.end_ms for e in t.events if e.kind == "speech"}
    assert all(h.start_ms in ends for h in holds)  # every step here speaks before holding


def breath_phases_are_back_to_back_with_exact_lengths(case: Case) -> None:
    _, _, t, _ = case
    breaths = [p for p in t.phases if p.kind == "breath"]
    for a, b in itertools.pairwise(breaths):
        starts_a_new_run = b.cycle == 1 and b.detail == "inhale"
        if not starts_a_new_run:
            assert a.end_ms == b.start_ms


def countdown_numbers_on_their_seconds(case: Case) -> None:
    """Whatever runs into a countdown, each number said starts on its second of a hold (the
    numbers it would cover are left out, never said late)."""
    _, _, t, _ = case
    marks = {(str(k), p.end_ms - k * 1000) for p in t.phases if p.kind == "hold" for k in range(1, 6)}
    for e in t.events:
        if e.text.isdigit():
            assert (e.text, e.start_ms) in marks


PROPERTIES = [
    sounds_sorted_never_overlapping_and_inside_the_session,
    chapters_tile_the_session,
    holds_exact_and_start_when_the_instruction_ends,
    breath_phases_are_back_to_back_with_exact_lengths,
    countdown_numbers_on_their_seconds,
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines())
def test_property_every_timeline(case: Case) -> None:
    """Each property above on the same 150 generated timelines (generating them is most of
    the cost: four tests drawing their own took four times as long)."""
    for check in PROPERTIES:
        check(case)


def _expected_hold_sounds(items: tuple[Step | Group, ...], pacing: Pacing) -> list[tuple[list[int], int]]:
    """Per hold, in time order: (cue offsets from its start in ms, how many numbers it counts)."""
    out: list[tuple[list[int], int]] = []
    for item in items:
        if isinstance(item, Group):
            out += _expected_hold_sounds(item.steps, pacing) * item.repeat
        elif item.hold_ms and item.breathe is None:
            hold = pacing.scale_hold(item.hold_ms)
            countdown = item.countdown if pacing.countdown is None else pacing.countdown
            offsets = [pacing.scale_hold(c.at_ms) for c in item.cues] if pacing.cues else []
            out += [(offsets, min(countdown, hold // 1000))] * max(1, len(item.sides))
    return out


def test_property_without_warnings_cues_and_countdown_are_exactly_placed() -> None:
    reached: list[bool] = []  # a case with a countdown and no warning

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(timelines(counted=True))
    def check(case) -> None:  # type: ignore[no-untyped-def]
        r, pacing, t, _ = case
        holds = [p for p in t.phases if p.kind == "hold"]
        expected = _expected_hold_sounds(r.steps, pacing)
        assert len(holds) == len(expected)
        counted = any(n for _, n in expected)
        reached.append(counted and not t.warnings)
        event("countdown heard, no warning" if reached[-1] else "not reached")
        if t.warnings:
            return
        starts = {e.start_ms for e in t.events}
        for hold, (offsets, n) in zip(holds, expected, strict=True):
            numbers = [e for e in t.events if e.text.isdigit() and hold.start_ms <= e.start_ms < hold.end_ms]
            assert [(e.text, e.start_ms) for e in numbers] == [
                (str(k), hold.end_ms - k * 1000) for k in range(n, 0, -1)
            ]
            assert all(hold.start_ms + offset in starts for offset in offsets)

    check()
    # the strategy is built for this case (about 90 %); the general one reached it in 7-16 %
    assert sum(reached) >= 0.7 * len(reached), f"reached in {sum(reached)} of {len(reached)}"


def test_hold_sounds_are_placed_in_time_order_whatever_their_kind() -> None:
    # the cue is due after "3": "3" keeps its exact slot, the cue follows, done before "2"
    r = routine(step("Go.", hold_ms=10_000, countdown=3, cues=(cue(7_500, "Nearly there."),)))
    t = build(r, ms_per_word=200)
    hold = next(p for p in t.phases if p.kind == "hold")
    starts = {e.text: e.start_ms for e in t.events}
    assert [starts["3"], starts["2"], starts["1"]] == [hold.end_ms - k * 1000 for k in (3, 2, 1)]
    assert starts["Nearly there."] == hold.start_ms + 7_500
    assert [e.text for e in t.events] == ["Go.", "3", "Nearly there.", "2", "1"]
    assert not t.warnings


# ---- a cue running into the countdown ------------------------------------------------------

CUE_AT = Position("clash.yaml", 7, 9)
STEP_AT = Position("clash.yaml", 3, 5)


def clash(at_ms: int, words: int, *, hold_ms: int = 20_000, countdown: int = 3) -> Routine:
    """A 20 s hold with a cue of ``words`` words (400 ms each) at ``at_ms``, a countdown, a chime."""
    text = " ".join(["word"] * words)
    return routine(
        Step(
            where=STEP_AT,
            name="Long hold",
            say="Go.",  # 400 ms: the hold runs 400-20400
            hold_ms=hold_ms,
            rest_ms=5_000,
            countdown=countdown,
            cues=(Cue(at_ms, text, CUE_AT),),
            chime=True,
        )
    )


def numbers(t: Timeline) -> list[tuple[str, int]]:
    return [(e.text, e.start_ms) for e in t.events if e.text.isdigit()]


def test_a_cue_into_the_countdown_leaves_the_numbers_it_covers_out_and_the_hold_exact() -> None:
    t = build(clash(15_000, 7))  # the cue sounds 15400-18200; "3" is due at 17400
    hold = next(p for p in t.phases if p.kind == "hold")
    assert (hold.start_ms, hold.end_ms) == (400, 20_400)
    assert numbers(t) == [("2", 18_400), ("1", 19_400)]  # on their seconds; "3" left out
    chime = next(e for e in t.events if e.kind == CHIME)
    assert chime.start_ms == 20_400  # the hold ends on time, as heard
    rest = next(p for p in t.phases if p.kind == "rest")
    assert (rest.start_ms, rest.end_ms) == (21_900, 26_900)
    (warning,) = t.warnings
    assert warning.position == CUE_AT and warning.severity == "warning"
    assert warning.message == (
        'the cue "word word word word word word word" runs 800 ms into the 3 s countdown, over its '
        '"3", so "3" is left out (a number is said on its second or not at all; the hold still ends '
        "on time); move the cue to at: 14.2s or earlier, or shorten it"
    )


def test_the_suggested_cue_time_fits_before_the_countdown() -> None:
    for scale in (0.5, 0.75, 1.0, 1.1):
        pacing = replace(PACING, hold_scale=scale)
        t = build(clash(15_000, 7), pacing)
        (warning,) = [w for w in t.warnings if w.position == CUE_AT]
        found = re.search(r"at: ([0-9.]+)s or earlier( \(as scripted, holds ×[0-9.]+\))?, ", warning.message)
        assert found and bool(found[2]) == (scale != 1), warning.message
        at_ms = round(float(found[1]) * 1000)
        fixed = build(clash(at_ms, 7), pacing)
        assert not fixed.warnings, (scale, fixed.warnings)
        assert [n for n, _ in numbers(fixed)] == ["3", "2", "1"]
        # and it is the latest tenth of a second that does
        assert build(clash(at_ms + 100, 7), pacing).warnings


def test_a_cue_over_the_whole_countdown_leaves_it_all_out() -> None:
    t = build(clash(15_000, 11))  # 15400-19800: over "3", "2" and "1"
    assert numbers(t) == []
    assert next(e for e in t.events if e.kind == CHIME).start_ms == 20_400
    (warning,) = t.warnings
    assert 'runs 2400 ms into the 3 s countdown, over its "3"' in warning.message
    assert "so the whole countdown is left out" in warning.message


def test_a_cue_said_inside_the_countdown_leaves_out_only_what_it_covers() -> None:
    t = build(clash(17_500, 2))  # "3" at 17400-17800, the cue 17900-18700 over "2" (18400)
    assert numbers(t) == [("3", 17_400), ("1", 19_400)]
    (warning,) = t.warnings
    assert 'runs 300 ms into the 3 s countdown, over its "2", so "2" is left out' in (warning.message)


def test_a_cue_past_the_end_of_its_hold_says_so_and_what_it_left_out() -> None:
    t = build(clash(15_000, 14))  # 15400-21000, past the hold's end at 20400
    assert numbers(t) == []
    chime = next(e for e in t.events if e.kind == CHIME)
    assert chime.start_ms == 21_000  # a sound is never cut off: the chime waits for it
    cue_warning, chime_warning = t.warnings
    assert cue_warning.position == CUE_AT
    assert cue_warning.message.startswith(
        'the cue "word word word word word word word word word word word word word word" runs 600 ms '
        "past the end of its hold, so the whole countdown is left out; "
    )
    assert cue_warning.message.endswith("; move the cue to at: 11.4s or earlier, or shorten it")
    assert chime_warning.position == STEP_AT and "the chime starts 600 ms late" in chime_warning.message


def test_a_cue_longer_than_the_time_before_the_countdown_can_only_be_shortened() -> None:
    t = build(clash(1_000, 6, hold_ms=5_000))  # 2.4 s of cue, 2 s before the countdown
    (warning,) = t.warnings
    assert warning.message.endswith(
        "; it lasts 2.4s, more than the hold has before its countdown: shorten it"
    )


def test_a_cue_past_the_end_of_a_hold_without_a_countdown() -> None:
    t = build(clash(15_000, 14, countdown=0))
    (cue_warning, _chime) = t.warnings
    assert "runs 600 ms past the end of its hold; move the cue to at: 14.4s or earlier" in cue_warning.message


def test_a_number_longer_than_its_second_leaves_the_next_out() -> None:
    r = clash(1_000, 1)
    t = compile(r, PACING, {"Go.": 400, "word": 400, "3": 1_100, "2": 500, "1": 500})
    assert numbers(t) == [("3", 17_400), ("1", 19_400)]
    (warning,) = t.warnings
    assert warning.position == STEP_AT
    assert warning.message == (
        'the countdown\'s "3" takes 1.1s, longer than its second, so "2" is left out; '
        "a faster --rate fixes it"
    )


def test_a_warning_repeated_by_sides_is_reported_once() -> None:
    r = routine(
        step(
            "Go.",
            hold_ms=5_000,
            sides=("left", "right"),
            cues=(cue(1_000, "one two three four five six"), cue(2_000, "Late.")),
        )
    )
    t = build(r)
    assert len(t.warnings) == 1 and "late" in t.warnings[0].message


def test_unnamed_steps_of_a_round_share_one_chapter() -> None:
    r = routine(group(step("Up.", name=None), step("Down.", name=None), repeat=2, name="Tilts"))
    assert [c.title for c in build(r).chapters] == ["Tilts — round 1 of 2", "Tilts — round 2 of 2"]
