"""SIGTERM (what `kill` and `timeout` send) stops a run the way Ctrl-C does: one line,
exit 143, no temporary file left beside the output or in the cache. What a SIGKILL leaves
behind is removed by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from voiceguide.atomic import temp_name
from voiceguide.pcm.clip import Clip
from voiceguide.speech.cache import ClipCache

from .helpers.run import VOICEGUIDE, Runner

LONG = "title: Long\nsteps:\n" + "".join(f"  - {{say: Step {i}., hold: 30s}}\n" for i in range(400))


def leftovers(*directories: Path) -> list[Path]:
    """Temporary files (dot-names) anywhere under ``directories``."""
    found: list[Path] = []
    for directory in directories:
        found += [p for p in directory.rglob(".*") if p.is_file()]
    return found


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(VOICEGUIDE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def wait_for(condition: object, process: subprocess.Popen[str], what: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, f"{what}: the process ended first: {process.stderr.read()}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"{what}: never happened"
        time.sleep(0.01)


def environment(tmp_path: Path, engine: str = "fake") -> dict[str, str]:
    env = dict(
        os.environ,
        VOICEGUIDE_ENGINE=engine,
        VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"),
        VOICEGUIDE_CONFIG_DIR=str(tmp_path / "no-config"),
    )
    env.pop("VOICEGUIDE_DEBUG", None)
    return env


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["wav", "flac"])
@pytest.mark.parametrize("trial", range(3))
def test_sigterm_during_export_exits_143_with_one_line_and_no_partial_file(
    vg: Runner, tmp_path: Path, fmt: str, trial: int
) -> None:
    routine = tmp_path / "long.yaml"
    routine.write_text(LONG)
    assert vg("synthesize", str(routine), "--quiet").returncode == 0
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / f"long.{fmt}"
    process = start(["export", str(routine), "-o", str(out)], environment(tmp_path))
    wait_for(lambda: leftovers(out_dir), process, "writing")
    time.sleep(0.05 * trial)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert err.strip() == "terminated"
    assert not out.exists()
    assert leftovers(out_dir, tmp_path / "cache") == []


@pytest.mark.espeak
@pytest.mark.slow
@pytest.mark.parametrize("trial", range(3))
def test_sigterm_during_cold_synthesis_leaves_nothing_in_the_cache(tmp_path: Path, trial: int) -> None:
    routine = tmp_path / "many.yaml"
    steps = "".join(f"  - {{say: Sentence number {i} of the trial {trial}., hold: 1s}}\n" for i in range(300))
    routine.write_text(f"title: Many\nsteps:\n{steps}")
    cache = tmp_path / "cache"
    process = start(["synthesize", str(routine)], environment(tmp_path, "espeak-ng"))
    wait_for(lambda: len(list(cache.rglob("*.wav"))) > 20 + 10 * trial, process, "synthesizing")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert err.strip().endswith("terminated") and "Traceback" not in err
    assert leftovers(cache) == []
    assert ClipCache(cache).stats().entries > 0  # what was finished stays


def test_a_killed_writers_cache_temporary_file_is_removed_by_the_next_run(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    shard = cache.directory / "ab"
    shard.mkdir(parents=True)
    child = subprocess.Popen(["true"])  # a pid that no longer runs
    child.wait()
    entry = cache.path_for("ab" * 32)
    stale = shard / temp_name(entry, "x1y2").replace(f".{os.getpid()}.", f".{child.pid}.")
    stale.write_bytes(b"half a clip")
    ours = shard / temp_name(entry, "a1b2")  # a live writer's: kept
    ours.write_bytes(b"being written")
    unrelated = shard / ".tmp-old-style.wav"  # not ours to judge by pid: kept until it is old
    unrelated.write_bytes(b"?")
    cache.put("ab" * 31 + "cd", Clip(b"\x00\x01" * 10, 22050))
    assert not stale.exists()
    assert ours.exists() and unrelated.exists()


@pytest.mark.slow
def test_sigkill_leftovers_are_removed_by_the_next_export(vg: Runner, tmp_path: Path) -> None:
    routine = tmp_path / "long.yaml"
    routine.write_text(LONG)
    assert vg("synthesize", str(routine), "--quiet").returncode == 0
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "long.wav"
    process = start(["export", str(routine), "-o", str(out)], environment(tmp_path))
    wait_for(lambda: leftovers(out_dir), process, "writing")
    process.kill()
    process.wait()
    assert leftovers(out_dir)  # what SIGKILL leaves
    result = vg("export", str(routine), "-o", str(out_dir / "again.wav"))
    assert result.returncode == 0, result.stderr
    assert leftovers(out_dir) == []


def test_run_restores_the_signal_handlers_it_set() -> None:
    from voiceguide.cli import run

    before = signal.getsignal(signal.SIGTERM)
    assert run(["schema"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before
