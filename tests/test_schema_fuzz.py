"""Property test over the whole routine format: documents generated from the JSON Schema
that ``voiceguide schema`` prints, some laced with hostile numbers and strings, go through
the loader, pacing resolution (and ``--duration`` fitting), compile and render with the
fake engine's speech lengths. Nothing may escape but a :class:`VoiceguideError`.

The strategy is built here from the schema (hypothesis-jsonschema does not handle the
recursive ``steps`` nor run on current hypothesis): every keyword the schema uses is
interpreted, so a key added to the schema is generated without touching this file.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from voiceguide.errors import VoiceguideError
from voiceguide.routine.loader import parse_routine
from voiceguide.speech.fake import fake_speech_ms
from voiceguide.timing.fit import fit_duration, texts_for_fitting
from voiceguide.timing.pacing import resolve_pacing
from voiceguide.timing.timeline import compile, utterances

from .helpers.rendering import render_ends
from .helpers.schema_documents import CLEAN, HOSTILE, SCHEMA, Dumper, Raw


def run_pipeline(document: Any) -> None:
    """Everything a command does to a routine file, short of real speech and audio."""
    source = yaml.dump(document, Dumper=Dumper, allow_unicode=True, sort_keys=False)
    try:
        routine, _ = parse_routine(source.encode(), "fuzz.yaml")
        pacing = resolve_pacing(routine).pacing
        texts = (
            texts_for_fitting(routine, pacing)
            if pacing.duration_ms is not None
            else utterances(routine, pacing)
        )
        speech = {t: fake_speech_ms(t, pacing.rate_wpm) for t in texts}
        pacing = fit_duration(routine, pacing, speech)
        timeline = compile(routine, pacing, speech)
    except VoiceguideError as exc:
        assert exc.exit_code == 2, exc.format()
        assert exc.format().startswith("fuzz.yaml:") or "--duration" in exc.format(), exc.format()
        _count(f"refused: {type(exc).__name__}")
        return
    render_ends(timeline, speech)
    _count("compiled and rendered")


def _count(outcome: str) -> None:
    """Tally outcomes for ``pytest --hypothesis-show-statistics``."""
    if currently_in_test_context():
        event(outcome)


def test_the_generator_makes_schema_valid_documents() -> None:
    """The clean strategy follows the schema (else the property below tests less)."""
    validator = jsonschema.Draft202012Validator(SCHEMA)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(CLEAN)
    def check(document: Any) -> None:
        errors = list(validator.iter_errors(document))
        assert not errors, errors[0].message

    check()


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(CLEAN, HOSTILE))
def test_any_document_the_schema_describes_loads_compiles_and_renders_or_is_refused(
    document: Any,
) -> None:
    run_pipeline(document)


@pytest.mark.parametrize(
    "document",
    [
        {"title": "T", "pacing": {"breath": "inf-4"}, "steps": [{"say": "Hi"}]},
        {"title": "T", "pacing": {"lead_in": Raw("4.58e16")}, "steps": [{"say": "Hi"}]},
        {"title": "T", "pacing": {"duration": Raw(".inf")}, "steps": [{"say": "Hi"}]},
        {"title": "T", "steps": [{"say": "Hi", "hold": Raw("9" * 5000)}]},
        {"title": "T", "steps": [{"breathe": {"inhale": Raw(".nan")}}]},
        {"title": "T", "steps": [{"repeat": 10**400, "steps": [{"say": "Hi"}]}]},
        {"title": "T", "steps": [{"breathe": {"inhale": 0}}]},  # found by the property test
        {"title": "T", "steps": [{"breathe": {"inhale": -0.0, "exhale": 4}}]},
    ],
)
def test_known_hostile_documents(document: Any) -> None:
    run_pipeline(document)
