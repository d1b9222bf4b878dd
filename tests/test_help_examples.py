"""Every example command in a `--help` text (every command, found by walking the CLI) and in
README.md's ```sh blocks runs and succeeds, in this process with the fake engine against
the bundled routines (issue 14 item 3). `voiceguide` (or `bin/voiceguide`) becomes the
runner; outputs go to the test's folder. The only lines left out are listed in SKIPPED,
each with its reason; the real program runs README's examples in a shell in
tests/test_readme.py (slow)."""

from __future__ import annotations

import glob
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from voiceguide.cli.group import all_commands

from .helpers.run import REPO, VOICEGUIDE, Runner, private_environment

README = (REPO / "README.md").read_text(encoding="utf-8")

#: (what a line starts with, why it is not run here); every skip must be listed here
SKIPPED: tuple[tuple[str, str], ...] = (
    (
        "voiceguide play",
        "needs an audio device and plays in real time; README's play lines run "
        "in tests/test_readme.py with an ALSA capture file",
    ),
    # quick sessions without -o play (tests/test_quick_sessions.py plays one into ALSA)
    ("voiceguide breathe 4-7-8 --minutes 5 ", "plays, as `voiceguide play` does"),
    ("voiceguide breathe 4-7-8     ", "plays, as `voiceguide play` does"),
    ('voiceguide timer --hold 30s --rest 10s --rounds 8 --say "Next" ', "plays, as `voiceguide play` does"),
    (
        "voiceguide serve",
        "a server runs until it is stopped; tests/test_serve.py starts it on a free "
        "port and stops it with Ctrl-C",
    ),
    (
        "voiceguide synthesize box-breathing --check",
        "hears every take with Whisper (tests run with VOICEGUIDE_HEARING=off); "
        "tests/test_takes.py runs synthesize --check with a scripted listener",
    ),
)


def _help_commands(command: click.Command, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    found = [path]
    if isinstance(command, click.Group):
        for name, sub in all_commands(command).items():
            if not sub.hidden:
                found += _help_commands(sub, (*path, name))
    return found


def help_examples() -> list[tuple[str, str]]:
    """(where, example) for every example line of every command's --help."""
    from voiceguide.cli import cli

    examples = []
    for path in _help_commands(cli, ()):
        command: click.Command = cli
        ctx = click.Context(cli, info_name="voiceguide")
        for name in path:
            assert isinstance(command, click.Group)
            command = all_commands(command)[name]
            ctx = click.Context(command, info_name=name, parent=ctx)
        in_examples = False
        for line in command.get_help(ctx).splitlines():
            text = line.strip()
            if re.fullmatch(r"Examples?:", text):
                in_examples = True
            elif not text:
                in_examples = False
            elif in_examples and text.startswith("voiceguide "):
                examples.append((" ".join(("voiceguide", *path, "--help")), text))
    return examples


def readme_examples() -> list[tuple[str, str]]:
    examples = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.splitlines():
            text = line.strip()
            if re.match(r"(bin/)?voiceguide ", text):
                examples.append(("README.md", text))
    return examples


EXAMPLES = help_examples() + readme_examples()
_SLOW = re.compile(
    r"voiceguide (export|feed|list .*--(markdown|max|lengths|preset|sort length))"
    r"|--engine piper"
    r"| -o \S+\.(mp3|ogg|opus|m4a|m4b|flac)\b|--format (mp3|ogg|opus|m4a|m4b|flac)"
)


def _cases() -> list[object]:
    """The examples as test cases; encoding audio (export, feed, a quick session's -o to a
    compressed file) or measuring every routine takes 2-40 s, so those are marked slow
    (the quick loop runs the rest)."""
    return [
        pytest.param(
            where, line, id=f"{where}: {line}", marks=[pytest.mark.slow] if _SLOW.search(line) else []
        )
        for where, line in EXAMPLES
    ]


def test_examples_are_found_in_every_help_and_the_readme() -> None:
    from voiceguide.cli import cli

    helps = {where for where, _ in EXAMPLES if where != "README.md"}
    commands = {" ".join(("voiceguide", *p, "--help")) for p in _help_commands(cli, ())}
    assert helps == commands  # every help shows at least one example
    assert len([w for w in EXAMPLES if w[0] == "README.md"]) > 20


def _skip_reason(line: str) -> str | None:
    for start, reason in SKIPPED:
        if re.sub(r"^bin/", "", line).startswith(start):
            return reason
    return None


def _prepare_files(folder: Path) -> None:
    """What the examples name: my.yaml, my-routine.yaml, scripts/*.yaml, rain.ogg,
    slow-days.yaml (copies of small bundled routines and a pacing file)."""
    small = REPO / "scripts" / "physiological-sigh.yaml"
    for name in ("my.yaml", "my-routine.yaml", "routine.yaml"):
        shutil.copy(small, folder / name)
    (folder / "scripts").mkdir()
    for name in ("box-breathing.yaml", "physiological-sigh.yaml"):
        shutil.copy(REPO / "scripts" / name, folder / "scripts" / name)
    (folder / "slow-days.yaml").write_text("preset: gentle\nrate: 130\n", encoding="utf-8")


def _rain(folder: Path) -> None:
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:d=2:r=22050",
            str(folder / "rain.ogg"),
        ],
        check=True,
    )


def _arguments(line: str, folder: Path) -> tuple[list[str], str | None, str | None]:
    """(arguments after `voiceguide`, file for standard output, file for standard input):
    the comment and a pipe's reader dropped, globs expanded in ``folder``."""
    words = shlex.split(line, comments=True)
    if "|" in words:
        words = words[: words.index("|")]
    stdout = stdin = None
    args: list[str] = []
    iterator = iter(words[1:])
    for word in iterator:
        if word == ">":
            stdout = next(iterator)
        elif word == "<":
            stdin = next(iterator)
        elif any(c in word for c in "*?["):
            args += sorted(str(Path(p)) for p in glob.glob(word, root_dir=folder)) or [word]
        else:
            args.append(word)
    return args, stdout, stdin


@pytest.mark.ffmpeg
@pytest.mark.parametrize(("where", "line"), _cases())
def test_example_runs(
    where: str, line: str, vg_in_process: Runner, tmp_path: Path, shared_cache: Path
) -> None:
    reason = _skip_reason(line)
    if reason is not None:
        pytest.skip(reason)
    if "--engine piper" in line or "--neural" in line:
        from voiceguide.speech.piper import PiperEngine

        if not PiperEngine.is_available():
            pytest.skip("piper is not installed here (the optional natural voice)")
    _prepare_files(tmp_path)
    if "rain.ogg" in line:
        _rain(tmp_path)
    args, stdout, stdin = _arguments(line, tmp_path)
    if stdin is not None or args[args.index("-o") + 1 if "-o" in args else 0] == "-":
        # standard input, or audio on file descriptor 1: the real program, with files
        with (
            open(tmp_path / (stdout or "stream.out"), "wb") as out,
            open(tmp_path / stdin if stdin else "/dev/null", "rb") as into,
        ):
            result = subprocess.run(
                [str(VOICEGUIDE), *args],
                stdin=into,
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
                cwd=tmp_path,
                timeout=120,
                env={
                    **private_environment(tmp_path, "fake"),
                    "VOICEGUIDE_CACHE_DIR": str(shared_cache),
                    "HOME": str(tmp_path),
                    "PATH": "/usr/bin:/bin",
                },
            )
        assert result.returncode == 0, f"{where}: {line}\n{result.stderr}"
        return
    result = vg_in_process(
        *args, env={"VOICEGUIDE_CACHE_DIR": str(shared_cache), "HOME": str(tmp_path)}
    )  # install-shell links there
    assert result.returncode == 0, f"{where}: {line}\n{result.stderr}"
    assert "Traceback" not in result.stderr and "error" not in result.stderr.lower()
    if stdout is not None:
        (tmp_path / stdout).write_text(result.stdout, encoding="utf-8")
    if "--json" in args:
        json.loads(result.stdout)
