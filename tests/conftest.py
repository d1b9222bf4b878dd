"""Shared fixtures: running `voiceguide` in a subprocess (`vg`, the real console script) or in
this process (`vg_in_process`, the same entry point without the interpreter's start-up)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from .helpers.run import REPO, VOICEGUIDE, Runner, private_environment

__all__ = ["REPO", "VOICEGUIDE", "Runner", "private_environment"]  # older imports of these from conftest

# Started in the background by a shell without job control (`cmd &` in a script, `nohup`),
# this process and so every program it starts would ignore Ctrl-C, as such a shell asks;
# the tests send SIGINT to the programs they start (serve, export, play) and expect Ctrl-C's
# behaviour. A handler of our own is not inherited through exec: the programs start with
# SIGINT's default, as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# CI (CI=true) runs the property tests on a fixed sequence of examples, so a landing never
# depends on luck; everywhere else they explore new examples on every run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


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
        environment = dict(os.environ) | private_environment(tmp_path, engine)
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


@pytest.fixture
def vg_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Like `vg`, but `voiceguide.cli.run(argv)` in this process: the same parsing, error
    messages and exit codes, some 0.3-0.7 s quicker a call. Each call gets its own
    environment (the private cache and config, `engine`, then `env`), working directory
    (`cwd`, else tmp_path), standard input (`stdin`) and captured output; all are put back
    afterwards. Use `vg` where the process itself is the point: signals, `python -m`,
    audio on file descriptor 1 (`-o -`), warnings a library prints, a hang to time out."""
    from voiceguide.cli import run as run_voiceguide

    def run(
        *args: str,
        engine: str = "fake",
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stdin: str = "",
    ) -> subprocess.CompletedProcess[str]:
        out, err = _text_stream(), _text_stream()
        with monkeypatch.context() as patch:
            for name, value in (private_environment(tmp_path, engine) | (env or {})).items():
                patch.setenv(name, value)
            patch.delenv("VOICEGUIDE_DEBUG", raising=False)
            patch.chdir(cwd or tmp_path)
            patch.setattr(sys, "stdin", _text_stream(stdin.encode()))
            patch.setattr(sys, "stdout", out)
            patch.setattr(sys, "stderr", err)
            try:
                code = run_voiceguide(list(args))
            except SystemExit as exit_:  # run() returns its code; this only guards the fixture
                code = exit_.code if isinstance(exit_.code, int) else 1
        return subprocess.CompletedProcess(["voiceguide", *args], code, _text(out), _text(err))

    return run


def _text_stream(data: bytes = b"") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace")


def _text(stream: io.TextIOWrapper) -> str:
    if stream.closed:  # run() closes stderr when the reader of stdout went away
        return ""
    stream.flush()
    data: bytes = stream.buffer.getvalue()  # type: ignore[attr-defined]  # a BytesIO underneath
    return data.decode("utf-8", errors="replace")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One speech cache for the real-engine tests of a session, so each text is spoken once."""
    return tmp_path_factory.mktemp("speech-cache")
