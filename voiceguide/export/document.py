"""The ``show --json`` document (DESIGN §4), also written as ``routine.json`` in bundles."""

from __future__ import annotations

from typing import Any

from ..session import Session


def timeline_document(session: Session) -> dict[str, Any]:
    """``{"title", "duration_ms", "sample_rate", "events": [...], "chapters": [...]}``."""
    timeline = session.timeline
    return {
        "title": timeline.title,
        "duration_ms": timeline.duration_ms,
        "sample_rate": session.sample_rate,
        "events": [
            {
                "start_ms": e.start_ms,
                "end_ms": e.end_ms,
                "kind": e.kind,
                "text": e.text,
                "step": e.step,
                "chapter": e.chapter,
            }
            for e in timeline.events
        ],
        "chapters": [
            {"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms}
            for c in timeline.chapters
        ],
    }
