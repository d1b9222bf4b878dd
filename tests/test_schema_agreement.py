"""Issue 12 item 3, "the schema says what the loader accepts": a differential test of the
JSON Schema ``voiceguide schema`` prints against the loader.

- Every document the loader accepts, the schema accepts (else an editor underlines a
  valid file). Documents come from :data:`LOADER_VALID`, built from the forms the loader
  reads: ``'4 - 4'``, ``'1m30s'``, ``'1:30'``, ``90``, ``'500ms'``, ``'90S'``, ``2.0`` …
- Every schema-valid document the loader refuses is refused for a reason JSON Schema
  cannot express: one of :data:`LOADER_ONLY`, each matched against the loader's message.
  Documents come from the schema itself (``tests.helpers.schema_documents.CLEAN``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceguide.errors import RoutineError
from voiceguide.routine import schema
from voiceguide.routine.bundled import bundled_routines
from voiceguide.routine.durations import parse_duration
from voiceguide.routine.loader import parse_routine

from .helpers.schema_documents import CLEAN

VALIDATOR = jsonschema.Draft202012Validator(schema.json_schema())
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Reason:
    """Why the loader may refuse a schema-valid document: what JSON Schema cannot say."""

    why: str
    message: str  # a regex searched in the loader's message


#: The only reasons a schema-valid document may be refused. JSON Schema has no arithmetic
#: across values, no sums, and no way to read a duration written as text ("25h").
LOADER_ONLY = (
    Reason(
        "the holds, rests and breathing add up to more than 24 hours",
        r"^the steps add up to .* more than 24 hours$",
    ),
    Reason(
        'a duration written as text ("25h", "1000:00:00") is over 24 hours',
        r"(is longer than|far too long; durations are limited to) 24 hours$",
    ),
    Reason("a cue at or past the end of its hold", r"^cue at .* is past the end of the .* hold$"),
    Reason("a countdown longer than its hold", r"^countdown of \d+ s is longer than the .* hold$"),
    Reason(
        'cues or a countdown on a hold written as text that is 0 ("0s")',
        r"^cues are spoken during a hold, but this step has no hold:$",
    ),
    Reason('an inhale written as text that is 0 ("0s", "0:00")', r"^inhale must be longer than 0$"),
    Reason(
        'a lead_in written as text that is not whole seconds from 0 to 10 ("2500ms")',
        r"^lead_in must be whole seconds from 0 to \d+$",
    ),
    Reason('a session duration written as text under a second ("500ms")', r"^duration must be at least \S+$"),
    Reason("two sides that differ only in the spaces around them", r'^side ".*" is listed twice$'),
    Reason(
        "two words to respell that differ only in case",
        r'^".*" is listed twice in pronounce \(case does not matter\)$',
    ),
    Reason("standard_minutes with its min over its max", r"^standard_minutes min is more than its max$"),
    Reason(
        "groups nested deeper than MAX_GROUP_DEPTH (the schema's steps are recursive)",
        r"^groups are nested more than \d+ deep$",
    ),
    Reason("YAML nesting deeper than the loader reads", r"^nested more than \d+ levels deep$"),
    Reason("NaN (YAML .nan): JSON has none, and JSON Schema's comparisons let it through", r"\bnan\b"),
)
#: Refused before any value is looked at, and invisible in the parsed data the schema
#: checks, so never generated here: anchors and aliases, a key written twice, more than
#: one YAML document, a file over 1 MiB, a file that is not UTF-8 text.
LOADER_ONLY_IN_THE_TEXT = (
    "anchors and aliases",
    "appears twice",
    "more than one YAML document",
    "routines are limited to 1 MiB",
    "not valid UTF-8",
)


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML has no type stubs here
    def ignore_aliases(self, data: Any) -> bool:  # a shared object must not become &id001
        return True


def dump(document: Any) -> bytes:
    text: str = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    return text.encode()


def refusals(source: bytes) -> list[str]:
    """The loader's error messages for ``source`` (empty: it loads)."""
    try:
        parse_routine(source, "agree.yaml")
    except RoutineError as exc:
        return [d.message for d in exc.diagnostics if d.severity == "error"]
    return []


def schema_errors(source: bytes) -> list[str]:
    data = yaml.load(source, Loader=_YAML_LOADER)  # a safe loader, as the loader uses
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(data)]


def unexplained(messages: list[str]) -> list[str]:
    return [m for m in messages if not any(re.search(r.message, m) for r in LOADER_ONLY)]


# ---- documents the loader accepts ---------------------------------------------------------

WORDS = [
    "Breathe",
    "slowly.",
    "Relax your {side} shoulder,",
    "[pause 2s]",
    "[PAUSE 1:30]",
    "[pause 500ms]",
    "[pause 1m 2s]",
    "[pauſe 1.5]",
    "{{side}}",
    "Ünïcödé",
    "\n",
    "  ",
    "—",
    "[not a pause]",
    "}",
    "x}",
]


def whole(low: int, high: int) -> st.SearchStrategy[int | float]:
    """A whole number, sometimes written 3.0 (JSON Schema's "integer" takes it too)."""
    return st.one_of(st.integers(low, high), st.integers(low, high).map(float))


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Something to say: words, pauses, {side}, odd spacing and braces."""
    pieces = draw(st.lists(st.sampled_from(WORDS), max_size=5))
    word = draw(st.sampled_from(["Hi", "Lie down", "ok", "x"]))
    pieces.insert(draw(st.integers(0, len(pieces))), word)
    return draw(st.sampled_from(["", " ", "\t"])).join(pieces) + draw(st.sampled_from(["", " "]))


def seconds_text(seconds: int) -> st.SearchStrategy[str]:
    """``seconds`` written the ways the loader reads it."""
    minutes, rest = divmod(seconds, 60)
    hours, hour_minutes = divmod(minutes, 60)
    return st.sampled_from(
        [
            f"{seconds}",
            f" {seconds} ",
            f"{seconds}s",
            f"{seconds}S",
            f"{seconds} s",
            f"{seconds * 1000}ms",
            f"{seconds * 1000}MS",
            f"{minutes}m{rest}s",
            f"{minutes}M {rest}s",
            # (h:mmm:ss: a minute field may have three digits, its value under 60)
            f"{minutes}:{rest:02d}",
            f"{minutes}:{rest}",
            f"{hours}:{hour_minutes:03d}:{rest:02d}",
            f"{seconds}.000s",
            f"{seconds // 2}s{seconds - seconds // 2}s",
        ]
    )


def durations(low: int = 0, high: int = 300) -> st.SearchStrategy[Any]:
    """A duration from ``low`` to ``high`` seconds, in any form the loader reads."""
    return st.one_of(
        st.integers(low, high),
        st.floats(low, high, allow_nan=False),
        st.integers(low, high).flatmap(seconds_text),
        st.integers(max(low, 1) * 1000, high * 1000).map(lambda ms: f"{ms}ms"),
        st.decimals(low, high, places=3).map(lambda d: f"{d}s"),
    )


@st.composite
def patterns(draw: st.DrawFn) -> str:
    """A breathing pattern: 2-4 phases of 0-60 s (the first over 0), spaced or not."""
    phase = st.one_of(st.integers(0, 60).map(str), st.sampled_from(["3.5", "60.0", "0.5", "007"]))
    first = st.one_of(st.integers(1, 60).map(str), st.sampled_from(["0.0006", "60.00", "0.25"]))
    parts = [draw(first), *draw(st.lists(phase, min_size=1, max_size=3))]
    joiner = draw(st.sampled_from(["-", " - ", "- ", " -"]))
    return draw(st.sampled_from(["", " "])) + joiner.join(parts) + draw(st.sampled_from(["", " "]))


def names() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["Knee to chest", "  Box ", "Ünïcödé"]), texts())


@st.composite
def sides(draw: st.DrawFn) -> list[str]:
    chosen = draw(
        st.lists(st.sampled_from(["left", "right", "front", "back"]), min_size=1, max_size=3, unique=True)
    )
    return [draw(st.sampled_from(["", " "])) + side for side in chosen]


@st.composite
def plain_steps(draw: st.DrawFn) -> dict[str, Any]:
    step: dict[str, Any] = {}
    if draw(st.booleans()):
        step["name"] = draw(names())
    if draw(st.booleans()):
        step["sides"] = draw(sides())
    hold_ms = 0
    if draw(st.booleans()):
        step["hold"] = draw(durations())
        hold_ms = parse_duration(step["hold"])
    if "hold" not in step or draw(st.booleans()):
        step["say"] = draw(texts())
    if hold_ms >= 1 and draw(st.booleans()):
        at = st.integers(0, hold_ms - 1).map(lambda ms: f"{ms}ms" if ms % 1000 else ms // 1000)
        step["cues"] = draw(st.lists(st.fixed_dictionaries({"at": at, "say": texts()}), max_size=3))
    if draw(st.booleans()):
        step["countdown"] = draw(whole(0, min(schema.MAX_COUNTDOWN, hold_ms // 1000)))
    if draw(st.booleans()):
        step["rest"] = draw(durations(0, 60))
    if draw(st.booleans()):
        step["chime"] = draw(st.booleans())
    return step


def phase_words() -> st.SearchStrategy[dict[str, Any]]:
    word = st.one_of(st.none(), st.just(""), texts())
    return st.fixed_dictionaries({}, optional={p: word for p in schema.PHASES})


@st.composite
def breathing_steps(draw: st.DrawFn) -> dict[str, Any]:
    breathe: dict[str, Any] = {}
    if draw(st.booleans()):
        breathe["pattern"] = draw(patterns())
    else:
        breathe["inhale"] = draw(st.one_of(durations(1, 60), st.just(0.0006), st.just("1ms")))
        for phase in schema.PHASES[1:]:
            if draw(st.booleans()):
                breathe[phase] = draw(durations(0, 60))
    if draw(st.booleans()):
        breathe["cycles"] = draw(whole(1, 6))
    if draw(st.booleans()) and breathe.get("cycles", 4) >= 2:
        breathe["ramp"] = {"to": draw(patterns())}
    if draw(st.booleans()):
        breathe["say"] = draw(phase_words())
    step: dict[str, Any] = {"breathe": breathe}
    for key, value in (
        ("name", names()),
        ("say", texts()),
        ("rest", durations(0, 60)),
        ("sides", sides()),
        ("chime", st.booleans()),
    ):
        if draw(st.booleans()):
            step[key] = draw(value)
    return step


def steps(depth: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    kinds = [plain_steps(), breathing_steps()]
    if depth < 2:
        kinds.append(
            st.fixed_dictionaries(
                {"repeat": whole(1, 3), "steps": st.deferred(lambda: steps(depth + 1))},
                optional={"name": names(), "rest": durations(0, 30)},
            )
        )
    return st.lists(st.one_of(kinds), min_size=1, max_size=3)


LEAD_INS = st.one_of(
    st.integers(0, schema.MAX_LEAD_IN_S).flatmap(seconds_text),
    whole(0, schema.MAX_LEAD_IN_S),
    st.sampled_from([3.0004, 9.9996, 0.0005]),
)
PACING = st.fixed_dictionaries(
    {},
    optional={
        "preset": st.sampled_from(schema.PRESETS),
        "rate": whole(schema.MIN_RATE, schema.MAX_RATE),
        "hold_scale": st.floats(schema.MIN_SCALE, schema.MAX_SCALE),
        "rest_scale": st.sampled_from([schema.MIN_SCALE, 1, 2.5, schema.MAX_SCALE]),
        "breath": patterns(),
        "cycles": whole(1, 8),
        "countdown": st.one_of(whole(0, schema.MAX_COUNTDOWN), st.sampled_from(["off", False])),
        "cues": st.booleans(),
        "voice": names(),
        "engine": st.sampled_from(schema.ENGINES),
        "lead_in": LEAD_INS,
        "duration": st.one_of(durations(1, 3600), st.just(0.9995)),
    },
)
#: pronounce: words that differ in more than case, and respellings
PRONOUNCE = st.dictionaries(
    st.sampled_from(["effleurage", "Pétrissage", "e.g.", "x", "ſ", "1st", "yes"]),
    st.sampled_from(["efloo-rahzh", "  paytrih  sahzh ", "ex", "first", "Ünïcödé", "y\ne s"]),
    max_size=4,
)
VOICE = st.fixed_dictionaries(
    {},
    optional={
        "rate": whole(schema.MIN_RATE, schema.MAX_RATE),
        "name": names(),
        "engine": st.sampled_from(schema.ENGINES),
    },
)
LOADER_VALID = st.fixed_dictionaries(
    {"title": names(), "steps": steps(0)},
    optional={
        "version": st.sampled_from([1, 1.0]),
        "description": st.one_of(st.sampled_from(["", "  ", "\n"]), texts()),
        "voice": VOICE,
        "pronounce": PRONOUNCE,
        "pacing": PACING,
        "intro": texts(),
        "safety": st.one_of(texts(), st.lists(texts(), max_size=2)),
        "outro": texts(),
    },
)

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(LOADER_VALID)
def test_every_document_the_loader_accepts_the_schema_accepts(document: dict[str, Any]) -> None:
    source = dump(document)
    assert refusals(source) == [], source.decode()  # else the strategy makes bad documents
    assert schema_errors(source) == [], source.decode()


@SETTINGS
@given(CLEAN)
def test_a_schema_valid_document_the_loader_refuses_is_refused_for_a_listed_reason(
    document: Any,
) -> None:
    source = dump(document)
    assert schema_errors(source) == []
    assert unexplained(refusals(source)) == [], source.decode()


# ---- the gaps, one by one -----------------------------------------------------------------

ONE_STEP = "title: T\nsteps:\n  - {}\n"
LONGEST = " ".join(["word"] * (schema.MAX_TEXT_CHARS // 5))  # 12,000 characters minus one


def step(text: str) -> bytes:
    return ONE_STEP.format(text).encode()


def pacing(text: str) -> bytes:
    return f"title: T\npacing: {text}\nsteps: [{{say: Hi}}]\n".encode()


AGREED = [  # (source, the loader and the schema accept it)
    (step("{breathe: {pattern: '4 - 4'}}"), True),
    (step("{breathe: {pattern: ' 4-7-8 '}}"), True),
    (step("{breathe: {pattern: 60.0-4}}"), True),
    (step("{breathe: {pattern: 61-4}}"), False),
    (step("{breathe: {pattern: 60.001-4}}"), False),
    (step("{breathe: {pattern: 0.0005-4}}"), False),  # rounds to a 0 ms inhale
    (step("{breathe: {pattern: 0.0006-4}}"), True),
    (step("{breathe: {pattern: 0-4}}"), False),
    (step("{breathe: {pattern: '٣-4'}}"), False),
    (step("{breathe: {pattern: 4-4, hold: 2}}"), False),
    (step("{breathe: {pattern: 4-4, inhale: 2}}"), False),
    (step("{breathe: {hold: 2}}"), False),
    (step("{breathe: {inhale: 0}}"), False),
    (step("{breathe: {inhale: 0.0005}}"), False),
    (step("{breathe: {inhale: 0.0006}}"), True),
    (step("{breathe: {pattern: 4-4, cycles: 1, ramp: {to: 5-5}}}"), False),
    (step("{breathe: {pattern: 4-4, cycles: 2, ramp: {to: 5-5}}}"), True),
    (step("{breathe: {pattern: 4-4, say: {inhale: '', exhale: null}}}"), True),
    (step("{breathe: {pattern: 4-4, say: {inhale: '  '}}}"), False),
    (step("{say: Hi, sides: [' ']}"), False),
    (step("{say: Hi, sides: [' left', right]}"), True),
    (step("{say: Hi, hold: 5, countdown: 61}"), False),
    (step("{say: Hi, hold: 86400.0005}"), True),  # rounds to 24 h exactly
    (step("{say: Hi, hold: 86400.0006}"), False),
    (step("{say: Hi, hold: 90S}"), True),
    (step("{say: Hi, hold: 1M30S}"), True),
    (step("{say: Hi, hold: ' 1:30 '}"), True),
    (step("{say: Hi, hold: '1:007:00'}"), True),
    (step("{say: Hi, hold: '1:60'}"), False),
    (step("{say: Hi, hold: 1m99s}"), False),  # seconds after minutes under 60, as on a clock
    (step("{say: Hi, hold: 1h60m}"), False),
    (step("{say: Hi, hold: 1h90s}"), False),
    (step("{say: Hi, hold: 1M 59.999S}"), True),
    (step("{say: Hi, hold: 1h059m0059s}"), True),
    (step("{say: Hi, hold: 99s1m}"), True),  # a part before the larger one is not bounded
    (step("{say: Hi, hold: 1m1m500ms}"), True),
    (step("{say: 'Hi [pause 1m99s]'}"), False),
    (step("{say: 'Hi [pause 1m30s]'}"), True),
    (step("{say: Hi, hold: '٣s'}"), False),
    (step("{say: Hi, cues: [{at: 1, say: x}]}"), False),
    (step("{say: Hi, hold: 0, cues: [{at: 0, say: x}]}"), False),
    (step("{say: Hi, cues: []}"), True),
    (step("{say: Hi, countdown: 3}"), False),
    (step("{say: Hi, countdown: 0}"), True),
    (step("{say: '{x}'}"), False),
    (step("{say: '{{side}} and {side}'}"), True),  # {side} without sides: a warning
    (step("{say: 'Hi [pause x]'}"), False),
    (step("{say: 'Hi [pause 2 s]'}"), True),
    (step("{say: 'Hi [pauſe 2s]'}"), True),
    (step("{say: 'Hi [pause 2s'}"), True),  # not a pause mark: text
    (step("{say: ' [pause 2s] [PAUSE 1:30] '}"), False),
    (step("{say: '   '}"), False),
    (step(f"{{say: '{LONGEST}'}}"), True),
    (step(f"{{say: '{LONGEST} x'}}"), False),
    (step(f"{{say: '  {LONGEST.replace(' ', '   ')}  '}}"), True),  # counted after collapsing
    (step("{name: '  ', say: Hi}"), False),
    (step("{repeat: 2.0, steps: [{say: Hi}]}"), True),
    (step("{repeat: 2.5, steps: [{say: Hi}]}"), False),
    (pacing("{lead_in: 3}"), True),
    (pacing("{lead_in: 3.0005}"), True),  # rounds to 3 s
    (pacing("{lead_in: 2.5}"), False),
    (pacing("{lead_in: 11}"), False),
    (pacing("{lead_in: 3000ms}"), True),
    (pacing("{duration: 0.9995}"), True),
    (pacing("{duration: 0.999}"), False),
    (pacing("{countdown: off}"), True),
    (pacing("{rate: 150.0}"), True),
    (pacing("{breath: '4 - 4'}"), True),
    (pacing("{breath: 70-4}"), False),
    (b"version: 1.0\ntitle: T\nsteps: [{say: Hi}]\n", True),
    (b"version: true\ntitle: T\nsteps: [{say: Hi}]\n", False),
    (b"title: T\ndescription: '  '\nsteps: [{say: Hi}]\n", True),
    (b"title: T\ndescription: '{x}'\nsteps: [{say: Hi}]\n", False),
    (b"title: '  '\nsteps: [{say: Hi}]\n", False),
    (b"title: T\npronounce: {effleurage: efloo-rahzh, 'no': nope}\nsteps: [{say: Hi}]\n", True),
    (b"title: T\npronounce: {}\nsteps: [{say: Hi}]\n", True),
    (b"title: T\npronounce: {a b: c}\nsteps: [{say: Hi}]\n", False),
    (b"title: T\npronounce: {'{x}': c}\nsteps: [{say: Hi}]\n", False),
    (b"title: T\npronounce: {'': c}\nsteps: [{say: Hi}]\n", False),
    (b"title: T\npronounce: {a: ' '}\nsteps: [{say: Hi}]\n", False),
    (b"title: T\npronounce: {a: '[pause 1s]'}\nsteps: [{say: Hi}]\n", False),
    (b"title: T\npronounce: {a: 1}\nsteps: [{say: Hi}]\n", False),
    (b"title: T\npronounce: {1: a, no: b, null: c}\nsteps: [{say: Hi}]\n", True),  # JSON keys are text
    (b"title: T\npronounce: [a]\nsteps: [{say: Hi}]\n", False),
    (
        f"title: T\npronounce: {{{'a' * schema.MAX_PRONOUNCE_WORD_CHARS}: b}}\n"
        "steps: [{say: Hi}]\n".encode(),
        True,
    ),
    (
        f"title: T\npronounce: {{{'a' * (schema.MAX_PRONOUNCE_WORD_CHARS + 1)}: b}}\n"
        "steps: [{say: Hi}]\n".encode(),
        False,
    ),
    (
        f"title: T\npronounce: {{a: {'b' * schema.MAX_RESPELLING_CHARS}}}\nsteps: [{{say: Hi}}]\n".encode(),
        True,
    ),
    (
        f"title: T\npronounce: {{a: {'b' * (schema.MAX_RESPELLING_CHARS + 1)}}}\n"
        "steps: [{say: Hi}]\n".encode(),
        False,
    ),
]


@pytest.mark.parametrize(("source", "valid"), AGREED, ids=[s.decode()[:60] for s, _ in AGREED])
def test_the_schema_and_the_loader_agree(source: bytes, valid: bool) -> None:
    assert (refusals(source) == []) is valid, refusals(source)
    assert (schema_errors(source) == []) is valid, schema_errors(source)


LOADER_ONLY_EXAMPLES = [
    step("{say: Hi, hold: 25h}"),
    step("{say: Hi, hold: '1000:00:00'}"),
    step("{say: Hi, hold: 5, cues: [{at: 5, say: x}]}"),
    step("{say: Hi, hold: 2, countdown: 3}"),
    step("{say: Hi, hold: 0s, cues: [{at: 0, say: x}]}"),
    step("{breathe: {inhale: 0s}}"),
    step("{say: Hi, sides: [left, ' left']}"),
    b"title: T\npronounce: {Effleurage: a, effleurage: b}\nsteps: [{say: Hi}]\n",
    step("{say: Hi, hold: .nan}"),
    pacing("{lead_in: 2500ms}"),
    pacing("{duration: 500ms}"),
    pacing("{hold_scale: .nan}"),
    b"title: T\nsteps:\n"
    + b"".join(
        b"  " * i + b"  - repeat: 1\n" + b"  " * i + b"    steps:\n"
        for i in range(schema.MAX_GROUP_DEPTH + 1)
    )
    + b"  " * (schema.MAX_GROUP_DEPTH + 1)
    + b"  - say: Hi\n",
    b"title: T\nsteps:\n- {repeat: 1000, steps: [{repeat: 1000, steps: [{say: Hi, hold: 90}]}]}\n",
]


@pytest.mark.parametrize("source", LOADER_ONLY_EXAMPLES, ids=lambda s: s.decode()[-50:])
def test_what_only_the_loader_refuses_is_a_listed_reason(source: bytes) -> None:
    assert schema_errors(source) == []
    messages = refusals(source)
    assert messages and unexplained(messages) == [], messages


def test_the_test_engine_is_accepted_but_not_published() -> None:
    source = b"title: T\nvoice: {engine: fake}\nsteps: [{say: Hi}]\n"
    assert refusals(source) == [] and schema_errors(source) != []


def test_the_bundled_routines_are_schema_valid() -> None:
    for name, path in bundled_routines():
        assert schema_errors(path.read_bytes()) == [], name


# ---- one source for each limit ------------------------------------------------------------


def test_the_limits_come_from_the_schema_module() -> None:
    from voiceguide.routine import durations, text
    from voiceguide.timing import timeline

    used_by_timeline = vars(timeline)["MAX_DURATION_MS"]  # imported there, not re-exported
    assert durations.MAX_DURATION_MS == used_by_timeline == schema.MAX_DURATION_MS
    assert text.MAX_TEXT_CHARS == schema.MAX_TEXT_CHARS
    package = Path(schema.__file__).parents[1]
    for path in package.rglob("*.py"):
        source = path.read_text()
        if path.name != "schema.py":
            assert not re.search(r"^(MAX_DURATION_\w+|MAX_TEXT_CHARS)\s*[:=]", source, re.M), path
            assert "24 * 3" not in source, path
    loader = (package / "routine" / "loader.py").read_text()
    assert not re.search(r"\b0, 60\)", loader)
    published = schema.json_schema()
    hold = published["$defs"]["step"]["properties"]["hold"]["anyOf"][0]
    assert math.floor(hold["maximum"]) == schema.MAX_DURATION_MS // 1000
