"""Issue 12 item 2, "one place for each thing": the option choices come from the one
constant each, and the test engine ("fake") works but is never advertised."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from voiceguide.cli import cli
from voiceguide.export.formats import CHAPTER_FILE_FORMATS, FORMATS, SUBTITLE_FORMATS
from voiceguide.routine.schema import ENGINES

from .helpers.run import Runner


def choices(command: str, option: str) -> list[str]:
    """The choices click offers for ``option`` (its parameter name) of ``command``."""
    group = cli
    for name in command.split():
        found = group.get_command(click.Context(group), name)
        assert found is not None, name
        group = found  # type: ignore[assignment]
    param = next(p for p in group.params if p.name == option)
    assert isinstance(param.type, click.Choice)
    return list(param.type.choices)


def test_option_choices_are_the_constants() -> None:
    assert choices("export", "fmt") == list(FORMATS)
    assert choices("export", "subtitles") == list(SUBTITLE_FORMATS)
    assert choices("export", "chapters_file") == list(CHAPTER_FILE_FORMATS)
    for command in ("voices", "export", "play", "show", "pacing"):
        assert choices(command, "engine") == list(ENGINES), command


def test_formats_come_from_the_codec_table() -> None:
    from voiceguide.export.formats import CHAPTER_FORMATS, CODECS, STREAM_FORMATS

    assert ("wav", *CODECS) == FORMATS
    assert set(CHAPTER_FORMATS) <= set(FORMATS) and set(STREAM_FORMATS) <= set(FORMATS)


def test_the_test_engine_is_not_advertised(vg_in_process: Runner) -> None:
    assert "fake" not in ENGINES
    for args in (
        ["voices", "--help"],
        ["export", "--help"],
        ["play", "--help"],
        ["show", "--help"],
        ["pacing", "--help"],
    ):
        result = vg_in_process(*args)
        assert result.returncode == 0 and "espeak-ng" in result.stdout, args
        assert "fake" not in result.stdout, args
    published = vg_in_process("schema").stdout
    assert "piper" in published and "fake" not in published


@pytest.mark.espeak
def test_voices_does_not_list_the_test_engine(vg_in_process: Runner) -> None:
    listed = json.loads(vg_in_process("voices", "--json", engine="fake").stdout)
    assert listed and {v["engine"] for v in listed} <= set(ENGINES)
    assert "fake" not in vg_in_process("voices", engine="fake").stdout


def test_the_test_engine_is_still_accepted(vg_in_process: Runner, tmp_path: Path) -> None:
    result = vg_in_process("pacing", "box-breathing", "--engine", "fake", "--json", engine="espeak-ng")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pacing"]["engine"] == "fake"
    asked = vg_in_process("voices", "--engine", "fake", "--json")
    assert asked.returncode == 0 and json.loads(asked.stdout)[0]["engine"] == "fake"
    (tmp_path / "r.yaml").write_text("title: T\nvoice: {engine: fake}\nsteps: [{say: Go.}]\n")
    assert vg_in_process("validate", "r.yaml", "--no-speech").returncode == 0


def test_unknown_engines_are_told_the_advertised_ones(vg_in_process: Runner, tmp_path: Path) -> None:
    click_error = vg_in_process("show", "box-breathing", "--engine", "nope")
    assert click_error.returncode == 2 and "piper" in click_error.stderr
    from_env = vg_in_process("show", "box-breathing", engine="nope")
    assert from_env.returncode == 2 and "piper" in from_env.stderr
    (tmp_path / "r.yaml").write_text("title: T\nvoice: {engine: nope}\nsteps: [{say: Go.}]\n")
    from_routine = vg_in_process("validate", "r.yaml", "--no-speech")
    assert from_routine.returncode == 2 and "piper" in from_routine.stderr
    for result in (click_error, from_env, from_routine):
        assert "fake" not in result.stderr, result.stderr
