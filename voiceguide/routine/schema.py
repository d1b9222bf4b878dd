"""The routine format's keys, in one place: the loader checks against them and
:func:`json_schema` publishes them for editors (``voiceguide schema``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, get_args

from .safety_sets import SAFETY_SETS

#: what a routine says about itself, for `voiceguide list` (routine.model.About)
ABOUT_KEYS = ("tags", "level", "equipment", "author", "license", "standard_minutes")
LEVELS = ("gentle", "moderate", "demanding")
#: a tag: lowercase letters and digits, words joined by "-" (self-massage)
TAG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
#: a piece of equipment: lowercase words joined by spaces or "-" (tennis ball)
EQUIPMENT_PATTERN = r"^[a-z0-9]+([ -][a-z0-9]+)*$"
NO_EQUIPMENT = "none"  # equipment: [none] is equipment: [] (nothing needed)
MAX_LABEL_CHARS = 200  # author, license, each tag and piece of equipment
MAX_MINUTES = 24 * 60
MINUTES_KEYS = ("min", "max")  # of standard_minutes

TOP_KEYS = (
    "version",
    "title",
    "description",
    *ABOUT_KEYS,
    "voice",
    "pronounce",
    "pacing",
    "intro",
    "safety",
    "steps",
    "outro",
)
VOICE_KEYS = ("rate", "name", "engine")
#: safety: {use: back, also: [...]}: named sets (routine.safety_sets), then the routine's own
SAFETY_KEYS = ("use", "urgent", "also")
#: pronounce: word → how to say it. A word is one word (no white space, no [ ] { }), a
#: respelling is text without [ ] { } (no pause marks or placeholders): both at most this long
PRONOUNCE_WORD_PATTERN = r"^[^\s\[\]{}]+$"
RESPELLING_PATTERN = r"^[^\[\]{}]*[^\s\[\]{}][^\[\]{}]*$"
MAX_PRONOUNCE_WORD_CHARS = 50
MAX_RESPELLING_CHARS = 100
MAX_PRONOUNCE_ENTRIES = 500
#: the speech engines a routine, a pacing file or --engine may name (and the schema lists)
ENGINES = ("espeak-ng", "piper")
#: accepted too, never advertised: "fake" is the test engine (tones instead of words)
TEST_ENGINES = ("fake",)
#: the pacing keys, their limits and help: :data:`voiceguide.routine.pacing_settings.SETTINGS`
#: (the limits below are the format's, shared with steps and voice:)
PRESETS = ("gentle", "standard", "brisk")
#: the phases of a breath, in order (``4-7-8`` is inhale, hold, exhale)
BreathPhase = Literal["inhale", "hold", "exhale", "hold_out"]
PHASES: tuple[BreathPhase, ...] = get_args(BreathPhase)
#: setup: said once, before the first side of a step with sides (say: is said for each side)
STEP_KEYS = ("name", "setup", "say", "hold", "rest", "cues", "countdown", "sides", "chime")
BREATH_STEP_KEYS = ("name", "setup", "say", "breathe", "rest", "sides", "chime")
GROUP_KEYS = ("name", "repeat", "rest", "steps")
BREATHE_KEYS = ("pattern", *PHASES, "cycles", "say", "ramp", "sound")
#: how a breathing step guides: spoken words (the default), tones (a rising swell in, a
#: falling one out, silence on holds) instead of words, or both
BREATH_SOUNDS = ("words", "tones", "both")
RAMP_KEYS = ("to",)
CUE_KEYS = ("at", "say")
ALL_STEP_KEYS = tuple(dict.fromkeys(STEP_KEYS + BREATH_STEP_KEYS + GROUP_KEYS))

MIN_RATE, MAX_RATE = 80, 400
MIN_SCALE, MAX_SCALE = 0.25, 4.0
MAX_COUNTDOWN = 60
MAX_LEAD_IN_S = 10
MAX_REPEAT = 1000
MAX_CYCLES = 1000
MAX_GROUP_DEPTH = 8

#: The longest a hold, rest, breathing step or whole session may be, in ms: 24 hours.
#: The one definition: the loader, the timeline and the duration parser import it.
MAX_DURATION_MS = 24 * 3_600_000
MAX_DURATION_S = MAX_DURATION_MS // 1000
MAX_DURATION_WORDS = f"{MAX_DURATION_MS // 3_600_000} hours"  # for messages
MIN_SESSION_MS = 1000  # the shortest pacing duration (a session's target length)
MAX_PHASE_S = 60  # the longest phase of a breathing pattern (4-7-8), in seconds
#: The longest text a routine may hold, in characters after normalization (runs of white
#: space collapsed to one, trimmed): ≈ 2,200 words, ≈ 13 minutes of speech at 150 wpm.
#: Measured with espeak-ng: 1.9–3.7 s to synthesize in chunks (11–21 s in one piece); one
#: piece of ≈ 20,000 characters or more crashed libespeak-ng (SIGSEGV inside ``espeak_Synth``).
MAX_TEXT_CHARS = 12_000

# ---- the regexes of json_schema(), which say what the loader reads -------------------------
# Digits are written [0-9], never \d: \d is ASCII in an editor's (ECMA 262) regexes but
# matches "٣" in Python's, which the jsonschema package uses. \s differs slightly between
# the two (Python's follows str.isspace(), as the loader does).
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
#: a clock: m:ss or h:mm:ss, seconds (and minutes after hours) under 60, 007 is 7
_CLOCK = r"(?:[0-9]+:0*[0-5]?[0-9]|[0-9]+):[0-5]?[0-9](?:\.[0-9]+)?"


def _units() -> str:
    """Parts of a number and a unit (h, m, s, ms; any case: the loader lowercases), in any
    order, with seconds after minutes or hours, and minutes after hours, under 60 (``1m99s``
    is refused, ``99s1m`` is not), as :func:`voiceguide.routine.durations.parse_duration`
    reads them: before any m or h part, then after an m part, then after an h part."""
    under_60 = r"0*[0-5]?[0-9](?:\.[0-9]+)?"

    def part(number: str, unit: str) -> str:
        return rf"\s*{number}\s*{unit}"

    ms, h = part(_NUMBER, "[mM][sS]"), part(_NUMBER, "[hH]")
    m, s = part(_NUMBER, "[mM]"), part(_NUMBER, "[sS]")
    m_60, s_60 = part(under_60, "[mM]"), part(under_60, "[sS]")
    after_h = rf"{h}(?:{ms}|{h}|{m_60}|{s_60})*"
    after_m = rf"{m}(?:{ms}|{m}|{s_60})*(?:{after_h})?"
    before = rf"(?:{ms}|{s})"
    return rf"(?:{before}+(?:{after_m}|{after_h})?|{after_m}|{after_h})"


_UNITS = _units()
#: a duration written as text, as durations.parse_duration reads it (any size)
_DURATION_TEXT = rf"^\s*{_NUMBER}\s*$|^{_UNITS}\s*$|^\s*{_CLOCK}\s*$"
#: the same, unanchored, then "]": what a [pause …] mark may hold
_PAUSE_LENGTH = rf"\s*(?:{_NUMBER}|{_UNITS}|{_CLOCK})\s*\]"
#: text.PAUSE_MARK: "[pause" in any case (Python's ignore-case lets ſ stand for s)
_PAUSE_MARK = r"\[\s*[pP][aA][uU][sSſ][eE]\s+"
#: the text's length after normalization: each word character, and each run of white space
#: between words, counts one; white space at either end counts none
_SPOKEN_LENGTH = rf"^\s*(?=\S)(?:\S|\s+(?=\S)){{1,{MAX_TEXT_CHARS}}}\s*$"


def _integers_below(n: int, lowest: int = 0) -> str:
    """Regex alternatives for the integers ``lowest`` (0 or 1) to ``n - 1``, without
    leading zeros: ``_integers_below(60)`` is ``[0-9]|[1-5][0-9]``."""
    digits = str(n)
    parts = [f"[{lowest}-9]"] if len(digits) > 1 else []
    parts += ["[1-9]" + "[0-9]" * (length - 1) for length in range(2, len(digits))]
    for i, digit in enumerate(digits):
        low = lowest if len(digits) == 1 else (1 if i == 0 else 0)
        if int(digit) > low:
            parts.append(f"{digits[:i]}[{low}-{int(digit) - 1}]" + "[0-9]" * (len(digits) - i - 1))
    return "|".join(parts)


#: seconds from 0 to MAX_PHASE_S (leading zeros allowed: 007)
_PHASE = rf"0*(?:{_integers_below(MAX_PHASE_S)})(?:\.[0-9]+)?|0*{MAX_PHASE_S}(?:\.0+)?"
#: the same, rounding to at least 1 ms (the loader rounds half to even: 0.0005 is 0 ms)
_INHALE = (
    rf"0*(?:{_integers_below(MAX_PHASE_S, lowest=1)})(?:\.[0-9]+)?|0*{MAX_PHASE_S}(?:\.0+)?"
    r"|0+\.(?:[0-9]{0,2}[1-9]|000(?:[6-9]|5[0-9]*[1-9]))[0-9]*"
)


def _seconds_rounding_into(low_ms: int, high_ms: int | None = None) -> dict[str, Any]:
    """A number of seconds that parse_duration, rounding to whole ms half to even, turns
    into ``low_ms`` … ``high_ms``: 86400.0005 s is 86,400,000 ms, 0.0005 s is 0 ms."""
    bounds: dict[str, Any] = {"type": "number"}
    if low_ms == 0:
        bounds["minimum"] = 0
    else:  # (low_ms - 0.5) ms rounds to low_ms when low_ms is even
        edge = float(Decimal(2 * low_ms - 1) / 2000)
        bounds["minimum" if low_ms % 2 == 0 else "exclusiveMinimum"] = edge
    if high_ms is not None:  # (high_ms + 0.5) ms rounds to high_ms when high_ms is even
        edge = float(Decimal(2 * high_ms + 1) / 2000)
        bounds["maximum" if high_ms % 2 == 0 else "exclusiveMaximum"] = edge
    return bounds


def _duration(low_ms: int = 0, what: str = "") -> dict[str, Any]:
    """A duration of at least ``low_ms``: a number of seconds (bounded here) or text
    (its size is the loader's to check: a regex cannot add up "1h2m")."""
    return {
        "description": 'Seconds (30), or "90s", "1m30s", "1:30", "500ms"; at most '
        + MAX_DURATION_WORDS
        + what,
        "anyOf": [
            _seconds_rounding_into(low_ms, MAX_DURATION_MS),
            {"type": "string", "pattern": _DURATION_TEXT},
        ],
    }


_DURATION = _duration()
_TEXT: dict[str, Any] = {
    "type": "string",
    "pattern": _SPOKEN_LENGTH,
    "not": {
        "anyOf": [
            {"pattern": r"\{(?!side\})[^{}]*\}"},  # a placeholder other than {side}
            {"pattern": rf"{_PAUSE_MARK}(?!{_PAUSE_LENGTH})[^\]]*\]"},  # [pause 1e999]
            {"pattern": rf"^(?:\s|{_PAUSE_MARK}[^\]]*\])*$"},  # nothing but pauses
        ]
    },
    "description": f"Spoken text (at most {MAX_TEXT_CHARS:,} characters); [pause 2s] inserts "
    "silence, {side} the side",
}
_PATTERN: dict[str, Any] = {
    "type": "string",
    "pattern": rf"^\s*(?:{_INHALE})\s*(?:-\s*(?:{_PHASE})\s*){{1,3}}$",
    "description": f"Seconds per phase (0-{MAX_PHASE_S}, the first over 0): 4-7-8, 4-4-4-4, 5-5",
}


def _object(
    properties: dict[str, Any], keys: tuple[str, ...], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    assert set(properties) == set(keys), set(properties) ^ set(keys)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def _about() -> dict[str, Any]:
    """The properties of :data:`ABOUT_KEYS`."""
    words: dict[str, Any] = {"type": "array", "uniqueItems": True}
    label = {  # one line once trimmed, as the loader reads it
        "type": "string",
        "pattern": r"^\s*\S(?:[^\n]*\S)?\s*$",
        "maxLength": MAX_LABEL_CHARS,
    }
    minutes = {"type": "number", "minimum": 0, "maximum": MAX_MINUTES}
    return {
        "tags": words
        | {
            "items": {"type": "string", "pattern": TAG_PATTERN},
            "description": "Words to find the routine by: back, neck, breathing, sleep",
        },
        "level": {"enum": list(LEVELS)},
        "equipment": words
        | {
            "items": {"type": "string", "pattern": EQUIPMENT_PATTERN},
            "description": "What is needed (mat, chair, tennis ball); [] or [none]: nothing",
        },
        "author": label,
        "license": label | {"description": "SPDX identifier, e.g. CC0-1.0"},
        "standard_minutes": _object({"min": minutes, "max": minutes}, MINUTES_KEYS, MINUTES_KEYS)
        | {"description": "How long the routine lasts at the standard preset, in minutes"},
    }


def _pronounce() -> dict[str, Any]:
    """``pronounce:``: word → respelling (whether two words differ only in case is the
    loader's to check)."""
    return {
        "type": "object",
        "description": "How to say words the speech engine gets wrong: word: respelling "
        '(effleurage: "efloo-rahzh"); whole words, any case; subtitles keep the word',
        "propertyNames": {"pattern": PRONOUNCE_WORD_PATTERN, "maxLength": MAX_PRONOUNCE_WORD_CHARS},
        "additionalProperties": {
            "type": "string",
            "pattern": RESPELLING_PATTERN,
            "maxLength": MAX_RESPELLING_CHARS,
        },
        "maxProperties": MAX_PRONOUNCE_ENTRIES,
    }


#: A plain step says or holds something; cues and a countdown need a hold that is not 0
#: (whether the hold is long enough for them is the loader's to check).
_PLAIN_STEP_RULES: dict[str, Any] = {
    "anyOf": [{"required": ["say"]}, {"required": ["hold"]}],
    "allOf": [
        {
            "if": {"required": [key], "properties": {key: condition}},
            "then": {
                "required": ["hold"],
                "properties": {"hold": {"not": _seconds_rounding_into(0, 0)}},
            },
        }
        for key, condition in (("cues", {"minItems": 1}), ("countdown", {"minimum": 1}))
    ],
}


def _pacing() -> dict[str, Any]:
    """The ``pacing:`` block (and a pacing file): one property per pacing setting, from
    its kind and limits (:data:`voiceguide.routine.pacing_settings.SETTINGS`)."""
    from .pacing_settings import SETTINGS, Setting  # it reads this module's limits

    def fragment(setting: Setting) -> dict[str, Any]:
        low, high = setting.minimum, setting.maximum
        if setting.kind == "choice":
            return {"enum": list(setting.choices)}
        if setting.kind in ("integer", "number"):
            return {"type": setting.kind, "minimum": low, "maximum": high}
        if setting.kind == "pattern":
            return _PATTERN
        if setting.kind == "countdown":
            whole = {"type": "integer", "minimum": low, "maximum": high}
            return {"anyOf": [whole, {"const": "off"}, {"const": False}]}
        if setting.kind == "flag":
            return {"type": "boolean"}
        if setting.kind == "text":
            return _TEXT | {"description": setting.help}
        first, last = setting.whole_bounds()
        if setting.kind == "seconds":
            return {
                "description": f"Whole seconds of 'starting in 3, 2, 1' ({first}-{last}): 3, or 3s",
                "anyOf": [
                    *(_seconds_rounding_into(s * 1000, s * 1000) for s in range(first, last + 1)),
                    {"type": "string", "pattern": _DURATION_TEXT},
                ],
            }
        length = _duration(first, f"; at least {first // 1000} second, or off (not fitted)")  # in ms
        return length | {"anyOf": [*length["anyOf"], {"const": "off"}, {"const": False}]}

    keys = tuple(s.key for s in SETTINGS)
    return _object({s.key: fragment(s) for s in SETTINGS}, keys)


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of routine format version 1."""
    cue = _object({"at": _DURATION, "say": _TEXT}, CUE_KEYS, ("at", "say"))
    sides = {
        "type": "array",
        # the loader trims each side; no [ ] { } ("{side}" must not make a pause mark)
        "items": {"type": "string", "pattern": r"^[^\[\]{}]*[^\s\[\]{}][^\[\]{}]*$"},
        "minItems": 1,
        "uniqueItems": True,
    }
    name = _TEXT | {"description": "The step's name: its chapter title"}
    common = {
        "name": name,
        "rest": _DURATION,
        "sides": sides,
        "chime": {"type": "boolean"},
        "say": _TEXT,
        "setup": _TEXT
        | {
            # said once for every side, so it names none
            "not": {"anyOf": [*_TEXT["not"]["anyOf"], {"pattern": r"\{side\}"}]},
            "description": "Said once, before the first side (say: is said for each side); needs sides:",
        },
    }
    setup_needs_sides = {"dependentRequired": {"setup": ["sides"]}}
    step = (
        _object(
            common
            | {
                "hold": _DURATION,
                "countdown": {"type": "integer", "minimum": 0, "maximum": MAX_COUNTDOWN},
                "cues": {"type": "array", "items": cue},
            },
            STEP_KEYS,
        )
        | setup_needs_sides
    )
    silent = [{"type": "null"}, {"const": ""}]  # say: {hold: ""}: nothing at that phase
    phase_words = {
        "type": "object",
        "additionalProperties": False,
        "properties": {p: {"anyOf": [*silent, _TEXT]} for p in PHASES},
    }
    breathe = _object(
        {
            "pattern": _PATTERN,
            **{p: _duration(1 if p == "inhale" else 0) for p in PHASES},
            "cycles": {"type": "integer", "minimum": 1, "maximum": MAX_CYCLES},
            "say": phase_words,
            "ramp": _object({"to": _PATTERN}, RAMP_KEYS, ("to",)),
            "sound": {
                "enum": list(BREATH_SOUNDS),
                "description": "words (default), tones instead of words, or both",
            },
        },
        BREATHE_KEYS,
    ) | {
        # a pattern, or phase lengths from the inhale on; never both
        "anyOf": [{"required": ["pattern"]}, {"required": ["inhale"]}],
        "not": {"required": ["pattern"], "anyOf": [{"required": [p]} for p in PHASES]},
        # a ramp goes from the pattern to ramp.to over at least 2 cycles (the default is 4)
        "if": {"required": ["ramp"]},
        "then": {"properties": {"cycles": {"minimum": 2}}},
    }
    breath_step = _object(common | {"breathe": breathe}, BREATH_STEP_KEYS, ("breathe",)) | setup_needs_sides
    group = _object(
        {
            "name": name,
            "repeat": {"type": "integer", "minimum": 1, "maximum": MAX_REPEAT},
            "rest": _DURATION,
            "steps": {"$ref": "#/$defs/steps"},
        },
        GROUP_KEYS,
        ("repeat", "steps"),
    )
    voice = _object(
        {
            "rate": {"type": "integer", "minimum": MIN_RATE, "maximum": MAX_RATE},
            "name": _TEXT | {"description": "A voice of the engine (voiceguide voices)"},
            "engine": {"enum": list(ENGINES)},
        },
        VOICE_KEYS,
    )
    pacing = _pacing()
    lines = [_TEXT, {"type": "array", "items": _TEXT}]
    set_name = {"enum": sorted(SAFETY_SETS)}
    safety_sets = _object(
        {
            "use": {"anyOf": [set_name, {"type": "array", "items": set_name, "minItems": 1}]},
            "urgent": {
                "anyOf": lines,
                "description": "This routine's own emergencies, said with 'get help now'",
            },
            "also": {"anyOf": lines},
        },
        SAFETY_KEYS,
        ("use",),
    ) | {"description": "Named safety sets, spoken first: 'get help now' (and urgent:), 'ask first', also:"}
    top = _object(
        {
            "version": {"const": 1},
            "title": _TEXT | {"description": "What the session is called"},
            "description": {"anyOf": [{"type": "string", "pattern": r"^\s*$"}, _TEXT]},
            **_about(),
            "voice": voice,
            "pronounce": _pronounce(),
            "pacing": pacing,
            "intro": _TEXT,
            "safety": {"anyOf": [*lines, safety_sets]},
            "steps": {"$ref": "#/$defs/steps"},
            "outro": _TEXT,
        },
        TOP_KEYS,
        ("title", "steps"),
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://voiceguide.invalid/routine-v1.schema.json",
        "title": "voiceguide routine (version 1)",
        **top,
        "$defs": {
            "steps": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "oneOf": [
                        {"$ref": "#/$defs/step"},
                        {"$ref": "#/$defs/breathing_step"},
                        {"$ref": "#/$defs/group"},
                    ]
                },
            },
            "step": step | _PLAIN_STEP_RULES,
            "breathing_step": breath_step,
            "group": group,
        },
    }
