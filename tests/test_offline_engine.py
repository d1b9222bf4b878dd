"""A warm cache needs no speech engine: with every clip cached, a session plays and
exports after the engine is gone; a text that is not cached says what to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceguide.errors import EngineUnavailable
from voiceguide.session import prepare
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.fake import FakeEngine
from voiceguide.speech.offline import EngineIdentity

from .helpers.routines import YAML_ROUTINE

#: Runs the CLI with the espeak-ng library made impossible to load, as on a machine without it.
WITHOUT_ESPEAK = """
import ctypes, sys
real = ctypes.CDLL.__init__
def refuse(self, name, *args, **kwargs):
    if name and "espeak" in str(name):
        raise OSError(f"{name}: cannot open shared object file")
    real(self, name, *args, **kwargs)
ctypes.CDLL.__init__ = refuse
from voiceguide.cli import run
sys.exit(run(sys.argv[1:]))
"""


def run_without_espeak(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"),
        VOICEGUIDE_ENGINE="espeak-ng",
        VOICEGUIDE_CONFIG_DIR=str(tmp_path / "no-config"),
    )
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_ESPEAK, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


@pytest.mark.espeak
def test_a_warm_cache_exports_without_espeak_ng(vg: object, tmp_path: Path) -> None:
    routine = tmp_path / "tiny.yaml"
    routine.write_text(YAML_ROUTINE)
    warm = tmp_path / "warm.wav"
    made = vg("export", str(routine), "-o", str(warm), engine="espeak-ng")  # type: ignore[operator]
    assert made.returncode == 0, made.stderr
    offline = run_without_espeak(tmp_path, "export", str(routine), "-o", str(tmp_path / "offline.wav"))
    assert offline.returncode == 0, offline.stderr
    assert (tmp_path / "offline.wav").read_bytes() == warm.read_bytes()

    routine.write_text(YAML_ROUTINE.replace("Done.", "A sentence never cached."))
    missing = run_without_espeak(tmp_path, "export", str(routine), "-o", str(tmp_path / "new.wav"))
    assert missing.returncode == 1
    assert "espeak-ng is not installed" in missing.stderr and "apt-get install espeak-ng" in missing.stderr
    assert "A sentence never cached" in missing.stderr
    assert "Traceback" not in missing.stderr and "internal error" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


@pytest.mark.espeak
def test_without_espeak_and_an_empty_cache_it_says_what_to_install(tmp_path: Path) -> None:
    routine = tmp_path / "tiny.yaml"
    routine.write_text(YAML_ROUTINE)
    result = run_without_espeak(tmp_path, "export", str(routine), "-o", str(tmp_path / "x.wav"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "voiceguide: error: espeak-ng is not installed: run `sudo apt-get install espeak-ng` (or bin/setup)"
    )


class Gone(FakeEngine):
    @classmethod
    def ensure_available(cls) -> None:
        raise EngineUnavailable("fake is gone")


def test_the_cache_records_each_engine_it_has_clips_of(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    assert cache.recorded_engine("fake") is None
    cache.remember_engine(FakeEngine(16000))
    assert cache.recorded_engine("fake") == EngineIdentity("fake", "1", 16000)
    (tmp_path / "engines" / "fake.json").write_text("{not json")
    assert cache.recorded_engine("fake") is None  # a damaged record is no record


def test_prepare_uses_the_recorded_identity_when_the_engine_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routine = tmp_path / "tiny.yaml"
    routine.write_text(YAML_ROUTINE)
    cache = ClipCache(tmp_path / "cache")
    monkeypatch.setenv("VOICEGUIDE_ENGINE", "fake")
    warm, _ = prepare(routine, None, cache)
    import voiceguide.speech.engines as engines

    monkeypatch.setattr(engines, "engine_class", lambda name=None: Gone)
    offline, _ = prepare(routine, None, cache)
    assert offline.timeline == warm.timeline
