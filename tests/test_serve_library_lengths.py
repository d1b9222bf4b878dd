"""The library's lengths on the page (issue 25 item 7): lengths measured already (by
`voiceguide list` or a server before) are shown at once from the library's index, and a
length the server measures is kept there for `list` (fake engine, no server process)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from voiceguide.pacing_layers import pacing_layers
from voiceguide.routine.library import INDEX_NAME, list_entries, record_lengths, recorded_lengths
from voiceguide.routine.schema import PRESETS
from voiceguide.serve import previews as previews_module
from voiceguide.serve.previews import LibraryLengths
from voiceguide.service import Order, lengths_key

ROUTINE = """\
title: Measure me
intro: A calm start, with a sentence long enough to be worth measuring.
steps:
  - {name: Reach, say: Reach up slowly and breathe., hold: 5s}
"""


@pytest.fixture
def routine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICEGUIDE_ENGINE", "fake")
    monkeypatch.setenv("VOICEGUIDE_CONFIG_DIR", str(tmp_path / "config"))  # no user pacing file
    path = tmp_path / "measure-me.yaml"
    path.write_text(ROUTINE)
    return path


def orders(cache: Path) -> Callable[[Path, str], Order]:
    """The server's order for a routine at a preset (serve.app's _order, with this cache)."""
    return lambda path, preset: Order(
        path, tuple(pacing_layers({"preset": preset}, None, "the page")), cache_dir=cache
    )


def settle(lengths: LibraryLengths) -> None:
    """Wait until everything asked of the lengths' worker is done (it runs one task at a
    time, in order), then until the speech it queued is measured."""
    lengths._thread.submit(lambda: None).result(timeout=120)
    for _, request in list(lengths._previews._measuring.values()):
        request.wait_all()


def test_lengths_measured_by_list_are_shown_at_once(routine: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    index = cache / INDEX_NAME
    list_entries([("measure-me", routine)], index)  # the routine's row, as `list` writes it
    measured = dict(zip(PRESETS, (131_000, 120_000, 109_000), strict=True))
    for preset, ms in measured.items():
        record_lengths(index, lengths_key(preset, cache), {routine: ms})
    lengths = LibraryLengths(orders(cache), measure=False)
    try:
        assert lengths.of(routine) == (measured, False)  # the first listing: no "measuring…"
        assert not lengths._pending  # nothing to work out
    finally:
        lengths.close()


def test_a_length_the_server_measures_is_kept_for_list(
    routine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(previews_module, "ESTIMATE_TTL_S", 0.0)  # each listing works estimates out again
    cache = tmp_path / "cache"
    index = cache / INDEX_NAME
    list_entries([("measure-me", routine)], index)
    lengths = LibraryLengths(orders(cache))
    try:
        assert lengths.of(routine) == (None, False)  # worked out on the worker, not in the listing
        settle(lengths)
        found, estimated = lengths.of(routine)  # estimates, their speech measured meanwhile
        settle(lengths)
        found, estimated = lengths.of(routine)
        assert found is not None and not estimated, (found, estimated)
        keys = {preset: lengths_key(preset, cache) for preset in PRESETS}
        assert recorded_lengths(index, keys) == {str(routine): found}
        # `list` reads the same key: the CLI shows what the server measured
        listed = list_entries([("measure-me", routine)], index, lengths_key("standard", cache))
        assert listed[0].length_ms == found["standard"]
    finally:
        lengths.close()


def test_a_changed_file_is_not_given_its_old_length(routine: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    index = cache / INDEX_NAME
    list_entries([("measure-me", routine)], index)
    record_lengths(index, lengths_key("standard", cache), {routine: 120_000})
    keys = {preset: lengths_key(preset, cache) for preset in PRESETS}
    assert recorded_lengths(index, keys) == {str(routine): {"standard": 120_000}}
    routine.write_text(ROUTINE + "outro: Done.\n")
    assert recorded_lengths(index, keys) == {}
