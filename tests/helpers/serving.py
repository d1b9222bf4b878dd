"""`voiceguide serve` in tests: a private folder with a short routine and a stand-in page,
a TestClient on it, and waits for a session to render or a server to listen."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from voiceguide.serve.app import ServeConfig, create_app

from .run import private_environment

SHORT = """\
title: Short one
description: Two steps, for the tests.
safety:
  - Stop if it hurts.
steps:
  - name: Reach
    say: Reach up.
    hold: 3s
  - name: Fold
    say: Fold forward.
    hold: 2s
"""
TOKEN = "test-token-123"


def serve_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` made the private cache, config and routines folder (the fake engine),
    with short.yaml (``SHORT``) and a stand-in page in static/; returns ``tmp_path``."""
    for name, value in private_environment(tmp_path, "fake").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VOICEGUIDE_ROUTINES_DIR", str(tmp_path / "my-routines"))
    (tmp_path / "short.yaml").write_text(SHORT)
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>voiceguide</title>")
    (static / "app.js").write_text("console.log('hi');\n")
    (static / "sw.js").write_text("self.addEventListener('fetch', () => {});\n")
    (static / "manifest.webmanifest").write_text('{"name": "voiceguide"}')
    return tmp_path


def make_client(env: Path, token: str | None = TOKEN, **config: Any) -> TestClient:
    """A TestClient on the app serving ``env``'s short.yaml and static/ (``serve_folder``),
    lengths not measured unless ``config`` says so."""
    settings: dict[str, Any] = {
        "routines": (env / "short.yaml",),
        "static_dir": env / "static",
        "measure_lengths": False,
        "token": token,
    } | config
    return TestClient(create_app(ServeConfig(**settings)))


def wait_ready(client: TestClient, sid: str, timeout: float = 60) -> dict[str, Any]:
    """Session ``sid``'s state once it is no longer rendering (``timeout`` in seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state: dict[str, Any] = client.get(f"/api/sessions/{sid}").json()
        if state["status"] != "rendering":
            return state
        time.sleep(0.05)
    raise AssertionError(f"session {sid} still rendering after {timeout} s")


def wait_listening(origin: str, timeout: float = 30) -> None:
    """Return once something accepts connections at ``origin``'s host and port."""
    address = urlsplit(origin)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((address.hostname, address.port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on {origin}"
            time.sleep(0.05)
