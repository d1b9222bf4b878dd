"""The podcast feed: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces.

Each episode is one rendered session: ``<enclosure>`` (the mp3's URL, its exact size in
bytes, ``audio/mpeg``), ``<itunes:duration>`` (whole seconds), ``<podcast:chapters>`` (the
JSON chapters) and ``<podcast:transcript>`` (the WebVTT subtitles); the channel's
``<image>`` and ``<itunes:image>`` name the square artwork (:mod:`voiceguide.serve.artwork`),
a PNG next to the feed. ``/feed.xml`` of
`voiceguide serve` and ``voiceguide feed DIR --base-url URL`` (static files for hosting
anywhere) write the same document with :func:`feed_xml`.
"""

from __future__ import annotations

import contextlib
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
FEED_NAME = "feed.xml"
#: what `voiceguide feed` remembers in DIR: which session each episode's files hold
STATE_NAME = ".voiceguide-feed.json"


@dataclass(frozen=True)
class Episode:
    """One item of the feed. Times in ms; ``published`` in seconds since the epoch."""

    guid: str
    title: str
    description: str
    audio_url: str
    audio_bytes: int
    duration_ms: int
    chapters_url: str
    transcript_url: str
    published: float


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def feed_xml(
    episodes: Sequence[Episode],
    *,
    link: str,
    self_url: str,
    image_url: str | None = None,
    title: str = "voiceguide sessions",
    description: str = "Guided stretching, breathing and relaxation sessions, "
    "spoken with exactly timed pauses by voiceguide.",
) -> bytes:
    """The RSS 2.0 document (UTF-8 bytes) listing ``episodes``, newest first; ``image_url``:
    the artwork's address (``<image>`` and ``<itunes:image>``)."""
    ET.register_namespace("itunes", ITUNES)
    ET.register_namespace("podcast", PODCAST)
    ET.register_namespace("atom", ATOM)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", link)
    _sub(channel, "description", description)
    _sub(channel, "language", "en")
    if image_url is not None:
        image = _sub(channel, "image")
        _sub(image, "url", image_url)
        _sub(image, "title", title)  # RSS 2.0: the channel's title and link, as they are
        _sub(image, "link", link)
        _sub(channel, f"{{{ITUNES}}}image", href=image_url)
    _sub(channel, "generator", "voiceguide")
    _sub(channel, f"{{{ATOM}}}link", href=self_url, rel="self", type="application/rss+xml")
    newest = max((e.published for e in episodes), default=time.time())
    _sub(channel, "lastBuildDate", formatdate(newest, usegmt=True))
    _sub(channel, f"{{{PODCAST}}}guid", podcast_guid(self_url))
    _sub(channel, f"{{{ITUNES}}}author", "voiceguide")
    _sub(channel, f"{{{ITUNES}}}explicit", "false")
    _sub(channel, f"{{{ITUNES}}}type", "episodic")
    ET.SubElement(channel, f"{{{ITUNES}}}category", {"text": "Health & Fitness"})
    for episode in sorted(episodes, key=lambda e: (-e.published, e.guid)):
        item = _sub(channel, "item")
        _sub(item, "title", episode.title)
        _sub(item, "description", episode.description or episode.title)
        _sub(item, "guid", episode.guid, isPermaLink="false")
        _sub(item, "pubDate", formatdate(episode.published, usegmt=True))
        _sub(item, "enclosure", url=episode.audio_url, length=str(episode.audio_bytes), type="audio/mpeg")
        _sub(item, f"{{{ITUNES}}}duration", str(round(episode.duration_ms / 1000)))
        _sub(item, f"{{{ITUNES}}}title", episode.title)
        _sub(item, f"{{{ITUNES}}}episodeType", "full")
        _sub(item, f"{{{PODCAST}}}chapters", url=episode.chapters_url, type="application/json+chapters")
        _sub(item, f"{{{PODCAST}}}transcript", url=episode.transcript_url, type="text/vtt", language="en")
    ET.indent(rss)
    document: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def podcast_guid(feed_url: str) -> str:
    """The Podcasting 2.0 ``<podcast:guid>`` of a feed: a UUIDv5 of its URL without the
    scheme, query and trailing slashes (the namespace the podcast namespace specifies)."""
    import uuid
    from urllib.parse import urlsplit

    parts = urlsplit(feed_url)
    name = (parts.netloc + parts.path).rstrip("/")
    return str(uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), name))


def episode(meta: dict[str, Any], audio: Path, urls: Callable[[str], str], base_name: str) -> Episode:
    """The episode of a rendered session (its description ``meta``, see
    :func:`voiceguide.serve.jobs.render_session`); ``urls(file name)`` makes the links of
    the files named ``base_name`` + suffix."""
    from .jobs import AUDIO_SUFFIX, CHAPTERS_SUFFIX, SUBTITLES_SUFFIX

    pacing = str(meta.get("pacing", ""))
    description = str(meta.get("description") or meta.get("title") or "")
    if pacing:
        description = f"{description}\n\nPacing: {pacing}".strip()
    return Episode(
        guid=str(meta.get("id", base_name)),
        title=str(meta.get("title") or base_name),
        description=description,
        audio_url=urls(base_name + AUDIO_SUFFIX),
        audio_bytes=audio.stat().st_size,
        duration_ms=int(meta.get("duration_ms") or 0),
        chapters_url=urls(base_name + CHAPTERS_SUFFIX),
        transcript_url=urls(base_name + SUBTITLES_SUFFIX),
        published=float(meta.get("created") or audio.stat().st_mtime),
    )


def _read_state(directory: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        state = json.loads((directory / STATE_NAME).read_text(encoding="utf-8"))
        if isinstance(state, dict):
            return state
    return {}


def write_feed_directory(
    directory: Path,
    base_url: str,
    routines: Sequence[tuple[str, Path]],
    cache_dir: Path | None = None,
    *,
    pacing: Any = None,
    on_episode: Callable[[str, bool], None] | None = None,
) -> list[Episode]:
    """``voiceguide feed DIR --base-url URL``: each of ``routines`` (name, file) rendered
    at ``pacing`` (a :class:`~voiceguide.serve.jobs.PacingRequest`; None: the standard
    pacing) as ``DIR/<name>.mp3`` with ``.chapters.json`` and ``.vtt``, then ``artwork.png``
    (drawn once) and ``feed.xml``
    whose links are ``base_url`` + the file name. Every file is written atomically; a
    routine whose session is already in DIR (same routine text and pacing) is not
    rendered again. ``on_episode(name, rendered)`` is told of each in turn."""
    from ..atomic import write_text
    from .jobs import AUDIO_SUFFIX, PacingRequest, SessionSpec, render_session, session_id

    pacing = pacing or PacingRequest({})
    base = base_url if base_url.endswith("/") else base_url + "/"
    state = _read_state(directory)
    episodes = []
    for name, path in routines:
        text = path.read_bytes()
        sid = session_id(text, pacing)
        kept = state.get(name)
        audio = directory / f"{name}{AUDIO_SUFFIX}"
        fresh = not (isinstance(kept, dict) and kept.get("id") == sid and audio.is_file())
        if fresh:
            meta = render_session(
                SessionSpec(name, path, pacing, in_feed=True),
                name,
                directory,
                cache_dir,
                lambda fraction: None,
            )
            meta = {k: v for k, v in meta.items() if k != "doc"} | {"id": sid}
            state[name] = meta
            write_text(directory / STATE_NAME, json.dumps(state, ensure_ascii=False, indent=1))
        else:
            assert isinstance(kept, dict)
            meta = kept
        episodes.append(episode(meta, audio, lambda file: base + file, name))
        if on_episode:
            on_episode(name, fresh)
    from .artwork import ARTWORK_NAME, ensure_artwork

    ensure_artwork(directory / ARTWORK_NAME)
    document = feed_xml(episodes, link=base, self_url=base + FEED_NAME, image_url=base + ARTWORK_NAME)
    write_text(directory / FEED_NAME, document.decode("utf-8"))
    return episodes
