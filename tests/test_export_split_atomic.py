"""`export --split` is all or nothing, like one file (issue 23 finding 9): stopped by SIGTERM,
Ctrl-C or a full disk after some chapters are finished, it leaves no part, no playlist and
no temporary file; complete, every part and the playlist are there."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from voiceguide.export import outputs

from .conftest import VOICEGUIDE

CHAPTERS = "title: Chapters\nsteps:\n" + "".join(
    f"  - {{name: Part {i}, say: Step {i}., hold: 40s}}\n" for i in range(24)
)


def environment(tmp_path: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        VOICEGUIDE_ENGINE="fake",
        VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"),
        VOICEGUIDE_CONFIG_DIR=str(tmp_path / "no-config"),
    )
    env.pop("VOICEGUIDE_DEBUG", None)
    return env


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_split_export_stopped_after_some_chapters_leaves_nothing(
    tmp_path: Path, sig: int, code: int
) -> None:
    routine = tmp_path / "chapters.yaml"
    routine.write_text(CHAPTERS)
    env = environment(tmp_path)
    assert (
        subprocess.run(
            [str(VOICEGUIDE), "synthesize", str(routine), "--quiet"],
            env=env,
            capture_output=True,
            timeout=120,
        ).returncode
        == 0
    )
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen(
        [str(VOICEGUIDE), "export", str(routine), "-o", str(out / "c.wav"), "--split"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while len(temporaries(out)) < 3:  # two chapters finished (kept aside), the third being written
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the export never got to its third chapter"
        time.sleep(0.01)
    process.send_signal(sig)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == []  # no part, no playlist, no temporary file


def test_a_full_disk_after_some_chapters_leaves_nothing(
    tmp_path: Path, vg_in_process: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    routine = tmp_path / "chapters.yaml"
    routine.write_text(CHAPTERS.replace("hold: 40s", "hold: 2s"))
    real = vars(outputs)["export_pcm"]  # the name outputs.py calls (imported there)
    parts: list[Path] = []

    def until_the_disk_is_full(*args: Any, **kwargs: Any) -> Any:
        parts.append(args[3])
        if len(parts) == 3:  # the third chapter: no space left
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    monkeypatch.setattr(outputs, "export_pcm", until_the_disk_is_full)
    out = tmp_path / "out"
    out.mkdir()
    result = vg_in_process("export", str(routine), "-o", str(out / "c.wav"), "--split")
    assert result.returncode == 1, result.stderr
    assert "No space left on device" in result.stderr
    assert len(parts) == 3
    assert sorted(p.name for p in out.iterdir()) == []


def test_a_complete_split_export_has_every_part_and_the_playlist(tmp_path: Path, vg_in_process: Any) -> None:
    routine = tmp_path / "chapters.yaml"
    routine.write_text(CHAPTERS.replace("hold: 40s", "hold: 2s"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "c 01 - Part 0.wav").write_bytes(b"old")  # replaced, as by one file
    result = vg_in_process("export", str(routine), "-o", str(out / "c.wav"), "--split")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"c {n:02d} - Part {n - 1}.wav" for n in range(1, 25)] + ["c.m3u"])
    assert (out / "c 01 - Part 0.wav").read_bytes()[:4] == b"RIFF"
    playlist = (out / "c.m3u").read_text()
    assert playlist.index("c 01 - Part 0.wav") < playlist.index("c 24 - Part 23.wav")
    assert oct((out / "c 02 - Part 1.wav").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def test_no_clobber_finds_a_part_that_appeared_meanwhile_and_leaves_nothing_of_its_own(
    tmp_path: Path, vg_in_process: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    routine = tmp_path / "chapters.yaml"
    routine.write_text(CHAPTERS.replace("hold: 40s", "hold: 2s"))
    out = tmp_path / "out"
    out.mkdir()
    real = vars(outputs)["export_pcm"]  # the name outputs.py calls (imported there)
    intruder = out / "c 24 - Part 23.wav"

    def and_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if "Part 23" in str(args[3]):
            intruder.write_bytes(b"someone else's")  # written while the export runs
        return real(*args, **kwargs)

    monkeypatch.setattr(outputs, "export_pcm", and_meanwhile)
    result = vg_in_process("export", str(routine), "-o", str(out / "c.wav"), "--split", "--no-clobber")
    assert result.returncode == 1, result.stderr
    assert "already exists" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [intruder.name]
    assert intruder.read_bytes() == b"someone else's"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
