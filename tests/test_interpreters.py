"""Python 3.11, 3.12 and 3.13 (bin/test runs the suite on each one it finds).

simpleaudio 1.0.4's C extension crashes (SIGSEGV, a shell's exit 139) when a buffer finishes
playing on Python 3.12 and later, and its project is archived; voiceguide depends on the
maintained fork simpleaudio-patched, which has the same import name. These tests play to the
end through real ALSA (into a capture file) and check the process exits 0."""

from __future__ import annotations

import importlib.metadata
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers.alsa import alsa_env, alsa_home
from .helpers.routines import YAML_ROUTINE as SHORT_ROUTINE
from .helpers.run import REPO, Runner

PYTHON = "Python {}.{}".format(*sys.version_info[:2])
CRASHED = f"crashed with SIGSEGV when playback finished on {PYTHON}: is simpleaudio 1.0.4 installed?"


def test_simpleaudio_comes_from_the_maintained_fork() -> None:
    # both installed would be the old one's files over the fork's (or half of each)
    assert importlib.metadata.packages_distributions().get("simpleaudio") == ["simpleaudio-patched"]


PLAY_THREE = """
import sys, simpleaudio
second = bytes(2 * 22050)  # 1 s of 16-bit mono silence
for _ in range(3):
    simpleaudio.play_buffer(memoryview(second), 1, 2, 22050).wait_done()
print("played")
"""


@pytest.mark.alsa
def test_simpleaudio_plays_buffers_to_the_end_and_the_process_exits_0(tmp_path: Path) -> None:
    home = alsa_home(tmp_path, append=True)  # one capture file for the three streams
    result = subprocess.run(
        [sys.executable, "-c", PLAY_THREE], env=alsa_env(home), capture_output=True, text=True, timeout=60
    )
    assert result.returncode != -signal.SIGSEGV, CRASHED
    assert result.returncode == 0 and result.stdout == "played\n", result.stderr
    assert (home / "capture.raw").stat().st_size == 3 * 2 * 22050


@pytest.mark.alsa
def test_play_to_the_end_exits_0_not_a_segfault(vg: Runner, tmp_path: Path) -> None:
    routine = tmp_path / "short.yaml"
    routine.write_text(SHORT_ROUTINE)
    home = alsa_home(tmp_path)
    result = vg("play", str(routine), "--lead-in", "1", env=alsa_env(home))
    assert result.returncode != -signal.SIGSEGV, CRASHED
    assert result.returncode == 0, result.stderr
    assert "Session complete" in result.stdout
    assert (home / "capture.raw").stat().st_size > 22050 * 2


@pytest.mark.slow
def test_bin_test_fails_when_pytest_collects_no_test() -> None:
    """pytest exits 5 on "no tests ran"; bin/test must not turn that into a pass."""
    result = subprocess.run(
        [str(REPO / "bin" / "test"), "tests/test_interpreters.py", "-k", "no_test_has_this_name"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "collected no tests" in result.stderr
