"""Long ``say`` texts: spoken in chunks (one long espeak-ng utterance crashed the process
and took quadratic time), a documented per-text limit in the loader, and normal texts
spoken exactly as before."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from voiceguide.pcm.clip import Clip
from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.loader import load_routine
from voiceguide.routine.text import CHUNK_CHARS, MAX_TEXT_CHARS, normalize, synthesis_chunks
from voiceguide.speech.chunked import chunk_pause_ms, join_clips, speak_in_chunks
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.espeak import Pyttsx3Engine
from voiceguide.timing.pacing import resolve_pacing
from voiceguide.timing.timeline import utterances

from .helpers.run import Runner

SENTENCES = (
    "Let your breath slow down, and let the floor carry your weight.",
    "Notice where your body touches the mat.",
    "Relax your jaw, your shoulders and your hands.",
    "Stay here for a few breaths!",
    "Is your lower back soft?",
)


def long_text(n_chars: int) -> str:
    """Guidance sentences repeated up to about ``n_chars`` characters (never more)."""
    out: list[str] = []
    size = -1
    i = 0
    while size + 1 + len(SENTENCES[i % len(SENTENCES)]) <= n_chars:
        out.append(SENTENCES[i % len(SENTENCES)])
        size += 1 + len(out[-1])
        i += 1
    return " ".join(out)


def routine_yaml(say: str) -> str:
    return str(yaml.safe_dump({"title": "Long", "steps": [{"name": "Talk", "say": say, "hold": "2s"}]}))


# ---- cutting a text ---------------------------------------------------------------------
def test_a_text_up_to_the_chunk_size_is_one_unchanged_piece() -> None:
    text = long_text(CHUNK_CHARS)
    assert len(text) <= CHUNK_CHARS
    assert synthesis_chunks(text) == (text,)


def test_a_long_text_is_cut_after_sentences_into_pieces_that_fit() -> None:
    text = long_text(5 * CHUNK_CHARS)
    chunks = synthesis_chunks(text)
    assert len(chunks) >= 5
    assert all(len(chunk) <= CHUNK_CHARS for chunk in chunks)
    assert " ".join(chunks) == text
    assert all(chunk.endswith((".", "!", "?")) for chunk in chunks)
    # packed: no two neighbours would have fitted in one piece
    assert all(len(a) + 1 + len(b) > CHUNK_CHARS for a, b in pairwise(chunks))


def test_a_sentence_longer_than_a_piece_is_cut_at_clauses_then_spaces_then_inside_a_word() -> None:
    clauses = ", ".join(["breathe in and breathe out"] * 80) + "."
    chunks = synthesis_chunks(clauses, 100)
    assert " ".join(chunks) == clauses
    assert all(len(c) <= 100 and c.endswith((",", ".")) for c in chunks)
    words = " ".join(["relax"] * 100)
    assert " ".join(synthesis_chunks(words, 50)) == words
    assert all(len(c) <= 50 for c in synthesis_chunks(words, 50))
    assert synthesis_chunks("x" * 25, 10) == ("x" * 10, "x" * 10, "x" * 5)


def test_quotes_after_a_sentence_end_stay_with_their_sentence() -> None:
    text = 'She said "stop." Then we rested. (Quietly.) And then?'
    assert synthesis_chunks(text, 20) == ('She said "stop."', "Then we rested.", "(Quietly.) And then?")


# ---- joining the clips ------------------------------------------------------------------
def test_chunk_clips_are_joined_with_a_one_word_pause() -> None:
    a, b = Clip(b"\1\0" * 10, 1000), Clip(b"\2\0" * 5, 1000)
    joined = join_clips([a, Clip(b"", 1000), b], 7, 1000)
    assert joined.pcm == a.pcm + b"\0\0" * 7 + b.pcm  # the empty clip adds no pause
    assert chunk_pause_ms(150) == 400 - 60  # one word at 150 wpm, less the 30 ms kept each side
    assert chunk_pause_ms(10_000) == 0


def test_speak_in_chunks_speaks_a_short_text_once_unchanged_and_a_long_one_per_chunk() -> None:
    said: list[str] = []

    def speak(text: str) -> Clip:
        said.append(text)
        return Clip(b"\1\0" * len(text), 22050)

    short = long_text(CHUNK_CHARS)
    assert speak_in_chunks(short, speak, 150, 22050) == Clip(b"\1\0" * len(short), 22050)
    assert said == [short]
    said.clear()
    long = long_text(3 * CHUNK_CHARS)
    clip = speak_in_chunks(long, speak, 150, 22050)
    assert said == list(synthesis_chunks(long))
    pause = chunk_pause_ms(150) * 22050 // 1000
    assert clip.n_samples == sum(map(len, said)) + pause * (len(said) - 1)


# ---- normal texts: exactly today's path ---------------------------------------------------
def test_every_bundled_text_is_spoken_in_one_piece() -> None:
    for name, path in bundled_routines():
        routine, _ = load_routine(path)
        for text in utterances(routine, resolve_pacing(routine).pacing):
            assert synthesis_chunks(text) == (text,), (name, text)


@pytest.mark.espeak
def test_espeak_speaks_a_normal_text_in_one_utterance_and_a_long_one_in_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = Pyttsx3Engine()
    spoken: list[str] = []
    real = Pyttsx3Engine._speak_to_file

    def spy(self: Pyttsx3Engine, text: str) -> bytes:
        spoken.append(text)
        return real(self, text)

    monkeypatch.setattr(Pyttsx3Engine, "_speak_to_file", spy)
    normal = "Relax your shoulders and breathe deeply into your lower back."
    engine.synthesize(normal, VoiceSpec(None, 150))
    assert spoken == [normal]
    spoken.clear()
    text = long_text(2 * CHUNK_CHARS + 200)
    clip = engine.synthesize(text, VoiceSpec(None, 150))
    assert spoken == list(synthesis_chunks(text)) and len(spoken) == 3
    words = len(text.split())  # spoken at 150 wpm: loosely between 100 and 300
    assert words / 300 * 60_000 < clip.duration_ms < words / 100 * 60_000
    engine.close()


# ---- the limit ----------------------------------------------------------------------------
def test_a_text_over_the_limit_exits_2_with_its_position(vg_in_process: Runner, tmp_path: Path) -> None:
    text = long_text(MAX_TEXT_CHARS + 200)
    assert len(normalize(text)) > MAX_TEXT_CHARS
    (tmp_path / "long.yaml").write_text(routine_yaml(text), encoding="utf-8")
    for command in ("validate", "show", "export"):
        args = [command, "long.yaml"] + (["-o", "out.wav"] if command == "export" else [])
        result = vg_in_process(*args)
        assert result.returncode == 2, (command, result.stderr)
        assert "long.yaml:4:" in result.stderr, result.stderr  # say: is on line 4
        assert f"{MAX_TEXT_CHARS:,}" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.wav").exists()


def test_a_text_at_the_limit_is_valid(vg_in_process: Runner, tmp_path: Path) -> None:
    text = long_text(MAX_TEXT_CHARS)
    (tmp_path / "long.yaml").write_text(routine_yaml(text), encoding="utf-8")
    result = vg_in_process("validate", "long.yaml", "--no-speech")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
@pytest.mark.espeak
def test_a_text_just_under_the_limit_is_spoken_by_espeak_quickly(vg: Runner, tmp_path: Path) -> None:
    text = long_text(MAX_TEXT_CHARS)
    assert len(text) > MAX_TEXT_CHARS - 100
    (tmp_path / "long.yaml").write_text(routine_yaml(text), encoding="utf-8")
    result = vg("show", "long.yaml", "--json", "--measure", engine="espeak-ng", timeout=240)
    assert result.returncode == 0, (result.returncode, result.stderr)  # -11 was the crash
    # (how long it takes is benchmarks/bench_long_text.py's business, not a timed assertion)
    speech = json.loads(result.stdout)["events"][0]
    words = len(text.split())
    assert words / 300 * 60_000 < speech["end_ms"] - speech["start_ms"] < words / 100 * 60_000
