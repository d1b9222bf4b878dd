"""Screenshots of every screen of `voiceguide serve`'s page, at phone size, light and dark.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--engine fake] [--only NAME]

Starts a real ``voiceguide serve`` in a temporary home (private cache, no user files) and
drives Debian's Chromium (``/usr/bin/chromium``, Playwright for Python) at 390×844 through
every screen of ``tests/helpers/screens.py`` (the ones the accessibility test checks; a view
added to the page later is included), writing ``NAME.png`` (light) and ``NAME-dark.png``,
and ``NAME-reduced-motion.png`` for a screen that moves (the breathing guide becomes a bar).
The default engine is the fake one (fast; its clips are tones); ``--engine espeak-ng`` for
real speech lengths. README shows some of these.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.helpers.browser import PHONE  # noqa: E402
from tests.helpers.screens import launch, screens, serve_page, settle  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--engine", default="fake", help="the speech engine of the server (default: fake)")
    parser.add_argument("--only", action="append", default=[], help="only the screen NAME (repeatable)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with (
        tempfile.TemporaryDirectory(prefix="voiceguide-screenshots-") as home,
        serve_page(Path(home), args.engine) as url,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        probe = browser.new_context(base_url=url, **PHONE)
        every = screens(probe.new_page())
        probe.close()
        for screen in every:
            if args.only and screen.name not in args.only:
                continue
            looks = [("", "light", "no-preference"), ("-dark", "dark", "no-preference")]
            if screen.motion:
                looks.append(("-reduced-motion", "light", "reduce"))
            for suffix, scheme, motion in looks:
                context = browser.new_context(
                    base_url=url, color_scheme=scheme, reduced_motion=motion, **PHONE
                )
                page = context.new_page()
                page.set_default_timeout(60_000)
                screen.reach(page)
                settle(page)
                path = args.out / f"{screen.name}{suffix}.png"
                page.screenshot(path=str(path))
                written.append(path)
                context.close()
        browser.close()
    for path in written:
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
