"""The serve page's JavaScript gets the same care as the Python: its unit tests
(tests/js/, `node --test`) and its JSDoc types (`tsc --noEmit` over tsconfig.json, and
tsconfig.sw.json for the service worker) run with the suite. Skipped, saying what to do,
only where Node or the pinned TypeScript (`bin/setup --test` runs `npm ci`) is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TSC = REPO / "node_modules" / ".bin" / "tsc"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Node 20 or later runs the page's unit tests)")
    return node


def test_the_page_unit_tests_pass() -> None:
    result = subprocess.run(
        [_node(), "--test", "tests/js/"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# pass " in result.stdout and "# fail 0" in result.stdout, result.stdout[-2000:]
    passed = int(result.stdout.rsplit("# pass ", 1)[1].split()[0])
    assert passed >= 40, f"only {passed} page unit tests ran"  # tests/js/ was found and read


@pytest.mark.slow
@pytest.mark.parametrize("config", ["tsconfig.json", "tsconfig.sw.json"])
def test_the_page_type_checks(config: str) -> None:
    _node()
    if not TSC.exists():
        pytest.skip("TypeScript is not installed: bin/setup --test runs npm ci (package-lock.json)")
    result = subprocess.run(
        [str(TSC), "--noEmit", "-p", config], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
