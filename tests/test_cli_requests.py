"""The command line's typed entry points (issue 26 item 2): `play` and `export` do their work
in `play_routine(PlayRequest)` and `export_routines(ExportRequest)`, and the quick sessions
(`breathe`, `timer`) call those functions directly instead of running click again."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from voiceguide.audio.mix import NO_MIX
from voiceguide.cli import export as export_cli
from voiceguide.cli import play as play_cli
from voiceguide.cli.export import ExportRequest, export_routines
from voiceguide.cli.play import PlayRequest
from voiceguide.errors import UsageError
from voiceguide.routine.model import BreathPattern

from .helpers.run import Runner


def test_breathe_plays_through_play_routine_with_the_pinned_pacing(
    vg_in_process: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked: list[PlayRequest] = []

    def play_routine(request: PlayRequest) -> int:
        assert click.get_current_context().info_name == "breathe"  # called, not run through click
        asked.append(request)
        return 0

    monkeypatch.setattr(play_cli, "play_routine", play_routine)
    done = vg_in_process(
        "breathe",
        "4-4",
        "--cycles",
        "2",
        "--rate",
        "130",
        "--lead-in",
        "0",
        "--background",
        "brown-noise",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    (request,) = asked
    assert Path(request.routine).parent.parent.name == "quick"  # the written routine, by path
    values = request.layers[0].values
    assert values.get("breath") == BreathPattern.parse("4-4") and values.get("cycles") == 2
    assert values.get("rate") == 130 and values.get("lead_in") == 0
    assert values.get("hold_scale") == 1.0  # pinned: no preset stretches what was asked for
    assert request.mix.background == "brown-noise" and request.mix.loudness_lufs == -16.0
    assert request.quiet and not request.big and request.from_step is None
    typed = " ".join(request.arguments)  # what play --resume replays
    assert "--breath=4-4" in typed and "--cycles 2" in typed and "--rate 130" in typed  # (a pin: one word)
    assert "--quiet" not in typed and "--minutes" not in typed


def test_timer_exports_through_export_routines(
    vg_in_process: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked: list[ExportRequest] = []

    def export_routines(request: ExportRequest) -> int:
        assert click.get_current_context().info_name == "timer"  # called, not run through click
        asked.append(request)
        return 0

    monkeypatch.setattr(export_cli, "export_routines", export_routines)
    done = vg_in_process("timer", "--rounds", "2", "--lead-in", "3", "-o", "out.wav")
    assert done.returncode == 0, done.stderr
    (request,) = asked
    assert request.output == "out.wav" and request.mix == NO_MIX and len(request.routines) == 1
    values = request.layers[0].values
    assert "lead_in" not in values  # an export has no lead-in
    assert values.get("countdown") == 3 and values.get("rest_scale") == 1.0


@pytest.mark.parametrize(
    ("request_", "refusal"),
    [
        (ExportRequest(("box-breathing",), NO_MIX), "either -o FILE"),
        (ExportRequest(("box-breathing",), NO_MIX, "out/", split=True, subtitles="vtt"), "--split"),
        (ExportRequest(("-", "-"), NO_MIX, "out/"), "only once"),
        (ExportRequest(("box-breathing",), NO_MIX, "-", as_json=True), "standard output"),
    ],
)
def test_export_routines_refuses_what_does_not_combine(request_: ExportRequest, refusal: str) -> None:
    with pytest.raises(UsageError, match=refusal):
        export_routines(request_)
