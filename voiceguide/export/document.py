"""The ``show --json`` document (DESIGN §4), also written as ``routine.json`` in bundles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from ..session import Session
from ..timing.timeline import Chapter, Event, Phase, Timeline


def timeline_document(session: Session) -> dict[str, object]:
    """``{"title", "duration_ms", "sample_rate", "events": [...], "chapters": [...],
    "phases": [...]}``: the phases (holds, rests, breath phases with their cycle and whether
    a tone sounds) are what a display counts down (``voiceguide serve``'s page follows them)."""
    timeline = session.timeline
    return {
        "title": timeline.title,
        "duration_ms": timeline.duration_ms,
        "sample_rate": session.sample_rate,
        "events": [asdict(e) for e in timeline.events],  # every field of an Event
        "chapters": [
            {"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in timeline.chapters
        ],
        "phases": [asdict(p) for p in timeline.phases],  # every field of a Phase
    }


def timeline_from_document(doc: Mapping[str, Any]) -> Timeline:
    """The :class:`Timeline` a :func:`timeline_document` describes (a session the server
    rendered keeps only its document); chapters get no ``step`` (the document has none).
    Raises ``KeyError``, ``TypeError`` or ``ValueError`` for another shape."""
    return Timeline(
        title=str(doc["title"]),
        duration_ms=int(doc["duration_ms"]),
        events=tuple(Event(**e) for e in doc["events"]),
        chapters=tuple(
            Chapter(str(c["title"]), int(c["start_ms"]), int(c["end_ms"]), "") for c in doc["chapters"]
        ),
        phases=tuple(Phase(**p) for p in doc["phases"]),
    )
