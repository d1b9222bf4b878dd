"""The routine view's steps in Chromium at 390×844, against a real `voiceguide serve` with the
fake engine (any console error, page error or CSP report fails the test): every step has a
title (a group's steps were empty numbered items) and the number `voiceguide show` and
`play --from N` give it (the page counted from "Lie down", show from "Introduction")."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers.browser import CHROMIUM, phone_page, poll
from .helpers.run import VOICEGUIDE, private_environment
from .helpers.screens import launch, serve_page

playwright_api = pytest.importorskip("playwright.sync_api", reason="the dev extra's playwright")
if not CHROMIUM.exists() and not os.environ.get("CI"):  # in CI (bin/setup --test) a missing one fails
    pytest.skip("Debian's chromium is not installed (bin/setup --test installs it)", allow_module_level=True)

pytestmark = pytest.mark.slow

ROUTINE = "lower-back-stretch"  # two groups (Pelvic tilts, Cat and cow) of four rounds, sides


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("steps")


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[str]:
    with serve_page(home) as url:
        yield url


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = launch(playwright)
        with phone_page(browser, server) as (page, problems):
            yield page
        browser.close()
    assert problems == []


def shown_chapters(home: Path) -> list[str]:
    """The chapter titles `voiceguide show ROUTINE --json` gives, in order."""
    env = dict(os.environ) | private_environment(home, "fake")
    env.pop("VOICEGUIDE_DEBUG", None)
    result = subprocess.run(
        [str(VOICEGUIDE), "show", ROUTINE, "--json"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [str(chapter["title"]) for chapter in json.loads(result.stdout)["chapters"]]


def test_every_step_has_a_title_and_the_number_show_gives_it(page: Any, home: Path) -> None:
    page.goto(f"/#/routine/{ROUTINE}")
    # the list as drawn, once drawn: each item's number (its value) and text
    items = poll(
        page,
        """() => {
            const items = [...document.querySelectorAll('#routine-steps li')];
            return items.length ? items.map((li) => [li.value, li.textContent.trim()]) : null;
        }""",
    )
    assert [text for _, text in items if not text] == []  # no empty item
    assert items == [[number, title] for number, title in enumerate(shown_chapters(home), 1)]
    assert [6, "Pelvic tilts — round 1 of 4"] in items  # a group's round, as `play --from 6`
