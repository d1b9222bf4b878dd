"""A cold session's lengths (a new user's tryout): while `play` streams, speech not made yet
counts as long as its estimate, the length `show` gives it, not 0 ms. So the display's
total starts near the real one and becomes it as speech is made (lower-back-stretch
started at "9:26 left" of 12:32 and climbed), a session stopped early is kept in the
history with its best estimate ("0:00 of 3:30" for desk-break's 6:21), and the timing lint
waits for measured speech (desk-break's intro "we will stand up" was flagged as a move
given 5 s, which `validate` does not say)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from voiceguide.pcm.clip import Clip
from voiceguide.pcm.wavfile import read_wav
from voiceguide.play.player import Player
from voiceguide.play.sink import FakeSink
from voiceguide.preview import preview
from voiceguide.routine.bundled import resolve_routine
from voiceguide.session import GrowingSession, finish, plan
from voiceguide.speech.cache import ClipCache
from voiceguide.speech.engine import VoiceSpec

from .helpers.engines import Held
from .helpers.run import Runner
from .helpers.scripted import ScriptedKeys, stop_after


class Drawling(Held):
    """Held's engine (the first texts at once, the rest when the test opens the gate), its
    words 4 % slower than the fake engine's formula, which is the estimate: an engine whose
    clips are not quite what was estimated, as a real one's."""

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        return super().synthesize(text, replace(voice, rate_wpm=voice.rate_wpm * 25 // 26))


class QuitOpensGate(ScriptedKeys):
    """The scripted keys; "q" also opens :class:`Held`'s gate, so the clip being made when
    the session stops is finished (the rest is cancelled) and the process need not wait."""

    def read(self, timeout_s: float) -> str | None:
        key = super().read(timeout_s)
        if key == "q":
            Held.gate.set()
        return key


@pytest.fixture(autouse=True)
def held() -> Iterator[None]:
    Held.reset()
    yield
    Held.gate.set()  # never leave a scheduler thread waiting


@pytest.mark.slow  # lower-back-stretch's speech made, compiled again as it comes (5 s at load 17)
def test_the_display_starts_at_shows_total_and_ends_at_the_measured_one(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    routine = resolve_routine("lower-back-stretch")
    with GrowingSession(plan(routine, Drawling, cache)) as growing:
        player = Player(growing, growing.clips, 22050, FakeSink(), clock=lambda: 0.0)
        while not growing.clips.lengths:
            growing.advance(None)  # its first sound is made; the rest waits for the gate
        assert not growing.complete and len(Held.spoken) == 1
        first = player.status().duration_ms  # what the display's "left" counts down from
        shown = preview(routine, cache, engine_factory=Drawling)  # `show` on the same cache
        assert shown.is_estimate and first == shown.session.timeline.duration_ms
        Held.gate.set()
        totals = [first]
        while not growing.complete:
            growing.advance(None)  # the next lengths made
            totals.append(player.status().duration_ms)
    measured, _ = finish(plan(routine, Drawling, cache))  # every clip cached now
    final = measured.timeline.duration_ms
    assert totals[-1] == final and first != final  # an estimate, then the real length
    assert all(abs(total - final) <= 0.03 * final for total in totals), (first, final)
    # (before, unmade speech counted 0 ms: the display started near 60 % of this one)


@pytest.mark.slow  # desk-break's speech made (3.4 s at load 17)
def test_a_cold_sessions_lint_waits_for_measured_speech(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    routine = resolve_routine("desk-break")
    with GrowingSession(plan(routine, Held, cache)) as growing:
        growing.advance(None)
        assert not growing.complete
        assert growing.timing_warnings == () and growing.session().warnings == ()
        assert not [w for w in growing.timeline.warnings if "changes position" in w.message]
        Held.gate.set()
        while not growing.complete:
            growing.advance(None)
        assert growing.timing_warnings == growing.timeline.warnings == ()  # as `validate` says


def test_a_lint_warning_comes_once_the_speech_is_measured(tmp_path: Path) -> None:
    path = tmp_path / "late.yaml"
    path.write_text(
        "title: Late\nsteps:\n  - name: Reach\n    say: Reach up.\n    hold: 5s\n"
        "    cues: [{at: 4s, say: Keep breathing slowly and keep reaching up high.}]\n"
    )
    cache = ClipCache(tmp_path / "cache")
    with GrowingSession(plan(path, Held, cache)) as growing:
        growing.advance(None)
        assert not growing.complete and growing.timing_warnings == ()
        Held.gate.set()
        while not growing.complete:
            growing.advance(None)
        [warning] = growing.timing_warnings
        assert "past the end of its hold" in warning.message and warning in growing.session().warnings


@pytest.mark.slow  # play, export, history (9 s at load 17)
def test_a_cold_play_stopped_at_once_keeps_the_exports_length_and_warns_of_nothing(
    vg_in_process: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data_env = {"VOICEGUIDE_DATA_DIR": str(tmp_path / "data")}
    monkeypatch.setattr("voiceguide.speech.fake.FakeEngine", Held)  # the test engine, made slowly
    stop_after(monkeypatch, ["q"])
    monkeypatch.setattr("voiceguide.play.keys.KeyReader", QuitOpensGate)
    stopped = vg_in_process("play", "desk-break", "--lead-in", "0", env=data_env)
    assert stopped.returncode == 0, stopped.stderr
    texts = len(plan(resolve_routine("desk-break"), Held, ClipCache(tmp_path / "other")).texts)
    assert len(Held.spoken) < texts // 2  # stopped with its speech unmade (a clip a thread at the gate)
    assert "warning" not in stopped.stderr, stopped.stderr  # (was: "stand up" changes position)
    listed = vg_in_process("history", "--json", env=data_env)
    [entry] = json.loads(listed.stdout)["sessions"]
    assert entry["completed"] is False
    out = tmp_path / "desk-break.wav"
    exported = vg_in_process("export", "desk-break", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    wav = read_wav(out)
    assert abs(len(wav.pcm) // 2 * 1000 // wav.sample_rate - entry["duration_ms"]) <= 1
    text = vg_in_process("history", env=data_env)
    assert "6:2" in text.stdout, text.stdout  # (0:00 of 6:2x), not of 3:30


def test_an_intros_warning_is_placed_at_the_intro_not_the_title(
    vg_in_process: Runner, tmp_path: Path
) -> None:
    """desk-break's streaming warning pointed at `title:` (line 6): the intro's place is its own."""
    path = tmp_path / "moves.yaml"
    path.write_text(
        "# a routine that asks for a move and gives it no time\n"
        "title: Moves\n"
        "intro: >-\n"
        "  Please stand up.\n"
        "steps:\n"
        "  - name: Reach\n"
        "    say: Reach up.\n"
        "    hold: 10s\n"
    )
    result = vg_in_process("validate", str(path))
    [line] = [line for line in result.stderr.splitlines() if "changes position" in line]
    assert line.startswith(f"{path}:3:8: warning: Introduction:"), line
