"""The back and leg routines' content (issue 28): the back red flags first, a new hip's rule
said first and its alternative at each deep bend, a clot in the calf, no silent breathing.
Their timing (changes of position given time, lengths in band) is the lint's and
tests/test_library.py's."""

from __future__ import annotations

import re

import pytest

from voiceguide.routine.bundled import resolve_routine
from voiceguide.routine.loader import load_routine
from voiceguide.routine.model import Group, Step
from voiceguide.routine.safety_sets import SAFETY_SETS

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
