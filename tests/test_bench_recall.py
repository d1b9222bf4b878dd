"""The intelligibility benchmark's arithmetic: how words are normalized and counted, and the
cues it reads back from an export's subtitles (the recognizer itself is not run here)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import numpy as np

from .helpers.run import REPO, Runner

sys.path.insert(0, str(REPO / "benchmarks"))

import bench_recall


def test_words_are_lower_case_without_punctuation_and_numbers_spelled() -> None:
    assert bench_recall.words_of("Breathe in… 4, then 21 [pause 2s] — don’t “rush”.") == [
        "breathe",
        "in",
        "four",
        "then",
        "twenty",
        "one",
        "don't",
        "rush",
    ]
    assert bench_recall.spell_number(105) == "one hundred five"


def test_a_number_heard_as_its_homophone_is_heard() -> None:
    said, heard = bench_recall.words_of("2, 1, 4 to go"), bench_recall.words_of("to won for too go")
    assert bench_recall.recovered(said, heard) == 5
    assert bench_recall.recovered(bench_recall.words_of("1"), bench_recall.words_of("why")) == 0
    kept = bench_recall.heard_as(bench_recall.Cue(0, 900, "Hold for 2."), "hold four to")
    assert (kept.found, kept.words, kept.recall) == (3, 3, 1.0)


def test_each_transcript_word_counts_once() -> None:
    assert bench_recall.recovered(["hold", "hold", "in"], ["hold", "in", "out"]) == 2
    assert bench_recall.recovered(["hold"], []) == 0
    assert bench_recall.recovered(["in", "out"], ["out", "in", "in"]) == 2


def test_resampling_keeps_a_tone_and_its_level() -> None:
    rate, new_rate = 22050, 16000
    t = np.arange(rate) / rate
    tone = 10000 * np.sin(2 * np.pi * 440 * t)
    out = bench_recall.resample(tone, rate, new_rate)
    assert len(out) == new_rate
    peak_hz = np.argmax(np.abs(np.fft.rfft(out))) * new_rate / len(out)
    assert abs(peak_hz - 440) <= 1 and abs(np.sqrt(np.mean(out**2)) - 10000 / np.sqrt(2)) < 50


def test_cues_come_from_the_exported_subtitles(vg_in_process: Runner, tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "title: T\nsteps:\n  - {say: 'First, breathe in.', hold: 2s}\n  - {say: Second step., hold: 1s}\n"
    )
    result = vg_in_process("export", "r.yaml", "-o", "r.wav", "--subtitles", "vtt")
    assert result.returncode == 0, result.stderr
    cues = bench_recall.read_vtt(tmp_path / "r.vtt")
    assert [c.text for c in cues] == ["First, breathe in.", "Second step."]
    samples, rate = bench_recall.read_wav(tmp_path / "r.wav")
    assert all(0 <= c.start_ms < c.end_ms <= len(samples) * 1000 // rate for c in cues)
    assert cues[0].end_ms <= cues[1].start_ms
    pcm = bench_recall.cue_pcm(samples, rate, cues[0])
    expected = (cues[0].end_ms - cues[0].start_ms) * 16 + 2 * bench_recall.PAD_MS * 16
    assert abs(len(pcm) // 2 - expected) <= 16  # 16 kHz, 16-bit


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
