"""What issue 28 asked of the massage and desk routines, as it is spoken: every side named
from the right body, a countdown followed by what to let go of, no chime that sounds like
the end before the end, warnings said again where they apply."""

from __future__ import annotations

import itertools
import re

import pytest

from voiceguide.routine.bundled import resolve_routine
from voiceguide.routine.loader import load_routine
from voiceguide.routine.model import Routine
from voiceguide.speech.fake import fake_speech_ms
from voiceguide.timing.pacing import Pacing, resolve_pacing
from voiceguide.timing.timeline import CHIME, SPEECH, Timeline, compile, utterances

ROUTINES = ("lower-back-massage", "partner-back-massage", "desk-break", "desk-neck-and-shoulders")

#: what the first words after a countdown may say: the hold is let go of, by name
RELEASE = re.compile(r"^(and\b|step a little away|lower your feet|ask your partner to lower)", re.IGNORECASE)


def loaded(name: str) -> tuple[Routine, Pacing]:
    """The bundled routine ``name`` and its own pacing."""
    routine, _ = load_routine(resolve_routine(name))
    return routine, resolve_pacing(routine).pacing


def timeline(name: str) -> Timeline:
    """``name`` compiled at its own pacing with the fake engine's speech lengths."""
    routine, pacing = loaded(name)
    speech = {t: fake_speech_ms(t, pacing.rate_wpm) for t in utterances(routine, pacing)}
    return compile(routine, pacing, speech)


def said(name: str, chapter: str) -> str:
    """Everything spoken in the chapters whose title starts with ``chapter``, lower case."""
    tl = timeline(name)
    numbers = {i for i, c in enumerate(tl.chapters) if c.title.startswith(chapter)}
    assert numbers, (name, chapter)
    return " ".join(e.text for e in tl.events if e.kind == SPEECH and e.chapter in numbers).lower()


@pytest.mark.parametrize("name", ROUTINES)
def test_every_countdown_is_followed_by_what_to_let_go_of(name: str) -> None:
    speech = [e for e in timeline(name).events if e.kind == SPEECH]
    after = [b.text for a, b in itertools.pairwise(speech) if a.text == "1"]
    assert after, name
    assert [t for t in after if not RELEASE.match(t)] == [], name


@pytest.mark.parametrize("name", ROUTINES)
def test_the_only_chime_ends_the_last_step(name: str) -> None:
    tl = timeline(name)
    chimes = [e.chapter for e in tl.events if e.kind == CHIME]
    last_step = max(i for i, c in enumerate(tl.chapters) if c.title != "Closing")
    assert chimes == [last_step], [tl.chapters[i].title for i in chimes]


def test_the_self_massage_keeps_the_ball_off_the_kidneys_and_says_each_warning_where_it_applies() -> None:
    ball = said("lower-back-massage", "Tennis ball")
    assert "between your lowest ribs and the top of your pelvis" in ball and "kidneys" in ball
    assert "stay below your ribs" not in ball
    floor = said("lower-back-massage", "Stretching — down to the mat")
    assert "pregnant" in floor and "do not lie on your back" in floor
    assert "roll to your side" in floor or "lower yourself onto your side" in floor
    knee = said("lower-back-massage", "Stretching — knee to chest — left")
    assert "hip replaced" in knee and "right angle" in knee
    # the trigger-point explanation is said once, the second side says only what differs
    right = said("lower-back-massage", "Trigger point therapy — right")
    assert "trigger points are" not in right and "right side of your lower back" in right


def test_the_partner_massage_names_sides_from_the_receiver_and_can_be_done_seated() -> None:
    text = " ".join(utterances(*loaded("partner-back-massage"))).lower()
    assert "left side of the lower back" not in text
    assert "your partner's left side, the side nearest you" in text
    assert "squeeze, lift" not in text  # the lower back cannot be lifted lying face down
    for step in ("Getting ready", "Stretching — onto the back"):
        assert "if your partner is" in said("partner-back-massage", step), step


def test_the_desk_routines_name_both_shoulders() -> None:
    right = said("desk-neck-and-shoulders", "Side bend — right ear down")
    assert "keep your left shoulder down" in right and "let your left shoulder sink" in right
    assert "the shoulder sink" not in " ".join(utterances(*loaded("desk-neck-and-shoulders")))
