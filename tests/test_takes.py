"""Checked takes (issue 24 item 2): a take heard wrong is made again before it enters the
cache, the best heard is kept, the entry records its check, a take somebody waits for is
stored at once unchecked, and only ``recheck`` (``synthesize --check``) replaces a take."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import ClassVar

import pytest

from voiceguide.pcm.clip import Clip
from voiceguide.speech import hearing
from voiceguide.speech.cache import ClipCache, key_for
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine
from voiceguide.speech.scheduler import Need, Scheduler
from voiceguide.speech.synth import recheck_cached, synthesize_into
from voiceguide.speech.takes import MAX_TAKES, SHORT_TAKES, UNCHECKED, Check, best_take, take, tries_for

from .helpers.run import Runner

VOICE = VoiceSpec(None, 150)


class Takes(FakeEngine):
    """A fake whose takes vary: take n of a text is a tone of its own (its pitch from n)."""

    takes_vary = True

    def __init__(self) -> None:
        super().__init__()
        self.made: dict[str, int] = {}

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        n = self.made.get(text, 0) + 1
        self.made[text] = n
        return super().synthesize(text, VoiceSpec(f"take {n}", voice.rate_wpm))


class Script:
    """A listener that writes, for the n-th take it hears, the n-th transcript given (the
    last one after that), and can be held at its start."""

    def __init__(self, *heard: str) -> None:
        self.heard = heard
        self.calls = 0
        self.started = threading.Event()

    def transcribe(self, clip: Clip) -> str:
        self.started.set()
        self.calls += 1
        return self.heard[min(self.calls, len(self.heard)) - 1]


def test_a_take_heard_right_is_kept_at_once() -> None:
    engine, listener = Takes(), Script("Breathe in slowly.")
    clip, check = take(
        lambda: engine.synthesize("Breathe in slowly", VOICE), "Breathe in slowly", listener, True
    )
    assert check == Check(True, 1.0, "Breathe in slowly.", 1)
    assert engine.made == {"Breathe in slowly": 1} and listener.calls == 1
    assert clip.pcm == Takes().synthesize("Breathe in slowly", VOICE).pcm  # the first take


def test_a_take_heard_wrong_is_made_again_until_heard_right() -> None:
    engine, listener = Takes(), Script("Old.", "Ow.", "Hold.")
    clip, check = take(lambda: engine.synthesize("Hold", VOICE), "Hold", listener, True)
    assert check == Check(True, 1.0, "Hold.", 3)
    assert engine.made == {"Hold": 3}
    third = Takes()
    for _ in range(3):
        expected = third.synthesize("Hold", VOICE)
    assert clip.pcm == expected.pcm


def test_the_best_heard_take_is_kept_when_none_is_heard_right() -> None:
    engine = Takes()
    listener = Script("why still", "lie", "lie will", "fly still")  # 50 %, 50 %, 50 %, 50 %
    clip, check = take(lambda: engine.synthesize("Lie still", VOICE), "Lie still", listener, True)
    assert engine.made == {"Lie still": SHORT_TAKES} and listener.calls == SHORT_TAKES
    assert check == Check(True, 0.5, "why still", SHORT_TAKES)  # the earliest among equals
    assert clip.pcm == Takes().synthesize("Lie still", VOICE).pcm
    engine, listener = Takes(), Script("nothing here", "lift your heads", "left your hips")
    clip, check = take(lambda: engine.synthesize("Lift your hips", VOICE), "Lift your hips", listener, True)
    assert (check.recall, check.heard, check.takes) == (2 / 3, "lift your heads", MAX_TAKES)


def test_a_text_of_one_or_two_words_gets_more_takes() -> None:
    """heldout-calm-breath's "Slowly out" (said without espeak-ng's linking glide) was
    heard right in 6 of 16 fresh takes in the check's window: three takes kept one heard
    wrong about one time in four, six one in sixteen; a take of it costs a tenth of a
    sentence's."""
    assert tries_for("In") == tries_for("Slowly out.") == SHORT_TAKES > MAX_TAKES
    assert tries_for("Breathe in slowly") == MAX_TAKES
    engine, listener = Takes(), Script("And", "Then", "And", "Ben", "And", "In.")
    _, check = take(lambda: engine.synthesize("In", VOICE), "In", listener, True)
    assert check == Check(True, 1.0, "In.", SHORT_TAKES) and engine.made == {"In": SHORT_TAKES}
    engine, listener = Takes(), Script("Lift your heads")  # three words: three takes
    _, check = take(lambda: engine.synthesize("Lift your hips", VOICE), "Lift your hips", listener, True)
    assert check.takes == MAX_TAKES and engine.made == {"Lift your hips": MAX_TAKES}


def test_a_long_sentence_one_word_in_ten_off_is_kept_but_a_short_text_must_be_whole() -> None:
    """More takes of a long sentence one word off rarely did better (issue 24's run: 13 of
    15 still missed a word after four), and hearing one costs as much as making it."""
    text = "Let your shoulders soften and breathe slowly into your belly now"  # 11 words
    engine, listener = Takes(), Script(text.replace("soften", "often"), text)
    _, check = take(lambda: engine.synthesize(text, VOICE), text, listener, True)
    assert (check.takes, engine.made) == (1, {text: 1}) and check.recall == 10 / 11
    two_off = text.replace("soften", "often").replace("belly", "jelly")
    engine, listener = Takes(), Script(two_off, text)
    _, check = take(lambda: engine.synthesize(text, VOICE), text, listener, True)
    assert (check.takes, check.recall) == (2, 1.0)  # two words in eleven: made again
    nine = "Breathe slowly into your belly and let it go"  # 9 words: every one counts
    engine, listener = Takes(), Script(nine.replace("belly", "jelly"), nine)
    assert take(lambda: engine.synthesize(nine, VOICE), nine, listener, True)[1].takes == 2


def test_takes_that_cannot_differ_or_without_a_listener_are_stored_unchecked() -> None:
    engine, listener = Takes(), Script("Old.")
    assert take(lambda: engine.synthesize("Hold", VOICE), "Hold", listener, False)[1] == UNCHECKED
    assert take(lambda: engine.synthesize("Hold", VOICE), "Hold", None, True)[1] == UNCHECKED
    assert listener.calls == 0 and engine.made == {"Hold": 2}  # one take each, never heard


def test_an_urgent_take_is_stored_as_it_is() -> None:
    engine, listener = Takes(), Script("Old.")
    _, check = best_take(lambda: engine.synthesize("Hold", VOICE), "Hold", listener, urgent=lambda: True)
    assert check == UNCHECKED and listener.calls == 0 and engine.made == {"Hold": 1}
    # needed at the playhead after one take was heard: that one is kept, nothing more made
    urgent = threading.Event()

    class Hears(Script):
        def transcribe(self, clip: Clip) -> str:
            urgent.set()  # the session caught up while the first take was heard
            return super().transcribe(clip)

    engine, listener = Takes(), Hears("Old.", "Hold.")
    _, check = best_take(lambda: engine.synthesize("Hold", VOICE), "Hold", listener, urgent=urgent.is_set)
    assert check == Check(True, 0.0, "Old.", 1) and engine.made == {"Hold": 1}


def test_the_entry_records_its_check(tmp_path: Path) -> None:
    cache, engine = ClipCache(tmp_path), Takes()
    clip = synthesize_into(cache, engine, "Hold", VOICE, Script("Old.", "Hold."))
    stored = cache.entry(key_for(engine, "Hold", VOICE))
    assert stored is not None
    assert stored[0] == clip and stored[1]["check"] == {
        "checked": True,
        "recall": 1.0,
        "heard": "Hold.",
        "takes": 2,
    }
    assert Check.from_meta(stored[1]) == Check(True, 1.0, "Hold.", 2)
    synthesize_into(cache, FakeEngine(), "Out", VOICE, Script("Ow."))  # takes never vary
    plain = cache.entry(key_for(FakeEngine(), "Out", VOICE))
    assert plain is not None and plain[1]["check"] == {"checked": False}
    assert Check.from_meta({"text": "made before checking"}) == UNCHECKED


class Held(Takes):
    """Takes that wait for the test's gate, and say when the first one is asked for."""

    gate: ClassVar[threading.Event] = threading.Event()
    asked: ClassVar[threading.Event] = threading.Event()

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        Held.asked.set()
        assert Held.gate.wait(30), "the test never opened the gate"
        return super().synthesize(text, voice)


@pytest.fixture
def held() -> None:
    Held.gate, Held.asked = threading.Event(), threading.Event()


@pytest.mark.usefixtures("held")
def test_a_take_the_playhead_waits_for_is_not_checked(tmp_path: Path) -> None:
    """The first sound is not delayed by checking: hurried while its take was being made,
    the take is stored as soon as it is made, unheard, and marked unchecked."""
    listener = Script("Old.")
    synthesis = Scheduler(1, listen=lambda: listener)
    try:
        with synthesis.request(["Hold", "Out"], Held, VOICE, ClipCache(tmp_path)) as request:
            assert Held.asked.wait(30)
            request.hurry("Hold")  # the session caught up with synthesis
            Held.gate.set()
            assert request.wait_for("Hold", 30) is not None
            assert request.wait_for("Out", 30) is not None
    finally:
        synthesis.close()
    engine = Held()
    hold = ClipCache(tmp_path).entry(key_for(engine, "Hold", VOICE))
    out = ClipCache(tmp_path).entry(key_for(engine, "Out", VOICE))
    assert hold is not None and out is not None
    assert Check.from_meta(hold[1]) == UNCHECKED
    # "Out", not hurried, was checked: heard wrong each time, made SHORT_TAKES times (one word)
    assert Check.from_meta(out[1]) == Check(True, 0.0, "Old.", SHORT_TAKES)
    assert listener.calls == SHORT_TAKES


def test_hurrying_a_queued_text_makes_it_next(tmp_path: Path) -> None:
    made: list[str] = []
    hurried = threading.Event()

    class Order(FakeEngine):
        def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
            made.append(text)
            assert hurried.wait(60)  # the first text is being made when "d" is hurried (on a
            return super().synthesize(text, voice)  # busy machine a, b and c were done by then)

    synthesis = Scheduler(1, listen=lambda: None)
    try:
        with synthesis.request(["a", "b", "c", "d"], Order, VOICE, ClipCache(tmp_path), Need.BACKGROUND) as r:
            r.hurry("d")
            hurried.set()
            r.wait_all()
    finally:
        synthesis.close()
    assert made.index("d") <= 1  # next after the one begun ("a", unless the hurry came first)


def test_recheck_replaces_only_a_take_heard_worse(tmp_path: Path) -> None:
    cache, engine = ClipCache(tmp_path), Takes()
    first = synthesize_into(cache, engine, "Hold", VOICE)  # stored unchecked (no listener)
    key = key_for(engine, "Hold", VOICE)
    done = recheck_cached(cache, engine, "Hold", VOICE, Script("Old.", "Old.", "Hold."))
    assert done is not None and done.replaced
    assert (done.before, done.after) == (UNCHECKED, Check(True, 1.0, "Hold.", 3))
    stored = cache.entry(key)
    assert stored is not None and stored[0] != first and Check.from_meta(stored[1]) == done.after
    assert stored[1]["text"] == "Hold"  # the rest of the metadata kept
    # heard right already: left alone, nothing heard or made
    again = Script("Old.")
    assert recheck_cached(cache, engine, "Hold", VOICE, again) == type(done)(
        "Hold", done.after, done.after, False
    )
    assert again.calls == 0
    assert recheck_cached(cache, engine, "never cached", VOICE, again) is None


def test_recheck_of_a_take_that_cannot_differ_records_its_score(tmp_path: Path) -> None:
    cache, engine = ClipCache(tmp_path), FakeEngine()  # like espeak-ng: the same take each time
    first = synthesize_into(cache, engine, "Lie still", VOICE)
    done = recheck_cached(cache, engine, "Lie still", VOICE, Script("why still"))
    assert done is not None and not done.replaced and done.after == Check(True, 0.5, "why still", 1)
    stored = cache.entry(key_for(engine, "Lie still", VOICE))
    assert stored is not None and stored[0] == first and Check.from_meta(stored[1]) == done.after
    assert engine.calls == ["Lie still"]  # no second take made


def test_a_replacement_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A replacement that fails half-way leaves the old entry whole and no temporary file."""
    cache, engine = ClipCache(tmp_path), Takes()
    first = synthesize_into(cache, engine, "Hold", VOICE)
    key = key_for(engine, "Hold", VOICE)

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(Exception, match="No space left"):
        recheck_cached(cache, engine, "Hold", VOICE, Script("Old.", "Hold."))
    monkeypatch.undo()
    stored = cache.entry(key)
    assert stored is not None and stored[0] == first and Check.from_meta(stored[1]) == UNCHECKED
    assert [p.name for p in cache.path_for(key).parent.iterdir()] == [cache.path_for(key).name]


# ---- the real recognizer ------------------------------------------------------------------------
needs_whisper = pytest.mark.skipif(not hearing.is_available(), reason="the hearing extra is not installed")


@pytest.mark.slow
@needs_whisper
def test_whisper_hears_a_clear_take_right_and_a_wrong_one_wrong() -> None:
    from voiceguide.speech.espeak import Pyttsx3Engine

    engine = Pyttsx3Engine()
    listener = hearing.WhisperListener()
    right = hearing.judge(
        "Breathe in slowly", listener.transcribe(engine.synthesize("Breathe in slowly", VOICE))
    )
    assert right.right, right
    wrong = hearing.judge("Hold", listener.transcribe(engine.synthesize("Sandwich", VOICE)))
    assert not wrong.right, wrong


@pytest.mark.slow
@needs_whisper
def test_a_misheard_take_is_made_again_and_a_good_one_kept(tmp_path: Path) -> None:
    """With Whisper: a take that says the wrong word (as piper's "Hold" heard "Old") is made
    again; a take heard right is kept at once."""
    from voiceguide.speech.espeak import Pyttsx3Engine

    class FirstTakeWrong(Pyttsx3Engine):
        takes_vary = True

        def __init__(self) -> None:
            super().__init__()
            self.takes = 0

        def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
            self.takes += 1
            return super().synthesize("Sandwich" if self.takes == 1 else text, voice)

    cache, listener = ClipCache(tmp_path), hearing.WhisperListener()
    misheard = FirstTakeWrong()
    synthesize_into(cache, misheard, "Breathe in slowly", VOICE, listener)
    stored = cache.entry(key_for(misheard, "Breathe in slowly", VOICE))
    assert stored is not None
    check = Check.from_meta(stored[1])
    assert misheard.takes == 2 and check.right and check.takes == 2, check
    good = FirstTakeWrong()
    good.takes = 1  # its first take is already right
    synthesize_into(cache, good, "Lie down on your back", VOICE, listener)
    stored = cache.entry(key_for(good, "Lie down on your back", VOICE))
    assert stored is not None and Check.from_meta(stored[1]).takes == 1 and good.takes == 2


# ---- synthesize --check ---------------------------------------------------------------------------
def test_synthesize_check_replaces_a_cached_take_heard_wrong(
    vg_in_process: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.yaml").write_text("title: R\nsteps:\n  - {say: Hold, hold: 1s}\n")
    assert vg_in_process("synthesize", "r.yaml", "-q").returncode == 0  # cached, unchecked
    listener = Script("Old.", "Hold.")  # the cached take heard wrong, the next one right
    monkeypatch.setattr(hearing, "listener", lambda: listener)
    monkeypatch.setattr(FakeEngine, "takes_vary", True, raising=False)
    result = vg_in_process("synthesize", "r.yaml", "--check")
    assert result.returncode == 0, result.stderr
    assert "R: 1 takes checked" in result.stdout
    assert "1 heard right, 0 heard wrong (1 replaced by a new take heard better)" in result.stdout
    assert listener.calls == 2
    again = vg_in_process("synthesize", "r.yaml", "--check")  # checked and right: left alone
    assert "1 heard right, 0 heard wrong\n" in again.stdout
    assert listener.calls == 2


def test_synthesize_check_says_what_a_retry_cannot_mend(
    vg_in_process: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.yaml").write_text("title: R\nsteps:\n  - {say: Lie still, hold: 1s}\n")
    monkeypatch.setattr(hearing, "listener", lambda: Script("Why still?"))
    result = vg_in_process("synthesize", "r.yaml", "--check")
    assert result.returncode == 0, result.stderr
    assert "0 heard right, 1 heard wrong (none replaced: another take would sound the same)" in result.stdout
    assert """'Lie still': "lie" heard as "why" (50%)""" in result.stdout
    assert "fake says a text the same way each time: a respelling" in result.stdout


def test_synthesize_check_without_the_recognizer_says_what_to_install(
    vg_in_process: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.yaml").write_text("title: R\nsteps:\n  - {say: Hold, hold: 1s}\n")
    monkeypatch.setattr(hearing, "is_available", lambda: False)
    result = vg_in_process("synthesize", "r.yaml", "--check")
    assert result.returncode == 1
    assert "voiceguide[hearing]" in result.stderr and "Traceback" not in result.stderr
    assert vg_in_process("synthesize", "r.yaml", "-q").returncode == 0  # without --check: unchecked, quietly


# ---- the first sound --------------------------------------------------------------------------------
def test_checking_never_delays_the_first_sound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold session with takes that vary and a listener that would hold every check until
    the test ends: the player starts at once on the first take, stored unchecked."""
    from voiceguide.play.player import Player
    from voiceguide.play.sink import FakeSink
    from voiceguide.session import GrowingSession, plan

    hurried, released = threading.Event(), threading.Event()

    class Stuck(Script):
        def transcribe(self, clip: Clip) -> str:
            assert released.wait(30), "the test never released the listener"
            return super().transcribe(clip)

    class FirstWaits(Takes):
        def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
            if text == "Lie down.":  # the first take is made once the playhead asks for it
                assert hurried.wait(30), "the player never asked for the first clip"
            return super().synthesize(text, voice)

    original = GrowingSession.hurry

    def hurry(self: GrowingSession) -> None:
        original(self)
        hurried.set()

    monkeypatch.setattr(GrowingSession, "hurry", hurry)
    monkeypatch.setattr(hearing, "listener", lambda: Stuck("Old."))
    routine = tmp_path / "r.yaml"
    routine.write_text(
        "title: R\nsteps:\n  - {say: Lie down., hold: 1s}\n  - {say: Lift your hips., hold: 1s}\n"
    )
    cache = ClipCache(tmp_path / "cache")
    sink = FakeSink()
    try:
        with GrowingSession(plan(routine, FirstWaits, cache)) as growing:
            Player(growing, growing.clips, 22050, sink, clock=lambda: 0.0).start(0)
            assert len(sink.started) == 1  # sound, while the listener still holds every check
            first = cache.entry(key_for(FirstWaits(), "Lie down.", growing.plan.voice))
            assert first is not None and Check.from_meta(first[1]) == UNCHECKED
    finally:
        released.set()
