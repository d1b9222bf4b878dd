"""Debian's Chromium as every page test starts it (never a browser download)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
#: headless, no sandbox (root), and nothing that reaches for the network on its own
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
#: a phone-sized page: 390x844 CSS pixels at twice the density, touch
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


class NetworkLog:
    """What a browser context asked for and got, with seconds since the log began: every
    request, response, failure and console message, for a failing test to show (a page
    that stalls says which request never came back)."""

    def __init__(self, context: Any) -> None:
        import time

        self._clock = time.monotonic
        self._began = self._clock()
        self.lines: list[str] = []
        context.on("request", lambda r: self._add(f"-> {r.method} {r.url}"))
        context.on("response", lambda r: self._add(f"<- {r.status} {r.url}"))
        context.on("requestfailed", lambda r: self._add(f"!! {r.url} {r.failure}"))
        context.on("console", lambda m: self._add(f"console {m.type}: {m.text}"))

    def _add(self, line: str) -> None:
        self.lines.append(f"{self._clock() - self._began:8.3f} {line}")

    def __str__(self) -> str:
        return "\n".join(self.lines[-200:])


def problems_of(page: Any) -> list[str]:
    """A list that fills with what goes wrong on ``page`` from now on: console errors and
    warnings, Content Security Policy reports, uncaught exceptions."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning") or "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


@contextmanager
def phone_page(browser: Any, base_url: str, timeout_ms: int = 60_000) -> Iterator[tuple[Any, list[str]]]:
    """A fresh phone-sized page (its own context: storage, service worker) on ``base_url``,
    and the list of what goes wrong on it (:func:`problems_of`) for the test to check; the
    context is closed after."""
    context = browser.new_context(base_url=base_url, **PHONE)
    page = context.new_page()
    problems = problems_of(page)
    page.set_default_timeout(timeout_ms)
    try:
        yield page, problems
    finally:
        context.close()


def poll(page: Any, predicate: str, arg: Any = None, *, timeout_ms: int = 60_000, every_ms: int = 200) -> Any:
    """Wait until ``predicate`` (the JavaScript source of a function of ``arg``, async or not)
    answers a true value in ``page``, asked again every ``every_ms`` ms; that value. Fails
    when it has not within ``timeout_ms``.

    Playwright's ``wait_for_function`` cannot wait for an async predicate: it takes the
    promise such a function returns for a true answer and returns at once, whatever the
    promise resolves to (a wait for the history to list a play waited for nothing)."""
    value = page.evaluate(
        f"""async ([arg, timeout, every]) => {{
            const predicate = {predicate};
            const end = performance.now() + timeout;
            for (;;) {{
                const value = await predicate(arg);
                if (value) return value;
                if (performance.now() > end) return null;
                await new Promise((resolve) => setTimeout(resolve, every));
            }}
        }}""",
        [arg, timeout_ms, every_ms],
    )
    assert value, f"the page did not answer true within {timeout_ms} ms: {predicate}"
    return value
