"""axe-core on every screen of `voiceguide serve`'s page, light and dark: no violation,
colour contrast included (issue 25). axe-core comes from the npm registry into
node_modules (package.json, `npm ci` in bin/setup --test), never a CDN; it is evaluated in
the page through the DevTools protocol, so the page's CSP (no inline script) stays on.
The screens are those of tests/helpers/screens.py, which tools/screenshots.py photographs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers.browser import CHROMIUM, PHONE
from .helpers.screens import CONTRAST, SCREENS, Screen, launch, screens, serve_page, settle

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
if not CHROMIUM.exists() and not os.environ.get("CI"):  # in CI (bin/setup --test) a missing one fails
    pytest.skip("Debian's chromium is not installed (bin/setup --test installs it)", allow_module_level=True)

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.x A and AA, and axe's best practices (landmarks, headings, …); colour contrast is AA
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            raise AssertionError(f"{AXE} is missing: bin/setup --test runs npm ci (package.json)")
        pytest.skip("axe-core is not installed: bin/setup --test runs npm ci (package.json)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_page(tmp_path_factory.mktemp("serve-a11y")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def every_screen(browser: Any, server: str) -> tuple[Screen, ...]:
    """The screens, with any view the page has that tests/helpers/screens.py does not name."""
    context = browser.new_context(base_url=server, **PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)  # as the screens' pages: the first load installs the worker
        return screens(page)
    finally:
        context.close()


def axe(page: Any, source: str) -> dict[str, Any]:
    """axe-core's results for the page as it is now (violations and what it could not decide)."""
    page.evaluate(source)  # defines window.axe (evaluated by the protocol: the CSP allows it)
    results: dict[str, Any] = page.evaluate(
        "async (tags) => JSON.parse(JSON.stringify(await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'incomplete']})))",
        TAGS,
    )
    return results


def described(violations: list[dict[str, Any]]) -> str:
    """The violations as lines a person can act on: rule, impact, the elements and why."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"  {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def test_every_screen_is_known_to_the_walk() -> None:
    """The walk reaches the four views of the page with more than one screen of the player and
    the editor (the states that differ: breathing, a long sentence, a problem, a save)."""
    names = [screen.name for screen in SCREENS]
    assert len(set(names)) == len(names)
    for view in ("library", "routine", "player", "editor"):
        assert any(name.startswith(view) for name in names), view
    assert any(screen.motion for screen in SCREENS)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_screen_has_an_axe_violation(
    browser: Any, server: str, every_screen: tuple[Screen, ...], axe_source: str, scheme: str
) -> None:
    failures: dict[str, str] = {}
    checked: list[str] = []
    for screen in every_screen:
        context = browser.new_context(base_url=server, color_scheme=scheme, **PHONE)
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            screen.reach(page)
            settle(page)
            results = axe(page, axe_source)
            passes_run = results["testEngine"]["name"] == "axe-core"
            assert passes_run, json.dumps(results["testEngine"])
            if results["violations"]:
                failures[screen.name] = described(results["violations"])
            undecided = [n for r in results["incomplete"] if r["id"] == "color-contrast" for n in r["nodes"]]
            low = [
                f"  {' '.join(n['target'])}: {ratio}" for n in undecided if (ratio := _own_contrast(page, n))
            ]
            if low:  # axe could not decide (text under or in a bar fixed over the page): checked here
                failures[f"{screen.name} (contrast, checked without axe)"] = "\n".join(low)
            checked.append(screen.name)
        finally:
            context.close()
    assert not failures, "\n".join(f"{name}:\n{text}" for name, text in failures.items())
    assert len(checked) == len(every_screen)


def _own_contrast(page: Any, node: dict[str, Any]) -> str:
    """ "" when the element axe could not decide has enough contrast on the background behind
    it (:data:`~tests.helpers.screens.CONTRAST`; axe gives up on text overlapped by the player's deck or the
    routine's sticky Play bar), else what it has."""
    found = page.evaluate(CONTRAST, " ".join(node["target"]))
    if found is None:
        return "element gone"
    needed = 3.0 if found["large"] else 4.5
    return "" if found["ratio"] >= needed else f"{found['ratio']:.2f}:1 < {needed}:1 {found.get('why', '')}"


def test_the_own_contrast_check_reads_svg_text_on_the_shape_behind_it(browser: Any) -> None:
    """The check used where axe gives up reads an SVG text's fill (not its colour) on the
    shape of its SVG painted behind it, and HTML text on its CSS background: it can fail."""
    page = browser.new_page()
    try:
        page.set_content(
            """<body style="background:#fff"><div style="background:#222">
            <svg viewBox="0 0 100 50" width="200"><rect width="100" height="50" fill="#111"/>
            <text id="dim" x="5" y="20" font-size="6" fill="#333" style="color:#fff">dim</text>
            <text id="clear" x="5" y="40" font-size="6" fill="#eee">clear</text></svg>
            <p id="html" style="color:#ccc">html</p></div>
            <svg viewBox="0 0 100 50" width="300">
            <text id="big" x="5" y="20" font-size="9" fill="#777">big</text></svg>
            </body>"""
        )
        ratio = {name: page.evaluate(CONTRAST, f"#{name}") for name in ("dim", "clear", "html", "big")}
        assert ratio["dim"]["ratio"] < 1.6 and not ratio["dim"]["large"]  # #333 on #111, not #fff on #222
        assert ratio["clear"]["ratio"] > 15 and ratio["html"]["ratio"] > 9
        assert ratio["big"]["large"]  # 9 units drawn at 27 px
        assert 4.4 < ratio["big"]["ratio"] < 4.5  # #777 on the page's white
    finally:
        page.close()
