"""The default speech engine is the clear one (issue 13, intelligibility): piper with its bundled
voice when installed, else espeak-ng with a one-line note that says how to get piper. What
`voiceguide pacing --json` reports as the engine is what play and export speak with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voiceguide.speech import engines
from voiceguide.speech.piper import PiperEngine

from .helpers.run import Runner

installed = pytest.mark.skipif(
    not PiperEngine.is_available(),
    reason="piper is not installed here (bin/setup installs it; pip install 'voiceguide[neural]')",
)
ONE_CUE = "title: T\nsteps: [{say: Go., hold: 1s}]\n"


@pytest.fixture
def no_piper(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine where piper or its voice could not be installed."""
    monkeypatch.setattr(PiperEngine, "is_available", staticmethod(lambda: False))


def engine_in_pacing(vg_in_process: Runner, tmp_path: Path, *args: str) -> tuple[str, str]:
    """(engine, where it came from) as `voiceguide pacing --json` reports them, with no
    $VOICEGUIDE_ENGINE (the fixture's engine="" leaves it empty, which means unset)."""
    (tmp_path / "r.yaml").write_text(ONE_CUE)
    result = vg_in_process("pacing", "r.yaml", "--json", *args, engine="")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    return doc["pacing"]["engine"], doc["sources"]["engine"]


@installed
def test_the_default_engine_is_piper_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICEGUIDE_ENGINE", raising=False)
    assert engines.default_engine_name() == ("piper", "default")
    assert engines.engine_class() is PiperEngine


def test_without_piper_the_default_falls_back_to_espeak_ng_with_a_note(
    monkeypatch: pytest.MonkeyPatch, no_piper: None
) -> None:
    monkeypatch.delenv("VOICEGUIDE_ENGINE", raising=False)
    name, source = engines.default_engine_name()
    assert name == "espeak-ng"
    assert "piper is not installed" in source and "bin/setup" in source
    assert "\n" not in engines.FALLBACK_NOTE and "espeak-ng" in engines.FALLBACK_NOTE


def test_the_environment_still_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_ENGINE", "espeak-ng")
    assert engines.default_engine_name() == ("espeak-ng", "$VOICEGUIDE_ENGINE")


@installed
@pytest.mark.slow  # loads the piper voice for one cue
def test_pacing_reports_piper_as_the_default(vg_in_process: Runner, tmp_path: Path) -> None:
    assert engine_in_pacing(vg_in_process, tmp_path) == ("piper", "default")


def test_pacing_reports_the_fallback_and_why(vg_in_process: Runner, tmp_path: Path, no_piper: None) -> None:
    name, source = engine_in_pacing(vg_in_process, tmp_path)
    assert name == "espeak-ng"
    assert "piper is not installed" in source


def test_engine_option_keeps_espeak_ng_the_fast_engine(vg_in_process: Runner, tmp_path: Path) -> None:
    assert engine_in_pacing(vg_in_process, tmp_path, "--engine", "espeak-ng") == ("espeak-ng", "command line")


def test_voices_says_once_that_espeak_ng_stands_in(vg_in_process: Runner, no_piper: None) -> None:
    result = vg_in_process("voices", engine="")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"voiceguide: {engines.FALLBACK_NOTE}"
    assert result.stdout.startswith("espeak-ng")


@installed
def test_voices_lists_the_default_piper_first_without_a_note(vg_in_process: Runner) -> None:
    result = vg_in_process("voices", engine="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("piper") and "not installed" not in result.stderr


def test_help_names_piper_as_the_default(vg_in_process: Runner) -> None:
    shown = " ".join(vg_in_process("export", "--help").stdout.split())
    assert "piper (default" in shown and "espeak-ng" in shown
