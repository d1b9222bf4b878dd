"""The clip cache: keys, integrity, atomic writes, concurrency, stats/clear/prune, location."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import platformdirs
import pytest

import voiceguide.userdirs as userdirs
from voiceguide.errors import CacheError
from voiceguide.pcm.clip import Clip
from voiceguide.pcm.wavfile import read_wav
from voiceguide.speech.cache import CacheStats, ClipCache, PruneResult, default_cache_dir, key_for
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine

VOICE = VoiceSpec(None, 150)
KEY = "ab" * 32


def clip(n: int = 2000, seed: int = 1) -> Clip:
    return Clip(bytes((i * seed) % 256 for i in range(2 * n)), 22050)


def test_round_trip_and_miss(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    assert cache.get(KEY) is None
    cache.put(KEY, clip())
    assert cache.get(KEY) == clip()
    assert cache.path_for(KEY) == tmp_path / "ab" / f"{KEY}.wav"
    assert cache.get("cd" * 32) is None


def test_key_changes_with_every_part_of_the_identity() -> None:
    engine = FakeEngine()
    base = key_for(engine, "Breathe in", VOICE)
    assert len(base) == 64 and int(base, 16) >= 0
    assert ClipCache.key_for(engine, "Breathe in", VOICE) == base
    assert key_for(engine, "  Breathe \n  in ", VOICE) == base  # normalized text
    assert key_for(engine, "Breathe out", VOICE) != base
    assert key_for(engine, "Breathe in", VoiceSpec(None, 151)) != base
    assert key_for(engine, "Breathe in", VoiceSpec("en-us", 150)) != base
    assert key_for(FakeEngine(sample_rate=16000), "Breathe in", VOICE) != base

    class Newer(FakeEngine):
        @property
        def version(self) -> str:
            return "2"

    class Other(FakeEngine):
        engine_id = "other"

    assert key_for(Newer(), "Breathe in", VOICE) != base
    assert key_for(Other(), "Breathe in", VOICE) != base


def test_keys_are_the_same_in_every_process() -> None:
    code = (
        "from voiceguide.speech.cache import key_for; from voiceguide.speech.fake import FakeEngine; "
        "from voiceguide.speech.engine import VoiceSpec; "
        "print(key_for(FakeEngine(), 'Breathe in', VoiceSpec(None, 150)))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # a key must not depend on hash()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == key_for(FakeEngine(), "Breathe in", VOICE)


def test_an_entry_is_a_playable_wav_with_its_metadata(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    meta = {"text": "Breathe in", "engine": "fake", "voice": None, "rate": 150}
    cache.put(KEY, clip(300), meta)
    path = cache.path_for(KEY)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getframerate(), w.readframes(300)) == (1, 22050, clip(300).pcm)
    stored = json.loads(read_wav(path).chunks[b"vgmd"])
    assert stored["text"] == "Breathe in" and stored["rate"] == 150 and stored["voice"] is None
    assert stored["key"] == KEY and len(stored["pcm_sha256"]) == 64


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty", "no-meta", "bad-json"])
def test_damaged_entries_are_detected_deleted_and_missed(tmp_path: Path, damage: str) -> None:
    cache = ClipCache(tmp_path)
    cache.put(KEY, clip())
    path = cache.path_for(KEY)
    data = path.read_bytes()
    if damage == "truncate":
        data = data[:-100]
    elif damage == "flip":
        data = data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:]  # only the checksum can tell
    elif damage == "garbage":
        data = b"not a wav at all"
    elif damage == "empty":
        data = b""
    elif damage == "no-meta":
        data = data.replace(b"vgmd", b"xxxx")
    else:
        data = data.replace(b'"key"', b'"key" ')  # invalid JSON
    path.write_bytes(data)
    assert cache.get(KEY) is None
    assert not path.exists()
    cache.put(KEY, clip())  # re-made
    assert cache.get(KEY) == clip()


def test_an_entry_under_the_wrong_key_is_a_miss(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.put(KEY, clip())
    other = "ac" * 32
    cache.path_for(other).parent.mkdir(parents=True)
    cache.path_for(KEY).rename(cache.path_for(other))
    assert cache.get(other) is None


def test_a_hit_marks_the_entry_recently_used(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.put(KEY, clip())
    old = time.time() - 5000
    os.utime(cache.path_for(KEY), (old, old))
    cache.get(KEY)
    assert cache.path_for(KEY).stat().st_mtime > old + 4000


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    for i in range(5):
        cache.put(f"{i:02d}" * 32, clip(seed=i + 1))
    assert list(tmp_path.rglob(".tmp-*")) == []
    assert cache.stats().entries == 5


def _hammer(directory: str, rounds: int) -> None:
    cache = ClipCache(Path(directory))
    expected = clip(20_000, seed=3)
    for _ in range(rounds):
        cache.put("aa" * 32, expected)
        # a reader sees the whole entry or none: a partial one would be "damaged" (None)
        assert cache.get("aa" * 32) == expected


def test_two_processes_writing_the_same_entry_both_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hammer, args=(str(tmp_path), 40)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert ClipCache(tmp_path).get("aa" * 32) == clip(20_000, seed=3)
    assert list(tmp_path.rglob(".tmp-*")) == []


def _old(path: Path) -> Path:
    t = time.time() - 7200
    os.utime(path, (t, t))
    return path


def test_stats_clear_and_stale_temporary_files(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    for i in range(3):
        cache.put(f"{i:02d}" * 32, clip(1000 * (i + 1)))
    stale = tmp_path / "00" / ".tmp-stale.wav"  # a writer died long ago
    stale.write_bytes(b"x" * 10)
    _old(stale)
    fresh = tmp_path / "00" / ".tmp-fresh.wav"  # a writer may be busy with it
    fresh.write_bytes(b"y" * 100_000)
    sizes = sum(cache.path_for(f"{i:02d}" * 32).stat().st_size for i in range(3))
    assert cache.stats() == CacheStats(entries=3, bytes=sizes, directory=tmp_path)
    assert cache.clear() == 3
    assert cache.stats() == CacheStats(0, 0, tmp_path)
    assert not stale.exists() and fresh.exists()


def test_clear_leaves_files_that_are_not_entries_alone(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.put(KEY, clip())
    keep = [tmp_path / ".gitignore", tmp_path / "ab" / "notes.wav", tmp_path / "music" / "song.wav"]
    for path in keep:
        path.parent.mkdir(exist_ok=True)
        path.write_text("mine")
    assert cache.stats().entries == 1
    assert cache.clear() == 1
    assert all(path.exists() for path in keep)


def test_clear_removes_emptied_subdirectories(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.put(KEY, clip())
    cache.clear()
    assert list(tmp_path.iterdir()) == []


def test_prune_removes_least_recently_used_first(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    keys = [f"{i:02d}" * 32 for i in range(4)]
    for age, key in enumerate(keys):
        cache.put(key, clip(5000))
        t = time.time() - 1000 + age * 100
        os.utime(cache.path_for(key), (t, t))
    cache.get(keys[0])  # used just now: kept
    stale = tmp_path / "00" / ".tmp-x"
    stale.write_bytes(b"x")
    _old(stale)
    size = cache.path_for(keys[0]).stat().st_size
    assert cache.prune(2 * size) == PruneResult(removed=2, freed_bytes=2 * size, left=2, left_bytes=2 * size)
    assert cache.get(keys[0]) is not None and cache.get(keys[3]) is not None
    assert cache.get(keys[1]) is None and cache.get(keys[2]) is None
    assert not stale.exists()
    assert cache.prune(10**9) == PruneResult(0, 0, 2, 2 * size)
    assert cache.prune(0) == PruneResult(2, 2 * size, 0, 0)


def test_an_empty_or_missing_cache(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "never-made")
    assert cache.stats() == CacheStats(0, 0, tmp_path / "never-made")
    assert cache.clear() == 0
    assert cache.prune(0) == PruneResult(0, 0, 0, 0)
    assert not (tmp_path / "never-made").exists()


def test_unwritable_cache_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = ClipCache(blocker / "cache")
    with pytest.raises(CacheError) as err:
        cache.put(KEY, clip())
    assert str(blocker / "cache") in err.value.message
    assert err.value.message.endswith(": Not a directory")  # the hint goes on the next line:
    assert err.value.hint == "Choose another cache with --cache-dir or VOICEGUIDE_CACHE_DIR."
    assert err.value.exit_code == 1


def test_unreadable_entry_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ClipCache(tmp_path)
    cache.put(KEY, clip())
    real_open = os.open

    def refuse(path: object, *args: object, **kwargs: object) -> int:
        if str(path) == str(cache.path_for(KEY)):  # (as root, a mode of 000 would not stop it)
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(CacheError, match=r"cannot read.*Permission denied"):
        cache.get(KEY)


def test_cache_location_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path / "env"))
    assert default_cache_dir(tmp_path / "flag") == tmp_path / "flag"
    assert default_cache_dir(None) == tmp_path / "env"
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", "")
    repo = Path(__file__).resolve().parent.parent
    assert default_cache_dir() == repo / "audio_cache"  # running from this checkout


@pytest.mark.parametrize("layout", ["installed", "no-pyproject", "no-audio-cache"])
def test_outside_a_checkout_the_user_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    monkeypatch.delenv("VOICEGUIDE_CACHE_DIR", raising=False)
    package = tmp_path / "voiceguide"
    package.mkdir()
    if layout != "no-audio-cache":
        (tmp_path / "audio_cache").mkdir()
    if layout != "no-pyproject":
        (tmp_path / "pyproject.toml").write_text("")
    if layout == "installed":
        (tmp_path / "audio_cache").rmdir()
    monkeypatch.setattr(userdirs, "__file__", str(package / "userdirs.py"))  # where it looks
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("voiceguide"))
    (tmp_path / "audio_cache").mkdir(exist_ok=True)
    (tmp_path / "pyproject.toml").write_text("")
    assert default_cache_dir() == tmp_path / "audio_cache"  # the same layout, now a checkout


# ---- files planted in the cache ----------------------------------------------------------
@pytest.mark.parametrize(
    "planted", ["fifo", "symlink to /dev/zero", "symlink to a file", "directory", "directory with files"]
)
def test_a_planted_entry_is_never_followed_or_waited_on(tmp_path: Path, planted: str) -> None:
    cache = ClipCache(tmp_path / "cache")
    path = cache.path_for(KEY)
    path.parent.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    if planted == "fifo":
        os.mkfifo(path)
    elif planted == "symlink to /dev/zero":
        path.symlink_to("/dev/zero")
    elif planted == "symlink to a file":
        path.symlink_to(victim)
    else:  # a directory is a damaged entry like the rest (issue 23: export failed, "Is a directory")
        path.mkdir()
        if planted == "directory with files":
            (path / "inner").mkdir()
            (path / "inner" / "x.wav").write_bytes(b"RIFF")
            (path / "victim").symlink_to(victim)  # removed as a link, never followed
            (path / "folder").symlink_to(tmp_path, target_is_directory=True)
    started = time.monotonic()
    assert cache.get(KEY) is None  # not an entry: removed, to be made again
    assert time.monotonic() - started < 5
    assert not path.is_symlink() and not path.exists()
    assert cache.put(KEY, clip()) == clip()
    assert cache.get(KEY) == clip()
    assert victim.read_text() == "keep me"


def test_a_symlinked_shard_is_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache = ClipCache(tmp_path / "cache")
    cache.directory.mkdir()
    (cache.directory / KEY[:2]).symlink_to(elsewhere)
    cache.put(KEY, clip())
    assert list(elsewhere.iterdir()) == []
    assert cache.get(KEY) == clip()


def _read_only(directory: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with ``directory`` mounted read-only (a private mount namespace)."""
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(directory), *command],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", [["clear"], ["prune", "--max-size", "0"]])
def test_clear_and_prune_on_a_read_only_cache_fail_clearly(tmp_path: Path, command: list[str]) -> None:
    cache = ClipCache(tmp_path / "cache")
    cache.put(KEY, clip())
    if (
        subprocess.run(
            ["unshare", "-m", "mount", "--bind", str(tmp_path), str(tmp_path)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("no private mount namespace here (needs root)")
    voiceguide = Path(sys.executable).parent / "voiceguide"
    result = _read_only(
        cache.directory, str(voiceguide), "cache", *command, "--cache-dir", str(cache.directory)
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Read-only file system" in result.stderr and "removed" not in result.stdout
    assert cache.get(KEY) == clip()


def test_clear_reports_an_entry_it_cannot_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ClipCache(tmp_path)
    cache.put(KEY, clip())

    def refuse(path: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "unlink", refuse)  # the os module cache.py calls
    with pytest.raises(CacheError, match="Permission denied"):
        cache.clear()
