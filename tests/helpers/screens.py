"""Every screen of `voiceguide serve`'s page, reached the way a person reaches it, once.

Used by the accessibility test (axe-core on each screen, light and dark:
``tests/test_serve_page_a11y.py``) and by ``tools/screenshots.py`` (the PNGs of
``docs/screenshots/``), so both see the same screens. A server is a real ``voiceguide
serve --port 0`` with an engine chosen by name (the fake one by default) and a private
home; the browser is Debian's ``/usr/bin/chromium`` driven by Playwright for Python
(``executable_path``, never a downloaded browser), at a 390×844 phone viewport.

A view of the page (a ``section.view``) that no screen here opens, as another part of
the page adds one, is opened at ``#/<its id>`` by :func:`screens`, so it is checked and
photographed too.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .browser import CHROMIUM, CHROMIUM_FLAGS
from .run import VOICEGUIDE, private_environment

#: a routine the editor saves (the library then lists it as the user's)
SAVED_YAML = (
    "title: Morning reach\ndescription: Two slow stretches.\nsteps:\n"
    "  - name: Reach up\n    say: Stand tall, and reach both arms up.\n    hold: 8s\n"
)
#: a line (a YAML comment) far wider than the editor
LONG_LINE = "    # " + "Let the breath slow down and the shoulders soften, " * 4 + "\n"
#: the timeout (ms) of a wait that includes measuring or rendering speech on a busy machine
SLOW_MS = 180_000


#: JavaScript: the contrast of the text of the element a selector names on what is painted
#: behind it, and whether it is large text (WCAG: 24 px, or 18.66 px bold, as drawn), which
#: needs 3:1 (other text 4.5:1). HTML text: its colour on the nearest opaque background in
#: the page's tree (white when none). Text in an SVG (the timeline picture, the history's
#: chart): its fill, on the topmost opaque shape of its SVG under its middle (the picture's
#: background rectangle), else on the CSS background as for HTML; its size as scaled by
#: the viewBox. (axe leaves such text undecided under the player's deck or the sticky Play
#: bar, and it reads an SVG text's colour, not its fill.)
CONTRAST = """(selector) => {
    const node = document.querySelector(selector);
    if (!node) return null;
    const rgba = (text) => {
        const v = (text.match(/[\\d.]+/g) || []).map(Number);
        return v.length === 3 ? [...v, 1] : v.length === 4 ? v : null;
    };
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    const svg = node instanceof SVGElement ? node.ownerSVGElement || node : null;
    const style = getComputedStyle(node);
    const ink = rgba(svg ? style.fill : style.color);
    if (!ink) return {ratio: 0, large: false, why: `no plain colour (${svg ? style.fill : style.color})`};
    let back = null, from = node.parentElement;
    if (svg) {
        node.scrollIntoView({block: "center"});
        const box = node.getBoundingClientRect();
        const stack = document.elementsFromPoint(box.x + box.width / 2, box.y + box.height / 2);
        for (const under of stack.slice(stack.indexOf(node) + 1)) {
            if (!(under instanceof SVGGeometryElement) || under.ownerSVGElement !== svg) continue;
            const fill = rgba(getComputedStyle(under).fill);
            if (fill && fill[3] === 1) { back = fill; break; }
        }
        from = svg;
    }
    for (let n = from; n && !back; n = n.parentElement) {
        const colour = rgba(getComputedStyle(n).backgroundColor);
        if (colour[3] === 1) back = colour;
        else if (colour[3] > 0) return {ratio: 0, large: false, why: "a translucent background"};
    }
    let size = parseFloat(style.fontSize);
    if (svg && svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
        size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    }
    const bold = Number(style.fontWeight) >= 700;
    const [a, b] = [luminance(ink), luminance(back || [255, 255, 255, 1])];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    return {ratio, large: size >= 24 || (size >= 18.66 && bold)};
}"""


@contextmanager
def serve_page(home: Path, engine: str = "fake", *options: str) -> Iterator[str]:
    """A real ``voiceguide serve --port 0 --no-feed`` in ``home`` (its cache, config, data
    and routines folder inside it) with ``engine``; its URL once it listens. Stopped after."""
    env = dict(os.environ) | private_environment(home, engine)
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
    try:
        assert process.stdout is not None
        printed: list[str] = []
        url = None
        for line in process.stdout:  # ends when serve exits: no URL then
            printed.append(line)
            found = re.search(r"open (http://\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url, f"serve printed no URL: {printed}"
        threading.Thread(target=printed.extend, args=(process.stdout,), daemon=True).start()
        _wait_for_listening(url, process, printed)
        yield url
    finally:
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


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)


# ---- reaching each screen ---------------------------------------------------------------


def open_routine(page: Any, name: str) -> None:
    """The routine view of ``name``, its length previewed."""
    page.goto(f"/#/routine/{name}")
    page.locator("#preview-length:not(.stale)").filter(has_text=re.compile(r"\d+:\d\d|—")).wait_for(
        timeout=SLOW_MS
    )


def start_session(page: Any, name: str) -> dict[str, Any]:
    """Play routine ``name`` (from its view), wait for the rendered file, pause; the
    session (with its ``doc``)."""
    open_routine(page, name)
    page.locator("#start").click()
    page.locator("#stage[data-live=false]").wait_for(state="attached", timeout=SLOW_MS)
    page.wait_for_function("() => document.getElementById('audio').readyState >= 1", timeout=SLOW_MS)
    page.evaluate("() => document.getElementById('audio').pause()")
    session_id = page.url.rsplit("/", 1)[-1]
    session: dict[str, Any] = page.evaluate(
        "async (id) => (await fetch('/api/sessions/' + id)).json()", session_id
    )
    return session


def seek(page: Any, ms: int) -> None:
    """The audio at ``ms``, and the display drawn for it."""
    page.evaluate("(s) => { document.getElementById('audio').currentTime = s; }", ms / 1000)
    page.wait_for_function(
        "(s) => Math.abs(document.getElementById('audio').currentTime - s) < 0.01", arg=ms / 1000
    )
    page.wait_for_function(
        "(ms) => document.getElementById('elapsed').textContent !== '' && "
        "Math.abs(Math.round(document.getElementById('audio').currentTime * 1000) - ms) < 5",
        arg=ms,
    )


def first_breath(doc: dict[str, Any], detail: str = "inhale") -> dict[str, Any]:
    """The session's first breath phase of ``detail``."""
    return next(p for p in doc["phases"] if p["kind"] == "breath" and p["detail"] == detail)


def longest_speech(doc: dict[str, Any]) -> dict[str, Any]:
    """The speech event with the longest text (an introduction, usually)."""
    return max((e for e in doc["events"] if e["kind"] == "speech"), key=lambda e: len(e["text"]))


def _library(page: Any) -> None:
    page.goto("/")
    page.locator(".card").first.wait_for()


def _routine(page: Any) -> None:
    open_routine(page, "hip-opener")  # safety, steps, pacing


def _player_hold(page: Any) -> None:
    doc = start_session(page, "hip-opener")["doc"]
    cue = next(  # a cue spoken in a long hold, with its countdown
        e
        for p in doc["phases"]
        for e in doc["events"]
        if p["kind"] == "hold"
        and p["end_ms"] - p["start_ms"] >= 10_000
        and e["kind"] == "speech"
        and p["start_ms"] < e["start_ms"] < p["end_ms"] - 2_000
    )
    seek(page, cue["start_ms"] + 500)


def _player_breathing(page: Any) -> None:
    doc = start_session(page, "box-breathing")["doc"]
    inhale = first_breath(doc)
    seek(page, (inhale["start_ms"] + inhale["end_ms"]) // 2)
    page.locator("#breath:not([hidden])").wait_for()


def _player_long_sentence(page: Any) -> None:
    doc = start_session(page, "hip-opener")["doc"]
    seek(page, longest_speech(doc)["start_ms"] + 200)


def _editor(page: Any) -> None:
    page.goto("/#/edit/hip-opener")
    page.locator("#validity").filter(has_text="Valid routine.").wait_for(timeout=SLOW_MS)
    page.locator("#timeline li").first.wait_for(timeout=SLOW_MS)


def _editor_problem(page: Any) -> None:
    page.goto("/#/edit/hip-opener")
    page.locator("#validity").filter(has_text="Valid routine.").wait_for(timeout=SLOW_MS)
    text = page.locator("#yaml").input_value()
    page.locator("#yaml").fill(text.replace("steps:\n", "steps:\n  - name: Typo\n    sya: Hello.\n", 1))
    page.locator("#problems li.error").first.wait_for()
    page.locator("#problems li.error .where").first.click()  # the editor shows that line
    page.wait_for_function("() => document.getElementById('yaml').selectionStart < 2000")


def _editor_saved(page: Any) -> None:
    page.goto("/#/edit")
    page.locator("#yaml").fill(SAVED_YAML)
    page.locator("#validity").filter(has_text="Valid routine.").wait_for(timeout=SLOW_MS)
    page.locator("#save-name").fill("morning-reach-with-a-rather-long-name-for-the-message")
    page.locator("#save").click()
    page.locator("#save-result").filter(has_text="Saved to").wait_for()


def play_a_little(page: Any) -> None:
    """Play from where the audio is and pause, as a person does; returns once the pause
    event has been handled (the page has sent its report of the play to the history)."""
    page.evaluate(
        """async () => {
            const audio = document.getElementById('audio');
            await audio.play();
            const paused = new Promise((done) => audio.addEventListener('pause', done, {once: true}));
            audio.pause();
            await paused;
        }"""
    )


def _history(page: Any) -> None:
    """History opened right after one play on the page (paused in its second step): a row
    and a bar. The page lists the play as soon as it shows the view (it waits for its
    report to land), so nothing here waits for the server."""
    doc = start_session(page, "box-breathing")["doc"]
    seek(page, doc["chapters"][1]["start_ms"] + 500)
    play_a_little(page)
    page.goto("/#/history")
    page.locator("#history-sessions li").first.wait_for(timeout=SLOW_MS)


@dataclass(frozen=True)
class Screen:
    """A screen of the page: its name (the PNG's) and how to reach it in a fresh page."""

    name: str
    reach: Callable[[Any], None]
    motion: bool = False  # it moves (the breathing guide): also shown with reduced motion


SCREENS: tuple[Screen, ...] = (
    Screen("library", _library),
    Screen("routine", _routine),
    Screen("player", _player_hold),
    Screen("player-breathing", _player_breathing, motion=True),
    Screen("player-long-sentence", _player_long_sentence),
    Screen("editor", _editor),
    Screen("editor-problem", _editor_problem),
    Screen("editor-saved", _editor_saved),
    Screen("history", _history),
)
KNOWN_VIEWS = {"library", "routine", "player", "editor", "history"}


def screens(page: Any) -> tuple[Screen, ...]:
    """:data:`SCREENS`, and a screen for each view of the page none of them opens (a view
    added later: ``#/<id>``). ``page``: any page of the server (its views are read)."""
    page.goto("/")
    page.locator("#library:not([hidden])").wait_for()
    views: list[str] = page.evaluate("() => [...document.querySelectorAll('section.view')].map((s) => s.id)")
    extra = [v for v in views if v not in KNOWN_VIEWS]
    return SCREENS + tuple(Screen(view, _opener(view)) for view in extra)


def _opener(view: str) -> Callable[[Any], None]:
    def reach(page: Any) -> None:
        page.goto(f"/#/{view}")
        page.locator(f"#{view}:not([hidden])").wait_for(timeout=SLOW_MS)
        page.wait_for_load_state("networkidle")

    return reach


def settle(page: Any) -> None:
    """Nothing focused or scrolled, fonts loaded: the screen as a person first sees it."""
    page.evaluate(
        "async () => { document.activeElement && document.activeElement.blur(); scrollTo(0, 0);"
        " await document.fonts.ready; }"
    )
