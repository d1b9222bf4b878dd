"""The back and leg routines' content (issue 28): the back red flags first, a new hip's rule
said first and its alternative at each deep bend, a clot in the calf, no silent breathing,
every countdown followed by what to let go of; in every bundled routine, a warning said
again where it applies and a set-up that moves the listener given a pause of its own.
Their timing (changes of position given time, lengths in band) is the lint's and
tests/test_library.py's."""

from __future__ import annotations

import itertools
import re

import pytest

from voiceguide.routine.bundled import bundled_routines, resolve_routine
from voiceguide.routine.loader import load_routine
from voiceguide.routine.model import Group, Step
from voiceguide.routine.moves import position_change
from voiceguide.routine.safety_sets import SAFETY_SETS
from voiceguide.speech.fake import fake_speech_ms
from voiceguide.timing.pacing import resolve_pacing
from voiceguide.timing.timeline import SPEECH, Timeline, compile, utterances

#: the back and leg routines (issue 28): the back red flags first, in every one
BACK_AND_LEG_ROUTINES = (
    "lower-back-stretch",
    "lower-back-for-sitters",
    "hip-opener",
    "gentle-hamstrings",
    "morning-mobility",
    "evening-wind-down",
)


def breathing_steps(items: tuple[Step | Group, ...]) -> list[Step]:
    """The breathing steps among ``items``, groups opened."""
    found: list[Step] = []
    for item in items:
        if isinstance(item, Group):
            found += breathing_steps(item.steps)
        elif item.breathe is not None:
            found.append(item)
    return found


@pytest.mark.parametrize("name", BACK_AND_LEG_ROUTINES)
def test_back_and_leg_routines_speak_the_back_red_flags_first_and_pace_every_breath(name: str) -> None:
    """The shared set (an emergency called one, saddle numbness, recent surgery,
    osteoporosis) opens the safety points; no breathing step is left silent (issue 28:
    evening-wind-down was silent for ten breaths; tones pace them now)."""
    r, _ = load_routine(resolve_routine(name))
    help_now, ask_first = SAFETY_SETS["back"]
    assert r.safety[0] == help_now, name
    assert ask_first in r.safety, name
    own_emergencies = r.safety[1 : r.safety.index(ask_first)]
    assert all("emergency" in line.lower() for line in own_emergencies), (name, own_emergencies)
    for step in breathing_steps(r.steps):
        assert step.breathe is not None
        guided = step.breathe.sound != "words" or all(step.breathe.words.get(p) for p in ("inhale", "exhale"))
        assert guided, (name, step.name)


def test_the_hamstrings_warn_of_a_clot_in_the_calf() -> None:
    safety = " ".join(load_routine(resolve_routine("gentle-hamstrings"))[0].safety).lower()
    assert all(word in safety for word in ("calf", "swollen", "warm", "red", "clot", "emergency")), safety


#: the floor routines whose steps bend the hip deeply (issue 28)
DEEP_BEND_ROUTINES = ("lower-back-stretch", "lower-back-for-sitters", "hip-opener", "evening-wind-down")
DEEP_BEND = re.compile(r"knees? to chest|child's pose|figure four", re.IGNORECASE)


@pytest.mark.parametrize("name", DEEP_BEND_ROUTINES)
def test_a_new_hip_hears_its_rule_first_and_its_alternative_at_each_deep_bend(name: str) -> None:
    """Issue 28: "keep that knee below hip height" meant nothing lying down. The rule is
    said with the safety points, and each step that bends the hip past a right angle says
    what to do instead with a new hip, where it is done."""
    r, _ = load_routine(resolve_routine(name))
    assert any("past a right angle" in s for s in r.safety), name
    deep = [s for s in r.steps if isinstance(s, Step) and DEEP_BEND.search(s.name or "")]
    assert deep, name
    for step in deep:
        said = f"{step.setup} {step.say or ''}".lower()
        assert re.search(r"with a new (?:left |right )?hip", said), (name, step.name)


def timeline(name: str) -> Timeline:
    """The bundled routine ``name`` at its own pacing, with the fake engine's speech lengths."""
    routine, _ = load_routine(resolve_routine(name))
    pacing = resolve_pacing(routine).pacing
    speech = {t: fake_speech_ms(t, pacing.rate_wpm) for t in utterances(routine, pacing)}
    return compile(routine, pacing, speech)


#: the first words after a countdown: the hold is let go of, or the position named that
#: ends it ("Both feet on the floor." before the second side)
RELEASE = re.compile(
    r"^(and\b|both (?:feet|hands|knees)\b|feet side by side|head upright|face forward"
    r"|knees (?:back )?to the middle|well done|if you are lying on your side)",
    re.IGNORECASE,
)


@pytest.mark.parametrize("name", BACK_AND_LEG_ROUTINES)
def test_every_countdown_is_followed_by_what_to_let_go_of(name: str) -> None:
    """Issue 28 item 9: "3, 2, 1" was followed by the next side's set-up (morning-mobility's
    second arm circles began "Keep your other hand on the chair" with that hand still
    circling)."""
    speech = [e for e in timeline(name).events if e.kind == SPEECH]
    after = [b.text for a, b in itertools.pairwise(speech) if a.text == "1"]
    assert after, name
    assert [t for t in after if not RELEASE.match(t)] == [], name


@pytest.mark.parametrize("name", [name for name, _ in bundled_routines()])
def test_a_setup_that_moves_the_listener_ends_in_a_pause(name: str) -> None:
    """A step's ``setup:`` that changes position (walk round to the chair and sit, stand
    behind it) is followed by the first side's instruction 0.7 s later unless it ends in
    a pause: the lint counts to the next hold, so it cannot see the listener still
    moving while the next instruction starts (issue 28 item 4)."""
    routine, _ = load_routine(resolve_routine(name))
    items = [s for item in routine.steps for s in (item.steps if isinstance(item, Group) else (item,))]
    moving = [s for s in items if isinstance(s, Step) and s.setup and position_change(s.setup)]
    assert [s.name for s in moving if not re.search(r"\[pause \d+s\]$", s.setup)] == [], name


@pytest.mark.parametrize(
    ("name", "chapter", "warning"),
    [
        ("progressive-muscle-relaxation", "Settle", "if you are pregnant, sit, or lie on your side"),
        ("progressive-muscle-relaxation", "Belly — tense", "if you are pregnant, skip this one"),
        ("hip-opener", "Knee rolls", "osteoporosis"),
        ("evening-wind-down", "Onto your back", "if you are pregnant, lie on your side"),
        ("evening-wind-down", "Neck release — right", "stop if you feel dizzy"),
        ("morning-mobility", "Nod and turn", "if you feel dizzy, stop"),
    ],
)
def test_a_warning_is_said_again_where_it_applies(name: str, chapter: str, warning: str) -> None:
    """Issue 28 item 7: a warning heard among the safety points is said again at the step
    it is about (the pregnant listener skips the belly when the belly is tensed)."""
    tl = timeline(name)
    numbers = {i for i, c in enumerate(tl.chapters) if c.title == chapter}
    assert numbers, (name, chapter)
    said = " ".join(e.text for e in tl.events if e.kind == SPEECH and e.chapter in numbers).lower()
    assert warning in said, (name, chapter, said)
