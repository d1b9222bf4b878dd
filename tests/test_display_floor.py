"""The play display read from the floor (issue 14 item 13): the sentence as it is heard,
"breath 2 of 6", a bar whose filled part shows without colour, big letters (--big), and
p twice going back one step, never further."""

from __future__ import annotations

import io

from rich.console import Console

from voiceguide.audio.chime import chime_clip
from voiceguide.pcm.clip import Clip, ms_to_samples
from voiceguide.play.display import BAR_EMPTY, BAR_FULL, big_text, panel
from voiceguide.play.player import Player, Status
from voiceguide.play.sink import FakeSink
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine
from voiceguide.timing.pacing import Pacing
from voiceguide.timing.timeline import CHIME, SPEECH, Event, compile, utterances

from .helpers.routines import FakeClock, breathing, routine, step

RATE = 22050


def make_player() -> tuple[Player, FakeClock]:
    engine = FakeEngine()
    r = routine(
        step("Pull your {side} knee in.", name="Knee to chest", sides=("left", "right"), hold_ms=8000),
        step("Breathe slowly.", name="Breathing", breathe=breathing("2-2", cycles=6)),
        step("Both knees now.", name="Double knee", hold_ms=4000, chime=True),
        intro="Welcome to the session.",
    )
    clips = {t: engine.synthesize(t, VoiceSpec(None, 150)) for t in utterances(r, Pacing())}
    timeline = compile(r, Pacing(), {t: c.duration_ms for t, c in clips.items()})

    def clip_for(e: Event) -> Clip:
        return chime_clip(RATE) if e.kind == CHIME else clips[e.text]

    clock = FakeClock()
    player = Player(timeline, clip_for, RATE, FakeSink(), clock=clock)
    player.start()
    return player, clock


def at(player: Player, clock: FakeClock, ms: int) -> Status:
    clock.now = 100.0 + ms / 1000
    return player.status()


def rendered(status: Status, *, big: bool = False, width: int = 80) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, color_system=None, force_terminal=False)
    console.print(panel("Test", status, 5, True, big=big))
    return out.getvalue()


def test_the_sentence_is_shown_while_it_is_heard_not_before() -> None:
    player, clock = make_player()
    said = next(e for e in player.timeline.events if e.kind == SPEECH and e.text.startswith("Pull your left"))
    before = at(player, clock, said.start_ms - 300)
    assert before.speaking == ""
    assert "Pull your left knee in." not in rendered(before)
    during = at(player, clock, (said.start_ms + said.end_ms) // 2)
    assert during.speaking == "Pull your left knee in."
    assert "Pull your left knee in." in rendered(during)
    assert "Pull your left knee in." in rendered(during, big=True)


def test_breaths_are_counted_as_n_of_total() -> None:
    player, clock = make_player()
    second = next(p for p in player.timeline.phases if p.kind == "breath" and p.cycle == 2)
    status = at(player, clock, second.start_ms + 10)
    assert status.cycles == 6
    assert "breath 2 of 6" in rendered(status)
    last = [p for p in player.timeline.phases if p.kind == "breath" and p.cycle == 6][-1]
    assert "breath 6 of 6" in rendered(at(player, clock, last.start_ms + 10))
    hold = next(p for p in player.timeline.phases if p.kind == "hold")
    hold_status = at(player, clock, hold.start_ms + 10)
    assert hold_status.cycles == 0 and "breath" not in rendered(hold_status)


def bar_of(text: str) -> str:
    line = next(line for line in text.splitlines() if BAR_FULL in line or BAR_EMPTY in line)
    return "".join(ch for ch in line if ch in (BAR_FULL, BAR_EMPTY))


def test_the_bar_shows_how_far_without_colour() -> None:
    player, clock = make_player()
    hold = next(p for p in player.timeline.phases if p.kind == "hold")
    quarter = bar_of(rendered(at(player, clock, hold.start_ms + (hold.end_ms - hold.start_ms) // 4)))
    three = bar_of(rendered(at(player, clock, hold.start_ms + 3 * (hold.end_ms - hold.start_ms) // 4)))
    assert len(quarter) == len(three) >= 20
    assert quarter.count(BAR_FULL) == len(quarter) // 4
    assert three.count(BAR_FULL) == 3 * len(three) // 4
    assert quarter == BAR_FULL * quarter.count(BAR_FULL) + BAR_EMPTY * quarter.count(BAR_EMPTY)


def test_big_text_draws_block_letters_and_digits() -> None:
    rows = big_text("12")
    assert len(rows) == 5 and len({len(row) for row in rows}) == 1
    assert big_text("12") != big_text("13") and big_text("A") != big_text("B")
    assert big_text("knee") == big_text("KNEE")  # one case, big enough to read
    assert all(set(row) <= {"█", " "} for row in rows)


def test_the_big_panel_shows_step_name_and_seconds_left_in_block_letters() -> None:
    player, clock = make_player()
    hold = next(p for p in player.timeline.phases if p.kind == "hold")
    status = at(player, clock, hold.end_ms - 4500)  # 5 s left
    normal, big = rendered(status), rendered(status, big=True)
    for row in big_text("5"):
        assert row.strip() in big
    assert big_text("KNEE")[0] in big
    assert big_text("KNEE")[0] not in normal
    assert len(big.splitlines()) > len(normal.splitlines()) + 8
    assert max(len(line) for line in big.splitlines()) <= 80
    assert bar_of(big).count(BAR_FULL) > 0


def test_the_big_panel_fits_a_narrow_screen_and_names_it_cannot_draw_stay_readable() -> None:
    player, clock = make_player()
    hold = next(p for p in player.timeline.phases if p.kind == "hold")
    status = at(player, clock, hold.start_ms + 10)
    narrow = rendered(status, big=True, width=40)
    assert max(len(line) for line in narrow.splitlines()) <= 40
    assert "Knee to chest — left" in narrow  # too long for two lines of block letters here
    assert big_text("KNEE")[0] in rendered(status, big=True, width=50)  # the step's name fits
    assert status.chapter is not None
    foreign = Status(
        **{
            **status.__dict__,
            "chapter": status.chapter.__class__(
                "Ручка 手", status.chapter.start_ms, status.chapter.end_ms, "Ручка 手"
            ),
        }
    )
    assert "Ручка 手" in rendered(foreign, big=True)


def chapter_start(player: Player, index: int) -> int:
    return ms_to_samples(player.timeline.chapters[index].start_ms, RATE)


def test_p_twice_goes_back_one_step_and_never_further() -> None:
    player, clock = make_player()
    player.seek(chapter_start(player, 3))  # "Breathing"
    clock.now += 3
    player.previous_step()  # restart "Breathing"
    assert player.position() == chapter_start(player, 3)
    clock.now += 0.4
    player.previous_step()  # quickly again: "Knee to chest — right"
    assert player.position() == chapter_start(player, 2)
    for n in range(1, 5):  # more quick presses: it plays on from there, no further back
        clock.now += 0.4
        player.previous_step()
        assert player.position() == chapter_start(player, 2) + round(n * 0.4 * RATE)
    clock.now += 5  # a pause in pressing, then twice again: one more step back
    player.previous_step()
    clock.now += 0.3
    player.previous_step()
    assert chapter_start(player, 1) <= player.position() < chapter_start(player, 2)


def test_the_big_panel_fits_a_24_line_terminal_even_with_a_long_step_name() -> None:
    player, clock = make_player()
    hold = next(p for p in player.timeline.phases if p.kind == "hold")
    status = at(player, clock, hold.start_ms + 10)
    assert status.chapter is not None

    def named(title: str, step: str) -> Status:
        assert status.chapter is not None
        chapter = status.chapter.__class__(title, status.chapter.start_ms, status.chapter.end_ms, step)
        return Status(**{**status.__dict__, "chapter": chapter})

    rounds = named("Knee to chest — round 2 of 4", "Knee to chest")
    longest = named("Progressive muscle relaxation — round 2 of 4", "Progressive muscle relaxation")
    for shown in (status, rounds, longest):
        text = rendered(shown, big=True)
        assert len(text.splitlines()) <= 24, text
        assert big_text("HOLD 8")[0] in text  # the seconds left stay big whatever the name
    text = rendered(rounds, big=True)
    assert big_text("KNEE TO")[0] in text  # the step's name in block letters
    assert "Knee to chest — round 2 of 4" in text  # the whole title in plain letters
    assert "Progressive muscle relaxation — round 2 of 4" in rendered(longest, big=True)
