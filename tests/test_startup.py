"""Instant start: the command line imports only what the command in hand needs, and
`list` reads titles from its index instead of loading every routine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceguide.routine.library import Entry, list_entries

HEAVY = (
    "numpy",
    "rich.progress",
    "rich.console",
    "pydub",
    "pyttsx3",
    "multiprocessing",
    "yaml",
    "voiceguide.session",
    "voiceguide.speech.synth",
    "voiceguide.timing.timeline",
    "starlette",
    "uvicorn",
    "segno",
    "voiceguide.serve.app",  # the server: only for serve/feed
    "cryptography",
    "voiceguide.serve.tls",
)  # its certificates: only for serve --https


def modules_after(code: str, tmp_path: Path) -> set[str]:
    """The modules a fresh interpreter has imported after running ``code``."""
    script = (
        f"import sys, io, contextlib\n{code}\nprint('\\n'.join(sorted(sys.modules)), file=sys.__stderr__)"
    )
    env = dict(
        os.environ,
        VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"),
        VOICEGUIDE_CONFIG_DIR=str(tmp_path / "config"),
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return set(result.stderr.split())


def test_importing_the_cli_imports_nothing_heavy(tmp_path: Path) -> None:
    loaded = modules_after("import voiceguide.cli", tmp_path)
    assert "voiceguide.cli.app" in loaded  # the probe works
    assert not loaded & set(HEAVY)


@pytest.mark.parametrize("args", [["--help"], ["export", "--help"], ["--version"], ["schema"]])
def test_help_and_version_import_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    code = (
        "from voiceguide.cli import run\nwith contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert run({args!r}) == 0"
    )
    assert not modules_after(code, tmp_path) & set(HEAVY)


#: the modules of the commands (the group lists them from app.COMMANDS without importing them)
COMMAND_MODULES = {
    "voiceguide.cli.library",
    "voiceguide.cli.listing",
    "voiceguide.cli.export",
    "voiceguide.cli.play",
    "voiceguide.cli.cache",
    "voiceguide.cli.misc",
    "voiceguide.cli.history",
    "voiceguide.cli.quick",
    "voiceguide.cli.serving",
    "voiceguide.cli.mixing",
}


@pytest.mark.parametrize(
    ("args", "needed"),
    [
        (["--help"], set()),
        (["list", "--help"], {"voiceguide.cli.listing"}),
        (["play", "--help"], {"voiceguide.cli.play", "voiceguide.cli.mixing"}),
    ],
)
def test_a_command_imports_only_its_own_module(tmp_path: Path, args: list[str], needed: set[str]) -> None:
    code = (
        "from voiceguide.cli import run\nwith contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert run({args!r}) == 0"
    )
    assert modules_after(code, tmp_path) & COMMAND_MODULES == needed


def test_a_second_list_reads_the_index_not_the_routines(tmp_path: Path) -> None:
    code = (
        "from voiceguide.cli import run\nwith contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert run(['list']) == 0"
    )
    first = modules_after(code, tmp_path)
    assert "yaml" in first  # the index was made
    second = modules_after(code, tmp_path)
    assert "yaml" not in second and not second & set(HEAVY)


def test_the_index_follows_changes_and_survives_damage(tmp_path: Path) -> None:
    routine = tmp_path / "r.yaml"
    routine.write_text("title: First\nsteps: [{say: Go., hold: 2s}]\n")
    index = tmp_path / "index.json"
    assert list_entries([("r", routine)], index) == [Entry("r", routine, "First", "")]
    assert json.loads(index.read_text())["entries"][str(routine)]["title"] == "First"
    routine.write_text("title: Second, longer\nsteps: [{say: Go., hold: 2s}]\n")  # size changes
    assert list_entries([("r", routine)], index)[0].title == "Second, longer"
    index.write_text("{not json")
    assert list_entries([("r", routine)], index)[0].title == "Second, longer"
    routine.write_text("title: [broken\n")
    broken = list_entries([("r", routine)], index)[0]
    assert broken.problem and "r.yaml" in broken.problem


def test_an_index_entry_is_used_only_while_the_file_is_unchanged(tmp_path: Path) -> None:
    routine = tmp_path / "r.yaml"
    routine.write_text("title: Real\nsteps: [{say: Go., hold: 2s}]\n")
    index = tmp_path / "index.json"
    list_entries([("r", routine)], index)
    data = json.loads(index.read_text())
    data["entries"][str(routine)]["title"] = "From the index"
    index.write_text(json.dumps(data))
    assert list_entries([("r", routine)], index)[0].title == "From the index"  # it is read
    os.utime(routine, ns=(0, 0))
    assert list_entries([("r", routine)], index)[0].title == "Real"
