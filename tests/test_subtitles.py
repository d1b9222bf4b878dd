"""Subtitles in readable pieces (issue 25 item 15): at most two lines of about 42
characters, a long spoken cue cut at sentence and clause boundaries, each piece timed in
whole ms in proportion to its characters inside the speech's own window (the first SRT
cue of a routine lasted 17 s and held 250 characters)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceguide.export.sidecars import (
    CUE_LINES,
    LINE_CHARS,
    SubtitleCue,
    one_line,
    readable_pieces,
    srt,
    subtitle_cues,
    webvtt,
)
from voiceguide.timing.timeline import Chapter, Event, Timeline

from .helpers.run import Runner

SAFETY = (
    "Get help now. Numbness or tingling around your groin, buttocks or inner thighs, new "
    "trouble controlling your bladder or bowels, or weakness or numbness spreading in one or "
    "both legs is an emergency: stop, and call emergency services or go to an emergency "
    "department now."
)


def timeline_of(*spoken: tuple[int, int, str]) -> Timeline:
    events = tuple(Event(start, end, "speech", text, "S", 0) for start, end, text in spoken)
    end = max((e.end_ms for e in events), default=0)
    return Timeline("T", end, events, (Chapter("S", 0, end, "S"),), ())


def check(cues: list[SubtitleCue], spoken: list[tuple[int, int, str]]) -> None:
    """Every invariant the issue asks for, for cues made of ``spoken`` (start, end, text)."""
    for number, (start, end, text) in enumerate(spoken, 1):
        mine = [cue for cue in cues if cue.utterance == number]
        assert " ".join(" ".join(cue.lines) for cue in mine) == one_line(text)  # every word, in order
        assert mine[0].start_ms == start and mine[-1].end_ms == end  # the speech's own window
        for before, after in itertools.pairwise(mine):
            assert before.end_ms == after.start_ms  # back to back
        for cue in mine:
            assert start <= cue.start_ms <= cue.end_ms <= end
            assert isinstance(cue.start_ms, int) and isinstance(cue.end_ms, int)
            assert len(cue.lines) <= CUE_LINES
            assert all(len(line) <= LINE_CHARS for line in cue.lines if " " in line)  # or one word
        total = sum(len(" ".join(cue.lines)) for cue in mine)
        done = 0
        for cue in mine:  # proportional to characters, to the ms
            assert cue.start_ms == start + (end - start) * done // total
            done += len(" ".join(cue.lines))


def test_a_long_safety_sentence_is_cut_into_readable_cues() -> None:
    spoken = [(8_420, 25_420, SAFETY), (26_000, 27_000, "Lie down.")]
    cues = subtitle_cues(timeline_of(*spoken))
    check(cues, spoken)
    pieces = [" ".join(cue.lines) for cue in cues[:-1]]
    assert len(pieces) >= 4 and pieces[0] == "Get help now."  # a sentence of its own
    assert all(re.search(r"[.,:;]$", piece) for piece in pieces)  # every cut at a clause's end
    assert max(cue.end_ms - cue.start_ms for cue in cues) < 6_000  # not 17 s of one cue
    assert cues[-1] == SubtitleCue(2, 0, 26_000, 27_000, ("Lie down.",))  # short: whole, as before


def test_subtitle_files_carry_the_pieces() -> None:
    timeline = timeline_of((0, 17_000, SAFETY))
    vtt, sub = webvtt(timeline), srt(timeline)
    cues = subtitle_cues(timeline)
    assert vtt.count(" --> ") == sub.count(" --> ") == len(cues) > 1
    assert "\n1.1\n00:00:00.000 --> " in vtt and "\n1.2\n" in vtt  # event 1, pieces 1 and 2
    for block in sub.strip().split("\n\n"):
        number, timing, *lines = block.split("\n")
        assert number.isdigit() and " --> " in timing and 1 <= len(lines) <= CUE_LINES
        assert all(len(line) <= LINE_CHARS for line in lines)


@given(
    st.lists(
        st.tuples(
            st.integers(1_000, 60_000),  # ms: speech lasts longer than its pieces number
            st.lists(
                st.one_of(
                    st.text("abcdefghij", min_size=1, max_size=14),
                    st.text("abcdefghij", min_size=40, max_size=100),  # longer than a line
                    st.sampled_from([",", ".", ";", ":", "—", "!", "?"]),
                ),
                min_size=1,
                max_size=60,
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
@settings(deadline=None, max_examples=50)  # a busy machine's pauses are no failure
def test_cues_keep_every_word_inside_the_speech_window(spoken: list[tuple[int, list[str]]]) -> None:
    at, events = 0, []
    for length, words in spoken:
        text = " ".join(words)
        events.append((at, at + length, text))
        at += length + 100
    check(subtitle_cues(timeline_of(*events)), events)


def test_speech_too_short_to_share_is_one_cue() -> None:
    [cue] = subtitle_cues(timeline_of((500, 502, SAFETY)))  # 2 ms for many pieces
    assert (cue.start_ms, cue.end_ms, " ".join(cue.lines)) == (500, 502, SAFETY)


def test_pieces_are_whole_when_they_fit() -> None:
    assert readable_pieces("Reach up.") == ["Reach up."]
    assert readable_pieces(f"a {'x' * 50} b") == ["a", "x" * 50, "b"]  # a word past a line: alone
    long = "Breathe in slowly through your nose, " * 4
    assert all(piece.endswith(",") for piece in readable_pieces(long.strip())[:-1])


@pytest.mark.slow
def test_an_exported_routine_has_readable_subtitles(vg_in_process: Runner, tmp_path: Path) -> None:
    routine = f"title: R\nsafety:\n  - {json.dumps(SAFETY)}\nsteps:\n  - {{say: Lie down., hold: 1s}}\n"
    (tmp_path / "r.yaml").write_text(routine)
    result = vg_in_process("export", "r.yaml", "-o", "s.wav", "--subtitles", "srt")
    assert result.returncode == 0, result.stderr
    blocks = (tmp_path / "s.srt").read_text().strip().split("\n\n")
    assert len(blocks) > 4
    for block in blocks:
        _, _, *lines = block.split("\n")
        assert 1 <= len(lines) <= CUE_LINES and all(len(line) <= LINE_CHARS for line in lines), block
