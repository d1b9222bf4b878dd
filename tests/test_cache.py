"""The clip cache: keys, integrity, atomic writes, concurrency, stats/clear/prune."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from voiceguide.cache import ClipCache, default_cache_dir, key_for
from voiceguide.clip import Clip
from voiceguide.errors import CacheError
from voiceguide.tts.base import VoiceSpec
from voiceguide.tts.fake import FakeEngine

VOICE = VoiceSpec(None, 150)


def clip(n: int = 2000, seed: int = 1) -> Clip:
    return Clip(bytes((i * seed) % 256 for i in range(2 * n)), 22050)


def entry_path(cache: ClipCache, key: str) -> Path:
    return cache.directory / key[:2] / f"{key}.wav"


def test_round_trip(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.put("ab" * 32, clip())
    assert cache.get("ab" * 32) == clip()
    assert cache.get("cd" * 32) is None


def test_key_changes_with_every_part_of_the_identity() -> None:
    engine = FakeEngine()
    base = key_for(engine, "Breathe in", VOICE)
    assert key_for(engine, "  Breathe   in ", VOICE) == base  # normalized text
    assert key_for(engine, "Breathe out", VOICE) != base
    assert key_for(engine, "Breathe in", VoiceSpec(None, 151)) != base
    assert key_for(engine, "Breathe in", VoiceSpec("en-us", 150)) != base
    assert key_for(FakeEngine(sample_rate=16000), "Breathe in", VOICE) != base

    class Newer(FakeEngine):
        @property
        def version(self) -> str:
            return "2"

    assert key_for(Newer(), "Breathe in", VOICE) != base


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_damaged_entries_are_detected_deleted_and_missed(tmp_path: Path, damage: str) -> None:
    cache = ClipCache(tmp_path)
    key = "ef" * 32
    cache.put(key, clip())
    path = entry_path(cache, key)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:-100]
    elif damage == "flip":
        data[-10] ^= 0xFF  # PCM changed: only the checksum can tell
    elif damage == "garbage":
        data = bytearray(b"not a wav at all")
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    assert cache.get(key) is None
    assert not path.exists()


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    for i in range(5):
        cache.put(f"{i:02d}" * 32, clip(seed=i + 1))
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.name.startswith(".tmp-")]
    assert leftovers == []
    assert cache.stats().entries == 5


def _hammer(directory: str, seed: int, rounds: int) -> None:
    cache = ClipCache(Path(directory))
    for _ in range(rounds):
        cache.put("aa" * 32, clip(20_000, seed=3))
        got = cache.get("aa" * 32)
        assert got is None or got == clip(20_000, seed=3)


def test_two_processes_writing_the_same_entry_both_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hammer, args=(str(tmp_path), s, 30)) for s in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert ClipCache(tmp_path).get("aa" * 32) == clip(20_000, seed=3)


def test_stats_clear_and_stale_temps(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    for i in range(3):
        cache.put(f"{i:02d}" * 32, clip(1000 * (i + 1)))
    stale = tmp_path / "00" / ".tmp-stale.wav"
    stale.write_bytes(b"x" * 10)
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fresh = tmp_path / "00" / ".tmp-fresh.wav"  # a writer may be busy with it
    fresh.write_bytes(b"y")
    stats = cache.stats()
    assert stats.entries == 3 and stats.bytes > 12_000
    assert cache.clear() == 3
    assert cache.stats().entries == 0
    assert not stale.exists() and fresh.exists()


def test_prune_removes_least_recently_used_first(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    keys = [f"{i:02d}" * 32 for i in range(4)]
    for age, key in enumerate(keys):
        cache.put(key, clip(5000))
        t = time.time() - 1000 + age * 100
        os.utime(entry_path(cache, key), (t, t))
    cache.get(keys[0])  # used just now: kept
    size = entry_path(cache, keys[0]).stat().st_size
    result = cache.prune(2 * size)
    assert result.removed == 2 and result.freed_bytes == 2 * size
    assert cache.get(keys[0]) is not None and cache.get(keys[3]) is not None
    assert cache.get(keys[1]) is None and cache.get(keys[2]) is None


def test_unwritable_cache_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(CacheError, match="--cache-dir"):
        ClipCache(blocker / "cache").put("aa" * 32, clip())


def test_cache_location_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path / "env"))
    assert default_cache_dir(tmp_path / "flag") == tmp_path / "flag"
    assert default_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("VOICEGUIDE_CACHE_DIR")
    repo = Path(__file__).resolve().parent.parent
    assert default_cache_dir() == repo / "audio_cache"  # running from this checkout
