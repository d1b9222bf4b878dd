"""Shared fixtures: running the real `voiceguide` console script."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

VOICEGUIDE = Path(sys.executable).parent / "voiceguide"  # the installed console script
REPO = Path(__file__).resolve().parent.parent

Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def vg(tmp_path: Path) -> Runner:
    """Run the real console script with a private cache; returns the CompletedProcess."""

    def run(
        *args: str,
        engine: str = "fake",
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        environment = dict(os.environ)
        environment.setdefault("VOICEGUIDE_CACHE_DIR", str(tmp_path / "cache"))
        # no user pacing file unless a test writes one
        environment.setdefault("VOICEGUIDE_CONFIG_DIR", str(tmp_path / "no-config"))
        environment["VOICEGUIDE_ENGINE"] = engine
        environment.pop("VOICEGUIDE_DEBUG", None)
        environment.update(env or {})
        return subprocess.run(
            [str(VOICEGUIDE), *args],
            capture_output=True,
            text=True,
            env=environment,
            cwd=cwd or tmp_path,
            timeout=timeout,
        )

    return run


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One speech cache for the real-engine tests of a session, so each text is spoken once."""
    return tmp_path_factory.mktemp("speech-cache")
