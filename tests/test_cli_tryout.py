"""Small command-line fixes found by a new user's tryout, each through the real CLI:
``validate -`` reads standard input once, ``cache prune`` sizes, ``list --max``, messages."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from .helpers.run import VOICEGUIDE, Runner, private_environment

VALID = "title: From a pipe\nsteps:\n  - {say: Breathe in., hold: 2s}\n"


def piped(tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """The console script with ``stdin`` on its standard input (a pipe), privately."""
    env = dict(os.environ) | private_environment(tmp_path, "fake")
    env.pop("VOICEGUIDE_DEBUG", None)
    command = [str(VOICEGUIDE), *args]
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )


def test_validate_reads_standard_input_once(tmp_path: Path) -> None:
    # the timing lint loaded the routine a second time, from a standard input already read
    for extra in ((), ("--no-speech",)):
        result = piped(tmp_path, "validate", "-", *extra, stdin=VALID)
        assert result.returncode == 0, result.stderr
        assert "empty" not in result.stderr
        assert result.stdout.startswith("ok: <stdin> (From a pipe"), result.stdout


def on_terminal(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """The console script with its standard error on a pseudo-terminal (where progress bars
    are drawn) and its output on a pipe: exit code, output, what the terminal received."""
    env = dict(os.environ) | private_environment(tmp_path, "fake") | {"TERM": "xterm", "COLUMNS": "100"}
    env.pop("VOICEGUIDE_DEBUG", None)
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [str(VOICEGUIDE), *args], stdout=subprocess.PIPE, stderr=follower, env=env, cwd=tmp_path, text=True
    ) as process:
        os.close(follower)
        received = b""
        while True:  # until the terminal's other end is closed: the process has exited
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: no writer left
                break
            if not chunk:
                break
            received += chunk
        output = process.stdout.read() if process.stdout else ""
        code = process.wait(timeout=120)
    os.close(leader)
    return code, output, received.decode(errors="replace")


def test_validate_shows_the_speech_bar_on_a_terminal(tmp_path: Path) -> None:
    # a cold cache took 96 s with piper and said nothing meanwhile
    code, output, terminal = on_terminal(tmp_path, "validate", "box-breathing")
    assert code == 0 and output.startswith("ok: "), terminal
    assert "Synthesizing speech" in terminal
    cold = ("--cache-dir", "other")
    code, output, terminal = on_terminal(tmp_path, "validate", "box-breathing", "--json", *cold)
    assert code == 0 and output.startswith("["), terminal
    assert "Synthesizing speech" not in terminal  # JSON asks for quiet


def test_cache_prune_needs_a_unit_and_says_what_is_left(vg_in_process: Runner) -> None:
    assert vg_in_process("synthesize", "box-breathing", "-q").returncode == 0
    before = json.loads(vg_in_process("cache", "stats", "--json").stdout)
    # a bare number was bytes: 'prune --max-size 200' silently removed every clip
    result = vg_in_process("cache", "prune", "--max-size", "200")
    assert result.returncode == 2
    assert "--max-size: '200' has no unit" in result.stderr and "did you mean 200MB?" in result.stderr
    assert json.loads(vg_in_process("cache", "stats", "--json").stdout) == before  # nothing removed
    kept = vg_in_process("cache", "prune", "--max-size", "1GB")
    assert kept.returncode == 0, kept.stderr
    assert f"removed 0 clips (0 B); {before['entries']} clips left" in kept.stdout
    half = before["bytes"] // 2
    trimmed = vg_in_process("cache", "prune", "--max-size", f"{half}B")
    after = json.loads(vg_in_process("cache", "stats", "--json").stdout)
    assert 0 < after["entries"] < before["entries"] and after["bytes"] <= half
    removed = before["entries"] - after["entries"]
    assert f"removed {removed} clips (" in trimmed.stdout
    assert f"; {after['entries']} clips left (" in trimmed.stdout


def test_sizes_read_with_their_units() -> None:
    from voiceguide.cli.cache import _parse_size
    from voiceguide.errors import UsageError

    assert _parse_size("200MB") == _parse_size("200M") == _parse_size("200 mb") == 200_000_000
    assert _parse_size("1.5GB") == 1_500_000_000
    assert _parse_size("500k") == _parse_size("500kB") == 500_000
    assert _parse_size("1000000B") == 1_000_000
    assert _parse_size("0") == 0  # nothing is nothing in any unit
    for bare, meant in (("200", "200MB"), ("1.5", "1.5MB"), ("1e3", "1e3MB")):
        with pytest.raises(UsageError, match=f"did you mean {meant}"):
            _parse_size(bare)


def test_list_max_of_a_bare_number_hints_minutes(vg_in_process: Runner) -> None:
    # '--max 10' is ten seconds, as every duration without a unit: nothing is that short
    result = vg_in_process("list", "--max", "10")
    assert result.returncode == 0, result.stderr
    assert "no routine matches" in result.stderr
    assert "--max 10 is 10 seconds; did you mean --max 10m?" in result.stderr
    assert "box-breathing" in vg_in_process("list", "--max", "10m").stdout
    spelled = vg_in_process("list", "--max", "10s")  # a unit typed: meant as it says
    assert "no routine matches" in spelled.stderr and "did you mean" not in spelled.stderr
    off = vg_in_process("list", "--max", "off")  # not a length: was read as 0 s
    assert off.returncode == 2 and "off" in off.stderr


def test_an_unknown_voice_names_the_near_one(vg_in_process: Runner) -> None:
    # 'unknown voice', and nothing more, for a language written with '_' or a part of a name
    spelled = vg_in_process("show", "box-breathing", "--engine", "espeak-ng", "--voice", "en_GB")
    assert spelled.returncode == 2
    assert "unknown voice 'en_GB'" in spelled.stderr and 'did you mean "en-gb"?' in spelled.stderr
    part = vg_in_process("show", "box-breathing", "--engine", "piper", "--voice", "joe")
    assert part.returncode == 2 and 'did you mean "en_US-joe-medium"?' in part.stderr, part.stderr
    elsewhere = vg_in_process("show", "box-breathing", "--engine", "piper", "--voice", "en-gb")
    assert elsewhere.returncode == 2
    assert "espeak-ng has it: --engine espeak-ng --voice en-gb" in elsewhere.stderr, elsewhere.stderr


def test_voice_suggestions() -> None:
    from voiceguide.speech.engine import VoiceInfo, voice_suggestion

    voices = [
        VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb",)),
        VoiceInfo("gmw/en-us", "English (America)", ("en-us",)),
        VoiceInfo("en_US-joe-medium", "Joe (US English, neural, CC0)", ("en-us",)),
    ]
    assert voice_suggestion(voices, "en_GB") == ' (did you mean "en-gb"?)'
    assert voice_suggestion(voices, "EN_us") == ' (did you mean "en-us"?)'
    assert voice_suggestion(voices, "joe") == ' (did you mean "en_US-joe-medium"?)'
    assert voice_suggestion(voices, "English (Amerca)") == ' (did you mean "English (America)"?)'
    assert voice_suggestion(voices, "Klingonese") == ""
    assert voice_suggestion(voices, "e") == ""  # too short to be part of a name


def test_messages_a_new_user_met(vg: Runner, vg_in_process: Runner) -> None:
    speed = vg_in_process("show", "box-breathing", "--speed", "2")
    assert speed.returncode == 2 and "Did you mean '--rate'?" in speed.stderr  # was '--preset'
    gentle = vg_in_process("show", "box-breathing", "--preset", "Gentle")
    assert gentle.returncode == 0 and "preset gentle" in gentle.stdout, gentle.stderr
    five = vg_in_process("breathe", "4-7-9-9-9")
    assert five.returncode == 2
    assert "it has 5 phases, at most 4 (in-hold-out-hold)" in five.stderr
    assert five.stderr.count("joined by '-'") == 1, five.stderr  # the advice once
    svg = vg_in_process("show", "box-breathing", "--svg", "box.svg")
    assert svg.stdout.startswith("wrote box.svg"), svg.stdout  # as every other 'wrote …'
    history_help = vg("history", "--help", env={"COLUMNS": "80"}).stdout
    assert [line for line in history_help.splitlines() if len(line) > 80] == []
    assert "change of position" in vg_in_process("validate", "--help").stdout
    assert "one of your" in vg_in_process("--help").stdout
    assert "one of yours" in vg_in_process("play").stderr


def test_an_empty_history_names_the_command_as_typed(vg: Runner, tmp_path: Path) -> None:
    link = tmp_path / "bin" / "voiceguide"
    link.parent.mkdir()
    link.symlink_to(VOICEGUIDE)
    empty = vg("history", env={"VOICEGUIDE_PROG": "bin/voiceguide", "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert "No sessions yet: each `bin/voiceguide play` is recorded here." in empty.stdout, empty.stdout


class Heard:
    """A listener that writes the same transcript for every take."""

    def __init__(self, transcript: str) -> None:
        self.transcript = transcript

    def transcribe(self, clip: object) -> str:
        return self.transcript


LONG = "Get help now if you have chest pain, or you cannot catch your breath and it does not ease."


def test_synthesize_check_shows_the_words_heard_wrong(
    vg_in_process: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceguide.speech import hearing
    from voiceguide.speech.fake import FakeEngine

    (tmp_path / "r.yaml").write_text(f"title: R\nsteps:\n  - {{say: {json.dumps(LONG)}, hold: 1s}}\n")
    # heard '…chest pai…es.' as '…chest pai…es.' (96%): the cut hid what was misheard
    monkeypatch.setattr(hearing, "listener", lambda: Heard(LONG.replace("chest", "chess")))
    result = vg_in_process("synthesize", "r.yaml", "--check")
    assert result.returncode == 0, result.stderr
    assert '"chest" heard as "chess" (' in result.stdout, result.stdout
    assert "none replaced: another take would sound the same" in result.stdout
    monkeypatch.setattr(FakeEngine, "takes_vary", True, raising=False)
    monkeypatch.setattr(hearing, "listener", lambda: Heard(LONG.replace("catch ", "")))
    again = vg_in_process("synthesize", "r.yaml", "--check")
    assert '"catch" not heard (' in again.stdout, again.stdout
    assert "none replaced: no new take was heard better" in again.stdout


def test_misheard_words() -> None:
    from voiceguide.speech.hearing import misheard

    assert misheard("Lie still", "Why still?") == [("lie", "why")]
    assert misheard("Breathe in slowly, then out", "Breathe slowly then now out") == [("in", "")]
    assert misheard("Hold", "Hold.") == []


PACER = """\
import sys, time
out = open(sys.argv[1], "ab")
began, done = time.monotonic(), 0
while chunk := sys.stdin.buffer.read(2205):  # 50 ms of 22050 Hz mono int16
    out.write(chunk)
    out.flush()
    done += len(chunk)
    time.sleep(max(0.0, began + done / 44100 - time.monotonic()))  # no faster than real time
"""


def _own_terminal() -> None:  # in the child: a session of its own, the pseudo-terminal its terminal
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.mark.alsa
@pytest.mark.slow  # a real play at the pace of a sound card
def test_a_play_whose_terminal_closes_is_recorded_where_it_stopped(tmp_path: Path) -> None:
    # the terminal closed (SIGHUP): drawing the display, then restoring the terminal failed
    # (EIO) while the stop unwound, and the session ended as an internal error, unrecorded
    import select
    import sys
    import time

    from .helpers.alsa import alsa_env, alsa_home

    home = alsa_home(tmp_path)
    (home / "pacer.py").write_text(PACER)
    paced = home / "paced.raw"
    (home / ".asoundrc").write_text(
        f'pcm.!default {{ type file; slave.pcm "null"; '
        f'file "| {sys.executable} {home / "pacer.py"} {paced}"; format "raw" }}\n'
    )
    env = dict(os.environ) | private_environment(tmp_path, "fake") | alsa_env(home) | {"TERM": "xterm"}
    env.pop("VOICEGUIDE_DEBUG", None)
    leader, follower = pty.openpty()
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as err:
        process = subprocess.Popen(
            [str(VOICEGUIDE), "timer", "--hold", "20s", "--rounds", "2", "--lead-in", "0"],
            env=env,
            stdin=follower,
            stdout=follower,
            stderr=err,
            preexec_fn=_own_terminal,
        )
    os.close(follower)
    deadline = time.monotonic() + 300  # a bound on a hung player, not a timing check
    while not (paced.exists() and paced.stat().st_size >= 2 * 22050 * 3) and time.monotonic() < deadline:
        if select.select([leader], [], [], 0.05)[0]:  # the display, read as a terminal would
            os.read(leader, 65536)
    os.close(leader)  # the terminal window closed: SIGHUP
    code = process.wait(timeout=60)
    said = errors.read_text()
    assert code == 128 + 1, said  # SIGHUP's, as Ctrl-C's is 130
    assert "internal error" not in said and "Traceback" not in said
    history = subprocess.run(
        [str(VOICEGUIDE), "history", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    [entry] = json.loads(history.stdout)["sessions"]
    assert entry["completed"] is False and 2000 <= entry["stopped_ms"] < entry["duration_ms"], entry


@pytest.mark.alsa
@pytest.mark.slow  # two timers played at a sound card's pace
def test_a_quick_session_in_history_shows_only_the_options_given(vg: Runner, tmp_path: Path) -> None:
    # the pins a quick session plays at were shown as if typed: --hold-scale 1.0 --rest-scale 1.0 …
    from .helpers.alsa import alsa_env, alsa_home

    env = alsa_env(alsa_home(tmp_path))  # a device that takes the sound as fast as it comes
    played = vg("timer", "--hold", "2s", "--rest", "1s", "--rounds", "2", "--rate", "170", "-q", env=env)
    assert played.returncode == 0, played.stderr
    shown = vg("history", env=env).stdout
    assert "Timer: 2 × 2s, 1s rest: completed" in shown, shown
    assert "[standard · 170 wpm; --rate 170 --lead-in 0]" in shown or "--rate 170" in shown, shown
    for pinned in ("--hold-scale", "--rest-scale", "--duration", "--countdown"):
        assert pinned not in shown, shown
    [kept] = json.loads(vg("history", "--json", env=env).stdout)["sessions"]
    assert "--hold-scale=1.0" in kept["arguments"] and "--countdown=2" in kept["arguments"]  # for --resume
    counted = vg("timer", "--hold", "2s", "--rounds", "1", "--countdown", "1", "-q", env=env)
    assert counted.returncode == 0, counted.stderr
    assert "--countdown 1" in vg("history", env=env).stdout  # given: shown
