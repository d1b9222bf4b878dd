"""The page's pictures and history (issue 25 items 2 and 3) in Chromium at 390×844, against a
real `voiceguide serve` with the fake engine (the fixtures of tests/test_serve_page.py: any
console error, page error or CSP report fails a test): the routine's timeline at the pacing
chosen, the player's timeline with its marker where the audio is, and the History view with
the play just made on the page in it."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers.browser import CHROMIUM, PHONE, phone_page, poll, problems_of
from .helpers.screens import (
    CONTRAST,
    launch,
    open_routine,
    play_a_little,
    seek,
    serve_page,
    start_session,
)

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
if not CHROMIUM.exists() and not os.environ.get("CI"):  # in CI (bin/setup --test) a missing one fails
    pytest.skip("Debian's chromium is not installed (bin/setup --test installs it)", allow_module_level=True)

pytestmark = pytest.mark.slow
expect = playwright_api.expect
SCREENSHOTS = os.environ.get("VOICEGUIDE_SCREENSHOTS")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_page(tmp_path_factory.mktemp("pictures")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh phone-sized page; fails the test on any console error or warning, uncaught
    exception or CSP report."""
    with phone_page(browser, server) as (page, problems):
        yield page
    assert problems == []


def shoot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))


ROUTINE = "box-breathing"  # breath phases in the picture, few chapters: a short render


def labelled_ids_resolve(page: Any, selector: str) -> None:
    """The picture's aria-labelledby names elements that exist, once each in the page."""
    ids = str(page.locator(selector).get_attribute("aria-labelledby")).split()
    assert ids
    for name in ids:
        assert page.locator(f'[id="{name}"]').count() == 1, name


def smallest_text_px(page: Any, svg: str) -> float:
    """The smallest font size of the picture's text as drawn, in CSS px: the viewBox scales
    the picture to the column (338 px of a 390 px phone)."""
    smallest = float(
        page.evaluate(
            """(selector) => { const svg = document.querySelector(selector);
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                return Math.min(...[...svg.querySelectorAll('text')]
                    .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale)); }""",
            svg,
        )
    )
    print(f"smallest text of {svg}: {smallest:.1f} px")
    return smallest


def test_the_routine_view_draws_the_timeline_at_the_pacing_chosen(page: Any) -> None:
    open_routine(page, ROUTINE)
    picture = page.locator("#routine-picture svg")
    expect(picture).to_be_visible()
    labelled_ids_resolve(page, "#routine-picture svg")
    preview = page.evaluate(
        "async () => (await (await fetch('/api/preview', {method: 'POST', headers: {'content-type':"
        " 'application/json'}, body: JSON.stringify({name: 'box-breathing'})})).json())"
    )
    expect(page.locator("#routine-picture .tl-row")).to_have_count(len(preview["chapters"]))
    expect(page.locator("#routine-picture .tl-inhale").first).to_be_attached()
    width = page.locator("#routine-picture").bounding_box()["width"]
    assert width <= 390  # readable on the phone: the picture fits the column
    assert smallest_text_px(page, "#routine-picture svg") >= 12  # and its text is not shrunk below 12 px
    standard = int(str(picture.get_attribute("data-duration-ms")))
    page.locator("select[name=preset]").select_option("gentle")
    expect(page.locator("#routine-picture svg")).not_to_have_attribute("data-duration-ms", str(standard))
    assert int(str(page.locator("#routine-picture svg").get_attribute("data-duration-ms"))) > standard
    shoot(page, "routine-timeline")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_routine_picture_is_readable_in_print(browser: Any, server: str, scheme: str) -> None:
    """Printed (print media, on a page as wide as A4's printable width at 96 dpi): the picture
    fits the paper, its text is drawn at 12 px or more and reaches 4.5:1 on what is behind it."""
    paper = {"width": 718, "height": 1047}  # 210 x 297 mm less 1 cm margins, in CSS px
    context = browser.new_context(base_url=server, color_scheme=scheme, viewport=paper)
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        open_routine(page, ROUTINE)
        expect(page.locator("#routine-picture svg")).to_be_visible()
        page.emulate_media(media="print")
        box = page.locator("#routine-picture svg").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= paper["width"]
        count = page.evaluate(  # each text named, for the contrast check's selector
            """() => { const texts = document.querySelectorAll('#routine-picture svg text');
                texts.forEach((t, n) => { t.dataset.probe = String(n); }); return texts.length; }"""
        )
        assert count > 10
        for n in range(count):
            found = page.evaluate(CONTRAST, f'#routine-picture [data-probe="{n}"]')
            assert found is not None and found["ratio"] >= 4.5, (n, found)
        assert smallest_text_px(page, "#routine-picture svg") >= 12
    finally:
        context.close()


def test_the_player_marks_the_position_heard_on_the_timeline(page: Any) -> None:
    session = start_session(page, ROUTINE)
    doc = session["doc"]
    rows = page.locator("#player-picture .tl-row")
    expect(rows).to_have_count(len(doc["chapters"]))
    labelled_ids_resolve(page, "#player-picture svg")
    third = doc["chapters"][2]
    middle = (third["start_ms"] + third["end_ms"]) // 2
    seek(page, middle)
    expect(page.locator("#player-picture .tl-current")).to_have_attribute("data-index", "2")
    expect(page.locator("#player-picture .tl-marker")).to_have_attribute("visibility", "visible")
    x = float(str(page.locator("#player-picture .tl-marker").get_attribute("x1")))
    assert x == pytest.approx(8 + 344 * middle / doc["duration_ms"], abs=0.6)
    seek(page, doc["chapters"][0]["start_ms"])
    expect(page.locator("#player-picture .tl-current")).to_have_attribute("data-index", "0")
    seek(page, middle)
    page.locator("#player-picture .tl-current").scroll_into_view_if_needed()
    shoot(page, "player-timeline")


def test_a_play_on_the_page_shows_in_the_history(page: Any) -> None:
    session = start_session(page, ROUTINE)
    second = session["doc"]["chapters"][1]
    seek(page, second["start_ms"] + 500)
    play_a_little(page)
    page.goto("/#/history")  # at once: the view waits for the report of that pause
    expect(page.locator("#history-streak")).to_contain_text(re.compile("streak"))
    expect(page.locator("#history-sessions li").first).to_contain_text("Box breathing")
    expect(page.locator("#history-sessions li").first).to_contain_text(
        re.compile(rf"stopped at step 2, “{re.escape(second['title'])}”")
    )
    bars = page.locator("#history-chart svg .chart-bar")
    assert 22 <= bars.count() <= 28
    assert float(str(bars.last.get_attribute("height"))) > 0  # today: a little is still seen
    assert "Minutes played each day" in str(page.locator("#history-chart svg").get_attribute("aria-label"))
    expect(page.locator('[data-nav="history"]')).to_have_class(re.compile("here"))
    shoot(page, "history")


def test_a_tab_left_while_playing_is_kept_in_the_history(page: Any) -> None:
    """A tab closed while playing fires no pause event (its queued tasks never run): the page
    reports the play as it is hidden or closed, sent keepalive, and it is kept: one new row,
    at the step it reached. (The server is the module's: rows of other tests are there.)"""
    sessions = "async () => (await (await fetch('/api/history')).json()).sessions"
    session = start_session(page, ROUTINE)
    before = len(page.evaluate(sessions))
    second = session["doc"]["chapters"][1]
    seek(page, second["start_ms"] + 500)
    page.evaluate("() => document.getElementById('audio').play()")
    page.wait_for_function(
        "(s) => { const a = document.getElementById('audio'); return !a.paused && a.currentTime > s; }",
        arg=(second["start_ms"] + 700) / 1000,
    )
    origin = page.evaluate("() => location.origin")
    later = page.context.new_page()
    page.close(run_before_unload=True)  # the tab closed while playing
    later.goto(origin + "/#/history")
    poll(  # the report sent as the tab closed lands in its own time
        later,
        "async (before) => { const s = (await (await fetch('/api/history')).json()).sessions;"
        " return s.length > before && s[0].step_index === 1 && !s[0].completed; }",
        before,
    )
    assert len(later.evaluate(sessions)) == before + 1


def test_the_history_opened_at_once_waits_for_the_play_just_paused(browser: Any, server: str) -> None:
    """History opened while the report of a pause is still on its way (held here until the
    page has opened the view) asks the server only once that report is answered, so the
    play just made is listed (the page used to ask at once and showed the history without
    it, for good: the accessibility walk's History screen stalled so on a busy machine)."""
    context = browser.new_context(base_url=server, service_workers="block", **PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        session = start_session(page, ROUTINE)
        before = len(page.evaluate("async () => (await (await fetch('/api/history')).json()).sessions"))
        held: list[Any] = []
        early: list[str] = []  # the history asked for while a report was held

        def hold_reports(route: Any) -> None:
            if route.request.method == "POST":
                held.append(route)
                return
            if held:
                early.append(route.request.method)
            route.continue_()

        page.route("**/api/history", hold_reports)
        seek(page, session["doc"]["chapters"][1]["start_ms"] + 500)
        with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/history")):
            play_a_little(page)
        page.goto("/#/history")
        expect(page.locator("#history")).to_be_visible()
        page.evaluate("() => new Promise((frame) => requestAnimationFrame(() => setTimeout(frame)))")
        assert held, "the report of the pause was not seen"
        for route in held:
            route.continue_()
        held.clear()
        expect(page.locator("#history-sessions li")).to_have_count(before + 1, timeout=60_000)
        expect(page.locator("#history-sessions li").first).to_contain_text("Box breathing")
        assert early == []
    finally:
        context.close()


def until(page: Any, condition: Callable[[], bool], timeout_s: float = 60) -> None:
    """Wait until ``condition`` holds, letting Playwright run the handlers it has queued (a
    route's handler runs only while this thread is inside a Playwright call)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        page.evaluate("() => new Promise((done) => setTimeout(done, 20))")


#: the tab hidden, as the page sees it (a headless Chromium never hides one)
HIDE = """() => {
    Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
    document.dispatchEvent(new Event('visibilitychange'));
}"""


@pytest.mark.parametrize("held", ["request", "answer"])
def test_a_tab_hidden_while_a_report_is_unanswered_is_still_one_row(
    browser: Any, server: str, held: str
) -> None:
    """The tab is hidden while playing, and the report of the pause before is still unanswered
    (``request``: it reaches the server only after the report of the hiding; ``answer``: the
    server has it, the page not its answer). The two reports of that play race; it is one row,
    at the later position (the page's second report went without the row's id, which only the
    first answer gave, and the play got two rows)."""
    context = browser.new_context(base_url=server, service_workers="block", **PHONE)
    try:
        page = context.new_page()
        problems = problems_of(page)
        page.set_default_timeout(60_000)
        sessions = "async () => (await (await fetch('/api/history?limit=100')).json()).sessions"
        session = start_session(page, ROUTINE)
        before = len(page.evaluate(sessions))
        held_routes: list[Any] = []  # the first report's route (and, for "answer", its response)
        reports: list[dict[str, Any]] = []

        def hold_the_first_report(route: Any) -> None:
            if route.request.method != "POST":
                route.continue_()
                return
            reports.append(route.request.post_data_json)
            if len(reports) > 1:
                route.continue_()
            elif held == "request":
                held_routes.append((route, None))
            else:
                held_routes.append((route, route.fetch()))  # the server has it; the page waits

        page.route("**/api/history", hold_the_first_report)
        seek(page, session["doc"]["chapters"][1]["start_ms"] + 500)
        with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/history")):
            play_a_little(page)
        until(page, lambda: bool(held_routes))  # the request is seen a moment before the route's handler runs
        paused_s = page.evaluate("() => document.getElementById('audio').currentTime")
        page.evaluate("() => document.getElementById('audio').play()")
        page.wait_for_function(
            "(s) => { const a = document.getElementById('audio'); return !a.paused && a.currentTime > s; }",
            arg=paused_s + 0.3,
        )
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/history")):
            page.evaluate(HIDE)  # the tab hidden while playing
        first, hidden = reports
        assert first["play"] == hidden["play"] and re.fullmatch(r"[0-9a-f]{32}", first["play"])
        assert hidden["position_ms"] > first["position_ms"]
        route, response = held_routes.pop()
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/history")):
            if response is None:
                route.continue_()
            else:
                route.fulfill(response=response)
        listed = page.evaluate(sessions)
        assert len(listed) == before + 1, listed[: len(listed) - before]
        assert listed[0]["stopped_ms"] == hidden["position_ms"] and listed[0]["step_index"] == 1
        blocked = "Service Worker registration blocked"  # the worker is, so that routes see every request
        assert [p for p in problems if blocked not in p] == []
        page.unroute_all(behavior="ignoreErrors")
    finally:
        context.close()
