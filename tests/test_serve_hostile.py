"""`voiceguide serve` against requests a hostile page or client sends (issue 23): another
site's simple requests, JSON nested past Python's recursion, routines that expand too far,
names that hide a bundled routine or name a device, the cookie over https. Starlette's
TestClient with the fake engine; the same requests against a real server and a real
cross-origin page in Chromium are in test_serve_cross_origin.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from voiceguide.cli.serving import _host_names
from voiceguide.serve.app import MAX_DRAFTS, ServeConfig, create_app

from .conftest import private_environment

SHORT = "title: Short one\nsteps:\n  - {name: Reach, say: Reach up., hold: 3s}\n"
#: a routine the loader accepts that expands past 10,000 sounds (what `voiceguide validate` refuses)
EXPANDS = """\
title: Big
steps:
  - name: Outer
    repeat: 1000
    steps:
      - name: Inner
        repeat: 1000
        steps:
          - {say: Hi., hold: 1ms}
"""
JSON_TYPE = {"content-type": "application/json"}
STATE_CHANGING = [
    ("POST", "/api/sessions", {"name": "short"}),
    ("POST", "/api/preview", {"name": "short"}),
    ("POST", "/api/validate", {"yaml": SHORT}),
    ("PUT", "/api/user-routines/mine", {"yaml": SHORT}),
]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in private_environment(tmp_path, "fake").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VOICEGUIDE_ROUTINES_DIR", str(tmp_path / "my-routines"))
    (tmp_path / "short.yaml").write_text(SHORT)
    (tmp_path / "static").mkdir()
    return tmp_path


def make_client(env: Path, **config: Any) -> TestClient:
    settings: dict[str, Any] = {
        "routines": (env / "short.yaml",),
        "static_dir": env / "static",
        "measure_lengths": False,
    } | config
    return TestClient(create_app(ServeConfig(**settings)))


@pytest.fixture
def client(env: Path) -> Iterator[TestClient]:
    with make_client(env) as test_client:
        yield test_client


def served_files(env: Path) -> list[Path]:
    """Everything the server has written: sessions, drafts, saved routines."""
    return [
        p
        for folder in (env / "cache" / "serve", env / "my-routines")
        if folder.exists()
        for p in folder.rglob("*")
        if p.is_file()
    ]


# ---- finding 1: another site's page cannot make the server work ------------------------------


@pytest.mark.parametrize("method, route, body", STATE_CHANGING)
@pytest.mark.parametrize(
    "headers, status",
    [
        ({"origin": "http://evil.example", "content-type": "text/plain"}, 403),  # the curl
        ({"origin": "http://evil.example", "content-type": "application/json"}, 403),
        ({"origin": "null", "content-type": "application/json"}, 403),  # a sandboxed frame, a file: page
        ({"origin": "http://testserver:8080", "content-type": "application/json"}, 403),  # another port
        ({"origin": "https://testserver", "content-type": "application/json"}, 403),  # another scheme
        ({"sec-fetch-site": "cross-site", "content-type": "application/json"}, 403),
        ({"sec-fetch-site": "same-site", "content-type": "application/json"}, 403),
        ({"content-type": "text/plain"}, 415),  # a simple request without Origin (an old browser)
        ({"content-type": "application/x-www-form-urlencoded"}, 415),
        ({"content-type": "multipart/form-data; boundary=x"}, 415),
        ({}, 415),
    ],
)
def test_a_request_another_site_could_send_changes_nothing(
    env: Path, method: str, route: str, body: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    import json

    with make_client(env) as client:
        answer = client.request(method, route, content=json.dumps(body), headers=headers)
        assert answer.status_code == status, answer.text
        assert "error" in answer.json()
        assert answer.headers["x-content-type-options"] == "nosniff"  # refusals are secured too
    assert served_files(env) == []


@pytest.mark.parametrize("method, route, body", STATE_CHANGING)
@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://testserver", "sec-fetch-site": "same-origin"},  # the page itself
        {"origin": "http://TestServer:80"},  # the same origin, spelled otherwise
        {"sec-fetch-site": "none"},
        {},  # not a browser (curl, a script): judged by its token alone
    ],
)
def test_the_page_itself_and_other_clients_are_served(
    env: Path, method: str, route: str, body: dict[str, Any], headers: dict[str, str]
) -> None:
    with make_client(env) as client:
        answer = client.request(method, route, json=body, headers=headers)
        assert answer.status_code == 200, answer.text


def test_drafts_are_bounded(client: TestClient, env: Path) -> None:
    for n in range(MAX_DRAFTS + 8):
        answer = client.post("/api/preview", json={"yaml": SHORT.replace("Reach up.", f"Reach {n}.")})
        assert answer.status_code == 200, answer.text
    drafts = list((env / "cache" / "serve" / "drafts").iterdir())
    assert len(drafts) == MAX_DRAFTS
    # the newest is kept: its preview can be asked again without writing
    again = client.post("/api/preview", json={"yaml": SHORT.replace("Reach up.", f"Reach {MAX_DRAFTS + 7}.")})
    assert again.status_code == 200 and len(list(drafts[0].parent.iterdir())) == MAX_DRAFTS


# ---- finding 2: JSON nested past Python's recursion --------------------------------------------


@pytest.mark.parametrize("method, route", [(m, r) for m, r, _ in STATE_CHANGING])
@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deeply_nested_json_is_a_400_not_a_500(
    client: TestClient, method: str, route: str, depth: int
) -> None:
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        answer = client.request(method, route, content=body, headers=JSON_TYPE)
        assert answer.status_code == 400, answer.text
        assert answer.json() == {"error": "the request body is not JSON"}


# ---- finding 6: one validation, the command line's --------------------------------------------


def test_a_routine_validate_refuses_is_refused_by_every_route(
    client: TestClient, env: Path, vg_in_process: Any
) -> None:
    (env / "expands.yaml").write_text(EXPANDS)
    for options in ((), ("--no-speech",)):  # the limits are checked without speech too
        cli = vg_in_process("validate", str(env / "expands.yaml"), *options)
        assert cli.returncode == 2 and "more than 10,000 sounds" in cli.stderr + cli.stdout, options
    checked = client.post("/api/validate", json={"yaml": EXPANDS}).json()
    assert checked["ok"] is False
    assert "more than 10,000 sounds" in checked["diagnostics"][0]["message"]
    assert checked["diagnostics"][0]["line"] == 9  # where the routine says the sound
    for method, route in (("POST", "/api/preview"), ("PUT", "/api/user-routines/expands")):
        answer = client.request(method, route, json={"yaml": EXPANDS})
        assert answer.status_code == 422, answer.text
        assert "more than 10,000 sounds" in answer.json()["diagnostics"][0]["message"]
    assert served_files(env) == []  # nothing saved, no draft kept


def test_a_session_of_a_listed_routine_that_expands_too_far_is_a_422(env: Path) -> None:
    (env / "expands.yaml").write_text(EXPANDS)
    with make_client(env, routines=(env / "expands.yaml",)) as client:
        answer = client.post("/api/sessions", json={"name": "expands"})
        assert answer.status_code == 422, answer.text
        assert "more than 10,000 sounds" in answer.json()["diagnostics"][0]["message"]


def test_validate_checks_at_the_pacing_asked_for(client: TestClient) -> None:
    rounds = (
        "title: Rounds\nsteps:\n  - name: Round\n    repeat: 100\n    steps:\n"
        "      - {name: B, breathe: {pattern: 1-1-1-1, cycles: 2}}\n"
    )
    assert client.post("/api/validate", json={"yaml": rounds}).json()["ok"] is True
    more = client.post("/api/validate", json={"yaml": rounds, "pacing": {"cycles": 100}}).json()
    assert more["ok"] is False and "more than 10,000 sounds" in more["diagnostics"][0]["message"]
    bad = client.post("/api/validate", json={"yaml": rounds, "pacing": {"rate": 5000}})
    assert bad.status_code == 422 and bad.json()["diagnostics"][0]["field"] == "rate"


# ---- finding 7: names that hide a bundled routine or name a device ----------------------------


def test_saving_under_a_bundled_name_is_refused_with_a_free_name(client: TestClient, env: Path) -> None:
    answer = client.put("/api/user-routines/box-breathing", json={"yaml": SHORT})
    assert answer.status_code == 409
    said = answer.json()["error"]
    assert "'box-breathing' is a bundled routine" in said and "'my-box-breathing'" in said
    assert not (env / "my-routines").exists()
    assert client.put("/api/user-routines/my-box-breathing", json={"yaml": SHORT}).status_code == 200
    again = client.put("/api/user-routines/box-breathing", json={"yaml": SHORT}).json()["error"]
    assert "'my-box-breathing-2'" in again  # the suggestion is free
    rows = [r["name"] for r in client.get("/api/routines").json()]
    assert rows.count("box-breathing") == 1


@pytest.mark.parametrize("name", ["con", "nul", "aux", "prn", "com1", "com9", "lpt1", "lpt3"])
def test_device_names_are_refused(client: TestClient, env: Path, name: str) -> None:
    answer = client.put(f"/api/user-routines/{name}", json={"yaml": SHORT})
    assert answer.status_code == 400
    assert "device" in answer.json()["error"]
    assert not (env / "my-routines").exists()
    assert client.put(f"/api/user-routines/{name}-2", json={"yaml": SHORT}).status_code == 200


# ---- finding 8: the cookie over https -------------------------------------------------------------


@pytest.mark.parametrize("base, secure", [("https://testserver", True), ("http://testserver", False)])
def test_the_token_cookie_is_secure_over_https(env: Path, base: str, secure: bool) -> None:
    with TestClient(
        create_app(ServeConfig(token="t0k", static_dir=env / "static", measure_lengths=False)), base_url=base
    ) as client:
        cookie = client.get("/?token=t0k").headers["set-cookie"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert ("Secure" in attributes) is secure, cookie
    assert "HttpOnly" in attributes and "SameSite=Strict" in attributes


# ---- finding 5: an IPv6 address is a Host header in brackets ---------------------------------------


def test_ipv6_hosts_are_accepted_as_a_host_header_writes_them(env: Path) -> None:
    hosts = _host_names("::1", lan=False)
    with make_client(env, allowed_hosts=hosts) as client:
        assert client.get("/api/routines", headers={"host": "[::1]:8765"}).status_code == 200
        assert client.get("/api/routines", headers={"host": "[::2]:8765"}).status_code == 400
        assert client.get("/api/routines", headers={"host": "127.0.0.1:8765"}).status_code == 200
