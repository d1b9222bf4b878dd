"""docs/serve-api.md is the contract of `voiceguide serve`: every route of the app built by
``create_app`` has its ``### METHOD /path`` heading there, and every such heading is a route
of the app. The routes are read from the Starlette app object (wherever in serve/ they are
defined), never from the source text."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from voiceguide.serve.app import ServeConfig, create_app

DOC = Path(__file__).resolve().parent.parent / "docs" / "serve-api.md"
HEADING = re.compile(r"^### ([A-Z]+) (/\S*)$", re.MULTILINE)
#: Starlette adds HEAD to every GET route: the contract names the GET
IMPLIED = {"HEAD"}


def documented(text: str) -> list[tuple[str, str]]:
    """The (method, path) of every ``### METHOD /path`` heading of ``text``, in order."""
    return [(method, path) for method, path in HEADING.findall(text)]


def served(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """The (method, path) pairs ``routes`` answer, mounted apps as ``PREFIX/{path}``."""
    for route in routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - IMPLIED):
                yield method, prefix + route.path
        elif isinstance(route, Mount):
            if route.routes:
                yield from served(route.routes, prefix + route.path)
            else:
                yield "GET", f"{prefix}{route.path}/{{path}}"
        else:  # a WebSocket route or a new kind: the contract must learn to describe it
            raise AssertionError(f"a route of an unknown kind: {route!r}")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Starlette]:
    built = create_app(ServeConfig(cache_dir=tmp_path, measure_lengths=False, ca_certificate=b"not used"))
    try:
        yield built
    finally:
        built.state.serve.jobs.close()


def test_every_route_is_documented_and_every_documented_route_exists(app: Starlette) -> None:
    routes = set(served(app.routes))
    headings = documented(DOC.read_text(encoding="utf-8"))
    assert len(routes) > 10  # the app's routes were found (not an empty list passing)
    assert not routes - set(headings), f"routes missing from {DOC.name}: {sorted(routes - set(headings))}"
    assert not set(headings) - routes, (
        f"{DOC.name} documents routes the app lacks: {sorted(set(headings) - routes)}"
    )
    assert len(headings) == len(set(headings)), "a route documented twice"


def test_the_comparison_sees_a_missing_and_an_invented_route() -> None:
    """The check above can fail: a heading set that lacks a route, or has one too many."""
    routes = [Route("/a", lambda request: None), Route("/b", lambda request: None, methods=["POST"])]
    assert set(served(routes)) == {("GET", "/a"), ("POST", "/b")}
    text = "### GET /a\n\n### PUT /c\nnot a heading: ### GET /b\n"
    assert documented(text) == [("GET", "/a"), ("PUT", "/c")]
    assert set(served(routes)) - set(documented(text)) == {("POST", "/b")}


def test_a_mounted_app_counts_as_a_prefix() -> None:
    inner = [Route("/x", lambda request: None)]
    assert list(served([Mount("/m", routes=inner)])) == [("GET", "/m/x")]
