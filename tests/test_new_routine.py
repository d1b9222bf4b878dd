"""`voiceguide new NAME [--from ROUTINE]` and the user routines folder (issue 14 item 11): a
commented starter routine (or a copy of a bundled one) that the loader accepts, written
atomically, never over a file unless --force; bare names go into the user routines folder
($VOICEGUIDE_ROUTINES_DIR, else the config dir's routines/), whose routines `list` shows
with where each comes from and every command finds by name."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from voiceguide.errors import UsageError
from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.loader import parse_routine
from voiceguide.routine.starter import starter_text, title_from_name
from voiceguide.routine.user import ENV_VAR, new_routine_target, routine_source, user_routines_dir

from .helpers.run import Runner


def _folder(tmp_path: Path) -> Path:
    return tmp_path / "no-config" / "routines"  # VOICEGUIDE_CONFIG_DIR of the fixtures


# ---- the pure part ---------------------------------------------------------------------------


def test_the_starter_is_a_valid_commented_routine() -> None:
    text = starter_text("Morning stretch")
    routine, warnings = parse_routine(text.encode(), "new.yaml")
    assert routine.title == "Morning stretch" and warnings == ()
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 10  # it explains itself
    for key in ("hold:", "rest:", "breathe:", "cues:", "repeat:", "countdown:"):
        assert key in text  # shows the main keys to edit
    awkward = starter_text('Say "hi": #1 [pause 2s] {side}')
    assert parse_routine(awkward.encode(), "new.yaml")[0].title.startswith('Say "hi"')


def test_titles_from_names() -> None:
    assert title_from_name("morning-stretch") == "Morning stretch"
    assert title_from_name("my_neck routine") == "My neck routine"
    assert title_from_name("x") == "X"


def test_the_user_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("VOICEGUIDE_CONFIG_DIR", str(tmp_path / "config"))
    assert user_routines_dir() == tmp_path / "config" / "routines"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "mine"))
    assert user_routines_dir() == tmp_path / "mine"
    assert new_routine_target("neck") == tmp_path / "mine" / "neck.yaml"
    assert new_routine_target("neck.yaml") == Path("neck.yaml")  # a file name: here
    assert new_routine_target("sub/neck") == Path("sub/neck.yaml")
    assert new_routine_target("./neck.yml") == Path("neck.yml")
    for bad in ("", "  ", ".hidden", "-x", "a\0b", "x" * 300):
        with pytest.raises(UsageError):
            new_routine_target(bad)
    _, path = bundled_routines()[0]
    assert routine_source(path) == "bundled"
    assert routine_source(tmp_path / "mine" / "neck.yaml") == "user folder"
    assert routine_source(tmp_path / "elsewhere.yaml") == "file"


# ---- voiceguide new -----------------------------------------------------------------------


def test_new_writes_a_starter_into_the_user_folder(vg_in_process: Runner, tmp_path: Path) -> None:
    result = vg_in_process("new", "morning-stretch")
    assert result.returncode == 0, result.stderr
    target = _folder(tmp_path) / "morning-stretch.yaml"
    assert str(target) in result.stdout
    assert "voiceguide play morning-stretch" in result.stdout  # what to do next
    assert os.listdir(target.parent) == ["morning-stretch.yaml"]  # no temporary file left
    assert "title: Morning stretch" in target.read_text(encoding="utf-8")
    # playable (and everything else) by name, from any folder
    valid = vg_in_process("validate", "morning-stretch", cwd=target.parent.parent)
    assert valid.returncode == 0, valid.stderr
    shown = vg_in_process("show", "morning-stretch", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["title"] == "Morning stretch"
    exported = vg_in_process("export", "morning-stretch", "-o", "out/", "--format", "wav")
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "out" / "morning-stretch.wav").exists()


def test_new_at_a_path(vg_in_process: Runner, tmp_path: Path) -> None:
    result = vg_in_process("new", "drafts/neck.yaml")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "drafts" / "neck.yaml").is_file()
    assert not _folder(tmp_path).exists()
    assert "voiceguide play drafts/neck.yaml" in result.stdout


def test_new_never_replaces_a_file_unless_forced(vg_in_process: Runner, tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    target.write_text("title: Mine\nsteps: [{say: Hello}]\n")
    refused = vg_in_process("new", "mine.yaml")
    assert refused.returncode == 2
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert target.read_text() == "title: Mine\nsteps: [{say: Hello}]\n"
    forced = vg_in_process("new", "mine.yaml", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "title: Mine" in target.read_text() and "#" in target.read_text()
    assert "replaced" in forced.stdout
    folder = tmp_path / "a-folder.yaml"
    folder.mkdir()
    assert vg_in_process("new", "a-folder.yaml", "--force").returncode == 2


def test_new_from_a_bundled_routine_copies_it_with_its_comments(
    vg_in_process: Runner, tmp_path: Path
) -> None:
    result = vg_in_process("new", "my-box", "--from", "box-breathing")
    assert result.returncode == 0, result.stderr
    text = (_folder(tmp_path) / "my-box.yaml").read_text(encoding="utf-8")
    original = dict(bundled_routines())["box-breathing"].read_text(encoding="utf-8")
    assert "box-breathing" in text.splitlines()[0]  # says where it came from
    assert text.split("\n", 1)[1] == original.replace("title: Box breathing\n", "title: My box\n", 1)
    listed = json.loads(vg_in_process("list", "--json").stdout)
    mine = [row for row in listed if row["name"] == "my-box"]
    assert len(mine) == 1 and mine[0]["source"] == "user folder"
    assert mine[0]["title"] == "My box"  # a title of its own: not two "Box breathing" in the library
    assert [row["name"] for row in listed if row["title"] == "Box breathing"] == ["box-breathing"]
    assert {row["source"] for row in listed if row["name"] != "my-box"} == {"bundled"}
    unknown = vg_in_process("new", "x", "--from", "box-breathin")
    assert unknown.returncode == 2 and "box-breathing" in unknown.stderr  # did you mean


def test_list_shows_where_each_routine_comes_from(vg_in_process: Runner, tmp_path: Path) -> None:
    assert vg_in_process("new", "zz-mine").returncode == 0
    broken = _folder(tmp_path) / "zz-broken.yaml"
    broken.write_text("title: [\n")
    text = vg_in_process("list").stdout
    lines = text.splitlines()
    mine = lines.index(next(line for line in lines if line.startswith("zz-mine")))
    assert "user folder" in lines[mine + 1]
    assert any(line.startswith("zz-broken") and "invalid" in line for line in lines)
    assert re.search(r"\b[0-9]+:[0-9]{2} at its pacing\b", lines[mine + 1])  # measured: no band
    box = lines.index(next(line for line in lines if line.startswith("box-breathing")))
    assert "bundled" in lines[box + 1] and "min" in lines[box + 1]  # its stated band
    row = next(r for r in json.loads(vg_in_process("list", "--json").stdout) if r["name"] == "zz-mine")
    shown = json.loads(vg_in_process("show", "zz-mine", "--json").stdout)
    assert row["length_ms"] == shown["duration_ms"]  # the length at the default pacing, exactly


def test_a_routine_that_cannot_be_measured_is_listed_without_a_length(
    vg_in_process: Runner, tmp_path: Path
) -> None:
    assert vg_in_process("new", "zz-mine").returncode == 0
    config = tmp_path / "no-config"
    (config / "pacing.yaml").write_text("voice: no-such-voice-at-all\n")
    listed = vg_in_process("list", engine="espeak-ng")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    mine = lines.index(next(line for line in lines if line.startswith("zz-mine")))
    assert "at its pacing" not in lines[mine + 1] and "user folder" in lines[mine + 1]


def test_the_readme_table_is_the_bundled_library(
    vg_in_process: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from voiceguide.cli import listing as commands
    from voiceguide.routine.library import list_entries
    from voiceguide.routine.user import user_routines

    def measured(*args: object, **kwargs: object) -> list[object]:  # no speech: 4 min each
        return [
            replace(e, length_ms=240_000) for e in list_entries(bundled_routines() + user_routines(), None)
        ]

    monkeypatch.setattr(commands, "_library", measured)
    assert vg_in_process("new", "zz-mine").returncode == 0
    assert "zz-mine" in vg_in_process("list", "--json").stdout
    markdown = vg_in_process("list", "--markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert "zz-mine" not in markdown.stdout and "`box-breathing`" in markdown.stdout


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("evening", "Evening"),
        ("box-breathing.yaml", "Box breathing (copy)"),
        ("BOX_breathing", "Box breathing (copy)"),
    ],
)
def test_a_copy_is_titled_after_its_name_or_else_marked_a_copy(
    vg_in_process: Runner, tmp_path: Path, name: str, title: str
) -> None:
    """`new NAME --from R` (issue 25 item 10): the copy's title is made from NAME, as the
    starter's is; where that is the original's title, the original's marked "(copy)"."""
    assert vg_in_process("new", name, "--from", "box-breathing").returncode == 0
    path = tmp_path / name if name.endswith(".yaml") else _folder(tmp_path) / f"{name}.yaml"
    checked = json.loads(vg_in_process("validate", str(path), "--no-speech", "--json").stdout)
    assert checked[0]["valid"] and checked[0]["title"] == title


def test_new_will_not_hide_a_bundled_routine(vg_in_process: Runner, tmp_path: Path) -> None:
    """`new box-breathing` wrote a starter titled "Box breathing" that then stood in for the
    bundled routine everywhere (the page's editor refuses the name; so does new now)."""
    result = vg_in_process("new", "box-breathing")
    assert result.returncode == 2, result.stderr
    assert "'box-breathing' is a bundled routine" in result.stderr
    assert "new my-box-breathing --from box-breathing" in result.stderr
    assert not (_folder(tmp_path) / "box-breathing.yaml").exists()
    assert vg_in_process("new", "box-breathing", "--force").returncode == 2
    suggested = vg_in_process("new", "my-box-breathing", "--from", "box-breathing")
    assert suggested.returncode == 0, suggested.stderr


def test_a_user_routine_with_a_bundled_name_comes_first(vg_in_process: Runner, tmp_path: Path) -> None:
    # (put there by hand: `new` refuses the name)
    assert vg_in_process("new", "copy-of-4-7-8", "--from", "4-7-8-breathing").returncode == 0
    (_folder(tmp_path) / "copy-of-4-7-8.yaml").rename(_folder(tmp_path) / "box-breathing.yaml")
    mine = json.loads(vg_in_process("validate", "box-breathing", "--no-speech", "--json").stdout)
    assert mine[0]["path"] == str(_folder(tmp_path) / "box-breathing.yaml")
    explicit = vg_in_process(
        "validate",
        "scripts/box-breathing.yaml",
        "--no-speech",
        "--json",
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert json.loads(explicit.stdout)[0]["title"] == "Box breathing"


def test_the_routines_folder_can_be_moved(vg_in_process: Runner, tmp_path: Path) -> None:
    env = {ENV_VAR: str(tmp_path / "elsewhere")}
    assert vg_in_process("new", "moved", env=env).returncode == 0
    assert (tmp_path / "elsewhere" / "moved.yaml").is_file()
    assert vg_in_process("show", "moved", env=env).returncode == 0
    missing = vg_in_process("show", "moved")
    assert missing.returncode == 2 and "no routine named" in missing.stderr


@pytest.mark.parametrize("name", ["", ".x", "bad\x01name"])
def test_bad_names_are_usage_errors(vg_in_process: Runner, name: str) -> None:
    result = vg_in_process("new", name)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_names_made_from_titles() -> None:
    from voiceguide.routine.user import routine_name, typed_name

    assert routine_name("My Stretch") == "my-stretch"
    assert routine_name("  Neck & shoulders ") == "neck-shoulders"
    assert routine_name("Ünïcödé stretch v1.2") == "ünïcödé-stretch-v1.2"
    assert routine_name(". hidden") == "hidden"  # never a hidden file
    assert routine_name("!!") == ""
    for kept in ("my-stretch", "BOX_breathing", "neck.v2"):  # a file name already: as typed
        assert routine_name(kept) == kept
    assert typed_name("My Stretch") == "My Stretch"
    assert typed_name("drafts/neck.yaml") == typed_name("drafts/neck") == "neck"


def test_new_with_a_title_for_a_name_writes_a_safe_file_with_that_title(
    vg_in_process: Runner, tmp_path: Path
) -> None:
    """A new user's `new "My Stretch"` wrote "My Stretch.yaml" (a name to quote in every
    command, titled "My Stretch" only by chance of the capitals)."""
    result = vg_in_process("new", "My Stretch")
    assert result.returncode == 0, result.stderr
    assert os.listdir(_folder(tmp_path)) == ["my-stretch.yaml"]
    assert "voiceguide play my-stretch\n" in result.stdout  # nothing to quote
    assert "title: My Stretch\n" in (_folder(tmp_path) / "my-stretch.yaml").read_text(encoding="utf-8")
    for name in ("my-stretch", "My Stretch", "my stretch", "my-stretch.yaml"):
        shown = vg_in_process("show", name, "--json")
        assert shown.returncode == 0, (name, shown.stderr)
        assert json.loads(shown.stdout)["title"] == "My Stretch"
    copied = vg_in_process("new", "Neck & Shoulders", "--from", "box-breathing")
    assert copied.returncode == 0, copied.stderr
    listed = {row["name"]: row["title"] for row in json.loads(vg_in_process("list", "--json").stdout)}
    assert listed["neck-shoulders"] == "Neck & Shoulders" and listed["my-stretch"] == "My Stretch"
    again = vg_in_process("new", "my stretch")  # the same file: not replaced unless --force
    assert again.returncode == 2 and "already exists" in again.stderr
    bundled = vg_in_process("new", "Box Breathing")  # still the bundled routine's name
    assert bundled.returncode == 2 and "is a bundled routine" in bundled.stderr
    nothing = vg_in_process("new", "!!")
    assert nothing.returncode == 2 and "not a routine name" in nothing.stderr
