"""The line `play` prints when it is stopped (q, Ctrl-C, "stop"): `To resume: voiceguide play
ROUTINE OPTIONS --from STEP`, the routine as given and the options it was played with, so
that the line, run as printed, plays the rest at the same pacing; a quick session's line is
`voiceguide play --resume` (breathe and timer take no --from, and their routine is a file in
the cache the user never wrote)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from voiceguide.audio.mix import NO_MIX
from voiceguide.cli.play import PlayRequest, resume_command
from voiceguide.pcm.wavfile import read_wav

from .helpers.alsa import alsa_env, alsa_home
from .helpers.players import make_player
from .helpers.routines import YAML_ROUTINE
from .helpers.run import VOICEGUIDE, Runner, private_environment
from .helpers.scripted import stop_after

OPTIONS = ("--preset", "gentle", "--rate", "170", "--hold-scale", "0.5", "--lead-in", "0")


def test_the_line_is_the_routine_as_given_with_the_options_given() -> None:
    player, _, _, _ = make_player()
    timeline = player.timeline
    request = PlayRequest("my stretch.yaml", NO_MIX, arguments=("--rate", "140", "--duration", "12m"))
    assert resume_command(request, timeline, 2, kept=True) == (
        'play "my stretch.yaml" --rate 140 --duration 12m --from "Knee to chest — right"'
    )


def test_a_title_that_names_an_earlier_chapter_is_given_by_its_number() -> None:
    player, _, _, _ = make_player()
    same = tuple(replace(c, title="Again", step="Again") for c in player.timeline.chapters)
    timeline = replace(player.timeline, chapters=same)
    request = PlayRequest("box-breathing", NO_MIX)
    assert resume_command(request, timeline, 2, kept=True) == "play box-breathing --from 3"
    assert resume_command(request, timeline, 0, kept=True) == 'play box-breathing --from "Again"'


def test_a_quick_session_says_play_resume_unless_the_history_lost_it() -> None:
    player, _, _, _ = make_player()
    cached = "/home/u/.cache/voiceguide/quick/0123/breathe-box.yaml"
    request = PlayRequest(cached, NO_MIX, arguments=("--rate", "170"), resume_with=("play", "--resume"))
    assert resume_command(request, player.timeline, 1, kept=True) == "play --resume"
    # not in the history: --resume would carry on another session; the file still works
    assert resume_command(request, player.timeline, 1, kept=False) == (
        f'play {cached} --rate 170 --from "Knee to chest — left"'
    )


def _run_as_printed(stderr: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], bytes]:
    """The resume line of ``stderr``, run by a shell as a user would paste it, with
    `voiceguide` on PATH, the same cache, config and history, and ALSA's default device
    captured to a file: its result and the bytes it played."""
    [line] = [line for line in stderr.splitlines() if "To resume: " in line]
    command = line.split("To resume: ", 1)[1]
    assert command.startswith("voiceguide "), line  # (run in-process: the name on PATH)
    home = alsa_home(tmp_path)
    env = (
        dict(os.environ)
        | private_environment(tmp_path, "fake")
        | alsa_env(home)
        | {"PATH": f"{VOICEGUIDE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    )
    env.pop("VOICEGUIDE_DEBUG", None)
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    return result, (home / "capture.raw").read_bytes()


@pytest.mark.alsa
@pytest.mark.slow
def test_the_printed_line_resumes_at_the_same_pacing(
    vg_in_process: Runner, vg: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "tiny.yaml").write_text(YAML_ROUTINE.replace("hold: 3s", "hold: 30s"))
    pacing = OPTIONS[:-2]  # (export has no lead-in)
    assert vg("export", "tiny.yaml", "-o", "whole.wav", *pacing).returncode == 0  # (and a warm cache:
    stop_after(monkeypatch, ["n", "n", "q"])  # the steps are known at once) stopped in the third
    stopped = vg_in_process("play", "tiny.yaml", *OPTIONS)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stderr.splitlines()[-2:] == [
        'stopped in "Knee to chest — right". To resume: voiceguide play tiny.yaml '
        + " ".join(OPTIONS)
        + ' --from "Knee to chest — right"',
        "(or: voiceguide play --resume)",
    ]
    resumed, heard = _run_as_printed(stopped.stderr, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    show = vg("show", "tiny.yaml", "--json", *pacing)
    start_ms = json.loads(show.stdout)["chapters"][2]["start_ms"]
    whole = read_wav(tmp_path / "whole.wav")
    assert heard == whole.pcm[2 * (start_ms * whole.sample_rate // 1000) :]  # that step on, same pacing
    plain = vg("export", "tiny.yaml", "-o", "plain.wav")  # (and the options matter)
    assert plain.returncode == 0 and read_wav(tmp_path / "plain.wav").pcm != whole.pcm


@pytest.mark.alsa
@pytest.mark.slow
def test_a_quick_session_s_printed_line_resumes_it(
    vg_in_process: Runner, vg: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    quick = ("breathe", "box", "--cycles", "3", "--rate", "170")
    assert vg(*quick, "-o", "whole.wav").returncode == 0  # what breathe asked for (a warm cache)
    stop_after(monkeypatch, ["n", "n", "q"])  # stopped in the third chapter
    stopped = vg_in_process(*quick, "--lead-in", "0")
    assert stopped.returncode == 0, stopped.stderr
    last = stopped.stderr.splitlines()[-1]
    assert last == 'stopped in "Box breathing (4-4-4-4)". To resume: voiceguide play --resume', stopped.stderr
    assert "quick/" not in stopped.stderr and "(or:" not in stopped.stderr  # not the file in the cache
    resumed, heard = _run_as_printed(stopped.stderr, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    whole = read_wav(tmp_path / "whole.wav").pcm
    assert 0 < len(heard) < len(whole) and whole.endswith(heard)  # the rest, at the same pacing
