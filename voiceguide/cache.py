"""Content-addressed speech clips on disk.

Key = sha256 of (engine id, engine version, voice, rate, sample rate, normalized text,
format version). Entries are WAV files (``<dir>/<key[:2]>/<key>.wav``, playable as they
are) carrying a ``vgmd`` chunk with their metadata and the sha256 of their PCM, so a
corrupt or truncated entry is detected, deleted and re-made. Writes go to a temporary
file in the same directory and are renamed into place, so readers and concurrent
writers never see half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .clip import Clip
from .errors import CacheError
from .text import normalize
from .tts.base import SpeechEngine, VoiceSpec
from .wavfile import read_wav, wav_header

FORMAT_VERSION = 1
_META_CHUNK = b"vgmd"
_TEMP_PREFIX = ".tmp-"
_STALE_TEMP_S = 3600


@dataclass(frozen=True)
class CacheStats:
    directory: Path
    entries: int
    bytes: int


@dataclass(frozen=True)
class PruneResult:
    removed: int
    freed_bytes: int


def key_for(engine: SpeechEngine, text: str, voice: VoiceSpec) -> str:
    """The cache key of ``text`` spoken by ``engine`` with ``voice``."""
    identity = {
        "engine": engine.engine_id,
        "engine_version": engine.version,
        "voice": voice.name,
        "rate": voice.rate_wpm,
        "sample_rate": engine.sample_rate,
        "text": normalize(text),
        "format": FORMAT_VERSION,
    }
    canonical = json.dumps(identity, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def default_cache_dir(explicit: Path | None = None) -> Path:
    """``explicit`` > ``$VOICEGUIDE_CACHE_DIR`` > ``audio_cache/`` of a checkout > user cache dir."""
    if explicit is not None:
        return explicit
    env = os.environ.get("VOICEGUIDE_CACHE_DIR")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "audio_cache").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout / "audio_cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("voiceguide"))


class ClipCache:
    """Speech clips stored by key in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.wav"

    def get(self, key: str) -> Clip | None:
        """The clip for ``key``, or None when absent, corrupt or truncated (then deleted)."""
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheError(f"cannot read the speech cache at {path}: {exc.strerror}") from exc
        clip = _decode(data)
        if clip is None:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: pruned last
        return clip

    def put(self, key: str, clip: Clip, meta: dict[str, Any] | None = None) -> None:
        """Store ``clip`` under ``key`` atomically (safe with concurrent writers)."""
        path = self._path(key)
        payload = dict(meta or {})
        payload["pcm_sha256"] = hashlib.sha256(clip.pcm).hexdigest()
        header = wav_header(
            clip.n_samples,
            clip.sample_rate,
            extra_chunks=[(_META_CHUNK, json.dumps(payload, ensure_ascii=False).encode())],
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX, suffix=".wav")
        except OSError as exc:
            raise CacheError(
                f"cannot write to the speech cache {self.directory} ({exc.strerror}); "
                "choose another with --cache-dir or VOICEGUIDE_CACHE_DIR"
            ) from exc
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(clip.pcm)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def _entries(self) -> Iterator[Path]:
        if self.directory.is_dir():
            yield from (p for p in self.directory.glob("??/*.wav") if not p.name.startswith("."))

    def _stale_temps(self) -> Iterator[Path]:
        if self.directory.is_dir():
            cutoff = time.time() - _STALE_TEMP_S
            for temp in self.directory.glob(f"??/{_TEMP_PREFIX}*"):
                with contextlib.suppress(OSError):
                    if temp.stat().st_mtime < cutoff:
                        yield temp

    def stats(self) -> CacheStats:
        entries = 0
        size = 0
        for path in self._entries():
            with contextlib.suppress(OSError):
                size += path.stat().st_size
                entries += 1
        return CacheStats(self.directory, entries, size)

    def clear(self) -> int:
        """Remove every entry (and stale temporary files); return how many entries went."""
        removed = 0
        for path in list(self._entries()):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
        for temp in list(self._stale_temps()):
            with contextlib.suppress(OSError):
                temp.unlink()
        return removed

    def prune(self, max_bytes: int) -> PruneResult:
        """Remove least recently used entries until the cache is at most ``max_bytes``."""
        for temp in list(self._stale_temps()):
            with contextlib.suppress(OSError):
                temp.unlink()
        entries = []
        for path in self._entries():
            with contextlib.suppress(OSError):
                st = path.stat()
                entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in entries)
        removed = freed = 0
        for _, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= max_bytes:
                break
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
                freed += size
            total -= size
        return PruneResult(removed, freed)


def _decode(data: bytes) -> Clip | None:
    """A clip from entry bytes, or None if the entry is damaged in any way."""
    try:
        wav = read_wav(data)
        meta = json.loads(wav.chunks[_META_CHUNK])
    except (ValueError, KeyError):
        return None
    if hashlib.sha256(wav.pcm).hexdigest() != meta.get("pcm_sha256"):
        return None
    return Clip(wav.pcm, wav.sample_rate)
