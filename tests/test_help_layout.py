"""Help texts people can read (issue 14 item 9): the pacing options under their own
"Pacing" heading in every command that takes them, top-level summaries whole (never cut
with "..."), -v/--verbose in every help."""

from __future__ import annotations

import re

import pytest

from .helpers.run import Runner

PACING_COMMANDS = ["play", "export", "show", "synthesize", "validate", "pacing"]
PACING_OPTIONS = [
    "--preset",
    "--rate",
    "--hold-scale",
    "--rest-scale",
    "--breath",
    "--cycles",
    "--countdown",
    "--no-cues",
    "--voice",
    "--engine",
    "--duration",
    "--pacing",
]


def _sections(help_text: str) -> dict[str, str]:
    """Heading (a line ending in ':' at the left margin) → the text under it."""
    sections: dict[str, str] = {}
    current = ""
    for line in help_text.splitlines():
        if re.fullmatch(r"[A-Z][\w ]*:", line):
            current = line[:-1]
            sections[current] = ""
        elif current:
            sections[current] += line + "\n"
    return sections


def _options_in(section: str) -> set[str]:
    return set(re.findall(r"^\s{2}(?:-\w, )?(--[\w-]+)", section, re.M))


@pytest.mark.parametrize("command", PACING_COMMANDS)
def test_pacing_options_have_their_own_heading(vg_in_process: Runner, command: str) -> None:
    sections = _sections(vg_in_process(command, "--help", env={"COLUMNS": "100"}).stdout)
    assert "Pacing" in sections, sections.keys()
    assert _options_in(sections["Pacing"]) >= set(PACING_OPTIONS)
    assert not _options_in(sections["Options"]) & set(PACING_OPTIONS)
    assert "--help" in _options_in(sections["Options"])
    assert not re.search(r"^  [A-Z]+\b", sections["Options"], re.M)  # no argument listed


@pytest.mark.parametrize("columns", ["80", "60"])
def test_top_level_summaries_are_not_cut(vg_in_process: Runner, columns: str) -> None:
    out = vg_in_process("--help", env={"COLUMNS": columns}).stdout
    commands = _sections(out)["Commands"]
    assert "..." not in commands and "…" not in commands, commands
    from voiceguide.cli import cli
    from voiceguide.cli.group import all_commands

    for name, command in all_commands(cli).items():  # each summary is a whole sentence
        if not command.hidden:
            summary = command.get_short_help_str(limit=1000)
            assert summary.endswith((".", ")")), (name, summary)


def test_the_group_lists_each_command_as_its_own_help_says() -> None:
    """``voiceguide --help`` lists the commands from app.COMMANDS without importing them:
    each summary there must be the command's own, whole, and hidden alike."""
    from voiceguide.cli import cli
    from voiceguide.cli.app import COMMANDS
    from voiceguide.cli.group import all_commands

    commands = all_commands(cli)
    assert set(commands) == set(COMMANDS)
    for name, command in commands.items():
        assert command.hidden == COMMANDS[name].hidden, name
        if not command.hidden:
            assert COMMANDS[name].summary == command.get_short_help_str(limit=10_000), name


@pytest.mark.parametrize("command", [[], ["play"], ["list"], ["cache", "stats"]])
def test_verbose_is_in_every_help(vg_in_process: Runner, command: list[str]) -> None:
    assert re.search(r"-v, --verbose\s+\S", vg_in_process(*command, "--help").stdout)
