"""The routine format's keys, in one place: the loader checks against them and
:func:`json_schema` publishes them for editors (``voiceguide schema``)."""

from __future__ import annotations

from typing import Any, Literal, get_args

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
    "pacing",
    "intro",
    "safety",
    "steps",
    "outro",
)
VOICE_KEYS = ("rate", "name", "engine")
#: the speech engines a routine, a pacing file or --engine may name (and the schema lists)
ENGINES = ("espeak-ng", "piper")
#: accepted too, never advertised: "fake" is the test engine (tones instead of words)
TEST_ENGINES = ("fake",)
PACING_KEYS = (
    "preset",
    "rate",
    "hold_scale",
    "rest_scale",
    "breath",
    "cycles",
    "countdown",
    "cues",
    "voice",
    "engine",
    "lead_in",
    "duration",
)
PRESETS = ("gentle", "standard", "brisk")
#: the phases of a breath, in order (``4-7-8`` is inhale, hold, exhale)
BreathPhase = Literal["inhale", "hold", "exhale", "hold_out"]
PHASES: tuple[BreathPhase, ...] = get_args(BreathPhase)
STEP_KEYS = ("name", "say", "hold", "rest", "cues", "countdown", "sides", "chime")
BREATH_STEP_KEYS = ("name", "say", "breathe", "rest", "sides", "chime")
GROUP_KEYS = ("name", "repeat", "rest", "steps")
BREATHE_KEYS = ("pattern", *PHASES, "cycles", "say", "ramp")
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

MAX_DURATION_S = 24 * 3600  # the longest a hold, rest or session may be

_DURATION: dict[str, Any] = {
    "description": 'Seconds (30), or "90s", "1m30s", "1:30", "500ms"; at most 24 hours',
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": MAX_DURATION_S},
        {
            "type": "string",
            # ASCII digits (\d is ASCII in JSON Schema's regexes); a clock's seconds, and
            # its minutes after hours, are under 60
            "pattern": r"^\s*\d+(\.\d+)?\s*$|^(\s*\d+(\.\d+)?\s*(ms|h|m|s))+\s*$"
            r"|^(\d+:[0-5]?\d|\d+):[0-5]?\d(\.\d+)?$",
        },
    ],
}
_TEXT: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "description": "Spoken text; [pause 2s] inserts silence, {side} the side",
}
_PATTERN: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\d+(\.\d+)?(-\d+(\.\d+)?){1,3}$",
    "description": "Seconds per phase: 4-7-8, 4-4-4-4, 5-5",
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
    label = {"type": "string", "minLength": 1, "maxLength": MAX_LABEL_CHARS}
    minutes = {"type": "number", "minimum": 0, "maximum": MAX_MINUTES}
    return {
        "tags": words | {"items": {"type": "string", "pattern": TAG_PATTERN},
                         "description": "Words to find the routine by: back, neck, breathing, sleep"},
        "level": {"enum": list(LEVELS)},
        "equipment": words | {
            "items": {"type": "string", "pattern": EQUIPMENT_PATTERN},
            "description": "What is needed (mat, chair, tennis ball); [] or [none]: nothing",
        },
        "author": label,
        "license": label | {"description": "SPDX identifier, e.g. CC0-1.0"},
        "standard_minutes": _object({"min": minutes, "max": minutes}, MINUTES_KEYS, MINUTES_KEYS)
        | {"description": "How long the routine lasts at the standard preset, in minutes"},
    }


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of routine format version 1."""
    cue = _object({"at": _DURATION, "say": _TEXT}, CUE_KEYS, ("at", "say"))
    sides = {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": 1,
        "uniqueItems": True,
    }
    common = {
        "name": {"type": "string", "minLength": 1},
        "rest": _DURATION,
        "sides": sides,
        "chime": {"type": "boolean"},
        "say": _TEXT,
    }
    step = _object(
        common
        | {
            "hold": _DURATION,
            "countdown": {"type": "integer", "minimum": 0, "maximum": MAX_COUNTDOWN},
            "cues": {"type": "array", "items": cue},
        },
        STEP_KEYS,
    )
    phase_words = {
        "type": "object",
        "additionalProperties": False,
        "properties": {p: {"type": ["string", "null"]} for p in PHASES},
    }
    breathe = _object(
        {
            "pattern": _PATTERN,
            **{p: _DURATION for p in PHASES},
            "cycles": {"type": "integer", "minimum": 1, "maximum": MAX_CYCLES},
            "say": phase_words,
            "ramp": _object({"to": _PATTERN}, RAMP_KEYS, ("to",)),
        },
        BREATHE_KEYS,
    ) | {"anyOf": [{"required": ["pattern"]}, {"required": ["inhale"]}]}
    breath_step = _object(common | {"breathe": breathe}, BREATH_STEP_KEYS, ("breathe",))
    group = _object(
        {
            "name": {"type": "string", "minLength": 1},
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
            "name": {"type": "string", "minLength": 1},
            "engine": {"enum": list(ENGINES)},
        },
        VOICE_KEYS,
    )
    pacing = _object(
        {
            "preset": {"enum": list(PRESETS)},
            "rate": {"type": "integer", "minimum": MIN_RATE, "maximum": MAX_RATE},
            "hold_scale": {"type": "number", "minimum": MIN_SCALE, "maximum": MAX_SCALE},
            "rest_scale": {"type": "number", "minimum": MIN_SCALE, "maximum": MAX_SCALE},
            "breath": _PATTERN,
            "cycles": {"type": "integer", "minimum": 1, "maximum": MAX_CYCLES},
            "countdown": {
                "anyOf": [
                    {"type": "integer", "minimum": 0, "maximum": MAX_COUNTDOWN},
                    {"const": "off"},
                    {"const": False},
                ]
            },
            "cues": {"type": "boolean"},
            "voice": {"type": "string", "minLength": 1},
            "engine": {"enum": list(ENGINES)},
            "lead_in": _DURATION | {"description": "Whole seconds of 'starting in 3, 2, 1' (0-10)"},
            "duration": _DURATION,
        },
        PACING_KEYS,
    )
    top = _object(
        {
            "version": {"const": 1},
            "title": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            **_about(),
            "voice": voice,
            "pacing": pacing,
            "intro": _TEXT,
            "safety": {"anyOf": [_TEXT, {"type": "array", "items": _TEXT}]},
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
            "step": step | {"anyOf": [{"required": ["say"]}, {"required": ["hold"]}]},
            "breathing_step": breath_step,
            "group": group,
        },
    }
