"""Player logic with a fake sink and a fake clock: positions, pause, steps, --from."""

from __future__ import annotations

import pytest

from voiceguide.errors import UsageError
from voiceguide.pcm.clip import Clip, ms_to_samples
from voiceguide.play.player import Player, chapter_at, find_chapter
from voiceguide.timing.pacing import Pacing
from voiceguide.timing.timeline import compile, utterances

from .helpers.players import RATE, make_player
from .helpers.routines import routine, step


def chapter_start(player: Player, index: int) -> int:
    return ms_to_samples(player.timeline.chapters[index].start_ms, RATE)


def test_streams_are_the_exported_samples_from_exact_offsets() -> None:
    player, clock, sink, whole = make_player()
    player.start()
    assert sink.started[0] == whole
    clock.now += 2.0
    assert player.position() == 2 * RATE
    player.next_step()  # from inside the intro to "Knee to chest — left"
    assert sink.started[1] == whole[2 * chapter_start(player, 1) :]


def test_pause_holds_the_position_and_resume_continues_exactly_there() -> None:
    player, clock, sink, whole = make_player()
    player.start()
    clock.now += 3.25
    player.toggle_pause()
    paused_at = player.position()
    assert paused_at == round(3.25 * RATE) and not sink.playing
    clock.now += 60  # a long pause changes nothing
    assert player.position() == paused_at and player.status().paused
    player.toggle_pause()
    assert sink.started[-1] == whole[2 * paused_at :]
    clock.now += 1
    assert player.position() == paused_at + RATE


def test_previous_restarts_the_step_and_twice_goes_back_one() -> None:
    player, clock, sink, whole = make_player()
    player.start(chapter_start(player, 2))  # "Knee to chest — right"
    clock.now += 3
    player.previous_step()
    assert sink.started[-1] == whole[2 * chapter_start(player, 2) :]
    clock.now += 0.5
    player.previous_step()  # within 2 s: the step before
    assert sink.started[-1] == whole[2 * chapter_start(player, 1) :]


def test_jumping_back_before_the_start_renders_the_earlier_part() -> None:
    player, _clock, sink, whole = make_player()
    player.start(chapter_start(player, 1))
    assert sink.started[0] == whole[2 * chapter_start(player, 1) :]
    player.previous_step()
    player.previous_step()
    assert sink.started[-1] == whole  # the introduction, from sample 0


def test_next_on_the_last_step_ends_the_session_and_steps_while_paused_stay_paused() -> None:
    player, clock, _sink, _ = make_player()
    player.start()
    player.toggle_pause()
    player.next_step()
    assert player.position() == chapter_start(player, 1) and player.status().paused
    player.toggle_pause()
    for _ in range(5):
        player.next_step()
    clock.now += 0.01
    assert player.finished()


def test_lead_in_comes_first_and_counts_as_negative_time() -> None:
    player, clock, sink, whole = make_player()
    lead = Clip(b"\x01\x00" * RATE, RATE)  # one second
    player.start(0, lead)
    assert sink.started[0] == lead.pcm + whole
    clock.now += 0.5
    assert player.position() == -RATE // 2
    assert player.status().chapter is None
    clock.now += 1.0
    assert player.position() == RATE // 2


def test_status_reports_step_phase_and_next() -> None:
    player, clock, _, _ = make_player()
    player.start()
    hold = next(p for p in player.timeline.phases if p.kind == "hold")
    clock.now += (hold.start_ms + 1000) / 1000
    status = player.status()
    assert status.chapter is not None and status.chapter.title == "Knee to chest — left"
    assert status.phase is not None and status.phase.kind == "hold"
    assert status.next_chapter is not None and status.next_chapter.title == "Knee to chest — right"
    assert status.chapter_number == 2


def test_find_chapter_by_number_title_or_step_name() -> None:
    player, *_ = make_player()
    t = player.timeline
    assert find_chapter(t, "1") == 0
    assert find_chapter(t, "knee to chest — right") == 2
    assert find_chapter(t, "Knee to chest") == 1
    with pytest.raises(UsageError, match='did you mean "Double knee"'):
        find_chapter(t, "Dubble knee")
    with pytest.raises(UsageError, match="steps 1 to 4"):
        find_chapter(t, "9")
    assert chapter_at(t, chapter_start(player, 3), RATE) == 3


def test_find_chapter_by_the_start_of_a_step_name() -> None:
    player, *_ = make_player()
    t = player.timeline
    assert find_chapter(t, "double") == find_chapter(t, "Double knee")
    assert find_chapter(t, "KNEE TO") == 1  # every chapter it starts is one step's
    knees = routine(
        step("Pull a knee in.", name="Knee to chest", hold_ms=2000),
        step("Roll your knees.", name="Knee rolls", hold_ms=2000),
    )
    two = compile(knees, Pacing(), {text: 800 for text in utterances(knees, Pacing())})
    with pytest.raises(UsageError, match='could be any of "Knee to chest", "Knee rolls"'):
        find_chapter(two, "knee")
    assert find_chapter(two, "knee r") == 1


def test_every_from_example_in_the_help_and_readme_names_a_step() -> None:
    import re
    from pathlib import Path

    from voiceguide.cli import cli
    from voiceguide.cli.group import all_commands
    from voiceguide.routine.bundled import resolve_routine
    from voiceguide.routine.loader import load_routine

    texts = [Path(__file__).resolve().parent.parent.joinpath("README.md").read_text()]
    texts += [command.epilog or "" for command in all_commands(cli).values()]
    examples = [
        found
        for text in texts
        for found in re.findall(r'voiceguide play (\S+) --from "([^"]+)"', text)
        if found[0] != "ROUTINE"
    ]
    assert examples
    for name, wanted in examples:
        routine, _ = load_routine(resolve_routine(name))
        pacing = Pacing()
        texts_ = utterances(routine, pacing)
        timeline = compile(routine, pacing, {t: 1000 for t in texts_})
        assert 0 <= find_chapter(timeline, wanted) < len(timeline.chapters), (name, wanted)


def test_a_second_p_counts_by_when_it_was_pressed_not_when_the_first_was_done() -> None:
    """On a busy machine the first p's restart took 1.5-2.8 s: ``p p`` typed 0.4 s apart
    restarted the step (the second press acted on more than 2 s after the first was)."""
    player, clock, sink, whole = make_player()
    player.start(chapter_start(player, 2))
    clock.now += 3
    first = clock.now
    player.previous_step(first)
    clock.now += 2.8  # the restart took this long
    player.previous_step(first + 0.4)  # pressed 0.4 s after the first
    assert sink.started[-1] == whole[2 * chapter_start(player, 1) :]  # the step before
