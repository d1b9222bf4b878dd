"""`voiceguide serve` (issue 15): the JSON API, sessions shared by id, Range audio, the
token, the allow-lists and limits; Starlette's TestClient with the fake engine, and one
real uvicorn server with espeak-ng (slow)."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from voiceguide.errors import ExportError
from voiceguide.serve.app import ServeConfig, create_app
from voiceguide.serve.jobs import Jobs, PacingRequest, SessionSpec, render_session
from voiceguide.serve.security import CSP

from .helpers.lan import lan_server
from .helpers.netns import Namespace, network_namespace
from .helpers.run import VOICEGUIDE, private_environment
from .helpers.serving import SHORT, TOKEN, make_client, serve_folder, wait_ready


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The private cache, config and routines folder, and the fake engine."""
    return serve_folder(tmp_path, monkeypatch)


@pytest.fixture
def client(env: Path) -> Iterator[TestClient]:
    with make_client(env) as test_client:
        test_client.headers["authorization"] = f"Bearer {TOKEN}"
        yield test_client


# ---- library, routine, preview, validate --------------------------------------------


def test_the_library_lists_bundled_and_command_line_routines(client: TestClient) -> None:
    rows = client.get("/api/routines").json()
    by_name = {row["name"]: row for row in rows}
    assert by_name["box-breathing"]["source"] == "bundled"
    assert by_name["box-breathing"]["title"] == "Box breathing"
    assert "breathing" in by_name["box-breathing"]["tags"]
    assert by_name["short"]["source"] == "file"
    assert set(by_name["short"]) >= {
        "name",
        "title",
        "description",
        "source",
        "tags",
        "level",
        "equipment",
        "lengths_ms",
    }


def test_lengths_per_preset_are_estimated_then_measured_in_the_background(env: Path) -> None:
    """The listing never waits: lengths are worked out on the library's thread (estimated
    where speech is not made yet, and marked so), then measured as the clips are made."""
    with make_client(env, token=None, measure_lengths=True) as client:
        seen_estimated = False
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = {r["name"]: r for r in client.get("/api/routines").json()}["short"]
            if row["lengths_ms"] is not None:
                seen_estimated |= row["lengths_estimated"]
                if not row["lengths_estimated"]:
                    break
            time.sleep(0.05)
        assert row["lengths_estimated"] is False
        lengths = row["lengths_ms"]
        assert set(lengths) == {"gentle", "standard", "brisk"}
        assert lengths["gentle"] > lengths["standard"] > lengths["brisk"] > 5000
        # nothing was in the cache at first: the first lengths shown were estimates
        assert seen_estimated


def test_a_routine_has_its_safety_steps_and_text(client: TestClient, env: Path) -> None:
    detail = client.get("/api/routines/short").json()
    assert detail["title"] == "Short one"
    assert detail["safety"] == ["Stop if it hurts."]
    assert detail["steps"] == [  # the chapters, as `show` numbers them: Safety is one
        {"number": 1, "title": "Safety"},
        {"number": 2, "title": "Reach"},
        {"number": 3, "title": "Fold"},
    ]
    assert detail["yaml"] == SHORT
    assert detail["source"] == "file"
    assert client.get("/api/routines/no-such-routine").status_code == 404
    assert client.get("/api/routines/..%2f..%2fetc%2fpasswd").status_code == 404


def test_a_routine_steps_are_the_chapters_show_numbers(client: TestClient, env: Path) -> None:
    """Steps inside a group are its rounds, titled (they were four untitled steps, null on
    the page), and every step has the number `show` and `play --from N` give it."""
    detail = client.get("/api/routines/lower-back-stretch").json()
    shown = subprocess.run(
        [str(VOICEGUIDE), "show", "lower-back-stretch", "--json"], capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    chapters = json.loads(shown.stdout)["chapters"]
    assert detail["steps"] == [{"number": n, "title": c["title"]} for n, c in enumerate(chapters, 1)]
    assert all(isinstance(step["title"], str) and step["title"] for step in detail["steps"])
    assert detail["steps"][0] == {"number": 1, "title": "Introduction"}
    assert {"number": 6, "title": "Pelvic tilts — round 1 of 4"} in detail["steps"]
    assert {"number": 21, "title": "Cat and cow — round 4 of 4"} in detail["steps"]


def test_preview_uses_the_pacing_engine_of_the_command_line(client: TestClient, vg_in_process: Any) -> None:
    standard = client.post("/api/preview", json={"name": "short"}).json()
    gentle = client.post("/api/preview", json={"name": "short", "pacing": {"preset": "gentle"}}).json()
    assert gentle["duration_ms"] > standard["duration_ms"]
    assert [c["title"] for c in standard["chapters"]][-2:] == ["Reach", "Fold"]
    assert standard["doc"]["duration_ms"] == standard["duration_ms"]
    fitted = client.post("/api/preview", json={"name": "short", "pacing": {"duration": "30s"}}).json()
    assert abs(fitted["duration_ms"] - 30_000) < 1500
    # the same figure as `voiceguide show --json` at that pacing
    shown = vg_in_process("show", "box-breathing", "--json", "--preset", "brisk")
    by_page = client.post("/api/preview", json={"name": "box-breathing", "pacing": {"preset": "brisk"}})
    assert by_page.json()["duration_ms"] == json.loads(shown.stdout)["duration_ms"]


def test_preview_of_editor_text(client: TestClient) -> None:
    answer = client.post("/api/preview", json={"yaml": SHORT.replace("3s", "10s")})
    assert answer.status_code == 200
    as_written = client.post("/api/preview", json={"yaml": SHORT}).json()["duration_ms"]
    assert answer.json()["duration_ms"] > as_written


@pytest.mark.parametrize(
    "pacing, field",
    [
        ({"rate": 10}, "rate"),
        ({"rate": "fast"}, "rate"),
        ({"duration": "soon"}, "duration"),
        ({"breath": "4-x"}, "breath"),
        ({"engine": "say"}, "engine"),
        ({"preset": "turbo"}, "preset"),
        ({"background": "/etc/passwd"}, "background"),
        ({"cycles": 0}, "cycles"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_pacing_is_a_422_naming_the_field(client: TestClient, pacing: dict[str, Any], field: str) -> None:
    for route in ("/api/preview", "/api/sessions"):
        answer = client.post(route, json={"name": "short", "pacing": pacing})
        assert answer.status_code == 422, (route, answer.text)
        [diagnostic] = answer.json()["diagnostics"]
        assert diagnostic["field"] == field and diagnostic["severity"] == "error"


#: what the page sends (a body of another type is refused: another site could send it)
JSON_TYPE = {"content-type": "application/json"}
MALFORMED = [
    ("title: [unclosed\nsteps: []\n", 1),  # at the [ never closed
    ("title: X\nsteps:\n  - name: A\n    say: Go.\n    hold: forever\n", 5),
    ("title: X\nsteps:\n  - {name: A, say: Go., hold: 2s}\n\t- bad indent\n", 4),
    (": : :\n", 1),
    ("", 1),
    ("\ud800", 1),
    ("- just\n- a list\n", 1),
]


@pytest.mark.parametrize("text, line", MALFORMED)
def test_validate_reports_malformed_yaml_at_its_line_never_a_500(
    client: TestClient, text: str, line: int
) -> None:
    body = json.dumps({"yaml": text})  # ASCII with escapes: a lone surrogate gets through
    answer = client.post("/api/validate", content=body, headers=JSON_TYPE)
    assert answer.status_code == 200
    result = answer.json()
    assert result["ok"] is False
    assert result["diagnostics"][0]["line"] == line
    assert {"line", "col", "message", "severity"} <= set(result["diagnostics"][0])
    for route, method in (("/api/preview", "POST"), ("/api/user-routines/broken", "PUT")):
        answer = client.request(method, route, content=body, headers=JSON_TYPE)
        assert answer.status_code == 422, (route, text, answer.text)
        assert answer.json()["diagnostics"][0]["line"] == line


def test_validate_accepts_a_good_routine_with_its_warnings(client: TestClient) -> None:
    result = client.post("/api/validate", json={"yaml": SHORT}).json()
    assert result == {"ok": True, "diagnostics": []}


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"yaml": 5}'])
def test_a_request_that_is_not_the_right_json_is_a_400(client: TestClient, body: bytes) -> None:
    answer = client.post("/api/validate", content=body, headers=JSON_TYPE)
    assert answer.status_code == 400 and "error" in answer.json()


# ---- saving into the user folder ------------------------------------------------------------


def test_put_saves_into_the_user_folder_atomically(client: TestClient, env: Path) -> None:
    answer = client.put("/api/user-routines/my-stretch", json={"yaml": SHORT})
    assert answer.status_code == 200
    saved = env / "my-routines" / "my-stretch.yaml"
    assert answer.json() == {"name": "my-stretch", "path": str(saved)}
    assert saved.read_text() == SHORT
    assert [p.name for p in saved.parent.iterdir()] == ["my-stretch.yaml"]  # no temporary left
    rows = {r["name"]: r for r in client.get("/api/routines").json()}
    assert rows["my-stretch"]["source"] == "user"


@pytest.mark.parametrize(
    "name",
    [
        "..",
        "...",
        "-x",
        "My-Stretch",
        "a" * 65,
        "a.yaml",
        "a_b",
        "%2e%2e",
        "..%2f..%2fetc%2fcron",
        "%2e%2e%2f%2e%2e%2ftmp%2fx",
    ],
)
def test_put_refuses_names_outside_the_allow_list(client: TestClient, env: Path, name: str) -> None:
    answer = client.put(f"/api/user-routines/{name}", json={"yaml": SHORT})
    assert answer.status_code in (400, 404, 405)
    assert not (env / "my-routines").exists()
    assert not list(env.parent.glob("*.yaml"))


def test_put_of_a_broken_routine_writes_nothing(client: TestClient, env: Path) -> None:
    (env / "my-routines").mkdir()
    (env / "my-routines" / "kept.yaml").write_text(SHORT)
    answer = client.put("/api/user-routines/kept", json={"yaml": "title: [oops\n"})
    assert answer.status_code == 422
    assert (env / "my-routines" / "kept.yaml").read_text() == SHORT


# ---- limits -------------------------------------------------------------------------------


def test_bodies_over_one_mib_are_413(client: TestClient) -> None:
    big = json.dumps({"yaml": "x" * (1 << 20)})
    for method, route in (
        ("POST", "/api/validate"),
        ("POST", "/api/preview"),
        ("PUT", "/api/user-routines/big"),
        ("POST", "/api/sessions"),
    ):
        assert client.request(method, route, content=big, headers=JSON_TYPE).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while reading
        yield b'{"yaml": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    answer = client.post("/api/validate", content=chunks(), headers=JSON_TYPE)
    assert answer.status_code == 413


# ---- voices ---------------------------------------------------------------------------------


@pytest.mark.espeak
def test_voices_lists_the_installed_engines_as_voices_does(client: TestClient, vg_in_process: Any) -> None:
    from voiceguide.speech.piper import PiperEngine

    listed = client.get("/api/voices")
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
    body = listed.json()
    # the default first (here $VOICEGUIDE_ENGINE's test engine: what the page's "default" means)
    assert body["default"] == "fake" and body["note"] is None
    assert [e["default"] for e in body["engines"]] == [True] + [False] * (len(body["engines"]) - 1)
    engines = {e["id"]: e for e in body["engines"]}
    assert body["engines"][0]["id"] == "fake"
    espeak = {v["id"]: v for v in engines["espeak-ng"]["voices"]}
    assert len(espeak) > 50  # espeak-ng's real voices, not a stand-in
    assert espeak["gmw/en-us"] == {
        "id": "gmw/en-us",
        "name": "English (America)",
        "languages": ["en-us"],
        "gender": "Male",
    }
    assert ("piper" in engines) == PiperEngine.is_available()
    assert [u["id"] for u in body["unavailable"]] == ([] if PiperEngine.is_available() else ["piper"])
    # the same voices as `voiceguide voices --json` (one catalog for both)
    rows = json.loads(vg_in_process("voices", "--json").stdout)
    assert {(r["engine"], r["id"]) for r in rows} == {
        (e["id"], v["id"]) for e in body["engines"] if e["id"] != "fake" for v in e["voices"]
    }


def test_voices_are_asked_once_per_server(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from voiceguide.speech import engines

    calls: list[dict[str, Any]] = []
    real = engines.voice_catalog

    def counted(**options: Any) -> engines.VoiceCatalog:
        calls.append(options)
        return real("fake", **options)

    monkeypatch.setattr(engines, "voice_catalog", counted)
    first = client.get("/api/voices").json()
    assert client.get("/api/voices").json() == first
    client.post("/api/sessions", json={"name": "short", "pacing": {"voice": "fake"}})
    assert len(calls) == 1


@pytest.mark.espeak
@pytest.mark.parametrize(
    "pacing, said",
    [
        ({"engine": "espeak-ng", "voice": "zzz-no-such"}, "espeak-ng has no voice 'zzz-no-such'"),
        ({"engine": "espeak-ng", "voice": "gmw/en-uss"}, "did you mean"),
        ({"engine": "espeak-ng", "voice": "en_GB"}, 'did you mean "en-gb"?'),  # as the command line
        ({"voice": "Nobody"}, "fake has no voice 'Nobody'"),  # the default engine's voices
    ],
)
def test_an_unknown_voice_is_a_422_naming_the_field(
    client: TestClient, pacing: dict[str, str], said: str
) -> None:
    answer = client.post("/api/sessions", json={"name": "short", "pacing": pacing})
    assert answer.status_code == 422, answer.text
    [diagnostic] = answer.json()["diagnostics"]
    assert diagnostic["field"] == "voice" and said in diagnostic["message"]


@pytest.mark.espeak
def test_the_voice_is_checked_against_the_routine_s_engine(env: Path) -> None:
    (env / "spoken.yaml").write_text(SHORT.replace("steps:", "voice: {engine: espeak-ng}\nsteps:"))
    with make_client(env, token=None, routines=(env / "spoken.yaml",)) as client:
        answer = client.post("/api/sessions", json={"name": "spoken", "pacing": {"voice": "fake"}})
        assert answer.status_code == 422
        assert "espeak-ng has no voice 'fake'" in answer.json()["diagnostics"][0]["message"]


def test_a_voice_of_an_engine_that_is_not_installed_is_a_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceguide.speech import engines

    missing = engines.VoiceCatalog((), (("piper", "the piper engine is not installed"),), "fake", "env")
    monkeypatch.setattr(engines, "voice_catalog", lambda **_: missing)
    answer = client.post(
        "/api/sessions", json={"name": "short", "pacing": {"engine": "piper", "voice": "en_US-joe-medium"}}
    )
    assert answer.status_code == 503 and answer.json() == {"error": "the piper engine is not installed"}
    assert client.get("/api/voices").json()["unavailable"] == [
        {"id": "piper", "reason": "the piper engine is not installed"}
    ]


@pytest.mark.slow
@pytest.mark.espeak
def test_the_chosen_voice_reaches_the_render(client: TestClient) -> None:
    pacing = {"engine": "espeak-ng", "voice": "gmw/en-gb-x-rp", "preset": "brisk"}
    created = client.post("/api/sessions", json={"name": "short", "pacing": pacing})
    assert created.status_code == 200, created.text
    state = wait_ready(client, created.json()["id"])
    assert state["status"] == "ready", state
    assert (state["engine"], state["voice"]) == ("espeak-ng", "gmw/en-gb-x-rp")
    other = client.post("/api/sessions", json={"name": "short", "pacing": pacing | {"voice": "gmw/en-us"}})
    assert other.json()["id"] != created.json()["id"]  # another voice is another session
    plain = wait_ready(client, client.post("/api/sessions", json={"name": "short"}).json()["id"])
    assert (plain["engine"], plain["voice"]) == ("fake", None)


# ---- token and headers ----------------------------------------------------------------------

GUARDED = [
    "/api/routines",
    "/api/routines/short",
    "/api/voices",
    "/feed.xml",
    "/static/app.js",
    "/sw.js",
    "/manifest.webmanifest",
    "/audio/" + "0" * 32 + ".mp3",
    "/api/sessions/" + "0" * 32,
]


@pytest.mark.parametrize("path", GUARDED)
def test_every_route_but_the_page_needs_the_token(env: Path, path: str) -> None:
    with make_client(env) as client:
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"authorization": "Bearer wrong"}).status_code == 401
        assert client.get(path + "?token=wrong").status_code == 401
        assert client.post("/api/validate", json={"yaml": SHORT}).status_code == 401
        assert client.get(path, headers={"authorization": f"Bearer {TOKEN}"}).status_code != 401
        client.cookies.set("vg_token", "wrong")
        assert client.get(path).status_code == 401
        client.cookies.set("vg_token", TOKEN)
        assert client.get(path).status_code != 401
        client.cookies.clear()
        assert client.get(f"{path}?token={TOKEN}").status_code != 401


def test_the_first_visit_with_the_token_sets_a_cookie(env: Path) -> None:
    with make_client(env) as client:
        assert client.get("/").status_code == 200  # the page itself: it holds nothing private
        assert client.get("/api/routines").status_code == 401
        first = client.get(f"/?token={TOKEN}")
        assert first.status_code == 200
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"vg_token={TOKEN};")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert client.get("/api/routines").status_code == 200  # the cookie now
        assert client.get("/?token=nope").status_code == 401


def test_no_token_on_loopback(env: Path) -> None:
    with make_client(env, token=None) as client:
        assert client.get("/api/routines").status_code == 200


def test_every_response_has_the_security_headers(client: TestClient) -> None:
    for path in ["/", "/static/app.js", "/api/routines", "/nope", "/static/nope", "/feed.xml"]:
        answer = client.get(path)
        assert answer.headers["content-security-policy"] == CSP, path
        assert "'unsafe-inline'" not in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
    unauthorized = client.get("/api/routines", headers={"authorization": "Bearer x"})
    assert unauthorized.headers["x-content-type-options"] == "nosniff"


def test_unknown_hosts_are_refused_when_hosts_are_listed(env: Path) -> None:
    with make_client(env, token=None, allowed_hosts=("127.0.0.1", "testserver")) as client:
        assert client.get("/api/routines").status_code == 200
        assert client.get("/api/routines", headers={"host": "evil.example"}).status_code == 400


# ---- traversal ------------------------------------------------------------------------------

TRAVERSALS = [
    "/static/../../etc/passwd",
    "/static/..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static/%252e%252e%252fetc%252fpasswd",
    "/static/..\\..\\etc\\passwd",
    "/static/.hidden",
    "/static/",
    "/static/%00",
    "/audio/..%2f..%2fetc%2fpasswd.mp3",
    "/audio/../../etc/passwd.mp3",
    "/audio/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/audio/" + "0" * 32 + ".mp3",
    "/audio/" + "0" * 32 + ".json",
    "/audio/" + "A" * 32 + ".mp3",
    "/api/routines/..%2f..%2fetc%2fpasswd",
    "/api/sessions/..%2f..%2fetc%2fpasswd",
    "/etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_from_a_request_reaches_the_filesystem(client: TestClient, env: Path, path: str) -> None:
    (env / "static" / ".hidden").write_text("secret")
    answer = client.get(path)
    assert answer.status_code in (400, 404, 405), answer.status_code
    assert b"root:" not in answer.content and b"secret" not in answer.content


def test_static_files_come_from_the_allow_list(client: TestClient) -> None:
    answer = client.get("/static/app.js")
    assert answer.status_code == 200 and answer.text == "console.log('hi');\n"
    assert answer.headers["content-type"].startswith("text/javascript")
    assert client.get("/sw.js").status_code == 200
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"


# ---- sessions -------------------------------------------------------------------------------


def test_a_session_renders_through_the_export_path(client: TestClient) -> None:
    created = client.post("/api/sessions", json={"name": "short", "pacing": {"preset": "brisk"}})
    assert created.status_code == 200
    sid = created.json()["id"]
    assert len(sid) == 32 and created.json()["status"] in ("rendering", "ready")
    state = wait_ready(client, sid)
    assert state["status"] == "ready" and state["progress"] == 1.0 and state["error"] is None
    assert state["title"] == "Short one"
    assert state["doc"]["duration_ms"] == state["duration_ms"]
    assert state["audio"] == f"/audio/{sid}.mp3"
    audio = client.get(state["audio"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    assert audio.content[:3] == b"ID3"  # chapters: ID3 CHAP frames, as export writes them
    assert b"CHAP" in audio.content[:4096]
    chapters = client.get(state["chapters"]).json()
    assert [c["title"] for c in chapters["chapters"]][-2:] == ["Reach", "Fold"]
    vtt = client.get(state["subtitles"])
    assert vtt.text.startswith("WEBVTT") and "Reach up." in vtt.text


def test_two_requests_for_one_session_share_one_render(env: Path) -> None:
    calls: list[str] = []
    release = threading.Event()

    def slow_render(
        spec: SessionSpec, sid: str, folder: Path, cache_dir: Path | None, progress: Any
    ) -> dict[str, Any]:
        calls.append(sid)
        release.wait(30)
        return render_session(spec, sid, folder, cache_dir, progress)

    from voiceguide.speech.cache import default_cache_dir

    jobs = Jobs(default_cache_dir() / "serve", render=slow_render)
    config = ServeConfig(routines=(env / "short.yaml",), static_dir=env / "static", measure_lengths=False)
    with TestClient(create_app(config, jobs)) as client:
        first = client.post("/api/sessions", json={"name": "short", "pacing": {"rate": 160}}).json()
        second = client.post("/api/sessions", json={"name": "short", "pacing": {"rate": 160}}).json()
        other = client.post("/api/sessions", json={"name": "short", "pacing": {"rate": 170}}).json()
        assert first["id"] == second["id"] != other["id"]
        assert first["status"] == second["status"] == "rendering"
        release.set()
        wait_ready(client, first["id"])
        wait_ready(client, other["id"])
        third = client.post("/api/sessions", json={"name": "short", "pacing": {"rate": 160}}).json()
        assert third == {"id": first["id"], "status": "ready"}
    assert sorted(calls) == sorted([first["id"], other["id"]])  # one render each


def test_a_session_id_follows_the_routine_text_and_pacing(env: Path) -> None:
    from voiceguide.serve.jobs import check_pacing, session_id

    text = SHORT.encode()
    gentle = session_id(text, check_pacing({"preset": "gentle"}))
    assert gentle == session_id(text, check_pacing({"preset": "gentle"}))
    assert gentle != session_id(text, check_pacing({}))
    assert session_id(text, PacingRequest({})) != session_id(text + b"\n", PacingRequest({}))
    assert session_id(text, PacingRequest({}, "brown-noise")) != session_id(text, PacingRequest({}))


def test_progress_by_server_sent_events(client: TestClient) -> None:
    sid = client.post("/api/sessions", json={"name": "short"}).json()["id"]
    with client.stream("GET", f"/api/sessions/{sid}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    events = [block for block in text.split("\n\n") if block.startswith("event:")]
    assert events[-1].startswith("event: ready")
    last = json.loads(events[-1].split("data: ", 1)[1])
    assert last["status"] == "ready" and last["progress"] == 1.0
    assert all(e.startswith(("event: progress", "event: ready")) for e in events)
    assert client.get("/api/sessions/" + "f" * 32 + "/events").status_code == 404


@pytest.mark.parametrize(
    "error, said",
    [
        (ExportError("cannot write x: No space left"), "No space left"),
        (RuntimeError("a bug"), "internal error: RuntimeError"),
    ],
)
def test_a_failed_render_says_why_and_is_tried_again(env: Path, error: Exception, said: str) -> None:
    from voiceguide.speech.cache import default_cache_dir

    failures = [error]

    def failing(*args: Any) -> dict[str, Any]:
        if failures:
            raise failures.pop()
        return render_session(*args)

    jobs = Jobs(default_cache_dir() / "serve", render=failing)
    config = ServeConfig(routines=(env / "short.yaml",), static_dir=env / "static", measure_lengths=False)
    with TestClient(create_app(config, jobs)) as client:
        sid = client.post("/api/sessions", json={"name": "short"}).json()["id"]
        state = wait_ready(client, sid)
        assert state["status"] == "failed" and said in state["error"]
        assert client.get(f"/audio/{sid}.mp3").status_code == 404
        again = client.post("/api/sessions", json={"name": "short"}).json()
        assert again["id"] == sid and wait_ready(client, sid)["status"] == "ready"


def test_audio_ranges(client: TestClient) -> None:
    sid = client.post("/api/sessions", json={"name": "short"}).json()["id"]
    wait_ready(client, sid)
    whole = client.get(f"/audio/{sid}.mp3")
    size = len(whole.content)
    assert whole.headers["accept-ranges"] == "bytes"
    head = client.head(f"/audio/{sid}.mp3")  # podcast apps ask for the length this way
    assert head.status_code == 200 and int(head.headers["content-length"]) == size and not head.content
    for start, end in ((0, 99), (1000, 1999), (size - 10, size - 1), (500, 500)):  # several seeks
        part = client.get(f"/audio/{sid}.mp3", headers={"range": f"bytes={start}-{end}"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert part.content == whole.content[start : end + 1]
    open_ended = client.get(f"/audio/{sid}.mp3", headers={"range": "bytes=1234-"})
    assert open_ended.status_code == 206 and open_ended.content == whole.content[1234:]
    suffix = client.get(f"/audio/{sid}.mp3", headers={"range": "bytes=-500"})
    assert suffix.status_code == 206 and suffix.content == whole.content[-500:]
    assert suffix.headers["content-range"] == f"bytes {size - 500}-{size - 1}/{size}"
    several = client.get(f"/audio/{sid}.mp3", headers={"range": "bytes=0-9,2000-2009"})
    assert several.status_code == 206
    assert several.headers["content-type"].startswith("multipart/byteranges")
    assert whole.content[2000:2010] in several.content
    unsatisfiable = client.get(f"/audio/{sid}.mp3", headers={"range": f"bytes={size + 10}-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{size}"


def test_sessions_survive_a_restart_of_the_server(env: Path) -> None:
    with make_client(env, token=None) as client:
        sid = client.post("/api/sessions", json={"name": "short"}).json()["id"]
        wait_ready(client, sid)
    with make_client(env, token=None) as client:
        assert client.get(f"/api/sessions/{sid}").json()["status"] == "ready"
        assert client.get(f"/audio/{sid}.mp3").status_code == 200
        assert sid in client.get("/feed.xml").text


# ---- the real server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(tmp_path: Path, *args: str, engine: str = "fake") -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    environment = dict(os.environ) | private_environment(tmp_path, engine)
    environment["VOICEGUIDE_ROUTINES_DIR"] = str(tmp_path / "my-routines")
    environment.pop("VOICEGUIDE_DEBUG", None)
    process = subprocess.Popen(
        [str(VOICEGUIDE), "serve", "--port", str(port), "--no-feed", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}"
        if process.poll() is not None:
            raise AssertionError(process.communicate())
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not start")


def raw_get(base: str, target: str) -> bytes:
    """A GET with the target exactly as given (no client normalizing ../)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_serve_stops_on_ctrl_c_with_130_and_no_traceback(tmp_path: Path) -> None:
    process, base = start_server(tmp_path)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err + out
    assert f"{base}/" in out


def test_serve_stops_on_sigterm_without_a_traceback(tmp_path: Path) -> None:
    process, _ = start_server(tmp_path)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 143, err  # 128 + SIGTERM, as for every command
    assert "Traceback" not in err + out


@pytest.mark.slow
@pytest.mark.espeak
@pytest.mark.slow
@pytest.mark.espeak
def test_parallel_espeak_previews_all_answer_and_sigterm_stops_the_measuring(tmp_path: Path) -> None:
    """Four previews of a long routine at four pacings, at once, with espeak-ng (whose library
    crashed the server when called from parallel requests): each answers at once with an
    estimate, their measuring is queued on the one scheduler, and SIGTERM while it runs
    stops the server within its graceful stop, with no traceback."""
    import httpx

    words = "one two three four five six seven eight nine ten eleven twelve"
    steps = "".join(
        f"  - {{say: 'Sentence {i}: {words[i % 7 :]} and {i} more.', hold: 1s}}\n" for i in range(300)
    )  # cold: seconds of espeak-ng for each pacing
    (tmp_path / "long.yaml").write_text(f"title: Long\nsteps:\n{steps}")
    process, base = start_server(tmp_path, str(tmp_path / "long.yaml"), engine="espeak-ng")
    answers: list[dict[str, object]] = []

    def ask(rate: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            reply = client.post("/api/preview", json={"name": "long", "pacing": {"rate": rate}})
            answers.append({"status": reply.status_code, **reply.json()})

    asking = [threading.Thread(target=ask, args=(rate,)) for rate in (120, 140, 160, 180)]
    for thread in asking:
        thread.start()
    for thread in asking:
        thread.join(timeout=60)
    assert [a["status"] for a in answers] == [200] * 4, answers
    assert all(a["estimated"] is True for a in answers)
    lengths = sorted(int(str(a["duration_ms"])) for a in answers)
    assert len(set(lengths)) == 4  # each at its own pacing
    process.send_signal(signal.SIGTERM)  # while the measuring runs
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert "Exception in ASGI application" not in err and "Traceback" not in err, err


@pytest.mark.slow
@pytest.mark.espeak
@pytest.mark.ffmpeg
def test_a_real_server_renders_with_espeak_and_serves_ranges(tmp_path: Path) -> None:
    import httpx

    (tmp_path / "short.yaml").write_text(SHORT)
    process, base = start_server(tmp_path, str(tmp_path / "short.yaml"), engine="espeak-ng")
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.get("/").status_code == 200
            started = time.monotonic()
            sid = client.post("/api/sessions", json={"name": "short"}).json()["id"]
            while (state := client.get(f"/api/sessions/{sid}").json())["status"] == "rendering":
                assert time.monotonic() - started < 120
                time.sleep(0.1)
            assert state["status"] == "ready", state
            whole = client.get(state["audio"]).content
            size = len(whole)
            for header, expected in (
                (f"bytes=0-{size // 2}", whole[: size // 2 + 1]),
                (f"bytes={size // 2}-", whole[size // 2 :]),
                ("bytes=-2048", whole[-2048:]),
                ("bytes=100-199", whole[100:200]),
            ):
                part = client.get(state["audio"], headers={"range": header})
                assert part.status_code == 206 and part.content == expected, header
            assert client.get(state["audio"], headers={"range": f"bytes={size}-"}).status_code == 416
            # ffprobe reads the duration the timeline promised
            (tmp_path / "got.mp3").write_bytes(whole)
            probe = subprocess.run(
                [
                    "ffprobe",
                    "-v",
                    "error",
                    "-show_entries",
                    "format=duration",
                    "-of",
                    "csv=p=0",
                    str(tmp_path / "got.mp3"),
                ],
                capture_output=True,
                timeout=30,
            )
            assert abs(float(probe.stdout) * 1000 - state["duration_ms"]) < 200
            feed = ET.fromstring(client.get("/feed.xml").content)
            [item] = feed.iter("item")
            enclosure = item.find("enclosure")
            assert enclosure is not None and int(enclosure.get("length", "0")) == size
            assert client.get(enclosure.get("url", "")).content == whole
            itunes = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
            assert int(item.findtext(f"{itunes}duration", "")) == round(state["duration_ms"] / 1000)
            chapters = item.find("{https://podcastindex.org/namespace/1.0}chapters")
            assert chapters is not None
            titles = [c["title"] for c in client.get(chapters.get("url", "")).json()["chapters"]]
            assert titles[-2:] == ["Reach", "Fold"]
            for target in (
                "/static/../../etc/passwd",
                "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                "/audio/..%2f..%2fetc%2fpasswd.mp3",
            ):
                answer = raw_get(base, target)
                assert answer.split(b"\r\n", 1)[0].split()[1] in (b"400", b"404"), target
                assert b"root:" not in answer
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and "Traceback" not in err


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    """A network namespace of the test's own (skips where none can be made): --lan never
    listens on this machine's interface."""
    with network_namespace() as made:
        yield made


def test_lan_prints_a_token_url_and_a_qr_code_and_guards_every_route(
    tmp_path: Path, namespace: Namespace
) -> None:
    import httpx

    with lan_server(namespace, tmp_path) as server:
        assert server.url.startswith(f"http://{namespace.address}:")  # the namespace's address
        base, token = server.origin, server.token
        assert len(token) >= 22
        assert sum("█" in line for line in server.lines) > 10  # the QR code, in block characters
        with namespace.entered(), httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/api/routines").status_code == 401
            assert client.get("/api/routines", headers={"authorization": "Bearer nope"}).status_code == 401
            assert client.get(f"/?token={token}").status_code == 200  # sets the cookie
            assert client.get("/api/routines").status_code == 200
            evil = client.get(f"/api/routines?token={token}", headers={"host": "rebound.example"})
            assert evil.status_code == 400  # DNS rebinding: a foreign Host is refused
            hostname = socket.gethostname().lower()  # this computer's own names are its
            for name in (hostname, f"{hostname}.local"):  # (as the --https certificate's are)
                by_name = client.get(f"/api/routines?token={token}", headers={"host": f"{name}:1"})
                assert by_name.status_code == 200, name
    assert server.process.returncode == 130 and "Traceback" not in server.err


@pytest.mark.parametrize(
    "args, said",
    [
        (["--host", "0.0.0.0"], "--lan"),
        (["--host", "192.0.2.7"], "--lan"),
        (["--no-token"], "--no-token is only for --lan"),
        (["no-such-routine"], "no routine named"),
    ],
)
def test_serve_refuses_an_open_server_without_a_token(vg_in_process: Any, args: list[str], said: str) -> None:
    result = vg_in_process("serve", "--port", "0", *args)
    assert result.returncode == 2 and said in result.stderr
    assert "Traceback" not in result.stderr


def test_the_test_network_changes_no_more_once_made(namespace: Namespace) -> None:
    """The namespace's links carry only the addresses the helper gives them: no IPv6
    link-local address arrives later (a browser inside would take it for a network change
    and abort what it is loading)."""
    shown = subprocess.run(
        ["ip", "-n", namespace.name, "-6", "address", "show", "scope", "link"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == ""


def test_no_token_on_the_lan_is_said_loudly(tmp_path: Path, namespace: Namespace) -> None:
    with lan_server(namespace, tmp_path, "--no-token") as server:
        assert "?token=" not in server.url and "scan this code" not in "".join(server.lines)
    assert "WARNING: --no-token: anyone on this network can use this server" in server.err
    assert server.process.returncode == 130


def test_a_port_in_use_is_said_plainly(vg_in_process: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = vg_in_process("serve", "--port", str(taken.getsockname()[1]))
    assert result.returncode == 2 and "port is in use" in result.stderr


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_during_a_render_with_an_open_event_stream(tmp_path: Path, presses: int) -> None:
    import httpx

    (tmp_path / "long.yaml").write_text(SHORT.replace("3s", "4h"))  # renders for many seconds
    process, base = start_server(tmp_path, str(tmp_path / "long.yaml"))
    events: list[str] = []
    started = math.inf
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            sid = client.post("/api/sessions", json={"name": "long"}).json()["id"]
            with client.stream("GET", f"/api/sessions/{sid}/events") as stream:
                try:
                    for line in stream.iter_lines():  # kept open: the server must end it
                        events.append(line)
                        if line.startswith("data:") and len(events) > 2 and started == math.inf:
                            started = time.monotonic()
                            for _ in range(presses):  # while it renders and streams; twice: impatient
                                process.send_signal(signal.SIGINT)
                                time.sleep(0.1)
                except httpx.RemoteProtocolError:
                    assert presses == 2  # a second Ctrl-C does not wait for anything
            _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130 and "Traceback" not in err, err
    assert "graceful shutdown exceeded" not in err  # the event stream ended at once
    assert time.monotonic() - started < 10
    assert not [p.name for p in (tmp_path / "cache" / "serve").iterdir() if ".partial" in p.name]


def test_listening_on_every_address_prints_the_one_a_phone_can_open(
    tmp_path: Path, namespace: Namespace
) -> None:
    with lan_server(namespace, tmp_path, "--host", "0.0.0.0") as server:
        assert server.lines[0].startswith(f"voiceguide serve: open http://{namespace.address}:")
        assert "0.0.0.0" not in server.lines[0]


@pytest.mark.slow
@pytest.mark.espeak
@pytest.mark.ffmpeg
def test_a_session_not_rendered_yet_plays_its_beginning_live(tmp_path: Path) -> None:
    """The page's first Play of a session that is not rendered: while its speech is made,
    the session's beginning is encoded and served as a stream (``live``, with a provisional
    document); it is the whole session once the render is ready, which then ends the stream."""
    import httpx

    words = "let your breath slow down and your shoulders soften"
    steps = "".join(f"  - {{say: 'Part {i}: {words[: 20 + i % 30]}.', hold: 2s}}\n" for i in range(120))
    (tmp_path / "long.yaml").write_text(f"title: Long\nsteps:\n{steps}")
    process, base = start_server(tmp_path, str(tmp_path / "long.yaml"), engine="espeak-ng")
    try:
        with httpx.Client(base_url=base, timeout=300) as client:
            sid = client.post("/api/sessions", json={"name": "long"}).json()["id"]
            # a bound on a hung server, not a timing check: 120 s was passed on a busy machine
            deadline = time.monotonic() + 900
            while not (state := client.get(f"/api/sessions/{sid}").json())["live"]:
                assert state["status"] == "rendering", state  # live comes before the render is done
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert state["live_doc"]["chapters"] and state["doc"] is None
            heard = b""
            rendering_when_heard = None
            with client.stream("GET", state["live"]) as stream:
                assert stream.status_code == 200 and stream.headers["accept-ranges"] == "none"
                for chunk in stream.iter_bytes():
                    if rendering_when_heard is None:
                        rendering_when_heard = client.get(f"/api/sessions/{sid}").json()["status"]
                    heard += chunk
            assert rendering_when_heard == "rendering"  # sound before the session was rendered
            while (state := client.get(f"/api/sessions/{sid}").json())["status"] == "rendering":
                assert time.monotonic() < deadline
                time.sleep(0.1)
            assert state["status"] == "ready" and state["live"] is None
            assert client.get(f"/audio/{sid}.live.mp3").status_code == 404  # the rendered file now
        live = tmp_path / "live.mp3"
        live.write_bytes(heard)
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(live)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert abs(float(probe.stdout) * 1000 - state["duration_ms"]) < 200  # the whole session
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
