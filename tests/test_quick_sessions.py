"""Quick sessions without writing YAML (issue 14 item 10): `voiceguide breathe PATTERN`
(box, 4-7-8, coherent or a custom pattern, for --minutes or --cycles) and `voiceguide timer`
(--hold/--rest/--rounds/--say); both play, or export with -o, through the same code as
`play` and `export`, and --yaml prints the routine they make."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from voiceguide.errors import UsageError
from voiceguide.pcm.wavfile import read_wav
from voiceguide.routine.loader import parse_routine
from voiceguide.routine.model import BreathPattern, Step
from voiceguide.routine.quick import (
    NAMED_PATTERNS,
    WORD_PHASE_MS,
    breath_pattern,
    breathe_routine,
    cycles_for,
    parse_minutes,
    timer_routine,
)
from voiceguide.routine.schema import MAX_CYCLES

from .helpers.alsa import alsa_env, alsa_home
from .helpers.run import Runner

# ---- the pure part: patterns, minutes, cycles, the routine text ----------------------------


def test_named_and_custom_patterns() -> None:
    assert breath_pattern("box") == BreathPattern(4000, 4000, 4000, 4000)
    assert breath_pattern("4-7-8") == BreathPattern(4000, 7000, 8000, 0)
    assert breath_pattern("coherent") == BreathPattern(5500, 0, 5500, 0)
    assert breath_pattern("4-2-6") == BreathPattern(4000, 2000, 6000, 0)
    assert breath_pattern(" Box ") == breath_pattern("BOX") == breath_pattern("box")
    assert set(NAMED_PATTERNS) >= {"box", "4-7-8", "coherent"}


@pytest.mark.parametrize("bad", ["", "squares", "4-x-8", "4", "0-4", "4-70", "inf-4", "٤-٤"])
def test_a_bad_pattern_says_what_is_accepted(bad: str) -> None:
    with pytest.raises(UsageError) as caught:
        breath_pattern(bad)
    said = f"{caught.value.message}\n{caught.value.hint}"
    assert "box" in said and "coherent" in said
    assert caught.value.exit_code == 2


def test_minutes_are_read_exactly_into_ms() -> None:
    assert parse_minutes("5") == 300_000
    assert parse_minutes("2.5") == 150_000
    assert parse_minutes("0.1") == 6_000
    assert parse_minutes(" 1.0001 ") == 60_006
    for bad in ("0", "0.0", "-1", "abc", "1e3", "nan", "inf", "٥", "5m", "", "1441", "9" * 40):
        with pytest.raises(UsageError):
            parse_minutes(bad)


def test_minutes_become_the_nearest_whole_number_of_cycles() -> None:
    assert cycles_for(breath_pattern("4-7-8"), 300_000) == 16  # 19 s cycles: 15.79
    assert cycles_for(breath_pattern("box"), 300_000) == 19  # 16 s: 18.75
    assert cycles_for(breath_pattern("coherent"), 300_000) == 27  # 11 s: 27.27
    assert cycles_for(breath_pattern("coherent"), 5_500) == 1  # half a cycle: rounds up
    assert cycles_for(breath_pattern("4-4"), 4_000) == 1  # never none
    assert cycles_for(breath_pattern("1-1"), 8_000 * 250) == 1000
    with pytest.raises(UsageError) as caught:
        cycles_for(breath_pattern("1-1"), 8_000 * 251)
    assert str(MAX_CYCLES) in caught.value.message


def test_the_breathing_routine_is_valid_and_holds_the_pattern() -> None:
    quick = breathe_routine("4-7-8", minutes="5")
    routine, warnings = parse_routine(quick.text.encode(), "quick.yaml")
    assert warnings == ()
    breathing = [s.breathe for s in routine.steps if isinstance(s, Step) and s.breathe]
    assert len(breathing) == 1 and breathing[0] is not None
    assert breathing[0].pattern == BreathPattern(4000, 7000, 8000, 0)
    assert breathing[0].cycles == 16
    assert "4-7-8" in routine.title
    assert quick.name == "breathe-4-7-8"
    assert breathe_routine("box", cycles=3).name == "breathe-box"
    with pytest.raises(UsageError):
        breathe_routine("box", minutes="5", cycles=3)  # one or the other


def _phase_words(pattern: str) -> dict[str, str]:
    routine, _ = parse_routine(breathe_routine(pattern, cycles=1).text.encode(), "quick.yaml")
    breathing = [s.breathe for s in routine.steps if isinstance(s, Step) and s.breathe]
    assert breathing[0] is not None
    return {phase: breathing[0].words[phase] for phase in ("inhale", "exhale")}


def test_short_phases_are_called_with_words_heard_right_where_they_fit() -> None:
    """Under 2 s a phase gets one word: "Inhale" / "Exhale" (Whisper heard piper's "In" as
    "And" or "Then" in every take) where an inhale and an exhale last 1.5 s or more; below
    that, "In" / "Out" (the only words short enough)."""
    long_words = _phase_words("4-4")
    assert long_words["inhale"] == "Breathe in" and long_words["exhale"] == "Breathe out"
    assert _phase_words("1.5-1.5") == {"inhale": "Inhale", "exhale": "Exhale"}
    assert _phase_words("4-1-4") == {"inhale": "Inhale", "exhale": "Exhale"}
    assert _phase_words("1.5-1-1.5")["inhale"] == "Inhale"
    assert _phase_words("1.4-2") == {"inhale": "In", "exhale": "Out"}
    assert _phase_words("3-1.4")["exhale"] == "Out"


def test_a_breathing_session_starts_with_the_breathing_safety_lines_and_4_7_8_is_one_set() -> None:
    """A new user's `breathe 4-7-8` ran 16 breaths with no safety lines, where the bundled
    4-7-8 routine teaches one set of four after the breathing safety set."""
    routine, _ = parse_routine(breathe_routine("4-7-8").text.encode(), "quick.yaml")
    assert any(line.startswith("Get help now") for line in routine.safety)
    assert any("shorten the holds" in line for line in routine.safety)
    breathing = [s.breathe for s in routine.steps if isinstance(s, Step) and s.breathe]
    assert breathing[0] is not None and breathing[0].cycles == 4
    assert parse_routine(breathe_routine("4-7-8", minutes="5").text.encode(), "q.yaml")[0].steps
    box, _ = parse_routine(breathe_routine("box").text.encode(), "quick.yaml")
    assert box.safety and [s.breathe.cycles for s in box.steps if isinstance(s, Step) and s.breathe] == [19]


def test_the_timer_routine_is_valid() -> None:
    quick = timer_routine(30_000, 10_000, 8, "Next", 3)
    routine, warnings = parse_routine(quick.text.encode(), "quick.yaml")
    assert warnings == () and "8" in routine.title
    assert quick.name == "timer-30s-10s-x8"
    for bad in [
        (0, 10_000, 8),
        (30_000, 10_000, 0),
        (30_000, -1, 8),
        (7_200_000, 0, 13),
        (30_000, 10_000, 100_000),
    ]:
        with pytest.raises(UsageError):
            timer_routine(*bad, "Next", 3)
    with pytest.raises(UsageError):
        timer_routine(30_000, 10_000, 8, "   ", 3)


# ---- through the command line: --yaml, show, export ----------------------------------------


def _saved(vg: Runner, tmp_path: Path, *args: str) -> Path:
    result = vg(*args, "--yaml")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "saved.yaml"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def _timeline(vg: Runner, path: Path) -> dict[str, object]:
    shown = vg("show", str(path), "--json")
    assert shown.returncode == 0, shown.stderr
    document: dict[str, object] = json.loads(shown.stdout)
    return document


def _starts(document: dict[str, object], text: str) -> list[int]:
    events = document["events"]
    assert isinstance(events, list)
    return [e["start_ms"] for e in events if e["text"] == text]


def test_breathe_minutes_become_cycles_of_the_exact_pattern(vg_in_process: Runner, tmp_path: Path) -> None:
    document = _timeline(vg_in_process, _saved(vg_in_process, tmp_path, "breathe", "4-7-8", "--minutes", "1"))
    starts = _starts(document, "Breathe in")
    assert len(starts) == 3  # 60 s / 19 s = 3.16
    assert {b - a for a, b in itertools.pairwise(starts)} == {19_000}
    box = _timeline(vg_in_process, _saved(vg_in_process, tmp_path, "breathe", "box", "--cycles", "2"))
    assert len(_starts(box, "Breathe in")) == 2 and len(_starts(box, "Hold")) == 4


def test_timer_holds_and_rests_exactly(vg_in_process: Runner, tmp_path: Path) -> None:
    document = _timeline(
        vg_in_process,
        _saved(
            vg_in_process,
            tmp_path,
            "timer",
            "--hold",
            "3s",
            "--rest",
            "2s",
            "--rounds",
            "3",
            "--say",
            "Next",
            "--countdown",
            "off",
        ),
    )
    events = document["events"]
    assert isinstance(events, list)
    said = [e for e in events if e["text"] == "Next"]
    chimes = [e for e in events if e["kind"] == "chime"]
    assert len(said) == 3 and len(chimes) == 3
    for word, chime in zip(said, chimes, strict=True):
        assert chime["start_ms"] - word["end_ms"] == 3_000  # the hold, after the word
    for chime, word in zip(chimes[:-1], said[1:], strict=True):
        assert word["start_ms"] - chime["end_ms"] == 2_000  # the rest, between rounds only
    titles = [c["title"] for c in document["chapters"]]  # type: ignore[attr-defined]
    assert sum("round" in t for t in titles) == 3


def test_a_quick_export_is_the_export_of_its_routine(vg_in_process: Runner, tmp_path: Path) -> None:
    for args in (
        ["breathe", "coherent", "--cycles", "2"],
        ["timer", "--hold", "4s", "--rest", "1s", "--rounds", "2", "--say", "Go"],
    ):
        saved = _saved(vg_in_process, tmp_path, *args)
        quick = vg_in_process(*args, "-o", "quick.wav")
        assert quick.returncode == 0, quick.stderr
        assert "quick.wav" in quick.stdout
        plain = vg_in_process("export", str(saved), "-o", "plain.wav")
        assert plain.returncode == 0, plain.stderr
        assert read_wav(tmp_path / "quick.wav").pcm == read_wav(tmp_path / "plain.wav").pcm


def test_a_quick_export_into_a_folder_is_named_after_the_session(
    vg_in_process: Runner, tmp_path: Path
) -> None:
    result = vg_in_process("breathe", "box", "--cycles", "1", "-o", "out/", "--format", "wav")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["breathe-box.wav"]


def test_the_user_pacing_file_does_not_change_what_was_asked(vg_in_process: Runner, tmp_path: Path) -> None:
    args = [("breathe", "4-7-8", "--cycles", "2"), ("timer", "--hold", "5s", "--rest", "2s", "--rounds", "2")]
    plain = []
    for i, command in enumerate(args):
        result = vg_in_process(*command, "-o", f"plain{i}.wav")
        assert result.returncode == 0, result.stderr
        plain.append(read_wav(tmp_path / f"plain{i}.wav").pcm)
    config = tmp_path / "config"
    config.mkdir()
    (config / "pacing.yaml").write_text(
        "breath: 4-4-4-4\ncycles: 5\nhold_scale: 2\nrest_scale: 3\nduration: 15m\n"
    )
    for i, command in enumerate(args):
        result = vg_in_process(*command, "-o", f"mine{i}.wav", env={"VOICEGUIDE_CONFIG_DIR": str(config)})
        assert result.returncode == 0, result.stderr
        assert read_wav(tmp_path / f"mine{i}.wav").pcm == plain[i]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["breathe", "4-x-8"], "box"),
        (["breathe", "sideways"], "coherent"),
        (["breathe", "box", "--minutes", "0"], "minutes"),
        (["breathe", "box", "--minutes", "99999999"], "minutes"),
        (["breathe", "1-1", "--minutes", "1000"], "1000"),
        (["breathe", "box", "--minutes", "five"], "minutes"),
        (["breathe", "box", "--cycles", "0"], "cycles"),
        (["breathe", "box", "--cycles", "3", "--minutes", "2"], "--cycles"),
        (["timer", "--rounds", "0"], "rounds"),
        (["timer", "--rounds", "99999999999999999999"], "rounds"),
        (["timer", "--hold", "0s"], "hold"),
        (["timer", "--hold", "25h"], "hold"),
        (["timer", "--hold", "2h", "--rounds", "13"], "24 hours"),
        (["timer", "--rest", "-3s"], "rest"),
        (["timer", "--say", " "], "say"),
        (["timer", "--hold", "2s", "--countdown", "5"], "countdown"),
    ],
)
def test_mistakes_are_clear_usage_errors(vg_in_process: Runner, args: list[str], says: str) -> None:
    result = vg_in_process(*args, "-o", "never.wav")
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not Path("never.wav").exists()


def test_the_helps_say_how_to_play_and_export(vg_in_process: Runner) -> None:
    breathe = vg_in_process("breathe", "--help").stdout
    for word in ("box", "4-7-8", "coherent", "--minutes", "--cycles", "-o", "--yaml"):
        assert word in breathe
    timer = vg_in_process("timer", "--help").stdout
    for word in ("--hold", "--rest", "--rounds", "--say", "-o", "--countdown"):
        assert word in timer
    top = vg_in_process("--help").stdout
    assert "breathe" in top and "timer" in top


@pytest.mark.alsa
def test_without_o_the_session_plays(vg: Runner, tmp_path: Path) -> None:
    """The same audio `play` gives: through ALSA into a capture file."""
    home = alsa_home(tmp_path, append=True)  # a cold session plays as several streams
    env = alsa_env(home)
    result = vg("breathe", "4-4", "--cycles", "1", "--lead-in", "0", "--quiet", "--rate", "130", env=env)
    assert result.returncode == 0, result.stderr
    exported = vg("breathe", "4-4", "--cycles", "1", "-o", str(tmp_path / "e.wav"), "--rate", "130", env=env)
    assert exported.returncode == 0, exported.stderr
    assert (home / "capture.raw").read_bytes() == read_wav(tmp_path / "e.wav").pcm
    # the history keeps the session as `play` would: its file (which stays) and its options
    history = vg("history", "--json", env=env)
    assert history.returncode == 0, history.stderr
    session = json.loads(history.stdout)["sessions"][0]
    assert Path(session["routine"]).is_file()
    arguments = " ".join(session["arguments"])
    assert "--breath=4-4" in arguments and "--cycles 1" in arguments and "--rate 130" in arguments


def test_a_quick_exports_warnings_name_its_command_not_a_file_in_the_cache(
    vg_in_process: Runner, tmp_path: Path
) -> None:
    """The user never wrote the routine file a quick session is played from: its warnings
    name the command and options that made it (a 0.3 s hold is shorter than "Hold")."""
    result = vg_in_process("breathe", "4-0.3-4", "--cycles", "2", "--rate", "150", "-o", "out.wav")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert any('"Hold" takes' in line for line in warnings), result.stderr
    assert all(line.startswith("breathe 4-0.3-4 --cycles 2 --rate 150: warning: ") for line in warnings)
    assert ".yaml" not in result.stderr and "quick" not in result.stderr


@pytest.mark.alsa
def test_a_played_quick_sessions_warnings_name_its_command(vg: Runner, tmp_path: Path) -> None:
    env = alsa_env(alsa_home(tmp_path, append=True))
    result = vg("breathe", "4-0.3-4", "--cycles", "1", "--lead-in", "0", "--quiet", env=env)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert any('"Hold" takes' in line for line in warnings), result.stderr
    assert all(line.startswith("breathe 4-0.3-4 --cycles 1: warning: ") for line in warnings)
    assert ".yaml" not in result.stderr


# ---- the real engine ------------------------------------------------------------------------


@pytest.mark.espeak  # under a second each (0.9 s and 0.4 s measured): not slow
@pytest.mark.parametrize(
    "args",
    [
        ["breathe", "4-7-8", "--cycles", "1"],
        # the shortest phases called "Inhale" / "Exhale", at the slowest rate: they fit
        ["breathe", f"{WORD_PHASE_MS / 1000:g}-{WORD_PHASE_MS / 1000:g}", "--cycles", "7", "--rate", "80"],
        ["timer", "--hold", "3s", "--rest", "1s", "--rounds", "2", "--say", "Next"],
    ],
)
def test_a_quick_session_exports_with_espeak(
    vg_in_process: Runner, tmp_path: Path, shared_cache: Path, args: list[str]
) -> None:
    started = time.monotonic()
    result = vg_in_process(
        *args, "-o", "real.wav", engine="espeak-ng", env={"VOICEGUIDE_CACHE_DIR": str(shared_cache)}
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    wav = read_wav(tmp_path / "real.wav")
    seconds = len(wav.pcm) / (wav.sample_rate * 2)  # mono, 16-bit
    assert seconds > (19 if args[0] == "breathe" else 7)
    print(f"{args[0]}: {time.monotonic() - started:.2f} s for {seconds:.1f} s of audio")
