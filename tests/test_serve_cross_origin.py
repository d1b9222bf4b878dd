"""Another site's page cannot make `voiceguide serve` work (issue 23 finding 1), in a real
browser: Debian's Chromium (Playwright, executable_path) opens a page served from a second
loopback address (127.0.0.2, another origin and another site than 127.0.0.1) that tries what
a hostile page can: simple no-cors POSTs (text/plain, the issue's request), a JSON POST and a
PUT that need a preflight, and a text/plain form posted into a frame. The server, loopback
and without a token, must render nothing, keep no draft and save nothing; the same fetch
from the server's own origin is served (the control that shows the refusal is the origin's)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .conftest import VOICEGUIDE, private_environment
from .helpers.browser import CHROMIUM, CHROMIUM_FLAGS

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
if not CHROMIUM.exists() and not os.environ.get("CI"):  # in CI (bin/setup --test) a missing one fails
    pytest.skip("Debian's chromium is not installed (bin/setup --test installs it)", allow_module_level=True)

pytestmark = pytest.mark.slow

SESSION = json.dumps({"name": "box-breathing", "pacing": {"rate": 151}})
DRAFT = json.dumps({"yaml": "title: Evil\nsteps:\n  - {say: Hello., hold: 1s}\n"})
CONTROL = json.dumps({"name": "box-breathing", "pacing": {"rate": 160}})
SAVE = json.dumps({"yaml": "title: Evil\nsteps:\n  - {say: Hello., hold: 1s}\n"})

#: the hostile page: every attempt, then ``window.done`` with what each one saw
EVIL_PAGE = """<!doctype html><title>evil</title>
<form id="form" method="POST" target="sink" enctype="text/plain">
  <input name='{"name": "box-breathing", "pacing": {"rate": 152}, "x": "' value='"}'>
</form>
<iframe name="sink" id="sink"></iframe>
<script>
const target = new URLSearchParams(location.search).get("target");
const seen = {};
async function attempt(name, path, init) {
  try {
    const response = await fetch(target + path, init);
    seen[name] = response.type === "opaque" ? "opaque" : response.status;
  } catch (error) {
    seen[name] = "refused: " + error.name;
  }
}
async function main() {
  const simple = (method, body) =>
    ({method, mode: "no-cors", headers: {"Content-Type": "text/plain"}, body});
  const json = (method, body) =>
    ({method, mode: "cors", headers: {"Content-Type": "application/json"}, body});
  await attempt("simple session", "/api/sessions", simple("POST", SESSION));
  await attempt("simple preview", "/api/preview", simple("POST", DRAFT));
  await attempt("simple save", "/api/user-routines/evil", simple("PUT", SAVE));
  await attempt("json session", "/api/sessions", json("POST", SESSION));
  await attempt("json preview", "/api/preview", json("POST", DRAFT));
  await attempt("json save", "/api/user-routines/evil", json("PUT", SAVE));
  const sink = document.getElementById("sink");
  const posted = new Promise((resolve) => sink.addEventListener("load", resolve, {once: true}));
  const form = document.getElementById("form");
  form.action = target + "/api/sessions";
  form.submit();
  await posted;
  seen["form session"] = "posted";
  window.seen = seen;
  window.done = true;
}
main();
</script>"""


def _evil_page() -> bytes:
    page = EVIL_PAGE
    for name, body in (("SESSION", SESSION), ("DRAFT", DRAFT), ("SAVE", SAVE)):
        page = page.replace(f"{name})", f"{json.dumps(body)})")
    return page.encode()


class _EvilHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = _evil_page()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def evil_origin() -> Iterator[str]:
    """Another site on this machine: a plain server on 127.0.0.2 (loopback, another origin)."""
    try:
        httpd = ThreadingHTTPServer(("127.0.0.2", 0), _EvilHandler)
    except OSError as exc:
        pytest.skip(f"cannot listen on 127.0.0.2 here: {exc}")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.2:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real `voiceguide serve` on 127.0.0.1 (no token: loopback) with the fake engine; its
    URL and its home (cache, routines folder)."""
    env = dict(os.environ) | private_environment(tmp_path, "fake")
    env["VOICEGUIDE_ROUTINES_DIR"] = str(tmp_path / "my-routines")
    env.pop("VOICEGUIDE_DEBUG", None)
    process = subprocess.Popen(
        [str(VOICEGUIDE), "serve", "--port", "0", "--no-feed"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"open (http://\S+)/", line)
    assert found, line
    url = found.group(1)
    threading.Thread(target=process.stdout.read, daemon=True).start()  # never blocks the server
    port = int(url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:  # it listens just after printing
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield url, tmp_path
    process.terminate()
    process.wait(timeout=30)


def sessions_rendered(home: Path) -> set[str]:
    """The ids of the sessions the server has rendered (its ``<id>.json``, written last)."""
    folder = home / "cache" / "serve"
    if not folder.exists():
        return set()
    names = (re.fullmatch(r"([0-9a-f]{32})\.json", p.name) for p in folder.iterdir())
    return {found.group(1) for found in names if found}


def wait_rendered(url: str, sid: str) -> None:
    """Waits for session ``sid`` to leave "rendering" (the one worker takes sessions in the
    order they came: any session asked before it has been rendered by then)."""
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/api/sessions/{sid}", timeout=10).json()["status"] != "rendering":
            return
        time.sleep(0.1)
    raise AssertionError(f"session {sid} still rendering")


def test_a_page_of_another_site_cannot_make_the_server_work(
    server: tuple[str, Path], evil_origin: str
) -> None:
    url, home = server
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context().new_page()
            page.goto(f"{evil_origin}/?target={url}")
            page.wait_for_function("window.done === true", timeout=60_000)
            seen = page.evaluate("window.seen")
            # the control: a request from the server's own origin is served
            page.goto(f"{url}/api/routines")
            own = page.evaluate(
                """async (body) => {
                const answer = await fetch("/api/sessions", {method: "POST",
                    headers: {"Content-Type": "application/json"}, body});
                return [answer.status, (await answer.json()).id]; }""",
                CONTROL,
            )
        finally:
            browser.close()
    # the simple requests reach the server (a browser sends them without asking) and are refused
    assert seen["simple session"] == seen["simple preview"] == "opaque", seen
    # a PUT is never simple, and a JSON body needs a preflight, which the server never grants:
    # the browser sends nothing
    preflighted = ("simple save", "json session", "json preview", "json save")
    assert all(str(seen[k]).startswith("refused") for k in preflighted), seen
    assert seen["form session"] == "posted"
    assert own[0] == 200, own
    assert not (home / "my-routines").exists()  # nothing saved
    assert not (home / "cache" / "serve" / "drafts").exists()  # no draft kept (written before answering)
    wait_rendered(url, own[1])
    assert sessions_rendered(home) == {own[1]}  # the control's only: nothing rendered for the others
