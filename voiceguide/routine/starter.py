"""The text ``voiceguide new`` writes: a starter routine whose comments explain each key, or
a copy of another routine under a comment saying where it came from. Pure."""

from __future__ import annotations

import json
import re

import yaml

_WORDS = re.compile(r"[\s_-]+")


def title_from_name(name: str) -> str:
    """``"morning-stretch"`` → ``"Morning stretch"``: a file name as a title."""
    words = _WORDS.sub(" ", name).strip()
    return (words[:1].upper() + words[1:]) or "My routine"


def _scalar(text: str) -> str:
    """``text`` as a YAML value: plain when YAML reads it back as that very string, else
    double-quoted (JSON's escapes are YAML's)."""
    plain = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ,.'()-]*", text) is not None
    try:
        plain = plain and yaml.safe_load(text) == text
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def starter_text(title: str) -> str:
    """A short, valid routine to edit, about three minutes, with a comment on every key."""
    return f"""\
# A routine for voiceguide. Edit it, then check it and hear it:
#   voiceguide validate THIS-FILE      (every problem as file:line:col)
#   voiceguide show THIS-FILE          (the timed script)
#   voiceguide play THIS-FILE          (or: voiceguide export THIS-FILE -o session.mp3)
# Durations: 30s, 1m30s, 1:30, 2m, 500ms. `voiceguide schema` prints the whole format
# (for editors that complete YAML); README's "Writing a routine" explains every key.

title: {_scalar(title)}
description: A short routine to start from.  # shown by `voiceguide list`
tags: [mine]  # lowercase words, for `voiceguide list --tag`
equipment: []  # what it needs; [] = nothing

# Spoken before the first step, then each safety line. Or a named set written once:
# safety: {{use: back, also: [your own lines]}}   (sets: back, breathing)
intro: Find a comfortable place, and let your shoulders drop.
safety:
  - Move gently, and stop if anything hurts.

steps:
  # A hold: say something, then hold for a while. Cues are said during the hold
  # (at: how long after it starts); countdown counts its last seconds; chime rings at
  # its end; rest is the silence after the step.
  - name: Shoulder rolls
    say: Roll your shoulders slowly backwards.
    hold: 30s
    cues:
      - at: 15s
        say: Now roll them forwards.
    countdown: 3
    chime: true
    rest: 3s

  # sides: the step runs once for each side, with {{side}} said as the side's name;
  # setup is said once, before the first side.
  - name: Neck stretch
    setup: Sit tall, and let your shoulders drop.
    say: Tilt your head towards your {{side}} shoulder.
    hold: 20s
    sides: [left, right]
    rest: 2s

  # breathe: paced breathing. pattern is seconds in-hold-out (4-7-8), in-out (5-5)
  # or in-hold-out-hold (4-4-4-4); cycles is how many breaths.
  - name: Calm breathing
    say: Breathe all the way out.
    breathe:
      pattern: 4-2-6
      cycles: 4

  # repeat: a group of steps done several times, with a rest between rounds.
  - name: Reach up
    repeat: 2
    rest: 5s
    steps:
      - say: Reach both arms up high, [pause 1s] and stretch.
        hold: 10s

# Spoken at the end.
outro: That is all. Well done.
"""


def copied_text(original: str, origin: str, name: str) -> str:
    """``original`` (a routine's text, comments and all) under a comment that says it is a
    copy of ``origin``, with a title of its own: made from ``name`` (the copy's file name),
    or the original's with " (copy)" when that would be the same, so that the library
    never shows two routines of one title. ``original`` must be a valid routine."""
    title = title_from_name(name)
    at, old_title = _title_span(original)
    if title.casefold() == old_title.casefold():
        title = f"{old_title} (copy)"
    kept = original[at[0] : at[1]][len(original[at[0] : at[1]].rstrip()) :]  # a block scalar's line end
    retitled = original[: at[0]] + _scalar(title) + kept + original[at[1] :]
    return f"# Your copy of {origin} (made by `voiceguide new --from`); edit it freely.\n{retitled}"


def _title_span(text: str) -> tuple[tuple[int, int], str]:
    """Where the top-level ``title:`` value is written in ``text`` (start and end offsets,
    in characters) and the title it holds."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert isinstance(root, yaml.MappingNode), "a valid routine is a mapping"
    spans = [
        ((value.start_mark.index, value.end_mark.index), str(value.value))
        for key, value in root.value
        if key.value == "title" and isinstance(value, yaml.ScalarNode)
    ]
    assert spans, "a valid routine has a title"
    return spans[0]
