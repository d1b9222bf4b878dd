"""`play --from` names a step as a person would (timing.chapters.find_chapter): by its name,
which starts where the step starts (its first side, its set-up chapter, its instructions), by a
chapter's title however the dash is typed, or by words of it. On the bundled routines, the
start each text resolves to is the one `show --json` gives that chapter."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from voiceguide.errors import UsageError
from voiceguide.export.document import timeline_from_document
from voiceguide.pcm.clip import ms_to_samples
from voiceguide.pcm.wavfile import read_wav
from voiceguide.routine.bundled import bundled_routines, resolve_routine
from voiceguide.routine.loader import load_routine
from voiceguide.routine.model import Step
from voiceguide.timing.chapters import find_chapter, step_of
from voiceguide.timing.pacing import resolve_pacing
from voiceguide.timing.timeline import Timeline, compile, utterances

from .helpers.alsa import alsa_env, alsa_home
from .helpers.run import VOICEGUIDE, Runner, private_environment

ROUTINE = "lower-back-stretch"
#: (routine, what is typed after --from, the chapter it starts at)
STARTS = [
    ("lower-back-stretch", "Knee to chest", "Knee to chest — left"),  # was "could be any of"
    ("lower-back-stretch", "knee to chest", "Knee to chest — left"),
    ("lower-back-stretch", "Knee to chest — right", "Knee to chest — right"),
    ("lower-back-stretch", "knee to chest right", "Knee to chest — right"),
    ("lower-back-stretch", "Knee to chest - right", "Knee to chest — right"),
    ("lower-back-stretch", "knee to chest, right", "Knee to chest — right"),
    ("lower-back-stretch", "right knee to chest", "Knee to chest — right"),
    ("lower-back-stretch", "knee to chest r", "Knee to chest — right"),
    ("lower-back-stretch", "Pelvic tilts", "Pelvic tilts — setup"),  # was round 1: set-up unheard
    ("lower-back-stretch", "pelvic", "Pelvic tilts — setup"),
    ("lower-back-stretch", "tilts", "Pelvic tilts — setup"),
    ("lower-back-stretch", "Pelvic tilts — round 2 of 4", "Pelvic tilts — round 2 of 4"),
    ("lower-back-stretch", "pelvic tilts round 3", "Pelvic tilts — round 3 of 4"),
    ("lower-back-stretch", "Cat and cow", "Cat and cow — round 1 of 4"),
    ("lower-back-stretch", "childs pose", "Child's pose"),
    ("lower-back-stretch", "6", "Pelvic tilts — round 1 of 4"),  # the number `show` gives it
    ("lower-back-massage", "Trigger point therapy", "Trigger point therapy — left"),
    ("lower-back-massage", "trigger", "Trigger point therapy — left"),
    ("lower-back-massage", "Trigger point therapy right", "Trigger point therapy — right"),
    ("lower-back-massage", "Stretching", "Stretching — down to the mat"),
    ("lower-back-massage", "knee to chest right", "Stretching — knee to chest — right"),
    ("lower-back-massage", "Stretching — knee to chest", "Stretching — knee to chest — left"),
    ("desk-neck-and-shoulders", "Chin tucks", "Chin tucks — setup"),
    ("desk-neck-and-shoulders", "turn right", "Turn — look right"),
    ("box-breathing", "Box breathing", "Box breathing"),
    ("box-breathing", "box breathing shorter", "Box breathing — shorter cues"),
    ("morning-mobility", "Sit to stand", "Sit to stand — setup"),
]


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """`show NAME --json` of each routine of STARTS (the fake engine, a private cache): the
    chapters and their start ms that play goes by."""
    env = dict(os.environ) | private_environment(tmp_path_factory.mktemp("from"), "fake")
    env.pop("VOICEGUIDE_DEBUG", None)
    documents = {}
    for name in dict.fromkeys(routine for routine, _, _ in STARTS):
        result = subprocess.run(
            [str(VOICEGUIDE), "show", name, "--json"], capture_output=True, text=True, env=env, timeout=120
        )
        assert result.returncode == 0, result.stderr
        documents[name] = json.loads(result.stdout)
    return documents


def compiled(name: str) -> Timeline:
    """The bundled routine ``name`` compiled at its own pacing (every text 1 s long):
    chapters with their steps' names, as play compiles them."""
    routine, _ = load_routine(resolve_routine(name))
    pacing = resolve_pacing(routine).pacing
    return compile(routine, pacing, {text: 1000 for text in utterances(routine, pacing)})


@pytest.mark.parametrize(("name", "wanted", "title"), STARTS)
def test_from_starts_where_show_puts_the_step(
    shown: dict[str, dict[str, Any]], name: str, wanted: str, title: str
) -> None:
    doc = shown[name]
    start = next(c["start_ms"] for c in doc["chapters"] if c["title"] == title)
    timeline = timeline_from_document(doc)
    assert timeline.chapters[find_chapter(timeline, wanted)].start_ms == start
    play_timeline = compiled(name)  # each chapter with its step's name, as play has them
    assert play_timeline.chapters[find_chapter(play_timeline, wanted)].title == title


def test_a_step_is_heard_from_its_set_up(shown: dict[str, dict[str, Any]]) -> None:
    """The first thing said from "Pelvic tilts" is the set-up's instruction; from "Trigger point
    therapy" its ``setup:``, said in its first side's chapter."""
    for name, wanted, step_name in (
        ("lower-back-stretch", "Pelvic tilts", "Pelvic tilts — setup"),
        ("lower-back-massage", "Trigger point therapy", "Trigger point therapy"),
    ):
        routine, _ = load_routine(resolve_routine(name))
        step = next(s for s in routine.steps if isinstance(s, Step) and s.name == step_name)
        first_said = step.setup or step.say
        assert first_said
        timeline = timeline_from_document(shown[name])
        start = timeline.chapters[find_chapter(timeline, wanted)].start_ms
        heard = [e for e in timeline.events if e.start_ms >= start and e.kind == "speech"]
        assert first_said.startswith(heard[0].text), (wanted, heard[0].text)


@pytest.mark.parametrize(
    ("name", "wanted", "steps"),
    [
        ("lower-back-stretch", "round 1", '"Pelvic tilts", "Cat and cow"'),
        ("lower-back-stretch", "chest", '"Knee to chest", "Double knee to chest"'),
        ("lower-back-stretch", "s", '"Safety", "Settle in", "Supine twist"'),
    ],
)
def test_a_text_that_fits_several_steps_names_them(name: str, wanted: str, steps: str) -> None:
    timeline = compiled(name)
    with pytest.raises(UsageError, match=f"could be any of {steps}; give more of the name"):
        find_chapter(timeline, wanted)


def test_every_title_and_step_name_of_every_bundled_routine_starts_its_step() -> None:
    """A title typed whole starts at its chapter (the resume line prints it), unless the
    chapters just before bear it as a name; a step's name at the first chapter bearing it."""
    for name, _ in bundled_routines():
        timeline = compiled(name)
        chapters = timeline.chapters
        for index, chapter in enumerate(chapters):
            found = find_chapter(timeline, chapter.title)
            first = next(i for i, c in enumerate(chapters) if c.title == chapter.title)
            assert found <= first and all(
                c.title.startswith(chapter.title) for c in chapters[found : first + 1]
            ), (name, chapter.title)
            step = step_of(chapter)
            starts = find_chapter(timeline, step)
            assert step_of(chapters[starts]) == step and starts <= index, (name, step)


@pytest.mark.alsa
@pytest.mark.slow
def test_play_from_a_step_name_plays_the_export_from_its_set_up(vg: Runner, tmp_path: Path) -> None:
    """`play lower-back-stretch --from "Pelvic tilts"` through ALSA (a file behind the null
    device) plays what export writes from "Pelvic tilts — setup" on, to the sample."""
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    env = alsa_env(home)
    played = vg("play", ROUTINE, "--quiet", "--lead-in", "0", "--from", "Pelvic tilts", env=env)
    assert played.returncode == 0, played.stderr
    out = tmp_path / "all.wav"
    assert vg("export", ROUTINE, "-o", str(out), env=env).returncode == 0
    chapters = json.loads(vg("show", ROUTINE, "--json", env=env).stdout)["chapters"]
    start = next(c["start_ms"] for c in chapters if c["title"] == "Pelvic tilts — setup")
    wav = read_wav(out)
    assert (home / "capture.raw").read_bytes() == wav.pcm[2 * ms_to_samples(start, wav.sample_rate) :]
