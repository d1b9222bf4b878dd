"""The page of `voiceguide serve` (issue 15) in a real headless browser: Playwright for Python
driving Debian's Chromium (/usr/bin/chromium, never a downloaded browser) at a phone
viewport, against a real `voiceguide serve` subprocess on a free loopback port with the fake
engine. Every test fails on a console error, an uncaught exception or a CSP violation.
(docs/screenshots/ is made by tools/screenshots.py, over the screens of tests/helpers/screens.py.)"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .helpers.browser import CHROMIUM, CHROMIUM_FLAGS, PHONE, NetworkLog, poll, problems_of
from .helpers.lan import LanServer, lan_server
from .helpers.netns import network_namespace
from .helpers.run import VOICEGUIDE, private_environment

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
if not CHROMIUM.exists() and not os.environ.get("CI"):  # in CI (bin/setup --test) a missing one fails
    pytest.skip("Debian's chromium is not installed (bin/setup --test installs it)", allow_module_level=True)

pytestmark = pytest.mark.slow

ROUTINE = "hip-opener"  # sides (left/right) and rounds, holds and rests: chapters worth following
BROKEN_YAML = "title: Broken\nsteps:\n  - name: One\n    say: [unclosed\n"

expect = playwright_api.expect
expect.set_options(timeout=60_000)  # a cold cache measures speech first; two CPUs are shared


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `voiceguide serve --port 0` with the fake engine and a private cache; its URL."""
    yield from _serve(tmp_path_factory.mktemp("serve-page"))


def _serve(home: Path, *options: str) -> Iterator[str]:
    env = dict(os.environ) | private_environment(home, "fake")
    env["VOICEGUIDE_ROUTINES_DIR"] = str(home / "my-routines")
    env.pop("VOICEGUIDE_DEBUG", None)
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
    url = _read_url(process, printed, timeout_s=60)
    assert url, f"serve printed no URL: {printed}"
    threading.Thread(target=printed.extend, args=(process.stdout,), daemon=True).start()  # never blocks
    _wait_for_listening(url, process, printed)
    yield url
    process.terminate()
    process.wait(timeout=30)


def _wait_for_listening(url: str, process: subprocess.Popen[str], printed: list[str]) -> None:
    """serve prints its URL a moment before uvicorn listens: wait until a connection is taken."""
    address = urlsplit(url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection((address.hostname, address.port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"serve does not listen on {url}: {printed}")


def _read_url(process: subprocess.Popen[str], printed: list[str], timeout_s: float) -> str | None:
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            return None
        printed.append(line)
        found = re.search(r"open (http://\S+)", line)
        if found:
            return found.group(1)
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def allowed_console() -> list[str]:
    """Patterns of console messages a test expects (e.g. the 422 of pacing it made invalid)."""
    return []


@pytest.fixture
def page(browser: Any, server: str, allowed_console: list[str]) -> Iterator[Any]:
    """A fresh phone-sized context (its own storage and service worker); fails the test on
    any console error or warning, uncaught exception or CSP violation it did not expect."""
    context = browser.new_context(base_url=server, **PHONE)
    page = context.new_page()
    problems = problems_of(page)
    page.set_default_timeout(30_000)
    yield page
    context.close()
    assert [p for p in problems if not any(re.search(allowed, p) for allowed in allowed_console)] == []


def open_routine(page: Any, name: str = ROUTINE) -> None:
    page.goto("/")
    page.locator(f'.card[data-name="{name}"] a').click()
    length(page)


def length(page: Any) -> str:
    """The length the routine view shows once its preview has answered."""
    expect(page.locator("#preview-length:not(.stale)")).to_have_text(re.compile(r"^\d+:\d\d$|^—$"))
    return str(page.locator("#preview-length").inner_text())


def start_session(page: Any) -> dict[str, Any]:
    """Play the routine shown; wait for its render; pause; return the session (with its doc)."""
    page.locator("#start").click()
    expect(page.locator("#stage")).to_be_visible(timeout=120_000)
    # a session not rendered yet may start live, then carry on in the rendered file: wait for that
    expect(page.locator("#stage[data-live=false]")).to_be_attached(timeout=120_000)
    page.wait_for_function("() => document.getElementById('audio').readyState >= 1")
    page.evaluate("() => document.getElementById('audio').pause()")
    session_id = page.url.rsplit("/", 1)[-1]
    session: dict[str, Any] = page.evaluate(
        "async (id) => (await fetch('/api/sessions/' + id)).json()", session_id
    )
    return session


def seek(page: Any, ms: int) -> None:
    page.evaluate("(s) => { const a = document.getElementById('audio'); a.currentTime = s; }", ms / 1000)
    page.wait_for_function(
        "(s) => Math.abs(document.getElementById('audio').currentTime - s) < 0.01", arg=ms / 1000
    )


def chapter_at(doc: dict[str, Any], ms: int) -> int:
    return next(i for i, c in enumerate(doc["chapters"]) if c["start_ms"] <= ms < c["end_ms"])


def current_ms(page: Any) -> int:
    seconds: float = page.evaluate("() => document.getElementById('audio').currentTime")
    return round(seconds * 1000)


def step_title(title: str) -> str:
    return title.rsplit(" — ", 1)[0]


def test_the_library_lists_every_routine(page: Any) -> None:
    page.goto("/")
    routines = page.evaluate("async () => (await fetch('/api/routines')).json()")
    assert len(routines) >= 10
    cards = page.locator(".card")
    expect(cards).to_have_count(len(routines))
    box = page.locator('.card[data-name="box-breathing"]')
    expect(box.locator(".card-title")).to_have_text("Box breathing")
    expect(box).to_contain_text("In for four, hold for four")
    expect(box).to_contain_text("bundled")
    # the server measures every routine at three presets behind any render: on a busy
    # machine that can outlast the page's relisting (20 times, 3 s apart), so wait for the
    # server's state, then the page shows it on its next listing
    _wait_measured(page, "box-breathing")
    page.reload()
    expect(page.locator('.card[data-name="box-breathing"] .lengths')).to_contain_text(
        re.compile(r"gentle \d+:\d\d · standard \d+:\d\d · brisk \d+:\d\d")
    )


def _wait_measured(page: Any, name: str, seconds: float = 300) -> None:
    """Wait until the server lists ``name`` with its lengths measured (a state of the
    server, asked every half second; fails after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = page.evaluate("async () => (await fetch('/api/routines')).json()")
        if any(row["name"] == name and row["lengths_ms"] for row in rows):
            return
        time.sleep(0.5)
    raise AssertionError(f"{name}'s lengths were not measured in {seconds} s")


def test_choosing_pacing_changes_the_length_shown_before_playing(
    page: Any, allowed_console: list[str]
) -> None:
    open_routine(page)
    expect(page.locator("#routine-safety li").first).to_contain_text("Get help now")
    default = length(page)
    page.locator("input[name=duration]").fill("15m")
    assert length(page) == "15:00"
    page.locator("input[name=duration]").fill("")
    assert length(page) == default
    page.locator("select[name=preset]").select_option("brisk")
    brisk = length(page)
    page.locator("select[name=preset]").select_option("gentle")
    gentle = length(page)
    assert _seconds(brisk) < _seconds(default) < _seconds(gentle)
    allowed_console.append(r"Failed to load resource: .* 422")  # the preview's answer to that rate
    page.locator("input[name=rate]").fill("10")  # below the CLI's 80 wpm: its error, play disabled
    expect(page.locator("#preview-problems li")).to_have_count(1)
    expect(page.locator("#start")).to_be_disabled()
    page.locator("input[name=rate]").fill("")
    expect(page.locator("#start")).to_be_enabled()


def test_the_pacing_form_is_built_from_the_one_description(page: Any) -> None:
    """Issue 26 item 1: the form's controls are those of GET /api/pacing-settings (the one
    description the command line, the loader and the server follow): names, limits, choices."""
    from voiceguide.routine.pacing_settings import page_description

    settings = page.request.get("/api/pacing-settings").json()["settings"]
    assert settings == page_description()
    open_routine(page)
    form = page.locator("#pacing")
    for setting in settings:
        control = form.locator(f"[name={setting['key']}]")
        expect(control).to_have_count(1)
        assert control.evaluate("(node) => node.closest('label').title") == setting["help"]
        if setting["control"] == "number":
            limits = [control.get_attribute(name) for name in ("min", "max")]
            assert limits == [f"{setting['minimum']:g}", f"{setting['maximum']:g}"], setting["key"]
        elif setting["control"] == "select" and not setting["options_from"]:
            values = control.locator("option").evaluate_all("(options) => options.map((o) => o.value)")
            assert values == ["", *setting["choices"]]
    cycles = form.locator("input[name=cycles]")
    assert cycles.get_attribute("max") == "1000"  # the page said 100 once, the schema 1,000


def voice_options(page: Any) -> list[str]:
    values: list[str] = page.locator("select[name=voice] option").evaluate_all(
        "(options) => options.map((o) => o.value)"
    )
    return values


def test_the_voice_is_chosen_from_the_engines_voices(page: Any) -> None:
    listed = {e["id"]: e for e in page.request.get("/api/voices").json()["engines"]}
    open_routine(page, "physiological-sigh")  # short: rendered with espeak-ng below
    engine, voice = page.locator("select[name=engine]"), page.locator("select[name=voice]")
    # the engines installed, after "default (the server's default)": the test engine here
    expect(engine.locator("option")).to_have_count(1 + len(listed))
    expect(engine.locator("option").first).to_have_text("default (fake)")
    assert voice_options(page) == ["", "fake"]  # the default engine's voices
    expect(voice.locator("option").nth(1)).to_have_text("Fake voice · en")
    engine.select_option("espeak-ng")  # another engine: its voices
    espeak = voice_options(page)
    assert espeak[0] == "" and set(espeak[1:]) == {v["id"] for v in listed["espeak-ng"]["voices"]}
    assert len(espeak) > 50
    expect(voice.locator('option[value="gmw/en-gb-x-rp"]')).to_have_text(
        "English (Received Pronunciation) · en-gb-x-rp"
    )
    voice.select_option("gmw/en-gb-x-rp")
    length(page)
    engine.select_option("")  # back to the default: espeak-ng's voice is not one of its voices
    assert voice_options(page) == ["", "fake"] and voice.input_value() == ""
    engine.select_option("espeak-ng")
    voice.select_option("gmw/en-gb-x-rp")
    expect(page.locator("#start")).to_be_enabled()
    session = start_session(page)
    assert (session["engine"], session["voice"]) == ("espeak-ng", "gmw/en-gb-x-rp")


def test_an_unknown_voice_is_said_on_the_page(page: Any, allowed_console: list[str]) -> None:
    allowed_console.append(r"Failed to load resource: .* 422")  # the session's answer
    open_routine(page)
    expect(page.locator("select[name=voice] option")).to_have_count(2)
    page.evaluate("""() => {  // a voice the computer no longer has (an old list, another server)
        const option = document.createElement("option");
        option.value = option.textContent = "gone-voice";
        document.querySelector("select[name=voice]").append(option);
    }""")
    page.locator("select[name=voice]").select_option("gone-voice")
    # the preview asks the engine for its voices: said before Play, which cannot start it
    expect(page.locator("#preview-problems")).to_contain_text("gone-voice")
    expect(page.locator("#start")).to_be_disabled()
    expect(page.locator("#routine")).to_be_visible()


def test_without_the_list_of_voices_the_default_voice_speaks(page: Any, allowed_console: list[str]) -> None:
    allowed_console.append(r"Failed to load resource: .* 500")
    # on the context: it also intercepts the service worker's requests (the page's /api calls go
    # through the worker once it controls the page, which can be before the routine view asks)
    page.context.route(
        "**/api/voices",
        lambda route: route.fulfill(
            status=500, content_type="application/json", body='{"error": "internal error: OSError"}'
        ),
    )
    open_routine(page)
    expect(page.locator("#notice")).to_contain_text(
        "The voices could not be listed (internal error: OSError); the default voice speaks."
    )
    assert voice_options(page) == [""]
    expect(page.locator("select[name=engine] option")).to_have_count(1)
    expect(page.locator("#start")).to_be_enabled()
    session = start_session(page)
    assert session["voice"] is None and session["status"] == "ready"


def _seconds(clock: str) -> int:
    minutes, seconds = clock.split(":")
    return int(minutes) * 60 + int(seconds)


def test_the_display_follows_the_audio_clock(page: Any) -> None:
    open_routine(page)
    session = start_session(page)
    doc = session["doc"]
    assert session["status"] == "ready" and session["audio"].endswith(".mp3")
    chapters = doc["chapters"]
    for index in (0, 3, len(chapters) // 2, len(chapters) - 1):
        chapter = chapters[index]
        seek(page, (chapter["start_ms"] + chapter["end_ms"]) // 2)
        expect(page.locator("#step-number")).to_have_text(f"Step {index + 1} of {len(chapters)}")
        expect(page.locator("#step-title")).to_have_text(step_title(chapter["title"]))
        assert page.evaluate("() => navigator.mediaSession.metadata.title") == chapter["title"]
        following = chapters[index + 1]["title"] if index + 1 < len(chapters) else "the end"
        expect(page.locator("#next-title")).to_have_text(following)
    sided = next(c for c in chapters if c["title"].endswith(" — left"))
    seek(page, sided["start_ms"] + 100)
    expect(page.locator("#step-part")).to_have_text("left")
    cue, hold = next(
        (e, p)
        for p in doc["phases"]
        for e in doc["events"]  # a cue spoken in a long hold
        if p["kind"] == "hold"
        and p["end_ms"] - p["start_ms"] >= 10_000
        and e["kind"] == "speech"
        and p["start_ms"] < e["start_ms"] < p["end_ms"] - 2_000
    )
    at = cue["start_ms"] + 500
    seek(page, at)
    expect(page.locator("#phase")).to_have_text("Hold")
    expect(page.locator("#countdown")).to_have_text(str(math.ceil((hold["end_ms"] - at) / 1000)))
    expect(page.locator("#sentence")).to_have_text(cue["text"])
    spoken = next(e for e in doc["events"] if e["kind"] == "speech" and e["end_ms"] - e["start_ms"] > 2000)
    seek(page, spoken["start_ms"] + 1000)
    expect(page.locator("#sentence")).to_have_text(spoken["text"])
    expect(page.locator("#elapsed")).to_have_text(_clock(spoken["start_ms"] + 1000))


def _clock(ms: int) -> str:
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def test_play_pause_next_and_previous_move_between_chapters(page: Any) -> None:
    open_routine(page)
    doc = start_session(page)["doc"]
    chapters = doc["chapters"]
    page.locator("#toggle").click()
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.3")
    expect(page.locator("#toggle")).to_have_attribute("aria-label", "Pause")
    page.locator("#toggle").click()
    expect(page.locator("#toggle")).to_have_attribute("aria-label", "Play")
    assert page.evaluate("() => document.getElementById('audio').paused")
    page.locator("#next").click()
    expect(page.locator("#step-number")).to_have_text(f"Step 2 of {len(chapters)}")
    assert current_ms(page) == chapters[1]["start_ms"]
    page.locator("#next").click()
    assert current_ms(page) == chapters[2]["start_ms"]
    expect(page.locator("#step-title")).to_have_text(step_title(chapters[2]["title"]))
    assert page.evaluate("() => navigator.mediaSession.metadata.title") == chapters[2]["title"]
    page.locator("#prev").click()  # at a step's start: back one step
    assert current_ms(page) == chapters[1]["start_ms"]
    seek(page, chapters[1]["start_ms"] + 5_000)
    page.locator("#prev").click()  # well into a step: back to its start
    assert current_ms(page) == chapters[1]["start_ms"]
    page.keyboard.press("n")
    assert current_ms(page) == chapters[2]["start_ms"]
    page.keyboard.press("ArrowLeft")
    assert current_ms(page) == chapters[1]["start_ms"]
    page.keyboard.press(" ")
    page.wait_for_function("() => !document.getElementById('audio').paused")
    page.keyboard.press(" ")
    page.wait_for_function("() => document.getElementById('audio').paused")


def test_play_again_from_the_routine_plays_the_session_already_open(page: Any) -> None:
    open_routine(page)
    start_session(page)
    page.go_back()  # to the routine: leaving the player pauses it
    expect(page.locator("#start")).to_be_visible()
    assert page.evaluate("() => document.getElementById('audio').paused")
    page.locator("#start").click()  # the same routine at the same pacing: the same session
    expect(page.locator("#stage")).to_be_visible()
    page.wait_for_function("() => !document.getElementById('audio').paused", timeout=10_000)


def test_a_session_resumes_where_it_stopped(page: Any) -> None:
    open_routine(page)
    doc = start_session(page)["doc"]
    where = doc["chapters"][4]["start_ms"] + 1_000
    seek(page, where)
    page.wait_for_timeout(300)
    page.reload()
    expect(page.locator("#stage")).to_be_visible()
    page.wait_for_function(
        "(s) => Math.abs(document.getElementById('audio').currentTime - s) < 0.05", arg=where / 1000
    )
    expect(page.locator("#resume")).to_be_visible()
    expect(page.locator("#step-number")).to_have_text(f"Step 5 of {len(doc['chapters'])}")


def test_a_played_session_plays_again_offline(page: Any) -> None:
    page.goto("/")
    page.evaluate("async () => !!(await navigator.serviceWorker.ready).active")  # resolves once active
    page.reload()  # now controlled by the service worker
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    open_routine(page, "box-breathing")
    doc = start_session(page)["doc"]
    audio_url = page.evaluate("() => new URL(document.getElementById('audio').src).pathname")
    poll(page, "async (url) => !!(await caches.match(url))", audio_url)  # the worker keeps the mp3
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#stage")).to_be_visible()
    middle = doc["chapters"][2]
    seek(page, middle["start_ms"] + 2_000)
    page.evaluate("() => document.getElementById('audio').play()")
    page.wait_for_function(
        "(s) => document.getElementById('audio').currentTime > s + 0.3",
        arg=(middle["start_ms"] + 2_000) / 1000,
    )
    expect(page.locator("#step-title")).to_have_text(step_title(middle["title"]))
    page.context.set_offline(False)


def test_the_editor_marks_errors_at_their_line_and_column(page: Any) -> None:
    page.goto(f"/#/edit/{ROUTINE}")
    expect(page.locator("#validity")).to_have_text("Valid routine.")
    expect(page.locator("#problems li")).to_have_count(0)
    expect(page.locator("#timeline li").first).to_contain_text("Introduction")
    page.locator("#yaml").fill(BROKEN_YAML)
    problem = page.locator("#problems li.error").first
    expect(problem).to_be_visible()
    where = problem.locator(".where").inner_text()
    line, col = (int(part) for part in where.split(":"))
    assert line in (4, 5) and col >= 1, where  # the unclosed [ on line 4 (PyYAML reports where it gave up)
    expect(page.locator("#gutter .line.error")).to_have_text([str(line)])
    expect(page.locator("#save")).to_be_disabled()
    page.locator("#yaml").fill("title: Fine\nsteps:\n  - name: One\n    say: Hello.\n    hold: 5s\n")
    expect(page.locator("#validity")).to_have_text("Valid routine.")
    expect(page.locator("#problems li")).to_have_count(0)
    expect(page.locator("#gutter .line.error")).to_have_count(0)
    expect(page.locator("#timeline li")).to_have_count(1)


def test_the_editor_saves_into_the_user_routines_folder(page: Any, server: str) -> None:
    page.goto("/#/edit")
    expect(page.locator("#validity")).to_have_text("Valid routine.")  # a starter routine to change
    expect(page.locator("#timeline li")).to_have_count(3)  # the safety note, then two steps
    page.locator("#yaml").fill("title: Mine\nsteps:\n  - name: One\n    say: Hello.\n    hold: 5s\n")
    expect(page.locator("#save")).to_be_enabled()
    page.locator("#save-name").fill("page-test-routine")
    page.locator("#save").click()
    expect(page.locator("#save-result")).to_contain_text("page-test-routine")
    listed = page.evaluate("async () => (await fetch('/api/routines')).json()")
    mine = [r for r in listed if r["name"] == "page-test-routine"]
    assert [r["source"] for r in mine] == ["user"], json.dumps(listed)[:300]


# Recorders installed before the page's scripts: the lock-screen action handlers the page sets
# and the screen wake lock it asks for (headless Chromium grants no real one).
RECORDERS = """
window.__actions = {};
const setHandler = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
navigator.mediaSession.setActionHandler = (name, handler) => {
  window.__actions[name] = handler;
  setHandler(name, handler);
};
window.__locks = [];
Object.defineProperty(navigator, "wakeLock", { value: { request: async (type) => {
  const lock = { type, released: false, release: async () => { lock.released = true; } };
  window.__locks.push(lock);
  return lock;
} } });
"""


def test_lock_screen_actions_and_the_screen_wake_lock(page: Any) -> None:
    page.add_init_script(RECORDERS)
    open_routine(page)
    doc = start_session(page)["doc"]
    chapters = doc["chapters"]
    actions = page.evaluate("() => Object.keys(window.__actions)")
    assert {"play", "pause", "nexttrack", "previoustrack", "seekto"} <= set(actions)
    page.evaluate("() => window.__actions.nexttrack({action: 'nexttrack'})")
    assert current_ms(page) == chapters[1]["start_ms"]
    assert page.evaluate("() => navigator.mediaSession.metadata.title") == chapters[1]["title"]
    target = chapters[5]["start_ms"] + 5_000  # well into the step: "previous" restarts it
    page.evaluate("(s) => window.__actions.seekto({action: 'seekto', seekTime: s})", target / 1000)
    expect(page.locator("#step-number")).to_have_text(f"Step 6 of {len(chapters)}")
    page.evaluate("() => window.__actions.previoustrack({action: 'previoustrack'})")
    assert current_ms(page) == chapters[5]["start_ms"]
    page.evaluate("() => window.__actions.play({action: 'play'})")
    page.wait_for_function("() => window.__locks.some((lock) => !lock.released)")  # held while playing
    page.evaluate("""() => {  // the tab was hidden (the browser dropped the lock) and is shown again
        for (const lock of window.__locks) lock.released = true;
        document.dispatchEvent(new Event("visibilitychange"));
    }""")
    page.wait_for_function("() => window.__locks.length >= 2 && !window.__locks.at(-1).released")
    page.evaluate("() => window.__actions.pause({action: 'pause'})")
    page.wait_for_function("() => window.__locks.length > 0 && window.__locks.every((lock) => lock.released)")
    assert page.evaluate("() => navigator.mediaSession.playbackState") == "paused"


def test_render_progress_without_server_sent_events_falls_back_to_polling(
    page: Any, allowed_console: list[str]
) -> None:
    allowed_console.append(r"Failed to load resource: net::ERR_FAILED")  # the refused event stream
    page.route("**/events", lambda route: route.abort())
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    progress: list[float] = []
    page.expose_function("reportProgress", lambda value: progress.append(value))
    page.add_init_script("""addEventListener("DOMContentLoaded", () => {
        const bar = document.getElementById("render-progress");
        new MutationObserver(() => window.reportProgress(Number(bar.value))).observe(
            bar, { attributes: true, attributeFilter: ["value"] });
    });""")
    open_routine(page, "body-scan-for-sleep")  # long: still rendering when the player opens
    page.locator("#start").click()
    expect(page.locator("#render")).to_be_visible()
    expect(page.locator("#stage")).to_be_visible(timeout=180_000)
    expect(page.locator("#render")).to_be_hidden()
    polls = [url for url in seen if re.search(r"/api/sessions/[0-9a-f]+$", url)]
    assert any(url.endswith("/events") for url in seen)  # tried the stream first
    assert len(polls) >= 2, polls  # then asked again until it was ready
    assert progress == sorted(progress) and progress[-1] > 0, progress


def test_render_progress_follows_server_sent_events(page: Any) -> None:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    open_routine(page, "evening-wind-down")  # thirteen minutes: still rendering when the player opens
    page.locator("#start").click()
    expect(page.locator("#render")).to_be_visible()
    expect(page.locator("#stage")).to_be_visible(timeout=180_000)
    polls = [url for url in seen if re.search(r"/api/sessions/[0-9a-f]+$", url)]
    assert [url for url in seen if url.endswith("/events")]
    assert len(polls) == 2, polls  # once on opening, once when the stream said ready: no polling


def test_dragging_the_position_bar_seeks(page: Any) -> None:
    open_routine(page)
    doc = start_session(page)["doc"]
    page.locator("#position").fill("500")  # halfway (the bar counts thousandths of the session)
    halfway = doc["duration_ms"] // 2
    assert abs(current_ms(page) - halfway) <= 1
    index = chapter_at(doc, halfway)
    expect(page.locator("#step-number")).to_have_text(f"Step {index + 1} of {len(doc['chapters'])}")


def test_on_a_lan_address_the_token_of_the_first_visit_opens_everything(browser: Any, tmp_path: Path) -> None:
    """`serve --lan` and a browser in a network namespace of the test's own (skipped where
    none can be made): a network address, never this machine's own interface. A failure
    shows what the page asked for and got, and what the server logged."""
    network: NetworkLog | None = None
    started: list[LanServer] = []
    try:
        with network_namespace() as namespace, lan_server(namespace, tmp_path) as server:
            started.append(server)
            inside = browser.browser_type.launch(  # the module's Playwright, Chromium in the namespace
                executable_path=str(namespace.wrapper(CHROMIUM, tmp_path)), args=CHROMIUM_FLAGS
            )
            try:
                context = inside.new_context(**PHONE)
                network = NetworkLog(context)
                _first_visit_with_the_token(context, server.url, namespace.address)
            finally:
                inside.close()
    except (AssertionError, playwright_api.Error) as failed:  # the server's log is complete once it stopped
        logged = started[0].err if started else ""
        said = f"{failed}\n--- the page's network:\n{network}\n--- the server:\n{logged}"
        raise AssertionError(said) from failed


def _first_visit_with_the_token(context: Any, url: str, address: str) -> None:
    assert url.startswith(f"http://{address}:") and "?token=" in url, url
    origin = url.split("?", 1)[0]
    refusals: list[str] = []  # the stranger's page (its late messages must not reach `problems`)
    stranger = context.new_page()
    stranger.on("console", lambda message: refusals.append(message.text))
    stranger.goto(origin)  # no token: the bare page, its scripts refused, a hint stays
    expect(stranger.locator("#boot")).to_contain_text("?token=")
    assert stranger.locator("#library").is_hidden()
    refused = [text for text in refusals if "401" in text or "MIME type ('application/json')" in text]
    assert refusals and refused == refusals, refusals  # the 401s of its style and scripts
    stranger.close()
    page = context.new_page()
    problems = problems_of(page)
    page.goto(url)  # the printed URL: its token becomes a cookie
    expect(page.locator('.card[data-name="box-breathing"]')).to_be_visible()
    page.goto(origin + "#/routine/box-breathing")  # later visits carry no token in the URL
    expect(page.locator("#preview-length:not(.stale)")).to_have_text(re.compile(r"^\d+:\d\d$"))
    page.locator("#start").click()
    expect(page.locator("#stage")).to_be_visible(timeout=120_000)
    page.wait_for_function("() => document.getElementById('audio').readyState >= 1")
    # plain HTTP on a network address is no secure context: no service worker, and a note
    assert page.evaluate("() => window.isSecureContext || 'serviceWorker' in navigator") is False
    expect(page.locator("#insecure")).to_be_visible()
    assert problems == []


def test_the_page_can_be_installed_to_the_home_screen(page: Any) -> None:
    page.goto("/")
    page.evaluate("async () => !!(await navigator.serviceWorker.ready).active")  # resolves once active
    devtools = page.context.new_cdp_session(page)
    manifest = devtools.send("Page.getAppManifest")
    assert manifest["errors"] == []
    parsed = manifest["manifest"]
    assert parsed["display"] == "kStandalone" and parsed["startUrl"].endswith("/") and parsed["name"]
    assert {icon["sizes"] for icon in parsed["icons"]} >= {"192x192", "512x512"}
    for icon in parsed["icons"]:
        assert page.request.get(icon["url"]).ok, icon
    blockers = devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [error["errorId"] for error in blockers] in ([], ["in-incognito"])  # a test context is one


@pytest.fixture(scope="module")
def espeak_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`voiceguide serve` with espeak-ng and a long routine of its own ("long"), cold."""
    home = tmp_path_factory.mktemp("serve-page-live")
    words = "let your breath slow down and your shoulders soften"
    steps = "".join(f"  - {{say: 'Part {i}: {words[: 20 + i % 30]}.', hold: 2s}}\n" for i in range(160))
    (home / "long.yaml").write_text(f"title: Long\nsteps:\n{steps}")
    env = dict(os.environ) | private_environment(home, "espeak-ng")
    env["VOICEGUIDE_ROUTINES_DIR"] = str(home / "my-routines")
    env.pop("VOICEGUIDE_DEBUG", None)
    command = [str(VOICEGUIDE), "serve", "--port", "0", "--no-feed", str(home / "long.yaml")]
    process = subprocess.Popen(
        command, cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    printed: list[str] = []
    url = _read_url(process, printed, timeout_s=60)
    assert url, f"serve printed no URL: {printed}"
    threading.Thread(target=printed.extend, args=(process.stdout,), daemon=True).start()
    _wait_for_listening(url, process, printed)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.espeak
def test_the_first_play_of_a_session_not_rendered_starts_live_then_carries_on(
    browser: Any, espeak_server: str
) -> None:
    """Play before the render is done: the beginning plays from the live stream, the display
    follows it, and once the rendered file is ready the player carries on in it at the same
    place, still playing."""
    context = browser.new_context(base_url=espeak_server, **PHONE)
    page = context.new_page()
    try:
        page.goto("/#/")
        sid = page.evaluate("""async () => (await (await fetch('/api/sessions', {method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({name: 'long'})})).json()).id""")
        page.goto(f"/#/play/{sid}")
        expect(page.locator("#stage[data-live=true]")).to_be_attached(timeout=120_000)
        assert ".live.mp3" in page.evaluate("() => document.getElementById('audio').src")
        page.locator("#toggle").click()
        page.wait_for_function("() => document.getElementById('audio').currentTime > 0.5")
        status = page.evaluate(
            "async (id) => (await (await fetch('/api/sessions/' + id)).json()).status", sid
        )
        assert status == "rendering"  # heard before the session was rendered
        expect(page.locator("#step-title")).not_to_be_empty()  # the display follows the live stream
        before = current_ms(page)
        expect(page.locator("#stage[data-live=false]")).to_be_attached(timeout=120_000)
        assert page.evaluate("() => document.getElementById('audio').src").endswith(f"/audio/{sid}.mp3")
        page.wait_for_function(
            """(ms) => { const audio = document.getElementById('audio');
            return !audio.paused && audio.currentTime * 1000 > ms; }""",
            arg=before,
        )
    finally:
        context.close()
