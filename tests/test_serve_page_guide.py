"""The page a person on the mat can follow at a glance (issue 25 items 1, 5-8), in Debian's
Chromium at 390×844 against a real `voiceguide serve` with the fake engine: the breathing
guide follows the audio clock (and becomes a bar with reduced motion), Play/Pause stay in
one place, colours are readable light and dark, the editor scrolls to an error and keeps
long lines inside it, a saved routine gets its lengths in the library, and keyboard and
screen-reader users are led (focus on Pause, steps said politely). Every test fails on a
console error, an uncaught exception or a CSP violation."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from .helpers.browser import CHROMIUM, PHONE, problems_of
from .helpers.screens import (
    CONTRAST,
    LONG_LINE,
    SAVED_YAML,
    SLOW_MS,
    first_breath,
    launch,
    longest_speech,
    open_routine,
    seek,
    serve_page,
    start_session,
)

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
if not CHROMIUM.exists() and not os.environ.get("CI"):  # in CI (bin/setup --test) a missing one fails
    pytest.skip("Debian's chromium is not installed (bin/setup --test installs it)", allow_module_level=True)

pytestmark = pytest.mark.slow
expect = playwright_api.expect
expect.set_options(timeout=60_000)
EMPTY_SCALE = 0.4  # breath.js's EMPTY_SCALE: the disc's scale with empty lungs


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_page(tmp_path_factory.mktemp("serve-guide")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def _open(browser: Any, server: str, **options: Any) -> Iterator[Any]:
    """A fresh phone-sized page; the test fails on any console error or warning, uncaught
    exception or CSP report."""
    context = browser.new_context(base_url=server, **PHONE, **options)
    page = context.new_page()
    problems = problems_of(page)
    page.set_default_timeout(60_000)
    yield page
    context.close()
    assert problems == []


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    yield from _open(browser, server)


@pytest.fixture
def still_page(browser: Any, server: str) -> Iterator[Any]:
    """A page of a browser set to reduce motion (prefers-reduced-motion: reduce)."""
    yield from _open(browser, server, reduced_motion="reduce")


@pytest.fixture
def dark_page(browser: Any, server: str) -> Iterator[Any]:
    """A page of a browser in dark mode (prefers-color-scheme: dark)."""
    yield from _open(browser, server, color_scheme="dark")


def fill_at(phase: dict[str, Any], ms: int) -> float:
    """How full the lungs are at ``ms`` (breath.js's breathFill, written again here)."""
    through = min(max((ms - phase["start_ms"]) / (phase["end_ms"] - phase["start_ms"]), 0.0), 1.0)
    eased = (1 - math.cos(math.pi * through)) / 2
    return {"inhale": eased, "exhale": 1 - eased, "hold": 1.0, "hold_out": 0.0}[phase["detail"]]


def wait_for_fill(page: Any, fill: float) -> None:
    """Wait until the guide is drawn for lungs ``fill`` full (it is drawn on the seek's events)."""
    page.wait_for_function(
        "(f) => { const g = document.getElementById('breath');"
        " return !g.hidden && Math.abs(Number(g.dataset.fill) - f) < 0.002; }",
        arg=fill,
    )


def shape_scale(page: Any) -> float:
    """The disc's drawn width over its width unscaled."""
    scale: float = page.evaluate(
        "() => { const s = document.getElementById('breath-shape');"
        " return s.getBoundingClientRect().width / s.offsetWidth; }"
    )
    return scale


def test_the_breathing_guide_grows_rests_and_shrinks_with_the_audio_clock(page: Any) -> None:
    doc = start_session(page, "box-breathing")["doc"]
    intro = doc["chapters"][0]
    seek(page, intro["start_ms"] + 300)  # no breathing yet: no guide
    expect(page.locator("#breath")).to_be_hidden()
    inhale, hold, exhale = (first_breath(doc, detail) for detail in ("inhale", "hold", "exhale"))
    length = inhale["end_ms"] - inhale["start_ms"]
    scales = []
    for through in (0.1, 0.5, 0.9):  # grows through the inhale
        ms = inhale["start_ms"] + round(length * through)
        seek(page, ms)
        wait_for_fill(page, fill_at(inhale, ms))
        expected = EMPTY_SCALE + (1 - EMPTY_SCALE) * fill_at(inhale, ms)
        assert shape_scale(page) == pytest.approx(expected, abs=0.01), through
        scales.append(shape_scale(page))
    assert scales == sorted(scales) and scales[-1] - scales[0] > 0.4
    seek(page, (hold["start_ms"] + hold["end_ms"]) // 2)  # rests full through the hold
    wait_for_fill(page, 1.0)
    assert shape_scale(page) == pytest.approx(1.0, abs=0.01)
    ms = exhale["start_ms"] + (exhale["end_ms"] - exhale["start_ms"]) // 4  # shrinks breathing out
    seek(page, ms)
    wait_for_fill(page, fill_at(exhale, ms))
    assert shape_scale(page) == pytest.approx(EMPTY_SCALE + (1 - EMPTY_SCALE) * fill_at(exhale, ms), abs=0.01)
    ms = inhale["start_ms"] + length // 5  # a seek back: exact again
    seek(page, ms)
    wait_for_fill(page, fill_at(inhale, ms))
    assert shape_scale(page) == pytest.approx(EMPTY_SCALE + (1 - EMPTY_SCALE) * fill_at(inhale, ms), abs=0.01)
    expect(page.locator("#phase")).to_contain_text("Breathe in")


def test_with_reduced_motion_the_guide_is_a_bar(still_page: Any) -> None:
    page = still_page
    doc = start_session(page, "box-breathing")["doc"]
    inhale = first_breath(doc)
    ms = (inhale["start_ms"] + inhale["end_ms"]) // 2
    seek(page, ms)
    wait_for_fill(page, fill_at(inhale, ms))
    expect(page.locator("#breath-shape")).to_be_hidden()
    expect(page.locator(".breath-bar")).to_be_visible()
    share: float = page.evaluate(
        "() => document.getElementById('breath-fill').getBoundingClientRect().width"
        " / document.querySelector('.breath-bar').clientWidth"
    )
    assert share == pytest.approx(0.5, abs=0.01)


def test_play_and_pause_stay_in_one_place_whatever_is_said(page: Any) -> None:
    doc = start_session(page, "hip-opener")["doc"]
    longest = longest_speech(doc)
    assert len(longest["text"]) > 200  # the sentence that pushed them off the screen
    short = min((e for e in doc["events"] if e["kind"] == "speech"), key=lambda e: len(e["text"]))
    places = []
    for event in (short, longest):
        seek(page, event["start_ms"] + 100)
        expect(page.locator("#sentence")).to_have_text(event["text"])
        places.append(page.locator("#toggle").bounding_box())
    assert places[0] == places[1]
    box = places[1]
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844  # on the screen, not below it
    for control in ("#prev", "#next", "#position"):
        edge = page.locator(control).bounding_box()
        assert edge["y"] + edge["height"] <= 844, control


def contrast(page: Any, selector: str) -> float:
    found = page.evaluate(CONTRAST, selector)
    assert found is not None, selector
    ratio: float = found["ratio"]
    return ratio


def test_the_countdown_is_readable_light_and_dark(page: Any, dark_page: Any) -> None:
    for shown in (page, dark_page):
        doc = start_session(shown, "hip-opener")["doc"]
        hold = next(p for p in doc["phases"] if p["kind"] == "hold" and p["end_ms"] - p["start_ms"] >= 5000)
        seek(shown, hold["start_ms"] + 1000)
        expect(shown.locator("#countdown")).not_to_be_empty()
        assert contrast(shown, "#countdown") >= 3.0  # large text (WCAG AA); it was 1.96:1


def test_in_dark_mode_the_safety_box_is_dark_too(dark_page: Any) -> None:
    open_routine(dark_page, "hip-opener")
    expect(dark_page.locator("#routine-safety li").first).to_be_visible()
    luminance: float = dark_page.evaluate(
        """() => { const [r, g, b] = getComputedStyle(document.querySelector('.safety'))
            .backgroundColor.match(/\\d+/g).map(Number);
            return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; }"""
    )
    assert luminance < 0.25  # a dark box on the dark page, not the light one
    assert contrast(dark_page, "#routine-safety li") >= 4.5


def test_clicking_an_error_scrolls_the_editor_to_its_line(page: Any) -> None:
    page.goto("/#/edit/hip-opener")
    expect(page.locator("#validity")).to_have_text("Valid routine.", timeout=SLOW_MS)
    text = page.locator("#yaml").input_value()
    lines = text.rstrip("\n").split("\n")
    assert len(lines) > 60  # far longer than the editor is high
    page.locator("#yaml").fill(text.rstrip("\n") + "\nsafetey: [Stop if it hurts.]\n")  # a typo, last line
    where = page.locator("#problems li.error .where").first
    expect(where).to_have_text(re.compile(rf"^{len(lines) + 1}:\d+$"))
    page.evaluate("() => { const a = document.getElementById('yaml'); a.scrollTop = 0; a.blur(); }")
    where.click()
    page.wait_for_function("() => document.getElementById('yaml').scrollTop > 0")
    shown = page.evaluate(
        """(line) => { const a = document.getElementById('yaml');
            const px = parseFloat(getComputedStyle(a).lineHeight);
            const top = (line - 1) * px - a.scrollTop;
            return {top, px, height: a.clientHeight, gutter: document.getElementById('gutter').scrollTop,
                    scrolled: a.scrollTop, focused: document.activeElement === a,
                    caretLine: a.value.slice(0, a.selectionStart).split('\\n').length}; }""",
        len(lines) + 1,
    )
    assert 0 <= shown["top"] <= shown["height"] - shown["px"], shown  # the line is in view
    assert shown["focused"] and shown["caretLine"] == len(lines) + 1, shown
    assert shown["gutter"] == pytest.approx(shown["scrolled"], abs=1), shown  # the numbers follow


def test_long_lines_scroll_inside_the_editor_and_the_saved_message_wraps(page: Any) -> None:
    page.goto("/#/edit")
    page.locator("#yaml").fill(SAVED_YAML + LONG_LINE)
    expect(page.locator("#validity")).to_have_text("Valid routine.", timeout=SLOW_MS)
    widths = page.evaluate(
        """() => { const a = document.getElementById('yaml');
            return {page: document.documentElement.scrollWidth,
                    inside: a.scrollWidth, shown: a.clientWidth}; }"""
    )
    assert widths["page"] <= 390 and widths["inside"] > widths["shown"], widths  # scrolls inside
    page.locator("#save-name").fill("a-routine-with-a-name-long-enough-to-widen-the-page-if-it-could")
    page.locator("#save").click()
    expect(page.locator("#save-result")).to_contain_text("Saved to")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # was 458 px


def test_a_routine_saved_in_the_editor_gets_its_lengths_in_the_library(page: Any) -> None:
    page.goto("/#/edit")
    page.locator("#yaml").fill(SAVED_YAML)
    expect(page.locator("#validity")).to_have_text("Valid routine.", timeout=SLOW_MS)
    page.locator("#save-name").fill("saved-and-measured")
    page.locator("#save").click()
    expect(page.locator("#save-result")).to_contain_text("Saved to")
    page.locator("a[data-nav=library]").click()
    lengths = page.locator('.card[data-name="saved-and-measured"] .lengths')
    expect(lengths).to_have_text(
        re.compile(r"^gentle \d+:\d\d · standard \d+:\d\d · brisk \d+:\d\d$"), timeout=SLOW_MS
    )  # measured: no "measuring…", no "≈"


def test_enter_on_play_leads_to_pause(page: Any) -> None:
    start_session(page, "physiological-sigh")  # rendered once: Play opens the player at once
    page.go_back()
    expect(page.locator("#start")).to_be_visible()
    page.locator("#start").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#stage")).to_be_visible()
    page.wait_for_function("() => !document.getElementById('audio').paused")
    expect(page.locator("#toggle")).to_be_focused()
    expect(page.locator("#toggle")).to_have_attribute("aria-label", "Pause")
    page.keyboard.press("Enter")  # Enter again on Pause pauses, and focus stays there
    page.wait_for_function("() => document.getElementById('audio').paused")
    expect(page.locator("#toggle")).to_be_focused()
    expect(page.locator("#toggle")).to_have_attribute("aria-label", "Play")


def test_step_changes_are_said_politely(page: Any) -> None:
    doc = start_session(page, "hip-opener")["doc"]
    chapters = doc["chapters"]
    said = page.locator("#step-said")
    expect(said).to_have_attribute("aria-live", "polite")
    seek(page, chapters[3]["start_ms"] + 1000)
    expect(said).to_have_text(f"Step 4 of {len(chapters)}: {chapters[3]['title']}")
    page.locator("#next").click()
    expect(said).to_have_text(f"Step 5 of {len(chapters)}: {chapters[4]['title']}")
    page.evaluate("() => { document.getElementById('step-said').textContent = ''; }")
    seek(page, chapters[4]["start_ms"] + 2000)  # the same step: nothing new said
    expect(page.locator("#step-number")).to_have_text(f"Step 5 of {len(chapters)}")
    expect(said).to_be_empty()
