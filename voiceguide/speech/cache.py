"""Content-addressed speech clips on disk.

Key = sha256 of a canonical JSON of (engine id, engine version, voice, rate, sample rate,
normalized text, format version). Entries are WAV files, ``<dir>/<key[:2]>/<key>.wav``,
playable as they are, carrying a ``vgmd`` chunk with their metadata and the sha256 of
their PCM, so a corrupt or truncated entry is detected, deleted and re-made. Writes go to
a temporary file in the same directory, are fsynced and renamed into place, so readers
and concurrent writers (other processes included) never see half an entry. A read
touches the entry's mtime, which :meth:`ClipCache.prune` uses as "last used".
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..atomic import create_temp, link_into_place, remove_stale_temps
from ..errors import CacheError
from ..pcm.clip import Clip
from ..pcm.level import LEVELLING
from ..pcm.wavfile import read_wav, wav_header
from ..routine.text import normalize
from ..userdirs import CACHE_DIR_VARIABLE
from ..userdirs import default_cache_dir as default_cache_dir  # named here too, as before
from .engine import SpeechEngine, VoiceSpec
from .offline import EngineIdentity

#: 2: compact canonical JSON keys, the key stored in each entry; 3: levelled clips;
#: 4: onsets faded in (pcm.fade): an older entry is never reused with a click in it;
#: 5: rates as heard (speech.pace), piper's sentences apart, --loudness off under the ceiling;
#: 6: piper's rate table measured
FORMAT_VERSION = 6
ENV_VAR = CACHE_DIR_VARIABLE
_META_CHUNK = b"vgmd"
_TEMP_PREFIX = ".tmp-"  # temporary files before they carried their writer's pid
#: Largest entry read: far above any clip (10 minutes of 44.1 kHz speech is 53 MB)
MAX_ENTRY_BYTES = 256 << 20
_STALE_TEMP_S = 3600  # a temporary file this old belongs to a writer that died
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.wav")
_SHARD_NAME = re.compile(r"[0-9a-f]{2}")
_HINT = "Choose another cache with --cache-dir or VOICEGUIDE_CACHE_DIR."
_FULL_HINT = "Free some space, or choose another cache with --cache-dir or VOICEGUIDE_CACHE_DIR."
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # out of room: space, quota, file size limit


@dataclass(frozen=True)
class CacheStats:
    """How many entries the cache in ``directory`` holds and their total size in bytes
    (what ``voiceguide cache stats`` prints)."""

    entries: int
    bytes: int
    directory: Path


@dataclass(frozen=True)
class PruneResult:
    """What :meth:`ClipCache.prune` removed (entries, and their size in bytes) and what it
    left (entries, bytes)."""

    removed: int
    freed_bytes: int
    left: int
    left_bytes: int


def key_for(engine: SpeechEngine, text: str, voice: VoiceSpec) -> str:
    """The cache key (64 hex digits) of ``text`` spoken by ``engine`` with ``voice``."""
    identity = {
        "engine": engine.engine_id,
        "engine_version": engine.version,
        "voice": voice.name,
        "rate": voice.rate_wpm,
        "loudness": None if voice.loudness_lufs is None else [voice.loudness_lufs, LEVELLING],
        "sample_rate": engine.sample_rate,
        "text": normalize(text),
        "format": FORMAT_VERSION,
    }
    canonical = json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class ClipCache:
    """Speech clips stored by key in ``directory`` (created on the first write)."""

    key_for = staticmethod(key_for)

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._swept: set[Path] = set()  # shards made ready for writing by this object

    def path_for(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self.directory / key[:2] / f"{key}.wav"

    def get(self, key: str) -> Clip | None:
        """The clip for ``key``; None when absent, or damaged in any way (then deleted)."""
        stored = self.entry(key)
        return None if stored is None else stored[0]

    def entry(self, key: str) -> tuple[Clip, dict[str, object]] | None:
        """The clip for ``key`` and the metadata stored with it (see :meth:`put`); None when
        absent, or damaged in any way (then deleted). A read marks the entry recently used."""
        path = self.path_for(key)
        try:
            data = _read_entry(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheError(
                f"cannot read the speech cache entry {path}: {exc.strerror or exc}", hint=_HINT
            ) from exc
        decoded = None if data is None else _decode_entry(data, key)
        if decoded is None:
            _discard(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: pruned last
        return decoded

    def replace(self, key: str, clip: Clip, meta: Mapping[str, object] | None = None) -> None:
        """Store ``clip`` under ``key`` in place of what is there, atomically (a reader sees
        the old entry or the new one, never half). Only an explicit command does this
        (``synthesize --check``): :meth:`put` never replaces a sound entry."""
        self._write(key, clip, meta, replace=True)

    def put(self, key: str, clip: Clip, meta: Mapping[str, object] | None = None) -> Clip:
        """Store ``clip`` under ``key`` unless a sound entry is already there; return the
        clip the cache now holds for ``key`` (ours, or the one another writer settled first).

        The first entry written wins and is never replaced while it is sound: engines
        such as espeak-ng make a slightly different clip each time, and a session must
        render exactly the clips its timeline was measured from, even while other
        processes fill the same cache. ``meta`` (JSON-able: text, engine, voice, rate, …) is
        kept in the entry beside the key, the format version and the sha256 of the PCM.
        """
        settled = self._write(key, clip, meta, replace=False)
        return clip if settled is None else settled

    def _write(self, key: str, clip: Clip, meta: Mapping[str, object] | None, replace: bool) -> Clip | None:
        """Write the entry for ``key`` through a temporary file; with ``replace`` it takes
        the place of any entry, else the entry already there (returned) wins."""
        path = self.path_for(key)
        payload = {**(meta or {}), "key": key, "format": FORMAT_VERSION}
        payload["pcm_sha256"] = hashlib.sha256(clip.pcm).hexdigest()
        chunk = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        header = wav_header(clip.n_samples, clip.sample_rate, extra_chunks=[(_META_CHUNK, chunk)])
        named: list[Path] = []  # the temporary file, named before it exists (SIGTERM anywhere)
        try:
            temp = self._create_temp(path, named)
            with temp.open("wb") as f:
                f.write(header)
                f.write(clip.pcm)
                f.flush()
                os.fsync(f.fileno())
            if replace:
                os.replace(temp, path)
                settled = None
            else:
                settled = self._settle(temp, path, key)
        except OSError as exc:
            raise CacheError(
                f"cannot write to the speech cache {self.directory}: {exc.strerror or exc}",
                hint=_FULL_HINT if exc.errno in _FULL else _HINT,
            ) from exc
        finally:
            for temp in named:
                _remove(temp)
        return settled

    def _create_temp(self, path: Path, named: list[Path]) -> Path:
        """A new temporary file beside the entry ``path``, its shard made first; made again
        when ``cache clear`` in another process removed the shard it had just emptied
        (between our mkdir and our file, or inside our mkdir)."""
        tries = 3
        while True:
            try:
                self._make_shard(path.parent)
                return create_temp(path, 0o600, named)
            except (FileNotFoundError, FileExistsError):
                # FileExistsError: mkdir found the shard, which was gone again when
                # Path.mkdir checked that it is a directory
                tries -= 1
                if not tries:
                    raise

    def _settle(self, temp: Path, path: Path, key: str) -> Clip | None:
        """Make the finished file ``temp`` the entry at ``path`` unless a sound entry is
        there already; that entry, or None when ``temp`` became the entry."""
        for _ in range(3):
            if link_into_place(temp, path):  # never replaces
                return None
            existing = self.get(key)  # a damaged or planted file is removed here
            if existing is not None:
                return existing
        os.replace(temp, path)  # something keeps appearing there and is not an entry
        return None

    def _make_shard(self, shard: Path) -> None:
        """Create the subdirectory ``shard``; a symlink planted there is removed first, so
        entries are never written into another directory. The first write into a shard
        removes what writers killed there left behind."""
        if shard.is_symlink():
            shard.unlink()
        shard.mkdir(parents=True, exist_ok=True)  # again each time: `cache clear` elsewhere
        if shard not in self._swept:
            remove_stale_temps(shard)
            self._swept.add(shard)

    # ---- engines ------------------------------------------------------------------------------
    def _engine_record(self, engine_id: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", engine_id)[:64] or "_"
        return self.directory / "engines" / f"{safe}.json"

    def remember_engine(self, engine: SpeechEngine) -> None:
        """Record ``engine``'s identity, so its cached clips can be found without it (see
        :mod:`voiceguide.speech.offline`). Best effort: a read-only cache records nothing."""
        identity = {
            "engine_id": engine.engine_id,
            "version": engine.version,
            "sample_rate": engine.sample_rate,
        }
        text = json.dumps(identity, sort_keys=True)
        path = self._engine_record(engine.engine_id)
        with contextlib.suppress(OSError):
            if _read_small(path) == text.encode():
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = create_temp(path, 0o600)
            try:
                temp.write_text(text, encoding="utf-8")
                os.replace(temp, path)
            finally:
                _remove(temp)

    def recorded_engine(self, engine_id: str) -> EngineIdentity | None:
        """The identity :meth:`remember_engine` recorded for ``engine_id``, if any."""
        try:
            data = json.loads(_read_small(self._engine_record(engine_id)) or b"null")
            identity = EngineIdentity(str(data["engine_id"]), str(data["version"]), int(data["sample_rate"]))
        except (ValueError, KeyError, TypeError):
            return None
        ok = identity.engine_id == engine_id and 8000 <= identity.sample_rate <= 192_000
        return identity if ok else None

    # ---- maintenance ------------------------------------------------------------------------
    def _shards(self) -> Iterator[Path]:
        try:
            children = list(self.directory.iterdir())
        except OSError:  # missing (nothing cached yet) or unreadable
            return
        yield from (p for p in children if _SHARD_NAME.fullmatch(p.name) and p.is_dir())

    def _entries(self) -> Iterator[tuple[Path, os.stat_result]]:
        """Every entry with its stat; never temporary files or anything not named like a key."""
        for shard in self._shards():
            for path in shard.iterdir():
                if _ENTRY_NAME.fullmatch(path.name):
                    with contextlib.suppress(OSError):  # removed meanwhile
                        yield path, path.stat()

    def _remove_stale_temps(self) -> None:
        """Remove what killed writers left: temporary files whose process is gone (see
        :func:`voiceguide.atomic.remove_stale_temps`), and old-style ``.tmp-*`` files
        (made before they carried a pid) an hour old."""
        cutoff = time.time() - _STALE_TEMP_S
        for shard in self._shards():
            remove_stale_temps(shard)
            for temp in shard.glob(f"{_TEMP_PREFIX}*"):
                with contextlib.suppress(OSError):
                    if temp.stat().st_mtime < cutoff:
                        temp.unlink()

    def stats(self) -> CacheStats:
        """Entries and their total size (temporary files are not counted)."""
        sizes = [st.st_size for _, st in self._entries()]
        return CacheStats(len(sizes), sum(sizes), self.directory)

    def clear(self) -> int:
        """Remove every entry, stale temporary files and emptied subdirectories; the number
        of entries removed. Files not named like entries are left alone."""
        removed = sum(self._delete(path) for path, _ in list(self._entries()))
        self._remove_stale_temps()
        for shard in list(self._shards()):
            with contextlib.suppress(OSError):
                shard.rmdir()  # only if empty
        return removed

    def prune(self, max_bytes: int) -> PruneResult:
        """Remove least recently used entries until the entries total at most ``max_bytes``."""
        self._remove_stale_temps()
        entries = sorted(self._entries(), key=lambda e: (e[1].st_mtime, e[0].name))
        total = sum(st.st_size for _, st in entries)
        removed = freed = 0
        left = len(entries)
        for path, st in entries:
            if total <= max_bytes:
                break
            if self._delete(path):
                removed += 1
                freed += st.st_size
            total -= st.st_size  # removed here or meanwhile: gone either way
            left -= 1
        return PruneResult(removed, freed, left, total)

    def _delete(self, path: Path) -> bool:
        """Delete the entry at ``path``; whether this call deleted it. Raises CacheError
        when the cache cannot be changed (read-only, not ours), rather than report
        nothing removed."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False  # removed meanwhile
        except OSError as exc:
            raise CacheError(
                f"cannot remove clips from the speech cache {self.directory}: {exc.strerror or exc}"
            ) from exc
        return True


def _discard(path: Path) -> None:
    """Remove what is at a damaged entry's ``path``, whatever it is: a file, a link, a FIFO,
    or a directory planted there (with what it holds; its links are not followed)."""
    try:
        path.unlink()
    except (IsADirectoryError, PermissionError):  # Linux says EISDIR, macOS EPERM
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
    except OSError:
        pass


def _remove(path: str | Path | None) -> bool:
    """Delete ``path`` if it exists; whether this call deleted it."""
    if path is None:
        return False
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


def _read_entry(path: Path) -> bytes | None:
    """The bytes of the entry at ``path``; None when it is not a regular file of at most
    :data:`MAX_ENTRY_BYTES` (a symlink, FIFO, device or directory planted in the cache is
    never followed, waited on, listed or read without end)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR):  # a symlink; a directory (some systems)
            return None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY_BYTES:  # a directory too
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(st.st_size + 1)  # (not MAX_ENTRY_BYTES: that reserved 256 MB a read)
    finally:
        os.close(fd)


def _read_small(path: Path, limit: int = 1 << 16) -> bytes | None:
    """The bytes of the regular file at ``path`` (at most ``limit``); None for anything else."""
    try:
        data = _read_entry(path)
    except OSError:
        return None
    return data if data is not None and len(data) <= limit else None


def _decode_entry(data: bytes, key: str) -> tuple[Clip, dict[str, object]] | None:
    """The clip in an entry's bytes and its metadata, or None if the entry is damaged or
    not ``key``'s."""
    try:
        wav = read_wav(data)
        meta = json.loads(wav.chunks[_META_CHUNK])
    except (ValueError, KeyError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None
    if not isinstance(meta, dict) or meta.get("key") != key:
        return None
    if hashlib.sha256(wav.pcm).hexdigest() != meta.get("pcm_sha256"):
        return None
    return Clip(wav.pcm, wav.sample_rate), meta
