"""The server's timeline pictures (issue 25 item 2): ``GET /api/routines/NAME/timeline.svg``
at a pacing given as query parameters, and ``GET /api/sessions/ID/timeline.svg`` of a
rendered session; the SVG is the one ``show --svg`` writes (tests/test_timeline_svg.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from voiceguide.timeline_svg import SVG

from .helpers.serving import make_client, serve_folder, wait_ready


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return serve_folder(tmp_path, monkeypatch)


def duration_of(svg: bytes) -> int:
    root = ET.fromstring(svg)
    assert root.tag == f"{{{SVG}}}svg"
    return int(root.get("data-duration-ms", "-1"))


def test_a_routine_picture_is_svg_at_the_pacing_asked(env: Path) -> None:
    with make_client(env, token=None) as client:
        plain = client.get("/api/routines/short/timeline.svg")
        assert plain.status_code == 200
        assert plain.headers["content-type"].startswith("image/svg+xml")
        assert plain.headers["cache-control"] == "no-cache"
        assert plain.headers["content-security-policy"]  # the server's headers, as on every answer
        longer = client.get("/api/routines/short/timeline.svg?preset=gentle&rate=80")
        assert longer.status_code == 200
        assert duration_of(longer.content) > duration_of(plain.content) + 2000
        unreachable = client.get("/api/routines/short/timeline.svg?duration=2h")
        assert unreachable.status_code == 422  # a pacing the routine cannot take, as a session says


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("rate=nope", "rate"),
        ("cycles=1.5", "cycles"),
        ("duration=nan", "duration"),
        ("hold_scale=2", "hold_scale"),  # not one the page offers
        ("rate=99999", "rate"),
        ("preset=sideways", "preset"),
        ("path=/etc/passwd", "path"),
        ("background=/etc/passwd", "background"),
    ],
)
def test_bad_pacing_is_a_400_naming_the_parameter(env: Path, query: str, field: str) -> None:
    with make_client(env, token=None) as client:
        answer = client.get(f"/api/routines/short/timeline.svg?{query}")
        assert answer.status_code == 400, answer.text
        assert answer.json()["field"] == field


def test_the_picture_is_bounded_and_named_from_the_table(env: Path) -> None:
    with make_client(env, token="secret-token") as client:
        assert client.get("/api/routines/short/timeline.svg").status_code == 401  # the token, as everywhere
        assert client.get("/api/routines/short/timeline.svg?token=secret-token").status_code == 200
        many = "&".join(f"x{n}=1" for n in range(30))
        assert client.get(f"/api/routines/short/timeline.svg?token=secret-token&{many}").status_code == 400
        assert client.get("/api/routines/nothing/timeline.svg?token=secret-token").status_code == 404
        assert client.get("/api/routines/..%2fshort/timeline.svg?token=secret-token").status_code == 404


def test_a_session_picture_is_the_rendered_timeline(env: Path) -> None:
    with make_client(env, token=None) as client:
        assert client.get(f"/api/sessions/{'0' * 32}/timeline.svg").status_code == 404
        sid = client.post("/api/sessions", json={"name": "short", "pacing": {"preset": "gentle"}}).json()[
            "id"
        ]
        state = wait_ready(client, sid)
        answer = client.get(f"/api/sessions/{sid}/timeline.svg")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
        assert duration_of(answer.content) == state["duration_ms"]
        rows = [e for e in ET.fromstring(answer.content).iter() if e.get("class") == "tl-row"]
        assert [r.get("data-start-ms") for r in rows] == [
            str(c["start_ms"]) for c in state["doc"]["chapters"]
        ]
