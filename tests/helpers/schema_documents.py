"""Hypothesis strategies for routine documents, built from the JSON Schema that
``voiceguide schema`` prints: every keyword the schema uses is interpreted, so a key added to
the schema is generated without touching this file (hypothesis-jsonschema does not handle
the recursive ``steps`` nor run on current hypothesis). ``CLEAN`` documents are
schema-valid; ``HOSTILE`` ones have hostile numbers and strings mixed in at the leaves;
``Dumper`` writes either back as YAML, ``Raw`` scalars as they are."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import jsonschema
import yaml
from hypothesis import strategies as st

from voiceguide.routine.schema import json_schema

SCHEMA = json_schema()
MAX_GROUP_NESTING = 2  # deeper groups are valid but only slow the test down


class Raw(str):
    """A scalar written into the YAML as it is (``.inf``, ``1.0e+400``, ``0x10``, ``1:99``),
    so the YAML parser, not Python's dumper, decides what it is."""


HOSTILE_RAW = [
    ".inf",
    "-.inf",
    ".nan",
    "1.0e+400",
    "1.0e+308",
    "-0.0",
    "-0",
    "0x10",
    "1_0",
    "4.58e16",
    "1e999",
    "1:99",
    "1:60:00",
    "1" + "0" * 400,
    "9" * 5000,
]
HOSTILE_VALUES: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    10**400,
    -(10**400),
    -0.0,
    2**63,
    4.58e16,
    0,
    -1,
    1e-320,
    True,
    None,
    "",
    " ",
    "1e999",
    "inf",
    "nan",
    "inf-4",
    "1e999-4",
    "4-inf",
    "٣s",
    "٣-4",
    "1:99",
    "1:60:00",
    "-0",
    "9" * 5000,
    "1." + "9" * 400 + "s",
    "[pause 1e999s]",
    "Hi [pause inf]",
    "Hi [pause 1:99]",
    "{side}",
    "{x}",
    "off",
    [],
    {},
    *(Raw(r) for r in HOSTILE_RAW),
]


def _dump_raw(dumper: yaml.SafeDumper, value: Raw) -> yaml.ScalarNode:
    tag = dumper.resolve(yaml.ScalarNode, str(value), (True, False))  # plain if it resolves
    return dumper.represent_scalar(tag, str(value))


class Dumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML has no type stubs here
    pass


Dumper.add_representer(Raw, _dump_raw)


def _hostile_or(strategy: st.SearchStrategy[Any], hostile: bool) -> st.SearchStrategy[Any]:
    """``strategy``, or (in hostile documents, one value in four) a hostile value."""
    if not hostile:
        return strategy
    return st.one_of(strategy, strategy, strategy, st.sampled_from(HOSTILE_VALUES))


def from_schema(schema: dict[str, Any], hostile: bool, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values valid against ``schema`` (the subset of JSON Schema :func:`json_schema` uses),
    with hostile values mixed in at every leaf when ``hostile``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        target = SCHEMA["$defs"][name]
        if name == "steps":
            depth += 1
            if depth > MAX_GROUP_NESTING:  # innermost level: no more groups
                target = target | {
                    "items": {"oneOf": [r for r in target["items"]["oneOf"] if r["$ref"] != "#/$defs/group"]}
                }
        return from_schema(target, hostile, depth)
    if "const" in schema:
        return _hostile_or(st.just(schema["const"]), hostile)
    if "enum" in schema:
        return _hostile_or(st.sampled_from(schema["enum"]), hostile)
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices and schema.get("type") != "object":
        return st.one_of([from_schema(c, hostile, depth) for c in choices])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema(schema | {"type": k}, hostile, depth) for k in kind])
    if kind == "object":
        return _object(schema, hostile, depth)
    if kind == "array":
        items = from_schema(schema["items"], hostile, depth)
        unique_by = repr if schema.get("uniqueItems") else None
        lists = st.lists(items, min_size=schema.get("minItems", 0), max_size=3, unique_by=unique_by)
        return _hostile_or(lists, hostile)
    if kind == "string":
        pattern = schema.get("pattern", "")
        if pattern.startswith("^") and "not" not in schema:
            text = st.from_regex(_bounded(pattern), fullmatch=True)
        else:  # spoken text: its rules are easier checked than generated
            text = _texts().filter(_valid_for(schema))
        return _hostile_or(text, hostile)
    if kind in ("number", "integer"):
        return _hostile_or(_numbers(schema), hostile)
    if kind == "boolean":
        return _hostile_or(st.booleans(), hostile)
    if kind == "null":
        return st.none()
    raise AssertionError(f"schema keyword not handled: {schema}")


#: pieces of spoken text, to try the rules of texts ({side}, [pause …]) on
TEXT_PIECES = [
    "Hi",
    "{side}",
    "{x}",
    "{{side}}",
    "}",
    "[pause 2s]",
    "[PAUSE 1:30]",
    "[pause x]",
    "[pauſe 1]",
    "[pause 1000000h]",
    "[pause 2s",
    " ",
    "\n",
    "\t",
]


def _texts() -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(TEXT_PIECES), st.text(max_size=8))
    return st.lists(piece, min_size=1, max_size=5).map("".join)


def _valid_for(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """Whether a value is valid for ``schema`` (a function with a short repr)."""
    validator = jsonschema.Draft202012Validator(schema)

    def valid(value: Any) -> bool:
        return bool(validator.is_valid(value))

    return valid


def _numbers(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Numbers in the schema's bounds (inclusive or exclusive), at most 600 (120 whole)."""
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    open_low, open_high = "exclusiveMinimum" in schema, "exclusiveMaximum" in schema
    cap = 120 if schema["type"] == "integer" else 600
    high = cap if high is None else min(high, cap)
    first = None if low is None else math.floor(low) + 1 if open_low else math.ceil(low)
    last = math.ceil(high) - 1 if open_high else math.floor(high)
    whole = st.integers(first, last)
    if schema["type"] == "integer":
        return whole
    floats = st.floats(
        low, high, allow_nan=False, exclude_min=open_low and low is not None, exclude_max=open_high
    )
    return st.one_of(whole, floats)


def _bounded(pattern: str) -> re.Pattern[str]:
    """The schema's regex with ``+`` and ``*`` bounded to a few repetitions (short strings,
    fast to generate; every match still matches the original). The schema writes digits
    [0-9], never ``\\d`` (ASCII in an editor's regexes, not in Python's), so the classes
    mean the same here as in the jsonschema validator."""
    assert "\\d" not in pattern, pattern
    bounded = re.sub(r"(?<!\\)\+", "{1,3}", pattern)
    bounded = re.sub(r"(?<!\\)\*", "{0,2}", bounded)
    return re.compile(bounded)


def _map(schema: dict[str, Any], hostile: bool, depth: int) -> st.SearchStrategy[Any]:
    """An object without fixed keys (``pronounce:``): keys from ``propertyNames``, values
    from ``additionalProperties``."""
    keys = from_schema({"type": "string"} | schema["propertyNames"], False, depth)
    values = from_schema(schema["additionalProperties"], hostile, depth)
    return _hostile_or(st.dictionaries(keys, values, max_size=3), hostile)


def _object(schema: dict[str, Any], hostile: bool, depth: int) -> st.SearchStrategy[Any]:
    if "properties" not in schema:
        return _map(schema, hostile, depth)
    properties = schema["properties"]
    required = set(schema.get("required", ()))
    # "anyOf": [{"required": [...]}, …]: one of the alternatives' keys is required too
    alternatives = [set(a["required"]) for a in schema.get("anyOf", ())] or [set()]
    # "not": {"required": [trigger], "anyOf": [{"required": [key]}, …]}: not both at once
    forbid = schema.get("not", {"required": [], "anyOf": []})
    trigger = set(forbid["required"])
    clashing = {key for r in forbid["anyOf"] for key in r["required"]}

    def build(extra: set[str]) -> st.SearchStrategy[Any]:
        must = required | extra
        optional = set(properties) - must - (clashing if trigger and trigger <= must else trigger)
        return st.fixed_dictionaries(
            {k: from_schema(v, hostile, depth) for k, v in properties.items() if k in must},
            optional={k: from_schema(v, hostile, depth) for k, v in properties.items() if k in optional},
        )

    objects = st.one_of([build(extra) for extra in alternatives])
    # "if"/"then" (alone or in "allOf"): checked, as they relate keys to each other
    conditions = [
        _valid_for({"if": c["if"], "then": c["then"]})
        for c in [schema, *schema.get("allOf", ())]
        if "if" in c
    ]
    if conditions:
        objects = objects.filter(lambda value: all(valid(value) for valid in conditions))
    # "dependentRequired": {key: [keys]}: a key present brings those keys (setup: needs sides:)
    if dependent := schema.get("dependentRequired"):
        objects = objects.filter(
            lambda value: all(set(dependent[k]) <= set(value) for k in dependent if k in value)
        )
    return objects


CLEAN = from_schema(SCHEMA, hostile=False)
HOSTILE = from_schema(SCHEMA, hostile=True)
