"""The history at a glance (issue 25 item 3): ``play.history.practice`` computes the weekly
streak and the time played each day of the last four weeks once; ``voiceguide history``
draws it as a text chart (the page's chart is tests/test_serve_history.py and
tests/js/history.test.js); ``advance`` carries a page's session on as it plays further."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from voiceguide.cli.history import practice_chart
from voiceguide.play.history import PlayRecord, advance, load, practice, save

from .helpers.run import Runner

TODAY = date(2026, 12, 3)  # a Thursday


def played(day: date, stopped_ms: int, completed: bool = False, hour: int = 12) -> PlayRecord:
    when = datetime(day.year, day.month, day.day, hour).astimezone()  # local noon
    return PlayRecord(
        routine="box-breathing",
        title="Box breathing",
        arguments=(),
        pacing="standard",
        started=when,
        duration_ms=600_000,
        stopped_ms=600_000 if completed else stopped_ms,
        step_index=0,
        step_title="Introduction",
        completed=completed,
    )


def test_practice_sums_each_local_day_of_this_week_and_the_three_before() -> None:
    records = [
        played(TODAY, 0, completed=True),  # 10 minutes
        played(TODAY, 90_000),  # stopped at 1:30
        played(TODAY - timedelta(days=1), 250_000),
        played(date(2026, 11, 9), 120_000),  # Monday three weeks ago: the first day shown
        played(date(2026, 11, 8), 300_000, completed=True),  # the Sunday before: outside
        played(TODAY + timedelta(days=1), 60_000),  # tomorrow (a clock put back): outside
    ]
    shown = practice(records, TODAY)
    assert shown.days[0].day == date(2026, 11, 9) and shown.days[-1].day == TODAY
    assert len(shown.days) == 3 * 7 + 4  # Monday to Thursday this week
    by_day = {d.day: d.played_ms for d in shown.days}
    assert by_day[TODAY] == 690_000
    assert by_day[TODAY - timedelta(days=1)] == 250_000
    assert by_day[date(2026, 11, 9)] == 120_000
    assert shown.played_ms == 690_000 + 250_000 + 120_000
    assert shown.weekly_streak == 1  # only this week has a completed session in the window
    assert practice([], TODAY).played_ms == 0


def test_the_text_chart_draws_a_line_per_week_and_scales_to_the_busiest_day() -> None:
    records = [played(TODAY, 0, completed=True), played(TODAY - timedelta(days=2), 150_000)]
    lines = practice_chart(practice(records, TODAY))
    assert lines[0] == "Minutes a day, the last 4 weeks (Mon → Sun):"
    assert [line.split()[:2] for line in lines[1:5]] == [
        ["Nov", "9"],
        ["Nov", "16"],
        ["Nov", "23"],
        ["Nov", "30"],
    ]
    assert lines[4].split()[2:] == ["·", "▂", "·", "█", "12", "min"]  # Mon Tue(2:30) Wed Thu(10:00)
    assert lines[1].split()[2:] == ["·"] * 7 + ["0", "min"]
    assert lines[-1] == "  (█ = 10 min, the busiest day)"


def test_advance_only_carries_a_session_further(tmp_path: Path) -> None:
    database = tmp_path / "history.sqlite3"
    assert advance(1, played(TODAY, 1000), database) is False  # no database yet
    first = save(played(TODAY, 60_000), database)
    other = save(played(TODAY, 5_000), database)
    assert first != other
    assert advance(first, replace(played(TODAY, 200_000), step_index=2, step_title="Round 2"), database)
    assert advance(first, played(TODAY, 100_000), database)  # seeking back: still 200_000
    rows = {r.id: r for r in load(database)}
    assert (rows[first].stopped_ms, rows[first].step_title) == (200_000, "Round 2")
    assert rows[other].stopped_ms == 5_000  # untouched
    assert advance(first, played(TODAY, 0, completed=True), database)
    assert advance(first, played(TODAY, 1_000), database)  # completed stays completed
    again = {r.id: r for r in load(database)}[first]
    assert again.completed and again.stopped_ms == 600_000
    assert advance(999, played(TODAY, 1_000), database) is False


def test_history_prints_the_chart_and_its_json_the_days(
    vg_in_process: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    save(played(date.today(), 0, completed=True), data / "history.sqlite3")
    env = {"VOICEGUIDE_DATA_DIR": str(data)}
    text = vg_in_process("history", env=env)
    assert text.returncode == 0, text.stderr
    assert "Minutes a day, the last 4 weeks (Mon → Sun):" in text.stdout
    assert "(█ = 10 min, the busiest day)" in text.stdout
    document = json.loads(vg_in_process("history", "--json", env=env).stdout)
    assert document["days"][-1] == {"date": date.today().isoformat(), "played_ms": 600_000}
    assert document["sessions"][0]["completed"] is True
    empty = vg_in_process("history", env={"VOICEGUIDE_DATA_DIR": str(tmp_path / "none")})
    assert "Minutes a day" not in empty.stdout  # nothing to chart yet
