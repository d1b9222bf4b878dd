"""Faults during a streamed session (issue 22): a cold ``play`` or ``export -o -`` starts as
soon as its first clip is made while the scheduler's threads make the rest, so each fault
below strikes while synthesis is still running. Every test runs the real command line in a
subprocess (the failing engine through a small driver that patches the fake engine, then
calls ``voiceguide.cli.run``) and waits for events (a line printed, a file grown), never
for a fixed time.

1. Ctrl-C or SIGTERM: the resume lines, exit 130/143, no temporary file and no damaged
   entry in the cache, and synthesis stopped (the process does not wait for the rest).
2. A clip that fails to synthesize: one line naming its step, exit 1, nothing
   half-written (no output file; ``-o -`` into a file leaves it empty).
3. A disk that fills: the cache on a full tmpfs, the output on a full tmpfs, the output
   over RLIMIT_FSIZE: one clear line, exit 1, nothing half-written.
4. ``cache clear`` from another process, again and again, during a cold play: with the
   deterministic fake engine it still plays exactly the export's samples; with espeak-ng it
   finishes cleanly (exit 0) but is not sample-identical to an export made afterwards,
   since a clip made again after the clear may differ by a few samples (DESIGN, "Measured
   facts": espeak-ng's output varies with process state) and that export measures the new
   clips, while the play kept the timeline it measured first.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from voiceguide.pcm.wavfile import read_wav
from voiceguide.speech.cache import ClipCache

from .helpers.alsa import alsa_env, alsa_home
from .helpers.run import VOICEGUIDE, private_environment, wait_for_line

#: The real command line with the fake engine failing on one text (argv[1]) once the file
#: argv[2] exists (the test creates it when the session is under way; "-": at once); the
#: rest of argv is voiceguide's.
FAILING = """
import os, sys, time
from voiceguide.errors import EngineUnavailable
from voiceguide.speech.fake import FakeEngine
from voiceguide.cli import run

failing, gate = sys.argv[1:3]
speak = FakeEngine.synthesize

def synthesize(self, text, voice):
    if text == failing:
        deadline = time.monotonic() + 120
        while gate != "-" and not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.01)
        raise EngineUnavailable("the speech engine stopped working")
    return speak(self, text, voice)

FakeEngine.synthesize = synthesize
sys.exit(run(sys.argv[3:]))
"""
FAILING_TEXT = "This is sentence number 12 of a long cold session."
FAILED = 'voiceguide: error: the speech engine stopped working (speaking "Step 12")\n'


def routine(tmp_path: Path, steps: int, name: str = "many") -> Path:
    """A routine of ``steps`` distinct sentences ("Step N"), each followed by a 1 s hold."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        "title: Many\nsteps:\n"
        + "".join(
            f"  - {{name: Step {i}, say: This is sentence number {i} of a long cold session., hold: 1s}}\n"
            for i in range(steps)
        )
    )
    return path


def environment(tmp_path: Path, engine: str = "fake", **extra: str) -> dict[str, str]:
    """A private cache, config and history; ALSA into ``home/capture.raw`` (appended: a cold
    session plays as several streams)."""
    alsa = alsa_env(alsa_home(tmp_path, append=True))
    env = dict(os.environ) | private_environment(tmp_path, engine) | alsa
    env.pop("VOICEGUIDE_DEBUG", None)
    return env | extra


def captured(tmp_path: Path) -> bytes:
    capture = tmp_path / "home" / "capture.raw"
    return capture.read_bytes() if capture.exists() else b""


def start(
    args: list[str],
    env: dict[str, str],
    *,
    driver: str | None = None,
    stdout: int | IO[bytes] = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """``voiceguide ARGS`` (or ``python -c DRIVER ARGS``), Ctrl-C left to its default."""
    command = [sys.executable, "-c", driver, *args] if driver else [str(VOICEGUIDE), *args]
    return subprocess.Popen(
        command,
        env=env,
        text=True,
        stdout=stdout,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@dataclass(frozen=True)
class Ran:
    """How a run ended: standard output in bytes (it may be audio), standard error as text."""

    returncode: int
    stdout: bytes
    stderr: str


def run(
    args: list[str],
    env: dict[str, str],
    *,
    driver: str | None = None,
    stdout: int | IO[bytes] = subprocess.PIPE,
    limit_bytes: int | None = None,
) -> Ran:
    """Run to the end."""
    command = [sys.executable, "-c", driver, *args] if driver else [str(VOICEGUIDE), *args]

    def limited() -> None:  # a file it writes may grow to limit_bytes, no further
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    done = subprocess.run(
        command, env=env, stdout=stdout, stderr=subprocess.PIPE, timeout=300, preexec_fn=limited
    )
    return Ran(done.returncode, done.stdout or b"", done.stderr.decode(errors="replace"))


def wait_until(condition: object, process: subprocess.Popen[str], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, f"{what}: the process ended first"
        assert time.monotonic() < deadline, f"{what}: never happened"
        time.sleep(0.01)


def entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.wav")) if cache.exists() else []


def leftovers(*directories: Path) -> list[Path]:
    """Temporary files (dot-names: ``.<name>.<pid>.<token>.partial…``) under ``directories``."""
    return [p for d in directories if d.exists() for p in d.rglob(".*") if p.is_file()]


def recorded(history: Path) -> bool:
    """Whether the play history holds a session."""
    import sqlite3

    if not history.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{history}?mode=ro", uri=True, timeout=0)) as db:
            return bool(db.execute("SELECT count(*) FROM sessions").fetchone()[0])
    except sqlite3.Error:  # being created or written
        return False


def all_sound(cache: Path) -> bool:
    """Whether every entry reads back whole (a damaged one would be found and removed)."""
    clips = ClipCache(cache)
    return all(clips.get(path.stem) is not None for path in entries(cache))


def exported(routine_path: Path, env: dict[str, str], tmp_path: Path) -> bytes:
    out = tmp_path / "export.wav"
    result = run(["export", str(routine_path), "-o", str(out), "-q"], env)
    assert result.returncode == 0, result.stderr
    return read_wav(out).pcm


@contextlib.contextmanager
def full_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (root only: skipped elsewhere)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()[:120]}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


# ---- 1. Ctrl-C and SIGTERM ---------------------------------------------------------------------

STOPS = [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]


@pytest.mark.espeak
@pytest.mark.alsa
@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "word"), STOPS, ids=["ctrl-c", "sigterm"])
def test_a_signal_during_a_cold_play_leaves_the_resume_lines_and_a_sound_cache(
    tmp_path: Path, signum: int, code: int, word: str
) -> None:
    texts = 300
    path = routine(tmp_path, texts)
    cache = tmp_path / "cache"
    process = start(["play", str(path), "--lead-in", "0"], environment(tmp_path, "espeak-ng"))
    wait_for_line(process, "] Step")  # it plays
    made = len(entries(cache))
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)  # (a thread it waited on forever would time out)
    assert made < texts  # the signal came while synthesis was running
    assert process.returncode == code, err
    assert re.fullmatch(
        rf'\n?{word} in "Step \d+"\. To resume: \S*voiceguide play \S+ --lead-in 0 --from "Step \d+"\n'
        r"\(or: \S*voiceguide play --resume\)\n",
        err,
    ), err
    assert leftovers(cache) == []
    assert all_sound(cache)
    assert len(entries(cache)) < texts  # the rest was cancelled, not made before exiting


@pytest.mark.slow
def test_sigterm_while_piper_speaks_the_first_clips_exits_without_leftovers(tmp_path: Path) -> None:
    """The default engine, whose clips take longest: the clips being made when the signal
    comes are finished and stored whole (Scheduler.close at exit), then the process exits."""
    from voiceguide.speech.piper import PiperEngine

    if not PiperEngine.is_available():
        pytest.skip("piper is not installed here")
    path = routine(tmp_path, 60)
    cache = tmp_path / "cache"
    process = start(["play", str(path), "--lead-in", "0"], environment(tmp_path, "piper"))
    wait_for_line(process, "] Step")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    assert err.startswith("terminated in ")
    assert leftovers(cache) == []
    assert all_sound(cache)
    assert len(entries(cache)) < 60


@pytest.mark.slow
def test_ctrl_c_again_while_piper_finishes_its_clips_ends_at_once_without_a_crash(tmp_path: Path) -> None:
    """The second Ctrl-C comes while the process waits at exit for piper's clips: it ends
    then (exit 130), without a traceback from the exit hook or onnxruntime aborting
    ("terminate called without an active exception", SIGABRT) as it did."""
    from voiceguide.speech.piper import PiperEngine

    if not PiperEngine.is_available():
        pytest.skip("piper is not installed here")
    path = routine(tmp_path, 60)
    process = start(["play", str(path), "--lead-in", "0"], environment(tmp_path, "piper"))
    wait_for_line(process, "] Step")
    process.send_signal(signal.SIGINT)
    # the stopped session recorded in the history is the last thing before the exit hook,
    # where the process waits for the clips being made: then Ctrl-C again
    wait_until(lambda: recorded(tmp_path / "data" / "history.sqlite3"), process, "the history written")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "Exception ignored" not in err and "terminate" not in err, err
    assert all_sound(tmp_path / "cache")


@pytest.mark.espeak
@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "word"), STOPS, ids=["ctrl-c", "sigterm"])
def test_a_signal_during_a_streamed_export_to_a_file_leaves_it_empty(
    tmp_path: Path, signum: int, code: int, word: str
) -> None:
    """``export -o - > file``: the file is cut back to what it held before, as an export to
    a file leaves no partial file."""
    path = routine(tmp_path, 300)
    cache = tmp_path / "cache"
    out = tmp_path / "out.wav"
    with out.open("wb") as target:
        process = start(
            ["export", str(path), "-o", "-", "-q"], environment(tmp_path, "espeak-ng"), stdout=target
        )
        wait_until(lambda: out.stat().st_size > 100_000, process, "audio written")
        made = len(entries(cache))
        process.send_signal(signum)
        _, err = process.communicate(timeout=120)
    assert made < 300
    assert process.returncode == code, err
    assert err.lstrip("\n") == f"{word}\n"  # (after a ^C the terminal's line is ended first)
    assert out.stat().st_size == 0
    assert leftovers(cache) == [] and all_sound(cache)


# ---- 2. a clip that fails to synthesize --------------------------------------------------------


@pytest.mark.alsa
@pytest.mark.slow  # a play, then an export to compare
def test_a_clip_that_fails_mid_play_is_one_line_naming_its_step(tmp_path: Path) -> None:
    path, gate = routine(tmp_path, 16), tmp_path / "fail-now"
    env = environment(tmp_path)
    process = start([FAILING_TEXT, str(gate), "play", str(path), "--lead-in", "0"], env, driver=FAILING)
    wait_for_line(process, "] Step 1")  # it plays; then the clip of step 12 fails
    gate.touch()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert err == FAILED
    assert leftovers(tmp_path / "cache") == []
    heard = captured(tmp_path)
    assert heard and exported(path, env, tmp_path).startswith(heard)  # right until it stopped


def test_a_clip_that_fails_mid_export_to_a_redirected_standard_output(tmp_path: Path) -> None:
    """``-o - > file``: the file is left as it was (empty), as an export to a file leaves
    no partial file."""
    path, gate, out = routine(tmp_path, 16), tmp_path / "fail-now", tmp_path / "out.wav"
    with out.open("wb") as target:
        process = start(
            [FAILING_TEXT, str(gate), "export", str(path), "-o", "-", "-q"],
            environment(tmp_path),
            driver=FAILING,
            stdout=target,
        )
        wait_until(lambda: out.stat().st_size > 100_000, process, "audio written")
        gate.touch()
        _, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert err == FAILED
    assert out.stat().st_size == 0
    assert leftovers(tmp_path / "cache") == []


def test_a_clip_that_fails_mid_export_to_a_pipe(tmp_path: Path) -> None:
    """What was sent cannot be taken back: the exit status says the stream is incomplete."""
    path, gate = routine(tmp_path, 16), tmp_path / "fail-now"
    command = [sys.executable, "-c", FAILING, FAILING_TEXT, str(gate), "export", str(path), "-o", "-", "-q"]
    process = subprocess.Popen(
        command, env=environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    sent = b""
    deadline = time.monotonic() + 120
    while len(sent) < 100_000:  # it streams while the rest is made
        assert time.monotonic() < deadline and process.poll() is None, "nothing streamed"
        if select.select([process.stdout], [], [], 0.1)[0]:
            sent += os.read(process.stdout.fileno(), 1 << 16)
    gate.touch()
    rest, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert err.decode() == FAILED
    assert len(sent + rest) > 100_000
    assert leftovers(tmp_path / "cache") == []


def test_a_clip_that_fails_during_an_export_to_a_file_names_its_step(tmp_path: Path) -> None:
    path = routine(tmp_path, 16)
    out = tmp_path / "out" / "many.wav"
    out.parent.mkdir()
    result = run(
        [FAILING_TEXT, "-", "export", str(path), "-o", str(out), "-q"], environment(tmp_path), driver=FAILING
    )
    assert result.returncode == 1
    assert result.stderr == FAILED
    assert list(out.parent.iterdir()) == []
    assert leftovers(tmp_path / "cache") == []


# ---- 3. a disk that fills ----------------------------------------------------------------------

NO_SPACE = re.compile(
    r"voiceguide: error: cannot write to the speech cache \S+: No space left on device "
    r'\(speaking "Step \d+"\)\n'
    r"Free some space, or choose another cache with --cache-dir or "
    r"VOICEGUIDE_CACHE_DIR\.\n"
)


@pytest.mark.alsa
@pytest.mark.slow  # a play, then an export to compare
def test_a_cache_disk_that_fills_during_a_play(tmp_path: Path) -> None:
    path = routine(tmp_path, 16)
    with full_disk(tmp_path / "small", "400k") as small:
        env = environment(tmp_path, VOICEGUIDE_CACHE_DIR=str(small))
        result = run(["play", str(path), "--lead-in", "0", "--quiet"], env)
        assert leftovers(small) == [] and all_sound(small)
    assert result.returncode == 1
    assert NO_SPACE.fullmatch(result.stderr), result.stderr
    heard = captured(tmp_path)  # (nothing, if the disk filled before the first sound)
    assert exported(path, environment(tmp_path), tmp_path).startswith(heard)


@pytest.mark.parametrize("to", ["stdout", "file"])
def test_a_cache_disk_that_fills_during_an_export(tmp_path: Path, to: str) -> None:
    path = routine(tmp_path, 16)
    out = tmp_path / "out" / "many.wav"
    out.parent.mkdir()
    with full_disk(tmp_path / "small", "400k") as small:
        env = environment(tmp_path, VOICEGUIDE_CACHE_DIR=str(small))
        if to == "stdout":
            with out.open("wb") as target:
                result = run(["export", str(path), "-o", "-", "-q"], env, stdout=target)
        else:
            result = run(["export", str(path), "-o", str(out), "-q"], env)
        assert leftovers(small) == [] and all_sound(small)
    assert result.returncode == 1
    assert NO_SPACE.fullmatch(result.stderr), result.stderr
    assert [p.stat().st_size for p in out.parent.iterdir()] == ([0] if to == "stdout" else [])


@pytest.mark.ffmpeg
@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_an_output_disk_that_fills(tmp_path: Path, fmt: str) -> None:
    path = routine(tmp_path, 16)
    with full_disk(tmp_path / "small", "400k") as small:
        result = run(["export", str(path), "-o", str(small / f"many.{fmt}"), "-q"], environment(tmp_path))
        assert list(small.iterdir()) == []
    assert result.returncode == 1
    assert result.stderr == f"voiceguide: error: cannot write {small}/many.{fmt}: No space left on device\n"


@pytest.mark.ffmpeg
@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_an_output_file_over_the_file_size_limit(tmp_path: Path, fmt: str) -> None:
    path = routine(tmp_path, 16)
    env = environment(tmp_path)  # (each clip the cache stores is under the limit)
    out = tmp_path / "out" / f"many.{fmt}"
    out.parent.mkdir()
    result = run(["export", str(path), "-o", str(out), "-q"], env, limit_bytes=200_000)
    assert result.returncode == 1
    assert result.stderr == f"voiceguide: error: cannot write {out}: File too large\n"
    assert list(out.parent.iterdir()) == []


def test_an_export_to_standard_output_over_the_file_size_limit(tmp_path: Path) -> None:
    path = routine(tmp_path, 16)
    out = tmp_path / "out.wav"
    with out.open("wb") as target:
        result = run(
            ["export", str(path), "-o", "-", "-q"], environment(tmp_path), stdout=target, limit_bytes=200_000
        )
    assert result.returncode == 1
    assert result.stderr == "voiceguide: error: cannot write to standard output: File too large\n"
    assert out.stat().st_size == 0


# ---- 4. cache clear from another process -------------------------------------------------------


def _clear_while_playing(path: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], int]:
    """Play ``path`` cold while another process clears the cache again and again; the play's
    result and how many clears removed clips while it played."""
    process = start(["play", str(path), "--lead-in", "0"], env)
    wait_for_line(process, "] Step")
    removed = 0
    while process.poll() is None:
        cleared = run(["cache", "clear"], env)
        assert cleared.returncode == 0, cleared.stderr
        removed += not cleared.stdout.startswith(b"removed 0 ")
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), removed


@pytest.mark.alsa
@pytest.mark.slow
def test_cache_clear_during_a_cold_play_still_plays_the_export(tmp_path: Path) -> None:
    path = routine(tmp_path, 200)
    env = environment(tmp_path)
    played, removed = _clear_while_playing(path, env)
    assert played.returncode == 0, played.stderr
    assert "Session complete" in played.stdout
    assert removed >= 2  # cleared more than once while it played
    assert captured(tmp_path) == exported(path, env, tmp_path)
    assert leftovers(tmp_path / "cache") == []


@pytest.mark.espeak
@pytest.mark.alsa
@pytest.mark.slow
def test_cache_clear_during_a_cold_play_with_espeak_ng_finishes_cleanly(tmp_path: Path) -> None:
    path = routine(tmp_path, 80)
    env = environment(tmp_path, "espeak-ng")
    played, removed = _clear_while_playing(path, env)
    assert played.returncode == 0, played.stderr
    assert "Session complete" in played.stdout and played.stderr == ""
    assert removed >= 1
    heard, pcm = captured(tmp_path), exported(path, env, tmp_path)
    assert abs(len(heard) - len(pcm)) < 2 * 22050  # within a second: the same session, re-made clips
    assert leftovers(tmp_path / "cache") == []


def test_a_shard_removed_by_cache_clear_between_its_creation_and_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cache clear`` removes a shard it emptied; a writer that had just made it again
    writes anyway (it makes the shard once more)."""
    import voiceguide.speech.cache as cache_module
    from voiceguide.atomic import create_temp as create
    from voiceguide.pcm.clip import Clip

    cache = ClipCache(tmp_path / "cache")
    cleared: list[Path] = []

    def clear_first(target: Path, *args: object, **kwargs: object) -> Path:
        if not cleared:  # another process's clear: rmdir of the (still empty) shard
            cleared.append(target.parent)
            target.parent.rmdir()
        return create(target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module, "create_temp", clear_first)
    clip = Clip(b"\x01\x00" * 100, 22050)
    assert cache.put("ab" * 32, clip) == clip
    assert cleared and cache.get("ab" * 32) == clip
    assert leftovers(cache.directory) == []


def test_a_shard_removed_by_cache_clear_inside_the_writers_mkdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Path.mkdir(exist_ok=True)`` raises "File exists" when the directory its mkdir found
    is gone by the time it checks that it is one (``cache clear`` in another process,
    seen in CI): the writer makes the shard again and writes."""
    from voiceguide.pcm.clip import Clip

    cache = ClipCache(tmp_path / "cache")
    key = "cd" * 32
    shard = cache.path_for(key).parent
    shard.mkdir(parents=True)
    real_mkdir, cleared = os.mkdir, list[Path]()

    def cleared_in_between(path: object, *args: object, **kwargs: object) -> None:
        try:
            real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]
        except FileExistsError:
            if not cleared and Path(str(path)) == shard:
                cleared.append(shard)
                shard.rmdir()  # the clear, between mkdir and is_dir
            raise

    monkeypatch.setattr(os, "mkdir", cleared_in_between)
    clip = Clip(b"\x02\x00" * 100, 22050)
    assert cache.put(key, clip) == clip
    monkeypatch.undo()
    assert cleared and cache.get(key) == clip
    assert leftovers(cache.directory) == []


def test_at_exit_the_scheduler_waits_for_its_clips_being_made_its_timeout_in_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not ``timeout`` per thread: a process stopped while every thread is making a clip
    that never ends (a wedged engine) exits after ``timeout`` at most."""
    import threading
    from types import SimpleNamespace

    import voiceguide.speech.scheduler as scheduler_module
    from voiceguide.pcm.clip import Clip
    from voiceguide.speech.engine import VoiceSpec
    from voiceguide.speech.fake import FakeEngine

    gate, started = threading.Event(), threading.Semaphore(0)

    class Wedged(FakeEngine):
        def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
            started.release()
            assert gate.wait(60)
            return super().synthesize(text, voice)

    synthesis = scheduler_module.Scheduler(workers=2)
    request = synthesis.request(
        ["one", "two", "three"], Wedged, VoiceSpec(None, 160), ClipCache(tmp_path / "cache")
    )
    assert started.acquire(timeout=60) and started.acquire(timeout=60)  # both threads are in it
    now = [0.0]
    monkeypatch.setattr(scheduler_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    waited: list[float | None] = []
    for thread in synthesis._threads:

        def join(timeout: float | None = None) -> None:  # the thread never ends: time runs out
            waited.append(timeout)
            now[0] += timeout or 0.0

        monkeypatch.setattr(thread, "join", join)
    try:
        synthesis.close(timeout=10)
    finally:
        gate.set()
    assert waited == [10, 0]
    assert "three" not in request.known()  # dropped, not made ("one" and "two" finish now)


# ---- a full temporary folder: the player's buffer -----------------------------------------------


@pytest.mark.alsa
def test_a_full_temporary_folder_during_a_play_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """The sound being played is a sparse file in TMPDIR, read through memory maps; on a
    tmpfs, reading a hole allocates it, and with no room left that read was a SIGBUS in the
    sound library's thread (exit 135). Its ranges are reserved before they are written.
    Mostly silence: the speech written fits in the folder, the holes read do not."""
    path = tmp_path / "quiet.yaml"
    path.write_text(
        "title: Quiet\nsteps:\n  - {name: Reach, say: Reach up., hold: 30s}\n"
        "  - {name: Rest, say: And relax., hold: 30s}\n"
    )
    with full_disk(tmp_path / "tmp", "300k") as folder:
        env = environment(tmp_path, TMPDIR=str(folder))
        result = run(["play", str(path), "--lead-in", "0", "--quiet"], env)
    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        f"voiceguide: error: no room for the sound being played in {folder}: "
        "No space left on device\n"
        "Free some space there, or set TMPDIR to a folder with room "
        "(a 30-minute session takes about 80 MB).\n"
    )


@pytest.mark.alsa
@pytest.mark.slow  # a play, then an export to compare
def test_a_play_with_its_buffer_on_tmpfs_plays_the_export(tmp_path: Path) -> None:
    path = routine(tmp_path, 16)
    with full_disk(tmp_path / "tmp", "64m") as folder:  # room enough
        env = environment(tmp_path, TMPDIR=str(folder))
        result = run(["play", str(path), "--lead-in", "2", "--quiet"], env)
    assert result.returncode == 0, result.stderr
    heard, pcm = captured(tmp_path), exported(path, environment(tmp_path), tmp_path)
    assert heard[len(heard) - len(pcm) :] == pcm and len(heard) > len(pcm)  # the lead-in, then the session


@pytest.mark.parametrize("redirect", [">", ">>"])
def test_a_stream_that_fails_leaves_a_redirected_file_as_it_was(tmp_path: Path, redirect: str) -> None:
    """``> file`` and ``>> file`` (opened as a shell opens them: ``>>`` appends from offset
    0) alike: what the file held before the stream stays, no more."""
    from voiceguide.errors import EngineUnavailable
    from voiceguide.export.encode import export_stream

    def chunks() -> Iterator[bytes]:
        yield b"\x01\x02" * 5000
        raise EngineUnavailable("the speech engine stopped working")

    out = tmp_path / "out.wav"
    out.write_bytes(b"earlier audio")
    fd = os.open(out, os.O_WRONLY | (os.O_APPEND if redirect == ">>" else os.O_TRUNC))
    try:
        with pytest.raises(EngineUnavailable):
            export_stream(chunks(), None, 22050, fd, "wav")
    finally:
        os.close(fd)
    assert out.read_bytes() == (b"earlier audio" if redirect == ">>" else b"")
