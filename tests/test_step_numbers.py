"""`show` numbers the steps exactly as `play --from N` and the live display count them
(issue 14 item 4), and in piped play the lead-in is labelled with the step it starts at
(item 5)."""

from __future__ import annotations

import json
import re

from rich.console import Group

from voiceguide.pcm.clip import Clip, ms_to_samples
from voiceguide.play.display import panel, plain_line
from voiceguide.play.player import find_chapter

from .helpers.players import RATE, make_player
from .helpers.run import Runner


def test_show_numbers_every_step_as_from_and_the_display_count_them(vg_in_process: Runner) -> None:
    text = vg_in_process("show", "lower-back-stretch").stdout
    numbered = re.findall(r"── (\d+)\. (.+?)  \(", text)
    chapters = json.loads(vg_in_process("show", "lower-back-stretch", "--json").stdout)["chapters"]
    assert [int(n) for n, _ in numbered] == list(range(1, len(chapters) + 1))
    assert [title for _, title in numbered] == [c["title"] for c in chapters]

    player, _, _, _ = make_player()
    timeline = player.timeline
    for number, chapter in enumerate(timeline.chapters, 1):
        assert find_chapter(timeline, str(number)) == number - 1  # play --from N
        player.start(ms_to_samples(chapter.start_ms, RATE))
        status = player.status()
        assert status.chapter == chapter and status.chapter_number == number  # the display
        body = panel("T", status, len(timeline.chapters), False).renderable
        assert isinstance(body, Group)
        head = body.renderables[0]
        assert str(head).startswith(f"{number}/{len(timeline.chapters)}")


def test_piped_lead_in_is_labelled_with_the_step_it_starts_at() -> None:
    player, clock, _, _ = make_player()
    chapters = player.timeline.chapters
    target = chapters[2]  # "Knee to chest — right"; the step before is "— left"
    lead_in = Clip(b"\x01\x00" * RATE, RATE)  # one second of "starting in"
    player.start(ms_to_samples(target.start_ms, RATE), lead_in)
    for seconds in (0.0, 0.5, 0.45):  # 0, 0.5 and 0.95 s into the lead-in
        clock.now += seconds
        status = player.status()
        assert status.chapter is None and status.chapter_number == 0
        assert status.next_chapter == target
        line = plain_line(status)
        assert target.title in line and chapters[1].title not in line, line
    clock.now += 0.5  # past the lead-in: the step itself
    status = player.status()
    assert status.chapter == target and status.chapter_number == 3
