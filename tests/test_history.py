"""History and resume (issue 14 item 12): every finished or stopped `play` is recorded in a
small SQLite database in the user data dir; `voiceguide history` lists it with a weekly
streak; `play --resume` carries on the last stopped session at the step it stopped; a
locked, corrupt or unwritable database never stops play."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from voiceguide.pcm.wavfile import read_wav
from voiceguide.play import history
from voiceguide.play.history import HistoryError, PlayRecord, to_resume, weekly_streak

from .helpers.routines import YAML_ROUTINE
from .helpers.run import Runner

UTC = UTC


def record(
    when: datetime, completed: bool = True, routine: str = "box-breathing", **kw: object
) -> PlayRecord:
    base = PlayRecord(
        routine=routine,
        title="Box breathing",
        arguments=("--rate", "140"),
        pacing="standard · 140 wpm",
        started=when,
        duration_ms=600_000,
        stopped_ms=600_000 if completed else 125_000,
        step_index=5 if completed else 2,
        step_title="Closing" if completed else "Round 2",
        completed=completed,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


# ---- the pure parts --------------------------------------------------------------------


def test_the_weekly_streak_counts_consecutive_iso_weeks_with_a_completed_session() -> None:
    today = date(2026, 12, 2)  # a Wednesday, ISO week 49
    monday = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert weekly_streak([], today) == 0
    this_week = record(monday)
    assert weekly_streak([this_week], today) == 1
    weeks = [record(monday - timedelta(weeks=n)) for n in range(4)]
    assert weekly_streak(weeks, today) == 4
    two_a_week = [*weeks, record(monday + timedelta(days=1))]
    assert weekly_streak(two_a_week, today) == 4  # weeks, not sessions
    gap = [weeks[0], weeks[1], weeks[3]]
    assert weekly_streak(gap, today) == 2
    stopped_only = [weeks[0], weeks[1], record(monday - timedelta(weeks=2), completed=False), weeks[3]]
    assert weekly_streak(stopped_only, today) == 2  # a stopped session keeps no streak
    # nothing yet this week: last week's streak still stands until this week is over
    assert weekly_streak(weeks[1:], today) == 3
    assert weekly_streak(weeks[2:], today) == 0
    # across a year's end: ISO 2026 has 53 weeks
    new_year = date(2027, 1, 6)
    around = [
        record(datetime(2027, 1, 4, 12, tzinfo=UTC)),
        record(datetime(2026, 12, 31, 12, tzinfo=UTC)),
        record(datetime(2026, 12, 21, 12, tzinfo=UTC)),
    ]
    assert weekly_streak(around, new_year) == 3


def test_resume_takes_the_latest_stopped_session_not_one_played_again_since() -> None:
    day = datetime(2026, 11, 1, tzinfo=UTC)
    a_stopped = record(day, completed=False, routine="a")
    b_stopped = record(day + timedelta(hours=1), completed=False, routine="b")
    b_done = record(day + timedelta(hours=2), completed=True, routine="b")
    newest_first = [b_done, b_stopped, a_stopped]
    assert to_resume(newest_first) == a_stopped  # b was finished since it stopped
    assert to_resume(newest_first, routine="b") is None
    assert to_resume([b_stopped, a_stopped]) == b_stopped
    assert to_resume([b_done]) is None and to_resume([]) is None


def test_records_are_saved_and_read_back_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.sqlite3"
    first = record(datetime(2026, 11, 1, 8, 30, tzinfo=UTC), completed=False)
    second = record(datetime(2026, 11, 2, 8, 30, tzinfo=UTC), routine="/home/me/mine.yaml")
    history.save(first, path)
    history.save(second, path)
    loaded = history.load(path)
    assert [replace(r, id=0) for r in loaded] == [second, first]
    assert loaded[0].id > loaded[1].id > 0
    assert history.load(tmp_path / "none" / "history.sqlite3") == []  # nothing played yet


def test_a_corrupt_locked_or_unwritable_database_is_a_history_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="history"):
        history.save(record(datetime.now(UTC)), corrupt)
    with pytest.raises(HistoryError):
        history.load(corrupt)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(HistoryError):
        history.save(record(datetime.now(UTC)), blocker / "history.sqlite3")
    locked = tmp_path / "locked.sqlite3"
    history.save(record(datetime.now(UTC)), locked)
    with locked_database(locked), pytest.raises(HistoryError, match=r"busy|locked"):
        history.save(record(datetime.now(UTC)), locked, timeout_s=0.1)


def test_the_data_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA_DIR", str(tmp_path / "elsewhere"))
    assert history.history_file() == tmp_path / "elsewhere" / "history.sqlite3"
    monkeypatch.delenv("VOICEGUIDE_DATA_DIR")
    assert "voiceguide" in str(history.history_file())


# ---- through the command line, with a fake device ---------------------------------------


class InstantSink:
    """Plays nothing and is done at once: every play completes."""

    started: ClassVar[list[bytes]] = []

    def __init__(self) -> None:
        self.playing = False

    def start(self, pcm: memoryview, sample_rate: int) -> None:
        InstantSink.started.append(bytes(pcm))

    def stop(self) -> None:
        pass

    def is_playing(self) -> bool:
        return False


class EndlessSink(InstantSink):
    """Plays for ever (the clock says where)."""

    def is_playing(self) -> bool:
        return True


class ScriptedKeys:
    """A terminal on which ``keys`` are pressed, one per read."""

    keys: ClassVar[list[str]] = []

    def __enter__(self) -> ScriptedKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    interactive = True

    def read(self, timeout_s: float) -> str | None:
        return ScriptedKeys.keys.pop(0) if ScriptedKeys.keys else None


@pytest.fixture
def routine_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(YAML_ROUTINE.replace("hold: 3s", "hold: 30s"))
    return path


@pytest.fixture
def data_env(tmp_path: Path) -> dict[str, str]:
    return {"VOICEGUIDE_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def device(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    InstantSink.started = []
    monkeypatch.setattr("voiceguide.play.sink.SimpleaudioSink", InstantSink)
    yield monkeypatch


def stop_after(monkeypatch: pytest.MonkeyPatch, keys: list[str]) -> None:
    """The next play plays for ever and these keys are pressed (end with "q")."""
    monkeypatch.setattr("voiceguide.play.sink.SimpleaudioSink", EndlessSink)
    monkeypatch.setattr("voiceguide.play.keys.KeyReader", ScriptedKeys)
    ScriptedKeys.keys = list(keys)


def sessions(vg_in_process: Runner, data_env: dict[str, str]) -> dict[str, Any]:
    result = vg_in_process("history", "--json", env=data_env)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_a_finished_play_is_recorded_and_listed(
    vg_in_process: Runner, data_env: dict[str, str], device: pytest.MonkeyPatch, routine_file: Path
) -> None:
    assert sessions(vg_in_process, data_env)["sessions"] == []
    played = vg_in_process("play", "tiny.yaml", "--lead-in", "0", "--rate", "140", "--quiet", env=data_env)
    assert played.returncode == 0, played.stderr
    document = sessions(vg_in_process, data_env)
    [entry] = document["sessions"]
    assert entry["routine"] == str(routine_file)  # a path is kept whole, to replay from anywhere
    assert entry["completed"] is True and entry["title"] == "Tiny"
    assert entry["arguments"] == ["--rate", "140", "--lead-in", "0"]
    assert "140 wpm" in entry["pacing"]
    assert entry["stopped_ms"] == entry["duration_ms"] > 0
    assert datetime.fromisoformat(entry["started"]) <= datetime.now(UTC)
    assert document["weekly_streak"] == 1
    text = vg_in_process("history", env=data_env)
    assert text.returncode == 0 and "Tiny" in text.stdout and "completed" in text.stdout
    assert "streak: 1 week" in text.stdout


def test_a_routine_is_kept_by_bundled_name_or_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceguide.cli.replay import routine_key

    monkeypatch.chdir(tmp_path)
    assert routine_key("box-breathing") == routine_key("box-breathing.yaml") == "box-breathing"
    (tmp_path / "mine.yaml").write_text(YAML_ROUTINE)
    assert routine_key("mine.yaml") == str(tmp_path / "mine.yaml")
    assert routine_key("-") == "-"


def test_the_recorded_options_parse_back_to_the_same_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceguide.cli.play import play
    from voiceguide.cli.replay import given_arguments

    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text("rate: 120\n")
    given = [
        "r.yaml",
        "--breath",
        "4-7-8",
        "--duration",
        "12m30.5s",
        "--no-cues",
        "--hold-scale",
        "1.35",
        "--countdown",
        "off",
        "--pacing",
        "p.yaml",
        "--background-db",
        "-18.5",
        "--loudness",
        "-14",
        "--engine",
        "fake",
        "--cycles",
        "7",
        "--lead-in",
        "0",
        "--from",
        "2",
        "--quiet",
        "--big",
    ]
    first = play.make_context("play", list(given))
    arguments = given_arguments(first, {"routine", "from_step", "resume", "big", "quiet"})
    assert "--quiet" not in arguments and "--from" not in arguments and "r.yaml" not in arguments
    assert arguments[arguments.index("--pacing") + 1] == str(tmp_path / "p.yaml")
    again = play.make_context("play", ["r.yaml", *arguments, "--from", "2", "--quiet", "--big"])
    assert again.params == first.params | {"pacing_file": tmp_path / "p.yaml"}


def test_a_stopped_play_resumes_at_the_step_it_stopped(
    vg_in_process: Runner,
    data_env: dict[str, str],
    device: pytest.MonkeyPatch,
    routine_file: Path,
    tmp_path: Path,
) -> None:
    stop_after(device, ["n", "n", "q"])  # to "Knee to chest — right", then quit
    stopped = vg_in_process("play", str(routine_file), "--lead-in", "0", "--hold-scale", "0.5", env=data_env)
    assert stopped.returncode == 0, stopped.stderr
    [entry] = sessions(vg_in_process, data_env)["sessions"]
    assert entry["completed"] is False
    assert entry["step_index"] == 2 and entry["step_title"] == "Knee to chest — right"
    assert 0 < entry["stopped_ms"] < entry["duration_ms"]
    assert "play --resume" in stopped.stderr

    device.setattr("voiceguide.play.sink.SimpleaudioSink", InstantSink)
    InstantSink.started = []
    resumed = vg_in_process("play", "--resume", env=data_env)
    assert resumed.returncode == 0, resumed.stderr
    assert "Knee to chest — right" in resumed.stderr  # says what it carries on
    out = tmp_path / "whole.wav"
    assert vg_in_process("export", str(routine_file), "-o", str(out), "--hold-scale", "0.5").returncode == 0
    show = json.loads(vg_in_process("show", str(routine_file), "--json", "--hold-scale", "0.5").stdout)
    start = show["chapters"][2]["start_ms"] * 22050 // 1000
    assert InstantSink.started[0] == read_wav(out).pcm[2 * start :]  # same pacing, that step on
    newest, older = sessions(vg_in_process, data_env)["sessions"]
    assert newest["completed"] is True and newest["arguments"] == older["arguments"]
    nothing = vg_in_process("play", "--resume", env=data_env)
    assert nothing.returncode == 2 and "nothing to resume" in nothing.stderr


def test_a_quick_session_resumes_at_its_own_pacing_whatever_the_pacing_file_says(
    vg_in_process: Runner, data_env: dict[str, str], device: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`play --resume` of a `breathe` session goes through play's options, where the user's
    pacing file's `duration: 15m` was applied again (breathe itself left it out): a quick
    session pins `duration: off`, and its recorded options carry it."""
    config = tmp_path / "no-config"  # the fixtures' config directory: the user's pacing file
    config.mkdir()
    (config / "pacing.yaml").write_text("duration: 15m\nrate: 170\n")
    quick = ("breathe", "box", "--cycles", "3")
    stop_after(device, ["n", "n", "q"])  # into the breathing, then quit
    stopped = vg_in_process(*quick, "--lead-in", "0", env=data_env)
    assert stopped.returncode == 0, stopped.stderr
    [entry] = sessions(vg_in_process, data_env)["sessions"]
    assert entry["completed"] is False and entry["step_index"] == 2
    arguments = " ".join(entry["arguments"])
    assert "--duration=off" in arguments and "fitted" not in entry["pacing"]  # a pin: one word

    device.setattr("voiceguide.play.sink.SimpleaudioSink", InstantSink)
    InstantSink.started = []
    resumed = vg_in_process("play", "--resume", env=data_env)
    assert resumed.returncode == 0, resumed.stderr
    newest, older = sessions(vg_in_process, data_env)["sessions"]
    assert newest["completed"] is True
    assert sorted(newest["arguments"]) == sorted(older["arguments"])  # (in play's order now)
    assert newest["pacing"] == older["pacing"] and "170 wpm" in newest["pacing"]  # the file's rate
    whole = tmp_path / "whole.wav"
    exported = vg_in_process(*quick, "-o", str(whole), env=data_env)  # what breathe asked for
    assert exported.returncode == 0, exported.stderr
    wav = read_wav(whole)
    # (the stopped session's length was what it knew when stopped: its speech still arriving)
    assert abs(len(wav.pcm) // 2 * 1000 // wav.sample_rate - newest["duration_ms"]) <= 1
    rest = InstantSink.started[0]  # the session from the step it stopped at: the same audio
    assert len(rest) < len(wav.pcm) and wav.pcm.endswith(rest)


def test_resume_refuses_options_it_would_ignore(
    vg_in_process: Runner, data_env: dict[str, str], device: pytest.MonkeyPatch, routine_file: Path
) -> None:
    both = vg_in_process("play", str(routine_file), "--resume", "--from", "2", env=data_env)
    assert both.returncode == 2 and "--from" in both.stderr
    pacing = vg_in_process("play", "--resume", "--rate", "150", env=data_env)
    assert pacing.returncode == 2 and "--rate" in pacing.stderr
    neither = vg_in_process("play", env=data_env)
    assert neither.returncode == 2 and "ROUTINE" in neither.stderr


@pytest.mark.parametrize("damage", ["corrupt", "locked", "unwritable"])
def test_a_broken_database_never_stops_play(
    vg_in_process: Runner, device: pytest.MonkeyPatch, routine_file: Path, tmp_path: Path, damage: str
) -> None:
    data = tmp_path / "data"
    env = {"VOICEGUIDE_DATA_DIR": str(data)}
    data.mkdir()
    if damage == "corrupt":
        (data / "history.sqlite3").write_bytes(b"garbage" * 1000)
    elif damage == "unwritable":
        data.rmdir()
        data.write_text("a file where the folder should be")
    else:
        history.save(record(datetime.now(UTC)), data / "history.sqlite3")
    with locked_database(data / "history.sqlite3") if damage == "locked" else _nothing():
        played = vg_in_process("play", str(routine_file), "--lead-in", "0", env=env)
    assert played.returncode == 0
    assert "Session complete" in played.stdout
    warnings = [line for line in played.stderr.splitlines() if "history" in line]
    assert len(warnings) == 1 and warnings[0].startswith("voiceguide: warning:"), played.stderr
    assert "Traceback" not in played.stderr
    listed = vg_in_process("history", env=env)
    assert "Traceback" not in listed.stderr
    if damage == "corrupt":  # history itself says so, plainly
        assert listed.returncode == 1 and listed.stderr.startswith("voiceguide: ")
        assert "the history database" in listed.stderr.splitlines()[0]
    else:  # what was saved before is there; nothing could be saved where there is no folder
        assert listed.returncode == 0 and ("Box breathing" in listed.stdout) == (damage == "locked")


class _nothing:
    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        pass


class locked_database:
    """Holds an exclusive lock on the database while the block runs."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        self.connection = sqlite3.connect(self.path, isolation_level=None)
        self.connection.execute("BEGIN EXCLUSIVE")

    def __exit__(self, *exc: object) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


# ---- real playback through ALSA, stopped by a signal ----------------------------------------

PACER = """\
import sys, time
out = open(sys.argv[1], "ab")
began = time.monotonic()
done = 0
while True:
    chunk = sys.stdin.buffer.read(2205)  # 50 ms of 22050 Hz mono int16
    if not chunk:
        break
    out.write(chunk)
    out.flush()
    done += len(chunk)
    time.sleep(max(0.0, began + done / 44100 - time.monotonic()))  # no faster than real time
"""


@pytest.mark.alsa
@pytest.mark.slow
def test_a_play_stopped_on_a_real_device_is_recorded_and_resumed(
    vg: Runner, tmp_path: Path, routine_file: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from .helpers.alsa import alsa_env, alsa_home
    from .helpers.run import VOICEGUIDE, private_environment

    (tmp_path / "paced").mkdir()
    (tmp_path / "plain").mkdir()
    home = alsa_home(tmp_path / "paced")
    (home / "pacer.py").write_text(PACER)
    paced = home / "paced.raw"
    (home / ".asoundrc").write_text(  # ALSA writes into a pipe read at the pace of a sound card
        f'pcm.!default {{ type file; slave.pcm "null"; '
        f'file "| {sys.executable} {home / "pacer.py"} {paced}"; format "raw" }}\n'
    )
    env = (
        dict(os.environ)
        | private_environment(tmp_path, "fake")
        | alsa_env(home)
        | {"VOICEGUIDE_DATA_DIR": str(tmp_path / "data")}
    )
    assert vg("synthesize", str(routine_file)).returncode == 0  # a warm cache: play starts at once
    command = [str(VOICEGUIDE), "play", str(routine_file), "--lead-in", "0", "--rate", "170"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    heard_enough = 2 * 22050 * 7 // 2  # 3.5 s: into "Knee to chest — left" (2.3 s on, 33 s long)
    deadline = time.monotonic() + 600  # a bound on a hung player, not a timing check
    while not (paced.exists() and paced.stat().st_size >= heard_enough) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and "play --resume" in err

    data = {"VOICEGUIDE_DATA_DIR": str(tmp_path / "data")}
    [entry] = json.loads(vg("history", "--json", env=data).stdout)["sessions"]
    show = json.loads(vg("show", str(routine_file), "--json", "--rate", "170").stdout)
    chapters = show["chapters"]
    assert entry["completed"] is False and entry["arguments"] == ["--rate", "170", "--lead-in", "0"]
    # where the clock said: the sound card had played 3.5 s; its clock and the pacer's
    # differ by a few ms, and a busy machine may deliver the signal late
    assert 3000 <= entry["stopped_ms"] < 12_000
    index = max(i for i, c in enumerate(chapters) if c["start_ms"] <= entry["stopped_ms"])
    assert index == 1  # so the resumed session starts after the beginning
    assert entry["step_index"] == index and entry["step_title"] == chapters[index]["title"]
    heard = paced.read_bytes()
    assert 0 < len(heard) <= 2 * 22050 * (entry["stopped_ms"] + 2000) // 1000  # stopped, not played on

    plain = alsa_home(tmp_path / "plain")  # unpaced: the resumed session, captured whole
    resumed = vg("play", "--resume", "--quiet", env=alsa_env(plain) | data)
    assert resumed.returncode == 0, resumed.stderr
    out = tmp_path / "whole.wav"
    assert vg("export", str(routine_file), "-o", str(out), "--rate", "170").returncode == 0
    start = chapters[index]["start_ms"] * 22050 // 1000
    assert (plain / "capture.raw").read_bytes() == read_wav(out).pcm[2 * start :]
    newest_first = json.loads(vg("history", "--json", env=data).stdout)["sessions"]
    assert [e["completed"] for e in newest_first] == [True, False]
