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


def test_a_play_on_the_page_is_one_row_carried_further(env: Path) -> None:
    with make_client(env, token=None) as client:
        session = ready_session(client)
        sid, duration = session["id"], session["duration_ms"]
        nothing = client.post("/api/history", json={"session": sid, "position_ms": 0, "ended": False})
        assert nothing.json() == {"record": None} and not database(env).exists()
        first = client.post("/api/history", json={"session": sid, "position_ms": 2500, "ended": False}).json()
        assert first["completed"] is False and first["stopped_ms"] == 2500
        row = first["record"]
        back = client.post("/api/history", json={"session": sid, "position_ms": 1000, "record": row}).json()
        assert back["record"] == row
        [kept] = load(database(env))
        assert (kept.id, kept.stopped_ms, kept.completed) == (row, 2500, False)  # only forward
        assert kept.routine == str(env / "short.yaml") and kept.title == "Short one"
        assert kept.arguments == ("--rate", "140") and kept.pacing.startswith("the page · ")
        assert kept.step_title == session["doc"]["chapters"][kept.step_index]["title"]
        end = client.post(
            "/api/history", json={"session": sid, "position_ms": duration, "ended": True, "record": row}
        )
        assert end.json() == {"record": row, "stopped_ms": duration, "completed": True}
        [done] = load(database(env))
        assert done.completed and done.stopped_ms == duration
        assert client.get("/api/history").json()["weekly_streak"] == 1
        another = client.post(
            "/api/history", json={"session": sid, "position_ms": 900, "record": row + 7}
        ).json()
        assert another["record"] != row and len(load(database(env))) == 2  # not a row of this server's


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"position_ms": 10}, 400),
        ({"session": "x", "position_ms": 10}, 404),
        ({"session": "0" * 32, "position_ms": 10}, 404),
        ({"session": "0" * 32, "position_ms": -1}, 400),
        ({"session": "0" * 32, "position_ms": 1.5}, 400),
        ({"session": "0" * 32, "position_ms": True}, 400),
        ({"session": "0" * 32, "position_ms": 10**12}, 400),
        ({"session": "0" * 32, "position_ms": 10, "ended": "yes"}, 400),
        ({"session": "0" * 32, "position_ms": 10, "record": "1"}, 400),
    ],
)
def test_a_bad_report_is_refused_and_nothing_is_written(env: Path, body: dict[str, Any], status: int) -> None:
    with make_client(env, token=None) as client:
        assert client.post("/api/history", json=body).status_code == status
    assert not database(env).exists()


def test_another_site_cannot_write_the_history(env: Path) -> None:
    with make_client(env, token=None) as client:
        sid = ready_session(client)["id"]
        body = json.dumps({"session": sid, "position_ms": 2000})
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
