"""The project's own checks, configured in pyproject.toml, are part of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .helpers.run import REPO

BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "voiceguide", "tests", "benchmarks"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_ruff_formatted() -> None:
    """One format for every file (``ruff format``, pyproject's line length): a diff is about
    what changed, never about layout."""
    result = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "voiceguide", "tests", "benchmarks"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_is_clean() -> None:
    """The package and its tests, both with pyproject's strict settings."""
    result = subprocess.run(
        [str(BIN / "mypy"), "voiceguide", "tests"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
