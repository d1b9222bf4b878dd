"""The page's previews: an answer at once, the measuring queued, superseded and bounded
(fake engine; test_serve.py has the server's routes and espeak-ng previews in parallel)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceguide.pacing_layers import pacing_layers
from voiceguide.serve.previews import Previews
from voiceguide.service import Order

ROUTINE = """\
title: Preview me
intro: A calm start, with a sentence long enough to be worth measuring.
steps:
  - {name: Reach, say: Reach up slowly and breathe., hold: 5s}
  - {name: Fold, say: Fold forward and let your arms hang., hold: 5s}
"""


@pytest.fixture
def routine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICEGUIDE_ENGINE", "fake")
    path = tmp_path / "preview.yaml"
    path.write_text(ROUTINE)
    return path


def order(routine: Path, tmp_path: Path, rate: int) -> Order:
    return Order(
        routine, tuple(pacing_layers({"rate": rate}, None, "the page")), cache_dir=tmp_path / "cache"
    )


def test_a_cold_preview_is_an_estimate_at_once_then_measured(routine: Path, tmp_path: Path) -> None:
    previews = Previews()
    first, measuring = previews.preview("routine:preview", order(routine, tmp_path, 150))
    assert first.is_estimate and measuring["total"] >= 3  # queued, not waited for
    request = previews._measuring["routine:preview"][1]
    request.wait_all()
    again, _ = previews.preview("routine:preview", order(routine, tmp_path, 150))
    assert not again.is_estimate
    assert "routine:preview" not in previews._measuring  # nothing left to measure


def test_a_newer_pacing_replaces_the_older_measuring(routine: Path, tmp_path: Path) -> None:
    previews = Previews()
    previews.preview("routine:preview", order(routine, tmp_path, 150))
    older = previews._measuring["routine:preview"][1]
    previews.preview("routine:preview", order(routine, tmp_path, 170))
    newer = previews._measuring["routine:preview"][1]
    assert newer is not older and older._cancelled and not newer._cancelled
    previews.close()
    assert newer._cancelled


def test_at_most_the_limit_are_measured_the_oldest_cancelled(routine: Path, tmp_path: Path) -> None:
    previews = Previews(limit=2)
    requests = []
    for rate in (120, 140, 160):
        previews.preview(f"routine:{rate}", order(routine, tmp_path, rate))
        requests.append(previews._measuring[f"routine:{rate}"][1])
    assert list(previews._measuring) == ["routine:140", "routine:160"]
    assert requests[0]._cancelled and not requests[2]._cancelled
    previews.close()
