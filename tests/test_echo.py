"""The echo canceller (``play --listen`` over the guide's speech, issue 27): the delay found,
the guide's sound taken out of the microphone, a word said over it kept."""

from __future__ import annotations

import numpy as np

from voiceguide.play.echo import BLOCK, TAPS, TRUSTED_ERLE_DB, DelayFinder, EchoCanceller, PlayedSound
from voiceguide.play.listen import GuideVoice, VoiceCommands
from voiceguide.play.microphone import FakeMicrophone

from .helpers.room import RATE, talk, through_room


def cancel(canceller: EchoCanceller, mic: np.ndarray, ref: np.ndarray) -> np.ndarray:
    read = RATE // 50  # the microphone's 20 ms reads
    return np.concatenate(
        [canceller.process(mic[i : i + read], ref[i : i + read])[0] for i in range(0, len(mic), read)]
    )


def level_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x**2) + 1e-12))


def test_the_delay_from_playing_to_hearing_is_found() -> None:
    guide = talk(8, seed=1)
    delay = 2345  # 147 ms
    finder = DelayFinder()
    mic = through_room(guide, delay)
    for i in range(0, len(guide), 320):
        found = finder.feed(mic[i : i + 320], guide[i : i + 320])
    assert found is not None and abs(found - delay) <= 2


def test_no_delay_is_claimed_on_a_silent_reference() -> None:
    finder = DelayFinder()
    noise = np.random.default_rng(3).standard_normal(RATE * 8) * 500
    for i in range(0, len(noise), 320):
        assert finder.feed(noise[i : i + 320], np.zeros(320)) is None


def test_the_guides_sound_is_taken_out_of_the_microphone() -> None:
    guide = talk(20, seed=1)
    mic = through_room(guide, 1900)
    canceller = EchoCanceller()
    residual = cancel(canceller, mic, guide)
    assert len(residual) == len(mic) - len(mic) % BLOCK  # every sample, in order
    late = slice(12 * RATE, len(residual))
    assert level_db(mic[late]) - level_db(residual[late]) > 15  # dB of the echo taken out
    assert canceller.trusted and canceller.erle_db > TRUSTED_ERLE_DB
    untrained = EchoCanceller()  # the same microphone, the wrong reference: nothing to take out
    other = cancel(untrained, mic, talk(20, seed=9))
    assert abs(level_db(mic[late]) - level_db(other[late])) < 1 and not untrained.trusted


def test_a_word_said_over_the_guide_is_left_in_the_residual() -> None:
    guide = talk(20, seed=1)
    echo = through_room(guide, 1900)
    word = talk(0.6, seed=2)  # (a phrase from its start: sin(2) > -0.4)
    starts = range(14 * RATE, 18 * RATE, RATE // 10)
    at = max(starts, key=lambda a: float(np.mean(echo[a : a + len(word)] ** 2)))  # over the guide speaking
    word *= np.sqrt(np.mean(echo[at : at + len(word)] ** 2) / np.mean(word**2))  # as loud as the guide
    mic = echo.copy()
    mic[at : at + len(word)] += word
    residual = cancel(EchoCanceller(), mic, guide)
    kept = residual[at : at + len(word)]
    assert level_db(word) - level_db(kept - word) > 10  # the word, with the guide 10 dB under it
    before = level_db(word) - level_db(mic[at : at + len(word)] - word)
    assert before < 1  # (in the microphone the guide was as loud as the word)


def test_without_the_guides_sound_the_microphone_passes_unchanged() -> None:
    mic = talk(3, seed=2)
    residual = cancel(EchoCanceller(), mic, np.zeros(len(mic)))
    assert np.array_equal(residual, mic[: len(residual)])


class Transcribes:
    """A recognizer that writes ``text`` for anything, keeping what it was given."""

    name = "transcribes"

    def __init__(self, text: str) -> None:
        self.text = text
        self.given: list[bytes] = []

    def hear(self, pcm: bytes) -> str:
        self.given.append(pcm)
        return self.text


class Ticks:
    """A clock that moves 20 ms (one microphone read) each time it is read."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += 0.02
        return self.now


def listen_over_the_guide(
    transcript: str, cancel_echo: bool, hear_over_guide: bool = True
) -> tuple[VoiceCommands, float]:
    """A word said about 25 s into 30 s of the guide's talk, which the microphone hears from
    the room; the listener told what played (or not). Returns it, having heard it all, and the
    clock time the word ended."""
    guide = talk(30, seed=1)
    mic = through_room(guide, 1600) / 4  # (a quarter: the word over it stays clear of clipping)
    word = talk(0.6, seed=2)
    starts = range(24 * RATE, 27 * RATE, RATE // 10)
    at = max(starts, key=lambda a: float(np.mean(mic[a : a + len(word)] ** 2)))  # over the guide speaking
    word *= np.sqrt(10 * np.mean(mic[at : at + len(word)] ** 2) / np.mean(word**2))  # 10 dB over the guide
    mic[at : at + len(word)] += word
    t0 = 100.0  # the clock when the microphone's first sample was captured (and the guide began)
    voice = GuideVoice(lambda a, b: ("Pause here and breathe.",))
    for tick in range(301):  # the play loop's observations: the guide sounds throughout
        voice.observe(t0 + tick / 10, tick * 100, paused=False)
    played = PlayedSound()
    played.play(t0, guide)
    listener = VoiceCommands(
        FakeMicrophone(bytes(np.clip(mic, -32768, 32767).astype("<i2").tobytes())),
        Transcribes(transcript),
        voice,
        clock=Ticks(t0),
        played=played if cancel_echo else None,
        hear_over_guide=hear_over_guide,
    ).start()
    listener.wait(60)  # the recording heard to its end
    return listener, t0 + (at + len(word)) / RATE


def test_a_command_said_over_the_guide_is_heard_once_its_sound_is_taken_out() -> None:
    listener, word_end = listen_over_the_guide("Next.", cancel_echo=True)
    heard = list(listener.drain(1))
    assert [h.command for h in heard] == ["next"]
    assert abs(heard[0].spoken_end - word_end) < 0.4
    assert listener.canceller is not None and listener.canceller.trusted


def test_without_the_played_sound_a_command_over_the_guide_is_dropped() -> None:
    listener, _ = listen_over_the_guide("Next.", cancel_echo=False)
    assert list(listener.drain(1)) == [] and not listener.recognizer.given  # type: ignore[attr-defined]


def test_play_listen_does_not_yet_hear_commands_said_over_the_guide() -> None:
    """On a real device the canceller's leftovers of the guide were taken for "pause" 3 times
    in 10 minutes: ``play --listen`` keeps the guide's sound as a gate (HEAR_OVER_GUIDE)."""
    from voiceguide.play.listen import HEAR_OVER_GUIDE

    assert HEAR_OVER_GUIDE is False
    listener, _ = listen_over_the_guide("Next.", cancel_echo=True, hear_over_guide=HEAR_OVER_GUIDE)
    assert list(listener.drain(1)) == [] and not listener.recognizer.given  # type: ignore[attr-defined]
    assert listener.canceller is not None and listener.canceller.trusted  # it would have been heard
    assert any("not listened to" in note for note in listener.notes.queue)


def test_a_command_word_the_guide_said_then_is_not_acted_on() -> None:
    listener, _ = listen_over_the_guide("Pause.", cancel_echo=True)
    assert list(listener.drain(1)) == []
    notes = list(listener.notes.queue)
    assert 'ignored "Pause.": the guide said "pause" then' in notes


def test_what_played_is_resampled_without_seams_where_ticks_meet() -> None:
    rate, t0 = 22_050, 50.0
    t = np.arange(rate * 2) / rate
    signal = 8000 * np.sin(2 * np.pi * 1000 * t) + 3000 * np.sin(2 * np.pi * 9000 * t)  # 9 kHz: above 8
    once = PlayedSound()
    once.play_at(t0, signal, rate)
    ticked = PlayedSound()
    ticked.play_at(t0, signal[:4000], rate)  # (the first tick fixes the grid's origin)
    for i in range(2205, len(signal) - 8820, 2221):  # ticks, each a little more than 0.1 s on
        ticked.play_at(t0 + (i - TAPS) / rate, signal[i - TAPS : i + 8820], rate)
    n = RATE // 2
    assert np.allclose(ticked.take(t0 + 0.3, n), once.take(t0 + 0.3, n), atol=1e-6)
    # the 1 kHz tone at the capture rate, in phase; the 9 kHz one (no place at 16 kHz) gone
    heard = once.take(t0 + 0.3, n)
    expected = 8000 * np.sin(2 * np.pi * 1000 * (0.3 + np.arange(n) / RATE))
    assert np.max(np.abs(heard - expected)) < 200


def test_a_path_that_moves_is_followed_with_the_filter_kept() -> None:
    """A new stream moves the whole path from playing to hearing by some ms (on a real
    PulseAudio sink, 5-20 ms a join): the canceller reads the reference that much further
    back and keeps the room it learned, so it cancels again as soon as the delay is found,
    not after relearning (NLMS takes about 10 s)."""
    guide = talk(40, seed=7)
    jump_at, moved = 20 * RATE, 240  # 15 ms later from 20 s on
    mic = np.concatenate([through_room(guide, 1800)[:jump_at], through_room(guide, 1800 + moved)[jump_at:]])
    canceller = EchoCanceller()
    residual = cancel(canceller, mic, guide)
    before = slice(jump_at - 3 * RATE, jump_at)
    after = slice(jump_at + 4 * RATE, jump_at + 7 * RATE)  # found within 2 s, kept since
    assert level_db(mic[before]) - level_db(residual[before]) > 15
    assert level_db(mic[after]) - level_db(residual[after]) > 15
    assert canceller.delays.delay is not None and abs(canceller.delays.delay - (1800 + moved)) <= 2
    assert canceller.trusted
