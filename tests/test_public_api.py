"""The package's public surface is what __all__ says, and all of it imports."""

from __future__ import annotations

import voiceguide


def test_everything_in_all_exists_and_nothing_private_leaks() -> None:
    for name in voiceguide.__all__:
        assert getattr(voiceguide, name) is not None, name
    assert all(not n.startswith("_") or n == "__version__" for n in voiceguide.__all__)
    assert sorted(voiceguide.__all__) == sorted(set(voiceguide.__all__))


def test_the_core_runs_from_the_public_names() -> None:
    routine, _ = voiceguide.parse_routine(b"title: T\nsteps: [{say: Go., hold: 2s}]\n", "t.yaml")
    pacing = voiceguide.resolve_pacing(routine, [voiceguide.Layer("command line", {"rate": 120})]).pacing
    assert pacing.rate_wpm == 120
    texts = voiceguide.utterances(routine, pacing)
    timeline = voiceguide.compile(routine, pacing, dict.fromkeys(texts, 500))
    assert timeline.duration_ms == 500 + 2000 + pacing.step_gap_ms + 1500


def test_all_names_every_lazily_imported_name() -> None:
    from voiceguide import _WHERE

    assert sorted(voiceguide.__all__) == sorted([*_WHERE, "__version__"])
