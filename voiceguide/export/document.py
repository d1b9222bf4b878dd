"""The ``show --json`` document (DESIGN §4), also written as ``routine.json`` in bundles."""

from __future__ import annotations

from dataclasses import asdict

from ..session import Session


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
