"""The history on the page (issue 25 item 3): ``GET /api/history`` answers the database
`voiceguide history` reads (the same streak and days, ``play.history.practice``), and ``POST
/api/history`` records a play on the page, one row per play, carried further as it goes;
refused from other sites like every state-changing route."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from voiceguide.play.history import PlayRecord, load, save
from voiceguide.routine.model import BreathPattern
from voiceguide.serve.jobs import PacingRequest
from voiceguide.serve.played import page_arguments

from .helpers.run import Runner
from .helpers.serving import make_client, serve_folder, wait_ready


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = serve_folder(tmp_path, monkeypatch)
    monkeypatch.setenv("VOICEGUIDE_DATA_DIR", str(tmp_path / "data"))
    return folder


def database(env: Path) -> Path:
    return env / "data" / "history.sqlite3"


def ready_session(client: TestClient) -> dict[str, Any]:
    sid = client.post("/api/sessions", json={"name": "short", "pacing": {"rate": 140}}).json()["id"]
    return wait_ready(client, sid)


def test_history_answers_the_streak_days_and_sessions_the_cli_shows(env: Path, vg_in_process: Runner) -> None:
    completed = PlayRecord(
        "box-breathing",
        "Box breathing",
        (),
        "standard",
        datetime.now(UTC),
        300_000,
        300_000,
        3,
        "Closing",
        True,
    )
    save(completed, database(env))
    with make_client(env, token=None) as client:
        answer = client.get("/api/history")
        assert answer.status_code == 200
        document = answer.json()
    assert document["weekly_streak"] == 1 and document["played_ms"] == 300_000
    assert document["days"][-1] == {"date": date.today().isoformat(), "played_ms": 300_000}
    assert len(document["days"]) >= 22 and date.fromisoformat(document["days"][0]["date"]).weekday() == 0
    [played] = document["sessions"]
    assert played["title"] == "Box breathing" and played["completed"] is True and "arguments" not in played
    cli = json.loads(
        vg_in_process("history", "--json", env={"VOICEGUIDE_DATA_DIR": str(env / "data")}).stdout
    )
    assert cli["days"] == document["days"] and cli["weekly_streak"] == document["weekly_streak"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "x", "1e2", "٣"])
def test_a_limit_out_of_range_is_a_400(env: Path, limit: str) -> None:
    with make_client(env, token=None) as client:
        assert client.get(f"/api/history?limit={limit}").status_code == 400
        assert client.get("/api/history?limit=100").status_code == 200


PLAY, OTHER_PLAY = "a1" * 16, "b2" * 16  # the page's ids of two plays


def test_a_play_on_the_page_is_one_row_carried_further(env: Path) -> None:
    with make_client(env, token=None) as client:
        session = ready_session(client)
        sid, duration = session["id"], session["duration_ms"]

        def report(position_ms: int, play: str = PLAY, **more: Any) -> dict[str, Any]:
            body = {"session": sid, "play": play, "position_ms": position_ms} | more
            answer = client.post("/api/history", json=body)
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        assert report(0, ended=False) == {"record": None} and not database(env).exists()
        first = report(2500, ended=False)
        assert first["completed"] is False and first["stopped_ms"] == 2500
        row = first["record"]
        assert report(1000)["record"] == row
        [kept] = load(database(env))
        assert (kept.id, kept.stopped_ms, kept.completed) == (row, 2500, False)  # only forward
        assert kept.routine == str(env / "short.yaml") and kept.title == "Short one"
        assert kept.arguments == ("--rate", "140") and kept.pacing.startswith("the page · ")
        assert kept.step_title == session["doc"]["chapters"][kept.step_index]["title"]
        assert report(duration, ended=True) == {"record": row, "stopped_ms": duration, "completed": True}
        [done] = load(database(env))
        assert done.completed and done.stopped_ms == duration
        assert client.get("/api/history").json()["weekly_streak"] == 1
        assert report(900, OTHER_PLAY)["record"] != row and len(load(database(env))) == 2  # another play


@pytest.mark.parametrize("order", ["as sent", "the later first"])
def test_two_reports_of_one_play_are_one_row_with_the_later_length(
    env: Path, vg_in_process: Runner, order: str
) -> None:
    """The page's reports of one play may race (a tab hidden while the first is still on its
    way): whichever the server gets first, the play is one row and keeps the later position;
    `voiceguide history` lists the same rows as the page."""
    with make_client(env, token=None) as client:
        sid = ready_session(client)["id"]
        paused = {"session": sid, "play": PLAY, "position_ms": 2500, "ended": False}
        hidden = paused | {"position_ms": 4000}
        reports = [paused, hidden] if order == "as sent" else [hidden, paused]
        rows = {client.post("/api/history", json=body).json()["record"] for body in reports}
        assert len(rows) == 1
        [kept] = load(database(env))
        assert (kept.id, kept.stopped_ms) == (rows.pop(), 4000)
        page = client.get("/api/history").json()["sessions"]
    data = {"VOICEGUIDE_DATA_DIR": str(env / "data")}
    cli = json.loads(vg_in_process("history", "--json", env=data).stdout)
    shown = ("id", "title", "pacing", "started", "duration_ms", "stopped_ms", "step_index", "completed")
    assert [{k: r[k] for k in shown} for r in cli["sessions"]] == [{k: r[k] for k in shown} for r in page]
    assert [r["stopped_ms"] for r in page] == [4000]


def test_a_play_whose_row_is_gone_starts_a_new_one(env: Path) -> None:
    """The history cleared under a play (its database removed): the play's next report adds
    a row again rather than carrying one that is not there."""
    with make_client(env, token=None) as client:
        sid = ready_session(client)["id"]
        body = {"session": sid, "play": PLAY, "position_ms": 2500}
        client.post("/api/history", json=body)
        database(env).unlink()
        client.post("/api/history", json=body | {"position_ms": 3000})
        [kept] = load(database(env))
        assert kept.stopped_ms == 3000


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"play": PLAY, "position_ms": 10}, 400),
        ({"session": "x", "play": PLAY, "position_ms": 10}, 404),
        ({"session": "0" * 32, "play": PLAY, "position_ms": 10}, 404),
        ({"session": "0" * 32, "play": PLAY, "position_ms": -1}, 400),
        ({"session": "0" * 32, "play": PLAY, "position_ms": 1.5}, 400),
        ({"session": "0" * 32, "play": PLAY, "position_ms": True}, 400),
        ({"session": "0" * 32, "play": PLAY, "position_ms": 10**12}, 400),
        ({"session": "0" * 32, "play": PLAY, "position_ms": 10, "ended": "yes"}, 400),
        ({"session": "0" * 32, "position_ms": 10}, 400),  # no play id
        ({"session": "0" * 32, "play": None, "position_ms": 10}, 400),
        ({"session": "0" * 32, "play": "A1" * 16, "position_ms": 10}, 400),
        ({"session": "0" * 32, "play": PLAY + "0", "position_ms": 10}, 400),
        ({"session": "0" * 32, "play": "x" * 100_000, "position_ms": 10}, 400),
        ({"session": "0" * 32, "play": PLAY, "position_ms": 10, "record": 1}, 400),  # the old body
        ({"session": "0" * 32, "play": PLAY, "position_ms": 10} | {f"k{n}": n for n in range(10_000)}, 400),
    ],
)
def test_a_bad_report_is_refused_and_nothing_is_written(env: Path, body: dict[str, Any], status: int) -> None:
    with make_client(env, token=None) as client:
        answer = client.post("/api/history", json=body)
        assert answer.status_code == status, answer.text
        assert len(answer.text) < 300  # the message names the problem, not the value whole
    assert not database(env).exists()


def test_the_server_keeps_only_the_newest_plays(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plays the server can carry further are bounded (MAX_PLAYS, the newest): a report of
    a play older than that starts a row of its own."""
    monkeypatch.setattr("voiceguide.serve.played.MAX_PLAYS", 2)
    with make_client(env, token=None) as client:
        sid = ready_session(client)["id"]
        plays = [f"{n:032x}" for n in range(3)]

        def report(play: str, position_ms: int) -> int:
            body = {"session": sid, "play": play, "position_ms": position_ms}
            return int(client.post("/api/history", json=body).json()["record"])

        rows = [report(p, 2500) for p in plays]
        again = [report(p, 3000) for p in reversed(plays)]
    assert again[:2] == [rows[2], rows[1]] and again[2] not in rows  # the oldest was forgotten
    assert len(load(database(env))) == 4


def test_another_site_cannot_write_the_history(env: Path) -> None:
    with make_client(env, token=None) as client:
        sid = ready_session(client)["id"]
        body = json.dumps({"session": sid, "play": PLAY, "position_ms": 2000})
        foreign = client.post(
            "/api/history",
            content=body,
            headers={
                "content-type": "application/json",
                "origin": "https://evil.example",
                "sec-fetch-site": "cross-site",
            },
        )
        assert foreign.status_code == 403
        simple = client.post("/api/history", content=body, headers={"content-type": "text/plain"})
        assert simple.status_code == 415
        assert not database(env).exists()
        assert (
            client.post(
                "/api/history", content=body, headers={"content-type": "application/json"}
            ).status_code
            == 200
        )
        assert database(env).exists()  # the control: the same body from the page is kept


def test_the_page_pacing_becomes_play_options() -> None:
    pacing = PacingRequest(
        {"preset": "gentle", "rate": 140, "duration": 720_000, "breath": BreathPattern.parse("4-7-8")},
        "brown-noise",
    )
    assert page_arguments(pacing) == (
        "--preset", "gentle", "--rate", "140", "--duration", "720000ms", "--breath", "4-7-8",
        "--background", "brown-noise",
    )  # fmt: skip
