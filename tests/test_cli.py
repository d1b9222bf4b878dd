"""Every command and every error path: in process (`vg_in_process`, the same entry point
as the console script), and through the real console script where the process matters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from voiceguide.cli import app as cli
from voiceguide.cli import listing
from voiceguide.pcm.wavfile import read_wav
from voiceguide.speech import espeak as espeak_module

from .helpers.routines import YAML_ROUTINE as ROUTINE
from .helpers.run import VOICEGUIDE, Runner

COMMANDS = ["validate", "show", "synthesize", "export", "list", "voices", "cache", "schema"]


def write(tmp_path: Path, text: str = ROUTINE, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_in_process_runs_are_isolated(
    vg_in_process: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path / "the-users-cache"))
    monkeypatch.setenv("VOICEGUIDE_DEBUG", "1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere)
    before = (os.getcwd(), sys.stdin, sys.stdout, sys.stderr, dict(os.environ))
    stats = vg_in_process("cache", "stats", "--json", env={"PROBE": "1"})
    assert json.loads(stats.stdout)["directory"] == str(tmp_path / "cache")  # not the user's
    assert vg_in_process("validate", "tiny.yaml", cwd=elsewhere).returncode == 0
    assert vg_in_process("validate", "tiny.yaml").returncode == 2  # cwd is tmp_path again
    assert (os.getcwd(), sys.stdin, sys.stdout, sys.stderr, dict(os.environ)) == before
    assert not (tmp_path / "the-users-cache").exists()

    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(listing, "bundled_routines", broken)
    failed = vg_in_process("list")  # VOICEGUIDE_DEBUG is not passed on: a message, no exception
    assert failed.returncode == 1 and "internal error" in failed.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(vg_in_process: Runner, command: str) -> None:
    result = vg_in_process(command, "--help")
    assert result.returncode == 0
    assert "Example" in result.stdout


@pytest.mark.parametrize("command", ["stats", "clear", "prune"])
def test_cache_subcommands_have_help_with_an_example(vg_in_process: Runner, command: str) -> None:
    result = vg_in_process("cache", command, "--help")
    assert result.returncode == 0 and "Example" in result.stdout


def test_top_level_help_and_version(vg_in_process: Runner) -> None:
    result = vg_in_process("--help")
    assert result.returncode == 0 and all(c in result.stdout for c in COMMANDS)
    assert vg_in_process("--version").stdout.startswith("voiceguide, version")


def test_module_entry_point_is_the_same_program(tmp_path: Path) -> None:
    python = VOICEGUIDE.parent / "python"
    result = subprocess.run([str(python), "-m", "voiceguide", "list"], capture_output=True, text=True)
    assert result.returncode == 0 and "lower-back-massage" in result.stdout


def test_list_shows_the_bundled_routines(vg_in_process: Runner) -> None:
    text = vg_in_process("list").stdout
    for name in ("lower-back-massage", "lower-back-stretch", "box-breathing", "4-7-8-breathing"):
        assert name in text
    rows = json.loads(vg_in_process("list", "--json").stdout)
    assert {r["name"] for r in rows} >= {
        "lower-back-massage",
        "lower-back-stretch",
        "box-breathing",
        "4-7-8-breathing",
    }


def test_validate_good_and_bad(vg_in_process: Runner, tmp_path: Path) -> None:
    good = write(tmp_path)
    bad = write(tmp_path, "title: Bad\nsteps:\n  - say: Hi\n    hodl: 5s\n", "bad.yaml")
    ok = vg_in_process("validate", str(good), "box-breathing")
    assert ok.returncode == 0 and ok.stdout.count("ok:") == 2
    result = vg_in_process("validate", str(good), str(bad))
    assert result.returncode == 2
    assert f'{bad}:4:5: unknown key "hodl" in a step (did you mean "hold"?)' in result.stderr
    no_traceback(result)
    report = json.loads(vg_in_process("validate", str(bad), "--json").stdout)
    assert report[0]["valid"] is False
    assert report[0]["problems"][0] | {"message": ""} == {
        "path": str(bad),
        "line": 4,
        "column": 5,
        "severity": "error",
        "message": "",
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\x01\x02binary", "not a text file"),
        ("title: caf\xe9\n".encode("latin-1"), "not valid UTF-8"),
        (b"a: &x [1]\nb: *x\n", "anchors and aliases"),
        (b"- just\n- a list\n", "top level must be a mapping"),
        (b"title: [unclosed\n", "this [ is never closed"),
        (b"", "empty"),
    ],
)
def test_hostile_or_broken_files_exit_2_with_a_position(
    vg_in_process: Runner, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    for command in ("validate", "show", "export"):
        args = [command, str(path)] + (["-o", str(tmp_path / "x.wav")] if command == "export" else [])
        result = vg_in_process(*args)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.startswith(f"{path}:") and expected in result.stderr
        no_traceback(result)
    assert not (tmp_path / "x.wav").exists()


def test_unknown_routine_suggests_a_bundled_one(vg_in_process: Runner) -> None:
    result = vg_in_process("show", "lower-back-masage")
    assert result.returncode == 2
    assert 'did you mean "lower-back-massage"' in result.stderr
    missing = vg_in_process("show", "nope.yaml")
    assert missing.returncode == 2 and "no such routine file: nope.yaml" in missing.stderr


def test_usage_errors_exit_2(vg_in_process: Runner, tmp_path: Path) -> None:
    for args in (
        ["export", "box-breathing"],
        ["show"],
        ["frobnicate"],
        ["show", "box-breathing", "--rate", "20"],
        ["export", "box-breathing", "-o", str(tmp_path / "x.aiff")],
        ["cache", "prune", "--max-size", "lots"],
    ):
        result = vg_in_process(*args)
        assert result.returncode == 2, args
        no_traceback(result)
    assert not (tmp_path / "x.aiff").exists()


def test_show_json_has_exactly_the_documented_shape(vg_in_process: Runner, tmp_path: Path) -> None:
    doc = json.loads(vg_in_process("show", str(write(tmp_path)), "--json").stdout)
    # DESIGN §4's document, plus "phases" (what a display counts down; serve's page reads it)
    # and what is estimated (speech not yet in the cache)
    assert set(doc) == {
        "title",
        "duration_ms",
        "sample_rate",
        "events",
        "chapters",
        "phases",
        "estimated",
        "exact_until_ms",
        "estimated_texts",
    }
    assert all(
        set(p) == {"kind", "start_ms", "end_ms", "chapter", "detail", "cycle", "tone"} for p in doc["phases"]
    )
    assert {p["kind"] for p in doc["phases"]} == {"hold", "rest", "breath"}
    assert doc["sample_rate"] == 22050
    assert all(set(e) == {"start_ms", "end_ms", "kind", "text", "step", "chapter"} for e in doc["events"])
    assert all(set(c) == {"title", "start_ms", "end_ms"} for c in doc["chapters"])
    assert [c["title"] for c in doc["chapters"]] == [
        "Introduction",
        "Knee to chest — left",
        "Knee to chest — right",
        "Breathing",
        "Closing",
    ]
    starts = [e["start_ms"] for e in doc["events"]]
    assert starts == sorted(starts)
    assert doc["chapters"][-1]["end_ms"] == doc["duration_ms"]


def test_show_text_lists_the_timed_script(vg_in_process: Runner, tmp_path: Path) -> None:
    text = vg_in_process("show", str(write(tmp_path))).stdout
    assert "Tiny" in text and "── 2. Knee to chest — left" in text and "hold 3s" in text
    assert "“Pull your right knee in.”" in text and "inhale (cycle 2) 2s" in text


def test_render_then_cache_stats_prune_clear(vg_in_process: Runner, tmp_path: Path) -> None:
    routine = write(tmp_path)
    rendered = vg_in_process("render", str(routine))
    assert rendered.returncode == 0 and "utterances cached" in rendered.stdout
    stats = json.loads(vg_in_process("cache", "stats", "--json").stdout)
    # intro, 2 sided instructions, "2", "1", "Breathe in", "Breathe out", outro
    assert stats["entries"] == 8
    assert stats["directory"] == str(tmp_path / "cache")
    assert "removed" in vg_in_process("cache", "prune", "--max-size", "1k").stdout
    assert json.loads(vg_in_process("cache", "stats", "--json").stdout)["entries"] < 8
    assert vg_in_process("cache", "clear").returncode == 0
    assert json.loads(vg_in_process("cache", "stats", "--json").stdout)["entries"] == 0


def test_export_wav_length_matches_the_timeline(vg_in_process: Runner, tmp_path: Path) -> None:
    routine = write(tmp_path)
    out = tmp_path / "out" / "tiny.wav"
    result = vg_in_process("export", str(routine), "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    duration = json.loads(vg_in_process("show", str(routine), "--json").stdout)["duration_ms"]
    assert summary["duration_ms"] == duration and summary["format"] == "wav"
    wav = read_wav(out)
    assert len(wav.pcm) // 2 == duration * 22050 // 1000
    assert b"Tiny" in wav.chunks[b"LIST"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["tiny.wav"]


def test_export_to_an_unwritable_place_fails_cleanly(vg_in_process: Runner, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = vg_in_process("export", str(write(tmp_path)), "-o", str(blocker / "x.wav"))
    assert result.returncode == 1 and result.stderr.startswith("voiceguide: ")
    no_traceback(result)


def test_missing_ffmpeg_exits_1_and_says_what_to_do(vg: Runner, tmp_path: Path) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    result = vg("export", str(write(tmp_path)), "-o", str(tmp_path / "x.mp3"), env={"PATH": str(empty)})
    assert result.returncode == 1
    assert "apt-get install ffmpeg" in result.stderr and ".wav" in result.stderr
    no_traceback(result)
    assert not (tmp_path / "x.mp3").exists()


def test_missing_espeak_exits_1_and_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("VOICEGUIDE_ENGINE", "espeak-ng")
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path / "empty-cache"))  # a warm one needs no engine
    monkeypatch.setattr(espeak_module, "_load_library", lambda: None)  # as if not installed
    out = str(tmp_path / "x.wav")
    for args in (["show", "box-breathing"], ["voices"], ["export", "box-breathing", "-o", out]):
        assert cli.run(args) == 1
        err = capsys.readouterr().err
        assert "espeak-ng is not installed" in err and "apt-get install espeak-ng" in err


def test_an_unexpected_error_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(listing, "bundled_routines", broken)
    assert cli.run(["list"]) == 1
    err = capsys.readouterr().err
    assert "voiceguide: error: internal error: RuntimeError: boom" in err and "--verbose" in err


@pytest.mark.slow
def test_ctrl_c_exits_130_and_leaves_no_partial_file(vg: Runner, tmp_path: Path) -> None:
    steps = "".join(f"  - {{say: Step {i}., hold: 30s}}\n" for i in range(400))
    routine = write(tmp_path, f"title: Long\nsteps:\n{steps}", "long.yaml")
    assert vg("synthesize", str(routine)).returncode == 0
    import os

    env = dict(os.environ, VOICEGUIDE_ENGINE="fake", VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"))
    out = tmp_path / "long.flac"
    process = subprocess.Popen(
        [str(VOICEGUIDE), "export", str(routine), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # a background job inherits SIGINT ignored (bash does that to `cmd &`): undo it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 180  # a bound on a hung run, not a timing check
    while not any(p.name.startswith(".long.") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None, "export never started writing"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".long.")]


def test_schema_is_json_schema(vg_in_process: Runner) -> None:
    schema = json.loads(vg_in_process("schema").stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "steps" in schema["properties"]


@pytest.mark.espeak
def test_voices_lists_espeak_voices(vg_in_process: Runner) -> None:
    result = vg_in_process("voices", engine="espeak-ng")
    assert result.returncode == 0 and "English" in result.stdout
    voices = json.loads(vg_in_process("voices", "--json", engine="espeak-ng").stdout)
    assert any(v["id"].endswith("en-us") for v in voices)


@pytest.mark.espeak
def test_unknown_voice_is_a_usage_error(vg_in_process: Runner) -> None:
    result = vg_in_process("show", "box-breathing", "--voice", "Vulcan", engine="espeak-ng")
    assert result.returncode == 2 and "unknown voice 'Vulcan'" in result.stderr
    no_traceback(result)


def test_render_is_a_hidden_alias_of_synthesize(vg_in_process: Runner) -> None:
    listed = vg_in_process("--help").stdout
    assert "synthesize" in listed and "render" not in listed
    assert "speech cache" in vg_in_process("render", "--help").stdout
