"""The podcast feed (issue 15): /feed.xml of `voiceguide serve` and `voiceguide feed DIR
--base-url URL`, parsed back with xml.etree; every enclosure, chapters and transcript
link fetched."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from voiceguide.serve.feed import ITUNES, PODCAST

from .helpers.serving import SHORT, make_client, serve_folder, wait_ready

NS = {"itunes": ITUNES, "podcast": PODCAST}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder serving short.yaml with the fake engine (tests.helpers.serving)."""
    return serve_folder(tmp_path, monkeypatch)


def items(document: bytes) -> list[ET.Element]:
    root = ET.fromstring(document)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") and channel.findtext("link") and channel.findtext("description")
    return channel.findall("item")


def check_item(item: ET.Element, fetch: Any) -> dict[str, Any]:
    """Every link of ``item`` fetched through ``fetch(url) -> bytes``; the figures checked."""
    enclosure = item.find("enclosure")
    assert enclosure is not None and enclosure.get("type") == "audio/mpeg"
    audio = fetch(enclosure.get("url"))
    assert int(enclosure.get("length", "-1")) == len(audio)
    assert audio[:3] == b"ID3"
    chapters_link = item.find("podcast:chapters", NS)
    assert chapters_link is not None and chapters_link.get("type") == "application/json+chapters"
    chapters = json.loads(fetch(chapters_link.get("url")))
    assert chapters["version"] == "1.2.0" and chapters["chapters"]
    transcript = item.find("podcast:transcript", NS)
    assert transcript is not None and transcript.get("type") == "text/vtt"
    assert fetch(transcript.get("url")).startswith(b"WEBVTT")
    duration = int(item.findtext("itunes:duration", "-1", NS))
    assert item.findtext("guid") and item.findtext("pubDate") and item.findtext("title")
    return {"duration_s": duration, "chapters": chapters, "title": item.findtext("title")}


def test_the_feed_lists_sessions_rendered_through_the_page(env: Path) -> None:
    with make_client(env) as client:
        client.headers["authorization"] = "Bearer test-token-123"
        assert items(client.get("/feed.xml").content) == []
        asked = {"name": "short", "pacing": {"preset": "gentle"}}
        sid = client.post("/api/sessions", json=asked).json()["id"]
        state = wait_ready(client, sid)
        answer = client.get("/feed.xml")
        assert answer.headers["content-type"].startswith("application/rss+xml")
        [item] = items(answer.content)
        client.headers.pop("authorization")

        def fetch(url: str) -> bytes:  # a podcast app: no cookie, no header, the token in the URL
            parts = urlsplit(url)
            assert parts.query == "token=test-token-123"
            got = client.get(f"{parts.path}?{parts.query}")
            assert got.status_code == 200, url
            content: bytes = got.content
            return content

        found = check_item(item, fetch)
        assert found["duration_s"] == round(state["duration_ms"] / 1000)
        assert found["title"] == "Short one"
        assert [c["title"] for c in found["chapters"]["chapters"]][-2:] == ["Reach", "Fold"]
        assert item.findtext("guid") == sid


def test_the_feed_renders_its_routines_at_standard_pacing_by_default(env: Path) -> None:
    with make_client(env, token=None, render_feed=True, feed_routines=("short",)) as client:
        deadline = time.monotonic() + 60
        while not (found := items(client.get("/feed.xml").content)):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        [item] = found
        standard = client.post("/api/preview", json={"name": "short"}).json()["duration_ms"]
        checked = check_item(item, lambda url: client.get(urlsplit(url).path).content)
        assert checked["duration_s"] == round(standard / 1000)
        assert "preset standard" in (item.findtext("description") or "")


def feed_files(directory: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in directory.iterdir()}


def test_feed_command_writes_static_files(vg_in_process: Any, tmp_path: Path) -> None:
    (tmp_path / "short.yaml").write_text(SHORT)
    out = tmp_path / "site" / "podcast"
    result = vg_in_process(
        "feed", str(out), "short.yaml", "box-breathing", "--base-url", "https://example.org/podcast"
    )
    assert result.returncode == 0, result.stderr
    assert "subscribe to https://example.org/podcast/feed.xml" in result.stdout
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == sorted(
        ["feed.xml", "artwork.png"]
        + [f"{n}{s}" for n in ("short", "box-breathing") for s in (".mp3", ".chapters.json", ".vtt")]
    )
    channel = ET.fromstring((out / "feed.xml").read_bytes()).find("channel")
    assert channel is not None  # the artwork next to the feed (tests/test_feed_artwork.py)
    assert channel.findtext("image/url") == "https://example.org/podcast/artwork.png"
    assert channel.find("itunes:image", NS).get("href") == channel.findtext("image/url")  # type: ignore[union-attr]
    assert not [p for p in out.iterdir() if ".partial" in p.name]
    found = items((out / "feed.xml").read_bytes())
    assert len(found) == 2

    def fetch(url: str) -> bytes:
        assert url.startswith("https://example.org/podcast/")
        return (out / url.removeprefix("https://example.org/podcast/")).read_bytes()

    titles = {check_item(item, fetch)["title"] for item in found}
    assert titles == {"Short one", "Box breathing"}
    shown = vg_in_process("show", "short.yaml", "--json")
    by_title = {i.findtext("title"): i for i in found}
    assert int(by_title["Short one"].findtext("itunes:duration", "", NS)) == round(
        json.loads(shown.stdout)["duration_ms"] / 1000
    )
    # again: nothing rendered, nothing rewritten but the feed
    before = feed_files(out)
    again = vg_in_process(
        "feed", str(out), "short.yaml", "box-breathing", "--base-url", "https://example.org/podcast/"
    )
    assert again.returncode == 0 and "kept short" in again.stderr and "rendered" not in again.stderr
    after = feed_files(out)
    assert {k: v for k, v in after.items() if k != "feed.xml"} == {
        k: v for k, v in before.items() if k != "feed.xml"
    }
    # another pacing is another episode file content
    gentle = vg_in_process(
        "feed", str(out), "short.yaml", "--preset", "gentle", "--base-url", "https://example.org/podcast/"
    )
    assert "rendered short" in gentle.stderr
    assert len(items((out / "feed.xml").read_bytes())) == 1


@pytest.mark.parametrize("url", ["example.org/podcast", "ftp://x/", "javascript:alert(1)", "http://a b/"])
def test_feed_command_needs_an_http_base_url(vg_in_process: Any, tmp_path: Path, url: str) -> None:
    result = vg_in_process("feed", str(tmp_path / "out"), "box-breathing", "--base-url", url)
    assert result.returncode == 2 and "--base-url" in result.stderr
    assert not (tmp_path / "out").exists()


def test_feed_xml_escapes_titles(tmp_path: Path) -> None:
    from voiceguide.serve.feed import Episode, feed_xml

    episode = Episode(
        "g",
        'A <b>&</b> "quoted" title',
        "d & e",
        "https://x/a.mp3?token=a&b=c",
        10,
        61_500,
        "https://x/a.chapters.json",
        "https://x/a.vtt",
        0.0,
    )
    [item] = items(feed_xml([episode], link="https://x/", self_url="https://x/feed.xml"))
    assert item.findtext("title") == 'A <b>&</b> "quoted" title'
    assert item.find("enclosure").get("url") == "https://x/a.mp3?token=a&b=c"  # type: ignore[union-attr]
    assert item.findtext("itunes:duration", "", NS) == "62"


def test_the_server_feed_is_the_feed_commands_document(env: Path) -> None:
    with make_client(env, token=None) as client:
        assert isinstance(client, TestClient)
        document = client.get("/feed.xml").content
        assert document.startswith(b"<?xml") and b'xmlns:itunes="' + ITUNES.encode() in document
        assert b'xmlns:podcast="' + PODCAST.encode() in document


def test_the_podcast_guid_follows_the_namespace_spec() -> None:
    from voiceguide.serve.feed import podcast_guid

    # the worked example of the podcast namespace's <podcast:guid>
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("http://podnews.net/rss/?token=x") == podcast_guid("https://podnews.net/rss")
