"""What voiceguide writes and reads, checked as a reviewer would: file modes, names from
titles, symlinks, special files, stdout, --no-clobber, collisions, long names, leftovers
of killed exports, and every input read with a size limit and a regular-file check."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from voiceguide.atomic import atomic_path, temp_name
from voiceguide.errors import ExportError, UsageError
from voiceguide.export.encode import export_pcm
from voiceguide.export.outputs import safe_name
from voiceguide.export.sidecars import PlaylistEntry, cue_sheet, ffmetadata, m3u, srt, webvtt
from voiceguide.inputs import read_input
from voiceguide.pcm.wavfile import read_wav
from voiceguide.timing.timeline import Chapter, Event, Timeline

from .helpers.routines import YAML_ROUTINE
from .helpers.run import VOICEGUIDE, Runner

RATE = 22050
NASTY = "Bad\r[CHAPTER]\nEND=1\n\nWEBVTT -->\x1b[31m \x00\u2028x"


@pytest.fixture
def short(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(YAML_ROUTINE)
    return path


def routine_named(*names: str, title: str = "Titled") -> str:
    steps = "".join(f"  - name: {json.dumps(n)}\n    say: Go.\n    hold: 1s\n" for n in names)
    return f"title: {json.dumps(title)}\nsteps:\n{steps}"


def run_bytes(
    tmp_path: Path, *args: str, stdin: bytes = b"", timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    env = dict(
        os.environ,
        VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"),
        VOICEGUIDE_ENGINE="fake",
        VOICEGUIDE_CONFIG_DIR=str(tmp_path / "no-config"),
    )
    env.pop("VOICEGUIDE_DEBUG", None)
    return subprocess.run(
        [str(VOICEGUIDE), *args], input=stdin, capture_output=True, env=env, cwd=tmp_path, timeout=timeout
    )


# ---- modes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_outputs_get_the_mode_open_would_give(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        export_pcm([bytes(200)], 100, RATE, tmp_path / "s.wav")
        with atomic_path(tmp_path / "t.txt") as temp:
            temp.write_text("x")
        with atomic_path(tmp_path / "private.bin", private=True) as temp:
            temp.write_bytes(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "s.wav").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "t.txt").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "private.bin").stat().st_mode & 0o777 == 0o600


def test_exported_files_are_readable_by_others(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    result = vg_in_process("export", str(short), "--bundle", str(tmp_path / "b"), "--format", "wav")
    assert result.returncode == 0, result.stderr
    for path in (tmp_path / "b").iterdir():
        assert path.stat().st_mode & 0o004, path  # the tests run with umask 022


# ---- names from titles and files --------------------------------------------------------------


def test_safe_name_stays_a_single_short_component() -> None:
    for title in ("..", ".", "a/../../b", "x\ny\rz\x1b", "/etc/passwd", "", " . "):
        name = safe_name(title)
        assert name and "/" not in name and name not in (".", "..") and not name.startswith(".")
        assert all(ord(c) >= 32 for c in name)
    long = safe_name("Ünïcödé " * 60)
    assert len(long.encode()) <= 200 and long == long.strip()


@pytest.mark.ffmpeg
def test_split_names_from_hostile_titles_stay_in_the_folder(vg_in_process: Runner, tmp_path: Path) -> None:
    routine = tmp_path / "r.yaml"
    routine.write_text(routine_named("../../escape", "a/b", "Line\nbreak\r", "é" * 200, "..", "x" * 300))
    out = tmp_path / "out"
    result = vg_in_process("export", str(routine), "-o", str(out) + "/", "--split", "--format", "wav")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out", "r.yaml"]
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 7 and "r.m3u" in names
    for name in names:
        assert len(name.encode()) <= 255 and "\n" not in name and "\r" not in name
    playlist = (out / "r.m3u").read_text()
    assert all(line.startswith("#") or (out / line).is_file() for line in playlist.splitlines())


def test_batch_export_names_never_collide(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "r.yaml").write_text(YAML_ROUTINE)
    result = vg_in_process("export", "a/r.yaml", "b/r.yaml", "-o", "out/", "--format", "wav", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    paths = [r["path"] for r in report]
    assert len(set(paths)) == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(Path(p).name for p in paths)


def test_a_routine_named_dots_stays_inside_the_bundle(vg_in_process: Runner, tmp_path: Path) -> None:
    (tmp_path / "...yaml").write_text(YAML_ROUTINE)
    (tmp_path / "x.yaml").write_text(YAML_ROUTINE)
    result = vg_in_process("export", "...yaml", "x.yaml", "--bundle", "out/", "--format", "wav")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["...yaml", "cache", "out", "x.yaml"]
    for folder in (tmp_path / "out").iterdir():
        assert folder.is_dir() and not folder.name.startswith(".")


def test_a_too_long_output_name_is_a_clear_error(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    result = vg_in_process("export", str(short), "-o", "é" * 130 + ".wav")
    assert result.returncode == 2, result.stderr
    assert "too long" in result.stderr and "internal error" not in result.stderr


def test_temp_names_carry_the_pid_and_fit_the_name_limit(tmp_path: Path) -> None:
    target = tmp_path / ("é" * 125 + ".mp3")  # 254 bytes
    name = temp_name(target, "abc123")
    assert len(name.encode()) <= 255 and f".{os.getpid()}." in name and name.endswith(".mp3")
    with atomic_path(target) as temp:
        temp.write_bytes(b"x")
    assert target.read_bytes() == b"x"


# ---- sidecar and metadata injection ---------------------------------------------------------------


def nasty_timeline() -> Timeline:
    return Timeline(
        title=NASTY,
        duration_ms=5000,
        events=(Event(0, 1000, "speech", NASTY, NASTY, 0), Event(2000, 3000, "speech", "Two", "S", 1)),
        chapters=(Chapter(NASTY, 0, 2000, NASTY), Chapter("Two", 2000, 5000, "Two")),
        phases=(),
    )


def test_no_control_character_reaches_a_sidecar() -> None:
    timeline = nasty_timeline()
    for text in (
        webvtt(timeline),
        srt(timeline),
        cue_sheet(timeline, "a\nb.mp3", "mp3"),
        ffmetadata(timeline.chapters),
        m3u([PlaylistEntry("x.mp3", 1000, NASTY)]),
    ):
        assert not any((ord(c) < 32 and c != "\n") or c in "\x7f\u2028\u2029" for c in text), text
    vtt = webvtt(timeline)
    assert vtt.count("-->") == 2 and "\n\n\n" not in vtt
    assert srt(timeline).count("-->") == 2 and srt(timeline).split("\n\n")[1].startswith("2\n")
    cue = cue_sheet(timeline, 'a"b.mp3', "mp3")
    assert cue.count("TRACK") == 2 and cue.count("TITLE") == 3
    meta = ffmetadata(timeline.chapters)
    assert meta.splitlines().count("[CHAPTER]") == 2 and meta.count("\nEND=") == 2
    assert m3u([PlaylistEntry("#x.mp3", 1000, NASTY)]).splitlines() == [
        "#EXTM3U",
        "#EXTINF:1,Bad [CHAPTER] END=1 WEBVTT --> [31m x",
        "./#x.mp3",
    ]


@pytest.mark.ffmpeg
@pytest.mark.parametrize("fmt", ["m4a", "mp3", "wav"])
def test_control_characters_in_names_cannot_inject_chapters_or_tags(
    vg_in_process: Runner, tmp_path: Path, fmt: str
) -> None:
    routine = tmp_path / "r.yaml"
    routine.write_text(
        'title: "T\\r\\0itle\\nx"\nsteps:\n'
        '  - {name: "A\\r[CHAPTER]\\nTIMEBASE=1/1000\\nSTART=0\\nEND=9\\ntitle=Evil", '
        'say: Go., hold: 1s}\n  - {name: "B\\0b", say: Go., hold: 1s}\n'
    )
    out = tmp_path / f"r.{fmt}"
    result = vg_in_process("export", str(routine), "-o", str(out))
    assert result.returncode == 0, result.stderr
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-show_entries", "format_tags", "-of", "json", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(probe.stdout)
    if fmt != "wav":
        titles = [c["tags"]["title"] for c in doc["chapters"]]
        assert len(titles) == 2 and not any(t == "Evil" for t in titles)
        assert all(ord(c) >= 32 for t in titles for c in t)
    tags = doc["format"]["tags"]
    title = next(v for k, v in tags.items() if k.lower() in ("title", "inam"))
    assert all(ord(c) >= 32 for c in title), title


# ---- symlinks, special files, existing files ---------------------------------------------------


def test_a_planted_symlink_is_replaced_never_written_through(
    vg_in_process: Runner, tmp_path: Path, short: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "s.vtt").symlink_to(victim)
    (tmp_path / "s.wav").symlink_to(victim)
    result = vg_in_process("export", str(short), "-o", "s.wav", "--subtitles", "vtt")
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious"
    assert not (tmp_path / "s.vtt").is_symlink() and (tmp_path / "s.vtt").read_text().startswith("WEBVTT")
    assert not (tmp_path / "s.wav").is_symlink()


def test_a_fifo_or_directory_as_output_is_refused(vg: Runner, tmp_path: Path, short: Path) -> None:
    os.mkfifo(tmp_path / "pipe.wav")
    result = vg("export", str(short), "-o", "pipe.wav", timeout=30)
    assert result.returncode == 2 and "not a regular file" in result.stderr, result.stderr
    assert (tmp_path / "pipe.wav").is_fifo()
    (tmp_path / "s.vtt").mkdir()
    result = vg("export", str(short), "-o", "s.wav", "--subtitles", "vtt")
    assert result.returncode != 0 and "s.vtt" in result.stderr
    assert "internal error" not in result.stderr


def test_os_errors_on_outputs_name_the_path(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = vg_in_process("export", str(short), "-o", "afile/x.wav")
    assert result.returncode == 1 and "afile" in result.stderr, result.stderr
    assert "internal error" not in result.stderr
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o500)
    if os.access(readonly, os.W_OK):  # root writes anywhere: use /proc instead
        target = "/proc/voiceguide-test.wav"
    else:
        target = str(readonly / "x.wav")
    result = vg_in_process("export", str(short), "-o", target)
    assert result.returncode == 1 and "cannot write" in result.stderr, result.stderr
    assert "internal error" not in result.stderr


def test_replacing_says_so_and_no_clobber_keeps(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    out = tmp_path / "s.wav"
    first = vg_in_process("export", str(short), "-o", str(out))
    assert first.returncode == 0 and "replaced" not in first.stdout
    second = vg_in_process("export", str(short), "-o", str(out))
    assert second.returncode == 0 and "replaced" in second.stdout, second.stdout
    out.write_bytes(b"keep me")
    kept = vg_in_process("export", str(short), "-o", str(out), "--no-clobber")
    assert kept.returncode == 1 and "exists" in kept.stderr and "--no-clobber" in kept.stderr
    assert out.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "s.wav", "short.yaml"]


def test_no_clobber_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    with pytest.raises(ExportError, match="exists"), atomic_path(target, clobber=False) as temp:
        temp.write_text("new")
        target.write_text("raced")  # appeared while we were writing
    assert target.read_text() == "raced" and [p.name for p in tmp_path.iterdir()] == ["t.txt"]


# ---- stdout ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac"])
def test_dash_streams_to_stdout(tmp_path: Path, short: Path, fmt: str) -> None:
    result = run_bytes(tmp_path, "export", str(short), "-o", "-", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "-").exists()
    if fmt == "wav":
        whole = tmp_path / "w.wav"
        assert run_bytes(tmp_path, "export", str(short), "-o", str(whole)).returncode == 0
        assert result.stdout[44:] != b"" and read_wav(whole).pcm in result.stdout
    else:
        decoded = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=format_name", "-of", "csv=p=0", "-"],
            input=result.stdout,
            capture_output=True,
            check=True,
        )
        assert fmt in decoded.stdout.decode()


def test_dash_refuses_what_cannot_stream(tmp_path: Path, short: Path) -> None:
    m4a = run_bytes(tmp_path, "export", str(short), "-o", "-", "--format", "m4a")
    assert m4a.returncode == 2 and b"seekable" in m4a.stderr and m4a.stdout == b""
    split = run_bytes(tmp_path, "export", str(short), "-o", "-", "--split")
    assert split.returncode == 2 and split.stdout == b""
    assert not (tmp_path / "-").exists()


# ---- folders --------------------------------------------------------------------------------------


def test_a_trailing_slash_makes_a_folder(vg_in_process: Runner, tmp_path: Path, short: Path) -> None:
    result = vg_in_process("export", str(short), "-o", "newdir/")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "newdir").iterdir()] == ["short.mp3"]
    result = vg_in_process("export", str(short), "-o", "parts/", "--split", "--format", "wav")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "parts").glob("short 0* - *.wav"))) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "newdir", "parts", "short.yaml"]


# ---- chapters in the summary ------------------------------------------------------------------------


@pytest.mark.ffmpeg
def test_the_summary_counts_chapters_only_where_the_file_carries_them(
    vg_in_process: Runner, tmp_path: Path, short: Path
) -> None:
    wav = vg_in_process("export", str(short), "-o", "s.wav")
    assert wav.returncode == 0 and "chapters" not in wav.stdout, wav.stdout
    mp3 = vg_in_process("export", str(short), "-o", "s.mp3")
    assert "5 chapters" in mp3.stdout, mp3.stdout
    for fmt, carried in (("flac", 0), ("m4a", 5)):
        report = json.loads(vg_in_process("export", str(short), "-o", f"s.{fmt}", "--json").stdout)
        assert report["chapters_in_file"] == carried and report["chapters"] == 5


# ---- leftovers of killed exports --------------------------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temp_files_are_removed_by_the_next_write(tmp_path: Path) -> None:
    dead = tmp_path / f".s.{dead_pid()}.x1y2.partial.wav"
    reused = tmp_path / f".t.{os.getpid()}.a1b2.partial.mp3"  # a live pid that started later
    live = tmp_path / f".u.{os.getpid()}.c3d4.partial.mp3"
    other = tmp_path / ".not-ours.partial"
    for path in (dead, reused, live, other):
        path.write_bytes(b"x")
    os.utime(reused, (946_684_800, 946_684_800))  # made in 2000, long before this process
    with atomic_path(tmp_path / "new.txt") as temp:
        temp.write_text("y")
    assert not dead.exists() and not reused.exists()
    assert live.exists() and other.exists()


@pytest.mark.slow
def test_a_killed_export_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    routine = tmp_path / "long.yaml"
    routine.write_text("title: Long\nsteps:\n" + "  - {say: Go., hold: 10m}\n" * 30)
    env = dict(
        os.environ,
        VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"),
        VOICEGUIDE_ENGINE="fake",
        VOICEGUIDE_CONFIG_DIR=str(tmp_path / "no-config"),
    )
    out = tmp_path / "out"
    process = subprocess.Popen(
        [str(VOICEGUIDE), "export", str(routine), "-o", str(out / "l.flac")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(out.glob(".*partial*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert list(out.glob(".*partial*")), "no temp file seen"
    (tmp_path / "short.yaml").write_text(YAML_ROUTINE)
    again = subprocess.run(
        [str(VOICEGUIDE), "export", str(tmp_path / "short.yaml"), "-o", str(out / "s.wav")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.iterdir()) == ["s.wav"]


# ---- inputs -----------------------------------------------------------------------------------------


def test_read_input_checks_kind_and_size(tmp_path: Path) -> None:
    (tmp_path / "ok").write_bytes(b"abc")
    assert read_input(tmp_path / "ok", 10, "pacing file") == b"abc"
    (tmp_path / "big").write_bytes(b"x" * 11)
    with pytest.raises(Exception, match="limited to"):
        read_input(tmp_path / "big", 10, "pacing file")
    os.mkfifo(tmp_path / "fifo")
    for special in (tmp_path / "fifo", Path("/dev/zero")):
        with pytest.raises(UsageError, match="not a regular file"):
            read_input(special, 10, "pacing file")
    with pytest.raises(UsageError, match="no such pacing file"):
        read_input(tmp_path / "nope", 10, "pacing file")
    with pytest.raises(UsageError, match="is a directory"):
        read_input(tmp_path, 10, "pacing file")


def test_special_files_as_inputs_are_refused_quickly(vg: Runner, tmp_path: Path, short: Path) -> None:
    os.mkfifo(tmp_path / "p.fifo")
    for pacing in ("/dev/zero", "p.fifo"):
        result = vg("show", str(short), "--pacing", pacing, timeout=20)
        assert result.returncode == 2 and "not a regular file" in result.stderr, result.stderr
    result = vg("validate", "p.fifo", timeout=20)
    assert result.returncode == 2 and "not a regular file" in result.stderr, result.stderr
    config = tmp_path / "config"
    config.mkdir()
    os.mkfifo(config / "pacing.yaml")
    result = vg("show", str(short), env={"VOICEGUIDE_CONFIG_DIR": str(config)}, timeout=20)
    assert result.returncode == 2 and "not a regular file" in result.stderr, result.stderr


def test_a_routine_from_stdin(tmp_path: Path) -> None:
    bad = b"title: Broken\nsteps:\n  - {say: Go., hodl: 3s}\n"
    result = run_bytes(tmp_path, "validate", "-", stdin=bad)
    assert result.returncode == 2 and b"<stdin>:3:16:" in result.stderr, result.stderr
    result = run_bytes(
        tmp_path,
        "export",
        "-",
        "-o",
        "out/",
        "--format",
        "wav",
        stdin=routine_named("One", title="My / Title").encode(),
    )
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["My Title.wav"]
    huge = run_bytes(tmp_path, "validate", "-", stdin=b"#" * ((1 << 20) + 1))
    assert huge.returncode == 2 and b"limited to 1 MiB" in huge.stderr
