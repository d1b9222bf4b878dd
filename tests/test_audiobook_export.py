"""Exports like audiobooks: chapters read back (mutagen, ffprobe), sidecars, split,
bundles, metadata, determinism and batches, through the real command and real ffmpeg."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from voiceguide.export.sidecars import PlaylistEntry, chapters_json, cue_sheet, m3u, srt, webvtt
from voiceguide.pcm.wavfile import read_wav
from voiceguide.timing.timeline import Chapter, Event, Timeline

from .helpers.routines import YAML_ROUTINE
from .helpers.run import Runner

pytestmark = pytest.mark.ffmpeg


@pytest.fixture
def short(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(YAML_ROUTINE)
    return path


def show(vg: Runner, routine: Path | str) -> dict[str, Any]:
    result = vg("show", str(routine), "--json")
    assert result.returncode == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def ffprobe_chapters(path: Path, *, as_stored: bool = False) -> list[tuple[int, int, str]]:
    """The chapters ffprobe reads, sorted by time (or in the order they are stored)."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = []
    for c in json.loads(probe.stdout)["chapters"]:
        num, den = (int(x) for x in c["time_base"].split("/"))
        found.append((c["start"] * 1000 * num // den, c["end"] * 1000 * num // den, c["tags"]["title"]))
    return found if as_stored else sorted(found)


def expected_chapters(doc: dict[str, Any]) -> list[tuple[int, int, str]]:
    return [(c["start_ms"], c["end_ms"], c["title"]) for c in doc["chapters"]]


# ---- chapters in the audio -----------------------------------------------------------------


def test_mp3_has_id3_chapters_and_a_table_of_contents(
    vg_in_process: Runner, tmp_path: Path, short: Path
) -> None:
    from mutagen.id3 import ID3

    out = tmp_path / "s.mp3"
    assert vg_in_process("export", str(short), "-o", str(out)).returncode == 0
    doc = show(vg_in_process, short)
    assert len(doc["chapters"]) == 5  # intro, two sides, breathing, closing
    tags = ID3(out)
    (toc,) = tags.getall("CTOC")
    assert toc.flags & 1 and toc.flags & 2  # top level, ordered
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    in_order = [chaps[i] for i in toc.child_element_ids]
    got = [(c.start_time, c.end_time, c.sub_frames["TIT2"].text[0]) for c in in_order]
    assert got == expected_chapters(doc)
    assert ffprobe_chapters(out) == expected_chapters(doc)
    assert "Knee to chest — left" in [title for *_, title in got]


@pytest.mark.ffmpeg
def test_mp3_chapters_are_stored_in_timeline_order(vg_in_process: Runner, tmp_path: Path) -> None:
    """ffprobe, ffmpeg and some players list ID3 chapters in the order of the frames, not
    by the table of contents: "Closing" must not come first (mutagen sorts frames by size)."""
    names = [
        "Knee to chest",
        "Twist",
        "Cat and cow",
        "Child's pose with long arms reaching",
        "Bridge",
        "Hug",
        "Pelvic tilts, slowly, in time with the breath",
        "Rest",
        "Figure four on the floor",
        "Sphinx",
        "Windscreen wipers",
        "Happy baby",
        "Long exhale",
    ]  # titles of many sizes
    routine = tmp_path / "many.yaml"
    routine.write_text(
        "title: Many chapters\nintro: Welcome.\noutro: Done.\nsteps:\n"
        + "".join(f'  - {{name: "{name}", say: Go., hold: 1s}}\n' for name in names)
    )
    out = tmp_path / "many.mp3"
    result = vg_in_process("export", str(routine), "-o", str(out))
    assert result.returncode == 0, result.stderr
    stored = ffprobe_chapters(out, as_stored=True)
    assert len(stored) > 12
    assert stored == expected_chapters(show(vg_in_process, routine))
    assert stored[0][2] == "Introduction" and stored[-1][2] == "Closing"


def test_more_than_255_mp3_chapters_nest_tables_of_contents(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    from voiceguide.export.encode import write_id3_extras

    out = tmp_path / "many.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=22050:cl=mono",
            "-t",
            "1",
            str(out),
        ],
        check=True,
    )
    chapters = [Chapter(f"Step {n}", 2 * n, 2 * n + 2, "S") for n in range(600)]
    write_id3_extras(out, chapters, {"title": "Long"})
    tags = ID3(out)
    tocs = {t.element_id: t for t in tags.getall("CTOC")}
    top = [t for t in tocs.values() if t.flags & 2]
    assert len(top) == 1 and len(top[0].child_element_ids) == 3
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    in_order = [chaps[c] for toc in top[0].child_element_ids for c in tocs[toc].child_element_ids]
    assert [(c.start_time, c.sub_frames["TIT2"].text[0]) for c in in_order] == [
        (2 * n, f"Step {n}") for n in range(600)
    ]


@pytest.mark.parametrize("fmt", ["m4a", "m4b"])
def test_m4a_and_m4b_have_mp4_chapters(vg_in_process: Runner, tmp_path: Path, short: Path, fmt: str) -> None:
    from mutagen.mp4 import MP4

    out = tmp_path / f"s.{fmt}"
    assert vg_in_process("export", str(short), "-o", str(out)).returncode == 0
    doc = show(vg_in_process, short)
    chapters = MP4(out).chapters
    assert chapters is not None
    assert [(round(c.start * 1000), c.title) for c in chapters] == [
        (s, t) for s, _, t in expected_chapters(doc)
    ]
    assert ffprobe_chapters(out) == expected_chapters(doc)


# ---- metadata -----------------------------------------------------------------------------


def ffprobe_tags(path: Path) -> dict[str, str]:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(probe.stdout)
    tags = {k.lower(): v for k, v in doc["format"].get("tags", {}).items()}
    for stream in doc["streams"]:  # Ogg keeps Vorbis comments on the stream
        tags.update({k.lower(): v for k, v in stream.get("tags", {}).items()})
    return tags


@pytest.mark.parametrize("fmt", ["mp3", "ogg", "opus", "flac", "m4a"])
def test_metadata_in_every_format(vg_in_process: Runner, tmp_path: Path, short: Path, fmt: str) -> None:
    out = tmp_path / f"s.{fmt}"
    assert vg_in_process("export", str(short), "-o", str(out), "--preset", "gentle").returncode == 0
    tags = ffprobe_tags(out)
    assert tags["title"] == "Tiny" and tags["album"] == "Tiny"
    assert tags["artist"] == "voiceguide" and tags["genre"] == "Guided exercise"
    assert "preset gentle" in tags["comment"] and "130 wpm" in tags["comment"]


def test_mp3_comment_is_a_comm_frame(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    from mutagen.id3 import ID3

    out = tmp_path / "s.mp3"
    assert vg_in_process("export", str(short), "-o", str(out)).returncode == 0
    (comment,) = ID3(out).getall("COMM")
    assert comment.text[0].startswith("voiceguide pacing: preset standard")


def test_wav_and_flac_are_byte_identical_run_to_run(
    vg_in_process: Runner, tmp_path: Path, short: Path
) -> None:
    for fmt in ("wav", "flac"):
        first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        assert vg_in_process("export", str(short), "-o", str(first)).returncode == 0
        assert vg_in_process("export", str(short), "-o", str(second)).returncode == 0
        assert first.read_bytes() == second.read_bytes(), fmt


# ---- sidecars ----------------------------------------------------------------------------


def test_subtitles_and_chapter_files_beside_the_audio(
    vg_in_process: Runner, tmp_path: Path, short: Path
) -> None:
    out = tmp_path / "s.wav"
    sidecars = ("--subtitles", "vtt", "--chapters-file", "json")
    assert vg_in_process("export", str(short), "-o", str(out), *sidecars).returncode == 0
    doc = show(vg_in_process, short)
    speech = [e for e in doc["events"] if e["kind"] == "speech"]
    vtt = (tmp_path / "s.vtt").read_text()
    assert vtt.startswith("WEBVTT")
    assert vtt.count(" --> ") == len(speech)
    first = speech[0]
    assert f"00:00:00.000 --> 00:00:{first['end_ms'] // 1000:02d}.{first['end_ms'] % 1000:03d}" in vtt
    chapters = json.loads((tmp_path / "s.chapters.json").read_text())
    got = [
        (round(c["startTime"] * 1000), round(c["endTime"] * 1000), c["title"]) for c in chapters["chapters"]
    ]
    assert got == expected_chapters(doc)
    other = ("--subtitles", "srt", "--chapters-file", "cue")
    assert vg_in_process("export", str(short), "-o", str(out), *other).returncode == 0
    srt_text = (tmp_path / "s.srt").read_text()
    assert srt_text.startswith("1\n00:00:00,000 --> ")
    assert srt_text.count(" --> ") == len(speech)
    cue = (tmp_path / "s.cue").read_text()
    assert 'FILE "s.wav" WAVE' in cue and cue.count("TRACK") == len(doc["chapters"])


def test_sidecar_text_is_exact() -> None:
    timeline = Timeline(
        title="T",
        duration_ms=3_723_500,
        events=(
            Event(1_001, 3_723_004, "speech", "Hold <this> & breathe", "S", 0),
            Event(3_723_100, 3_723_400, "chime", "", "S", 0),
        ),
        chapters=(Chapter("One", 0, 1_000, "One"), Chapter("Two — left", 1_000, 3_723_500, "Two")),
        phases=(),
    )
    assert "00:00:01.001 --> 01:02:03.004\nHold &lt;this&gt; &amp; breathe" in webvtt(timeline)
    assert srt(timeline) == "1\n00:00:01,001 --> 01:02:03,004\nHold <this> & breathe\n"
    assert json.loads(chapters_json(timeline))["chapters"][1] == {
        "startTime": 1.0,
        "endTime": 3723.5,
        "title": "Two — left",
    }
    assert "INDEX 01 00:01:00" in cue_sheet(timeline, "t.mp3", "mp3")  # 1 s = 75 frames
    assert m3u([PlaylistEntry("a b.mp3", 1_001, "A")]) == "#EXTM3U\n#EXTINF:2,A\na b.mp3\n"


def test_bundle_writes_everything(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    bundle = tmp_path / "bundle"
    result = vg_in_process("export", str(short), "--bundle", str(bundle), "--json")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in bundle.iterdir())
    assert names == sorted(
        [
            "short.mp3",
            "short.vtt",
            "short.srt",
            "short.chapters.json",
            "short.cue",
            "short.m3u",
            "routine.json",
        ]
    )
    shown = show(vg_in_process, short)  # show's marks of estimates: none, the export measured all
    assert (shown.pop("estimated"), shown.pop("exact_until_ms"), shown.pop("estimated_texts")) == (
        False,
        None,
        [],
    )
    assert json.loads((bundle / "routine.json").read_text()) == shown
    assert (bundle / "short.m3u").read_text().splitlines()[-1] == "short.mp3"
    kinds = {f["kind"] for f in json.loads(result.stdout)["files"]}
    assert kinds == {"audio", "subtitles", "chapters", "playlist", "document"}


# ---- split -----------------------------------------------------------------------------------


def test_split_parts_add_up_to_the_whole_export(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    whole = tmp_path / "whole.wav"
    assert vg_in_process("export", str(short), "-o", str(whole)).returncode == 0
    parts_dir = tmp_path / "parts"
    result = vg_in_process("export", str(short), "-o", str(parts_dir / "s.wav"), "--split")
    assert result.returncode == 0, result.stderr
    doc = show(vg_in_process, short)
    playlist = (parts_dir / "s.m3u").read_text().splitlines()
    files = [line for line in playlist if not line.startswith("#")]
    assert files == [f"s {n:02d} - {c['title']}.wav" for n, c in enumerate(doc["chapters"], 1)]
    joined = b"".join(read_wav(parts_dir / name).pcm for name in files)
    assert joined == read_wav(whole).pcm


def test_split_mp3_parts_are_tagged_as_tracks(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    assert vg_in_process("export", str(short), "-o", str(tmp_path / "s.mp3"), "--split").returncode == 0
    tags = ffprobe_tags(tmp_path / "s 02 - Knee to chest — left.mp3")
    assert tags["title"] == "Knee to chest — left" and tags["album"] == "Tiny"
    assert tags["track"] == "2/5"


# ---- batch -------------------------------------------------------------------------------------


def test_batch_exports_each_and_reports_failures(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: Broken\nsteps:\n  - {say: Go., hodl: 3s}\n")
    out = tmp_path / "out"
    result = vg_in_process(
        "export", str(short), str(broken), "physiological-sigh", "-o", str(out), "--format", "wav", "--json"
    )  # wav: the batch is the point, not the encoder
    assert result.returncode == 2
    assert 'broken.yaml:3:16: unknown key "hodl"' in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["physiological-sigh.wav", "short.wav"]
    report = json.loads(result.stdout)
    assert [r["ok"] for r in report] == [True, False, True]


def test_export_usage_errors(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    neither = vg_in_process("export", str(short))
    assert neither.returncode == 2 and "-o FILE" in neither.stderr
    both = vg_in_process(
        "export", str(short), "-o", str(tmp_path / "a.mp3"), "--split", "--bundle", str(tmp_path / "b")
    )
    assert both.returncode == 2
    assert "Traceback" not in neither.stderr + both.stderr
