"""Every `voiceguide` example in README.md runs and succeeds, with the fake engine (piper
examples with piper when installed), `play` into an ALSA capture file. Setup, test and
benchmark lines are the README's own commands and are run elsewhere (CI, by hand).
The examples run in `bin/test`, not in the quick loop (`bin/test -m "not slow"`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers.alsa import alsa_env, alsa_home
from .helpers.run import REPO, VOICEGUIDE

README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if re.match(r"(bin/)?voiceguide ", command):
                commands.append(command)
    return commands


COMMANDS = readme_commands()
SCRIPTS = ["box-breathing.yaml", "4-7-8-breathing.yaml", "physiological-sigh.yaml"]


def test_the_readme_has_examples_of_every_command() -> None:
    used = {c.split()[1] for c in COMMANDS}
    assert used >= {"export", "play", "show", "list", "pacing", "voices", "synthesize", "cache"}


@pytest.mark.slow  # a shell, the program and ffmpeg: about 1 s an example, some much more
@pytest.mark.alsa
@pytest.mark.ffmpeg
@pytest.mark.parametrize("command", COMMANDS)
def test_readme_example_runs(command: str, tmp_path: Path, shared_cache: Path) -> None:
    if command.split()[1] == "serve":
        pytest.skip("a server runs until stopped: tests/test_serve.py starts and stops it")
    if "--engine piper" in command:
        from voiceguide.speech.piper import PiperEngine

        if not PiperEngine.is_available():
            pytest.skip("piper is not installed here")
    # `scripts/*.yaml`: three short routines of the repository's scripts/ (all sixteen
    # take half a minute to encode, and more routines test nothing more)
    (tmp_path / "scripts").mkdir()
    for name in SCRIPTS:
        shutil.copy(REPO / "scripts" / name, tmp_path / "scripts" / name)
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:d=3:r=22050",
            str(tmp_path / "rain.ogg"),
        ],
        check=True,
    )
    home = alsa_home(tmp_path)
    env = dict(
        os.environ,
        **alsa_env(home),
        VOICEGUIDE_ENGINE="fake",
        VOICEGUIDE_CACHE_DIR=str(shared_cache),  # each text is spoken once
        VOICEGUIDE_CONFIG_DIR=str(tmp_path / "config"),
    )
    env.pop("VOICEGUIDE_DEBUG", None)
    # the installed program stands in for bin/voiceguide (the same, after its setup check)
    line = re.sub(r"^(bin/)?voiceguide", str(VOICEGUIDE), command)
    result = subprocess.run(
        ["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    assert "Traceback" not in result.stderr
