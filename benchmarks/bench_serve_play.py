"""Play on the phone page of `voiceguide serve`: milliseconds from pressing Play to sound
for a warm session (already rendered), in a real browser, against a plain <audio> element
playing the same mp3 from the same server in the same run.

Setup: the dev extra (`bin/setup --test`: Playwright for Python, Debian's /usr/bin/chromium,
espeak-ng; certutil from libnss3-tools for --https). No browser is downloaded.

What runs: a real `voiceguide serve --port 0 --no-feed` (with --https: `serve --lan --https`,
its local CA trusted in the NSS database of a temporary $HOME, as tests/test_serve_page_https.py
does) with the espeak-ng engine and temporary config, data, cache and routines folders;
Chromium headless at a phone viewport (390x844, touch), as tests/test_serve_page.py launches it.
The routine is rendered once through the page first, so every measured Play finds it ready.

What is measured (N runs each, alternating, after one unmeasured warm-up of each):
1. page: the routine view loaded fresh (#/routine/NAME, its length shown), then a click on
   its Play button (#start): the page asks the server for the session (POST /api/sessions,
   then GET it), opens the player view, sets the audio element's source and plays.
2. baseline: a bare page under the same origin (served by a Playwright route, only inside
   this benchmark, with the project's CSP) whose Play button sets a plain <audio> element's
   src to the same session mp3 URL (same token cookie with --https) and calls play().
Both times come from the page's own clock (performance.now()): the click, stamped by a
capture listener installed before clicking, to the audio element's first `playing` event.
The real page keeps its service worker (as a phone does; after the warm-up it may answer
the mp3 from its cache); the baseline's context blocks service workers so the route is used.
Printed: median and min-max of each, and the ratio of the medians (page / baseline).

Usage: .venv/bin/python benchmarks/bench_serve_play.py [--runs 10] [--routine box-breathing] [--https]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

VOICEGUIDE = Path(sys.executable).parent / "voiceguide"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]  # as tests/test_serve_page.py
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
BASELINE_PATH = "/bench-serve-play-baseline"  # answered by a Playwright route, never the server
BASELINE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>baseline</title></head>
<body><button id="play" type="button">Play</button><audio id="audio" preload="auto"></audio></body></html>
"""
# the click stamped before any handler of the page runs; the first `playing` after it
ARM = """(selector) => {
  window.__bench = { click: null, playing: null };
  document.addEventListener("click", (event) => {
    if (event.target.closest(selector) && window.__bench.click === null) {
      window.__bench.click = performance.now();
    }
  }, { capture: true });
  document.getElementById("audio").addEventListener("playing", () => {
    if (window.__bench.playing === null) window.__bench.playing = performance.now();
  });
}"""
DONE = "() => window.__bench && window.__bench.playing !== null"
ELAPSED = "() => window.__bench.playing - window.__bench.click"


@contextmanager
def serve(home: Path, https: bool) -> Iterator[str]:
    """A real `voiceguide serve` on a free port with espeak-ng and private folders; the URL
    it prints (with the token for --https)."""
    env = dict(
        os.environ,
        VOICEGUIDE_CACHE_DIR=str(home / "cache"),
        VOICEGUIDE_CONFIG_DIR=str(home / "config"),
        VOICEGUIDE_DATA_DIR=str(home / "data"),
        VOICEGUIDE_ROUTINES_DIR=str(home / "my-routines"),
        VOICEGUIDE_ENGINE="espeak-ng",
    )
    env.pop("VOICEGUIDE_DEBUG", None)
    options = ["--lan", "--https"] if https else []
    process = subprocess.Popen(
        [str(VOICEGUIDE), "serve", "--port", "0", "--no-feed", *options],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    printed: list[str] = []
    url = None
    deadline = time.monotonic() + 60
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        printed.append(line)
        found = re.search(r"open (https?://\S+)", line)
        url = found.group(1) if found else None
    try:
        if url is None:
            raise SystemExit(f"serve printed no URL: {''.join(printed)}")
        threading.Thread(target=printed.extend, args=(process.stdout,), daemon=True).start()
        address = urlsplit(url)
        while True:  # the URL is printed a moment before uvicorn listens
            try:
                socket.create_connection((address.hostname, address.port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"serve does not listen on {url}: {''.join(printed)}") from None
                time.sleep(0.05)
        yield url
    except BaseException:
        print(f"voiceguide serve printed: {''.join(printed)}", file=sys.stderr)
        raise
    finally:
        process.terminate()
        process.wait(timeout=30)


def trusting_home(home: Path, ca: Path) -> Path:
    """A $HOME whose NSS database (what Chromium on Linux reads) trusts ``ca`` for web sites."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise SystemExit("--https needs certutil (Debian's libnss3-tools)")
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True)
    subprocess.run(
        [certutil, "-d", f"sql:{database}", "-N", "--empty-password"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        [certutil, "-d", f"sql:{database}", "-A", "-t", "C,,", "-n", "voiceguide", "-i", str(ca)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return home


def open_routine(page: Any, origin: str, routine: str) -> None:
    """The routine view loaded fresh, its length shown (so Play is enabled)."""
    page.goto("about:blank")  # a new document: a hash-only goto keeps the player of the last run
    page.goto(f"{origin}/#/routine/{routine}")
    page.evaluate("() => localStorage.clear()")  # no remembered position to seek to
    page.wait_for_selector("#preview-length:not(.stale)")
    page.wait_for_function(
        "() => /^\\d+:\\d\\d$/.test(document.getElementById('preview-length').textContent)"
        " && !document.getElementById('start').disabled"
    )


def time_page(page: Any, origin: str, routine: str) -> float:
    """Milliseconds from a click on the routine view's Play to the audio's first `playing`."""
    open_routine(page, origin, routine)
    page.evaluate(ARM, "#start")
    page.locator("#start").click()
    page.wait_for_function(DONE, timeout=120_000)
    elapsed: float = page.evaluate(ELAPSED)
    page.evaluate("() => document.getElementById('audio').pause()")
    return elapsed


def time_baseline(page: Any, origin: str, audio: str) -> float:
    """Milliseconds from a click on the bare page's Play to its <audio>'s first `playing`."""
    page.goto(f"{origin}{BASELINE_PATH}")
    page.evaluate(
        """(url) => {
      const audio = document.getElementById("audio");
      document.getElementById("play").addEventListener("click", () => {
        audio.src = url;
        audio.play();
      });
    }""",
        audio,
    )
    page.evaluate(ARM, "#play")
    page.locator("#play").click()
    page.wait_for_function(DONE, timeout=60_000)
    elapsed: float = page.evaluate(ELAPSED)
    page.evaluate("() => document.getElementById('audio').pause()")
    return elapsed


def row(label: str, values: list[float]) -> str:
    return (
        f"{label:<10} {statistics.median(values):8.0f} ms  "
        f"{min(values):6.0f}-{max(values):.0f} ms  ({len(values)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="measured Plays of each kind (default 10)")
    parser.add_argument(
        "--routine", default="box-breathing", help="a bundled routine (default box-breathing)"
    )
    parser.add_argument(
        "--https", action="store_true", help="serve --lan --https, its CA trusted in a temporary NSS database"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not CHROMIUM.exists():
        raise SystemExit("Debian's chromium is not installed (bin/setup --test installs it)")
    from playwright.sync_api import Route, sync_playwright

    from voiceguide.serve.security import CSP

    def answer_baseline(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body=BASELINE_PAGE,
            headers={"Content-Security-Policy": CSP},
        )

    with tempfile.TemporaryDirectory(prefix="bench-serve-play-") as work:
        tmp = Path(work)
        (tmp / "serve").mkdir()
        with serve(tmp / "serve", args.https) as url, sync_playwright() as playwright:
            split = urlsplit(url)
            origin = f"{split.scheme}://{split.netloc}"
            env: dict[str, str | float | bool] = dict(os.environ)
            if args.https:
                home = trusting_home(tmp / "home", tmp / "serve" / "config" / "serve-ca" / "ca.pem")
                env["HOME"] = str(home)
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, env=env)
            real = browser.new_context(**PHONE).new_page()
            bare = browser.new_context(service_workers="block", **PHONE).new_page()
            for page in (real, bare):
                page.set_default_timeout(60_000)
                page.goto(url)  # the first visit: the token's cookie with --https
            bare.route(f"{origin}{BASELINE_PATH}", answer_baseline)
            started = time.perf_counter()
            time_page(real, origin, args.routine)  # renders it: every later Play is warm
            print(
                f"render of {args.routine} through the page: {time.perf_counter() - started:.1f} s "
                f"(espeak-ng; {origin})"
            )
            session_id = real.evaluate("() => location.hash").rsplit("/", 1)[-1]
            session: dict[str, Any] = real.evaluate(
                "async (id) => (await fetch('/api/sessions/' + id)).json()", session_id
            )
            if session.get("status") != "ready" or not session.get("audio"):
                raise SystemExit(f"the session is not ready: {session}")
            time_baseline(bare, origin, session["audio"])  # warm-up, not counted
            page_ms: list[float] = []
            baseline_ms: list[float] = []
            for _ in range(args.runs):
                page_ms.append(time_page(real, origin, args.routine))
                baseline_ms.append(time_baseline(bare, origin, session["audio"]))
            browser.close()
    scheme = "https" if args.https else "http"
    print(f"click on Play to the audio's first 'playing' (warm session, {scheme}):")
    print(f"{'':<10} {'median':>11}  {'min-max':>12}")
    print(row("page", page_ms))
    print(row("baseline", baseline_ms))
    ratio = statistics.median(page_ms) / statistics.median(baseline_ms)
    print(f"ratio page / baseline (medians): {ratio:.2f}")


if __name__ == "__main__":
    main()
