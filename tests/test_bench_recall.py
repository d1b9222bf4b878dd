"""The intelligibility benchmark's arithmetic: how words are normalized and counted
(:mod:`voiceguide.speech.hearing`, which checked takes share), and the cues it reads back
from an export's subtitles (the recognizers themselves are not run here)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import numpy as np

from voiceguide.speech import hearing

from .helpers.run import REPO, Runner

sys.path.insert(0, str(REPO / "benchmarks"))

import bench_recall


def test_words_are_lower_case_without_punctuation_and_numbers_spelled() -> None:
    assert hearing.words_of("Breathe in… 4, then 21 [pause 2s] — don’t “rush”.") == [
        "breathe",
        "in",
        "four",
        "then",
        "twenty",
        "one",
        "do",
        "not",
        "rush",
    ]
    assert hearing.spell_number(105) == "one hundred five"


def test_contractions_are_the_words_they_stand_for() -> None:
    said, heard = (
        hearing.words_of("If you are pregnant, do not. Let us go."),
        hearing.words_of("If you're pregnant, don't. Let's go."),
    )
    assert said == heard
    assert hearing.words_of("We'll, I'm, they've, can't, won't") == [
        "we", "will", "i", "am", "they", "have", "can", "not", "will", "not",
    ]  # fmt: skip


def test_a_number_heard_as_its_homophone_is_heard() -> None:
    said, heard = hearing.words_of("2, 1, 4 to go"), hearing.words_of("to won for too go")
    assert hearing.recovered(said, heard) == 5
    assert hearing.recovered(hearing.words_of("1"), hearing.words_of("why")) == 0
    kept = bench_recall.Heard(bench_recall.Cue(0, 900, "Hold for 2."), {"whisper": "hold four to"})
    scored = kept.scored("whisper")
    assert (scored.found, scored.words, scored.recall, scored.right) == (3, 3, 1.0, True)
    missing = kept.scored("pocketsphinx")  # a judge that was not run heard nothing
    assert (missing.found, missing.recall, missing.right) == (0, 0.0, False)


def test_each_transcript_word_counts_once() -> None:
    assert hearing.recovered(["hold", "hold", "in"], ["hold", "in", "out"]) == 2
    assert hearing.recovered(["hold"], []) == 0
    assert hearing.recovered(["in", "out"], ["out", "in", "in"]) == 2


def test_a_compound_written_as_one_word_and_a_range_written_in_digits_are_heard() -> None:
    said = hearing.words_of("If you feel light-headed, rest for one to three breaths.")
    heard = hearing.words_of("If you feel lightheaded, rest for 1-3 breaths.")
    assert hearing.recovered(said, heard) == len(said) == 11
    assert hearing.words_of("2–4 times") == hearing.words_of("two to four times")
    # only neighbours join: "headlight" is not "light-headed"
    assert hearing.recovered(hearing.words_of("light-headed"), ["headlight"]) == 0


def test_resampling_keeps_a_tone_and_its_level() -> None:
    rate, new_rate = 22050, 16000
    t = np.arange(rate) / rate
    tone = 10000 * np.sin(2 * np.pi * 440 * t)
    out = hearing.resample(tone, rate, new_rate)
    assert len(out) == new_rate
    peak_hz = np.argmax(np.abs(np.fft.rfft(out))) * new_rate / len(out)
    assert abs(peak_hz - 440) <= 1 and abs(np.sqrt(np.mean(out**2)) - 10000 / np.sqrt(2)) < 50


def test_cues_come_from_the_exported_subtitles(vg_in_process: Runner, tmp_path: Path) -> None:
    long = " ".join(["Now let your shoulders drop, and your jaw soften."] * 4)  # shown in pieces
    (tmp_path / "r.yaml").write_text(
        "title: T\nsteps:\n  - {say: 'First, breathe in.', hold: 2s}\n  - {say: Second step., hold: 1s}\n"
        f"  - {{say: '{long}', hold: 1s}}\n"
    )
    result = vg_in_process("export", "r.yaml", "-o", "r.wav", "--subtitles", "vtt")
    assert result.returncode == 0, result.stderr
    assert "\n3.2\n" in (tmp_path / "r.vtt").read_text()
    cues = bench_recall.read_vtt(tmp_path / "r.vtt")
    assert [c.text for c in cues] == ["First, breathe in.", "Second step.", long]  # one per utterance
    samples, rate = bench_recall.read_wav(tmp_path / "r.wav")
    assert all(0 <= c.start_ms < c.end_ms <= len(samples) * 1000 // rate for c in cues)
    assert cues[0].end_ms <= cues[1].start_ms
    cut = bench_recall.cue_cut(samples, rate, cues[0])
    assert len(cut) == (cues[0].end_ms - cues[0].start_ms) * rate // 1000
    audio = hearing.resample(cut, rate, bench_recall.RECOGNIZER_RATE)
    assert abs(len(audio) - (cues[0].end_ms - cues[0].start_ms) * 16) <= 16  # 16 kHz
    padded = hearing.for_whisper(audio, 16_000)
    assert len(padded) == len(audio) + 2 * hearing.PAD_MS * 16 and padded.dtype == np.float32
    assert np.max(np.abs(padded)) <= 1.0


class _CountingJudge:
    """Writes down how many samples it heard, and how many times it was asked."""

    def __init__(self) -> None:
        self.asked = 0

    def transcribe(self, audio: np.ndarray) -> str:
        self.asked += 1
        return f"{len(audio)} samples"


def test_audio_heard_once_is_remembered_across_routines_and_runs(tmp_path: Path) -> None:
    memory = tmp_path / "heard.json"
    judge = _CountingJudge()
    first = bench_recall.Transcripts(memory)
    audio = {"a": np.zeros(10), "b": np.zeros(20)}
    assert first.hear("whisper", judge, audio) == {"a": "10 samples", "b": "20 samples"}
    assert first.hear("whisper", judge, {"b": np.zeros(20), "c": np.zeros(30)})["c"] == "30 samples"
    assert (judge.asked, first.transcribed, first.reused) == (3, 3, 1)
    later = bench_recall.Transcripts(memory)  # another run, reading the file
    assert later.hear("whisper", judge, {"c": np.zeros(30)}) == {"c": "30 samples"}
    assert later.hear("pocketsphinx", judge, {"c": np.zeros(30)}) == {"c": "30 samples"}
    assert (judge.asked, later.reused) == (4, 1)  # each judge hears for itself
    beside = bench_recall.Transcripts(memory)  # two runs at once keep what each heard
    later.hear("whisper", judge, {"d": np.zeros(40)})
    beside.hear("whisper", judge, {"e": np.zeros(50)})
    both = bench_recall.Transcripts(memory).hear("whisper", judge, {"d": np.zeros(1), "e": np.zeros(1)})
    assert both == {"d": "40 samples", "e": "50 samples"} and judge.asked == 6
    unkept = bench_recall.Transcripts(None)  # remembers within its run only
    unkept.hear("whisper", judge, {"a": np.zeros(10)})
    unkept.hear("whisper", judge, {"a": np.zeros(10)})
    assert judge.asked == 7


class _Refused(Exception):
    pass


def _error(message: str) -> NoReturn:
    raise _Refused(message)


def test_held_out_routines_and_files_are_judged_the_bundled_ones_reported(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("title: Mine\nsteps:\n  - {say: Hello., hold: 1s}\n")
    chosen = bench_recall.chosen_routines("box-breathing", [mine], True, _error)
    assert chosen["box-breathing"][1] is False  # reported, not judged: we wrote it
    assert chosen[str(mine)] == (mine, True)
    held_out = {label for label, (_, judged) in chosen.items() if label.startswith("heldout/") and judged}
    assert len(held_out) >= 3
    assert held_out == {f"heldout/{p.stem}" for p in bench_recall.HELDOUT.glob("*.yaml")}
    assert set(bench_recall.chosen_routines("none", [], False, _error)) == set()
    bad_choices: list[tuple[str | None, list[Path]]] = [
        ("no-such-routine", []),
        (None, [tmp_path / "missing.yaml"]),
    ]
    for bad in bad_choices:
        try:
            bench_recall.chosen_routines(bad[0], bad[1], False, _error)
        except _Refused:
            continue
        raise AssertionError(f"{bad} was accepted")
