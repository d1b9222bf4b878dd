"""End to end with the real parts: espeak-ng through pyttsx3, ffmpeg, the bundled routines."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from pathlib import Path

import pytest

from voiceguide.export.formats import CODECS
from voiceguide.routine.bundled import bundled_routines

from .helpers.library_table import readme_table, seconds, table_rows
from .helpers.run import Runner

pytestmark = [pytest.mark.espeak, pytest.mark.ffmpeg]

# each bundled routine in a different format, so every encoder meets real speech
CASES = [
    ("lower-back-massage", "mp3", (10 * 60_000, 15 * 60_000)),
    ("lower-back-stretch", "ogg", (9 * 60_000, 14 * 60_000)),
    ("box-breathing", "m4a", (3 * 60_000, 8 * 60_000)),
    ("4-7-8-breathing", "opus", (2 * 60_000, 6 * 60_000)),
    ("box-breathing", "flac", (3 * 60_000, 8 * 60_000)),
    ("4-7-8-breathing", "wav", (2 * 60_000, 6 * 60_000)),
]


def decoded_samples(path: Path, rate: int) -> int:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"],
        capture_output=True,
        check=True,
    )
    return len(out.stdout) // 2


def title_tag(path: Path) -> str:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "format_tags=title:stream_tags=title",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    tags: dict[str, str] = doc.get("format", {}).get("tags", {}) or next(
        (s.get("tags", {}) for s in doc.get("streams", []) if s.get("tags")), {}
    )
    return next((v for k, v in tags.items() if k.lower() == "title"), "")


@pytest.mark.slow
@pytest.mark.parametrize(("routine", "fmt", "length_range"), CASES)
def test_bundled_routine_exports_with_the_real_engine(
    vg: Runner, shared_cache: Path, tmp_path: Path, routine: str, fmt: str, length_range: tuple[int, int]
) -> None:
    env = {"VOICEGUIDE_CACHE_DIR": str(shared_cache)}
    valid = vg("validate", routine, engine="espeak-ng", env=env)
    assert valid.returncode == 0 and "warning" not in valid.stderr, valid.stderr
    shown = vg("show", routine, "--json", engine="espeak-ng", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr == ""  # no timing warnings at the default pacing
    doc = json.loads(shown.stdout)
    low, high = length_range
    assert low <= doc["duration_ms"] <= high

    out = tmp_path / f"{routine}.{fmt}"
    result = vg("export", routine, "-o", str(out), engine="espeak-ng", env=env)
    assert result.returncode == 0, result.stderr
    expected = doc["duration_ms"] * doc["sample_rate"] // 1000
    tolerance = 0 if fmt == "wav" else CODECS[fmt].frame_samples
    assert abs(decoded_samples(out, doc["sample_rate"]) - expected) <= tolerance
    assert title_tag(out) == doc["title"]


def test_rate_changes_speech_but_not_holds(vg: Runner, shared_cache: Path) -> None:
    env = {"VOICEGUIDE_CACHE_DIR": str(shared_cache)}
    slow = json.loads(
        vg("show", "4-7-8-breathing", "--json", "--rate", "110", engine="espeak-ng", env=env).stdout
    )
    fast = json.loads(
        vg("show", "4-7-8-breathing", "--json", "--rate", "190", engine="espeak-ng", env=env).stdout
    )

    def spoken(doc: dict[str, object], text_start: str) -> int:
        event = next(e for e in doc["events"] if e["text"].startswith(text_start))  # type: ignore[attr-defined]
        return int(event["end_ms"] - event["start_ms"])

    assert spoken(slow, "Welcome") > 1.4 * spoken(fast, "Welcome")
    # breath phases are clock time: within a breathing step, each "Breathe in through the nose"
    # starts exactly 4 + 7 + 8 = 19 s after the previous one, at any rate
    for doc in (slow, fast):
        ins = [e for e in doc["events"] if e["text"] == "Breathe in through the nose"]
        gaps = {
            b["start_ms"] - a["start_ms"] for a, b in itertools.pairwise(ins) if a["chapter"] == b["chapter"]
        }
        assert gaps == {19_000}


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["gentle", "standard", "brisk"])
def test_every_bundled_routine_is_lint_clean_at_every_preset(
    vg: Runner, shared_cache: Path, preset: str
) -> None:
    names = [name for name, _ in bundled_routines()]
    env = {"VOICEGUIDE_CACHE_DIR": str(shared_cache)}
    result = vg("validate", *names, "--preset", preset, engine="espeak-ng", env=env)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    assert result.stdout.count("ok:") == len(names) >= 12
    listed = vg("list", "--json", "--preset", preset, engine="espeak-ng", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {r["name"] for r in rows} == set(names)
    for row in rows:
        assert row["license"] == "CC0-1.0" and row["length_ms"] > 0, row
        if preset == "standard":  # the band each routine states is at the standard preset
            band = row["standard_minutes"]
            assert band["min"] * 60_000 <= row["length_ms"] <= band["max"] * 60_000, row


README = Path(__file__).resolve().parent.parent / "README.md"
DURATION_EXAMPLES = sorted(
    set(re.findall(r"^voiceguide \S+ ([\w-]+) .*--duration (\w+)", README.read_text(encoding="utf-8"), re.M))
)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["espeak-ng", "piper"])
def test_the_readmes_duration_examples_are_lint_clean(vg: Runner, shared_cache: Path, engine: str) -> None:
    """A bundled routine fitted as README shows it: no cue runs into the next sound or the
    countdown (issue 14: `--duration 8m` used to print warnings about a bundled script)."""
    if engine == "piper":
        pytest.importorskip("piper")
    assert DURATION_EXAMPLES, "README shows no --duration example"
    env = {"VOICEGUIDE_CACHE_DIR": str(shared_cache)}
    for routine, duration in DURATION_EXAMPLES:
        result = vg("validate", routine, "--duration", duration, engine=engine, env=env)
        assert result.returncode == 0, result.stderr
        assert "warning" not in result.stderr, (routine, duration, result.stderr)


@pytest.mark.slow
def test_the_readme_table_has_the_lengths_espeak_ng_measures(vg: Runner, shared_cache: Path) -> None:

    env = {"VOICEGUIDE_CACHE_DIR": str(shared_cache)}
    result = vg("list", "--markdown", engine="espeak-ng", env=env)
    assert result.returncode == 0, result.stderr
    measured, written = table_rows(result.stdout), table_rows(readme_table())
    stale = "README's table is stale: run voiceguide list --markdown"
    assert [r[:2] + r[5:] for r in measured] == [r[:2] + r[5:] for r in written], stale
    for now, then in zip(measured, written, strict=True):  # espeak-ng's clips vary by a few ms
        for a, b in zip(now[2:5], then[2:5], strict=True):
            assert abs(seconds(a) - seconds(b)) <= 1, f"{stale}: {now} against {then}"
