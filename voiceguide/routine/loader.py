"""Load and validate a routine script into :mod:`voiceguide.routine.model` dataclasses.

Every problem in a file is collected and reported at once, each with the file, line
and column of the offending key or value. The bytes pass the YAML guard first
(:mod:`voiceguide.routine.yamlguard`: size, encodings, aliases, depth, one document);
the builders here turn its node tree into the model, reading values through
:mod:`voiceguide.routine.nodes` and pacing blocks through
:mod:`voiceguide.routine.pacing_block`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import Diagnostic, Position, RoutineError, in_file_order
from ..formatting import format_seconds, shown
from ..inputs import display_name, read_input
from . import schema
from .model import (
    DEFAULT_PHASE_WORDS,
    About,
    Breathing,
    BreathPattern,
    Cue,
    Group,
    PacingValues,
    Routine,
    Step,
    Voice,
)
from .nodes import kind_of
from .pacing_block import PacingReader
from .safety_sets import SAFETY_SETS
from .schema import MAX_DURATION_MS, MAX_DURATION_WORDS, PHASES
from .yamlguard import MAX_FILE_BYTES as MAX_FILE_BYTES  # where routine files are read
from .yamlguard import compose, decode


def load_routine(path: str | Path) -> tuple[Routine, tuple[Diagnostic, ...]]:
    """Read, validate and build the routine at ``path`` (``-``: standard input, named
    ``<stdin>`` in messages); return it with its warnings.

    Raises :class:`RoutineError` (exit 2) listing every problem, or :class:`UsageError`
    when the file cannot be read at all.
    """
    name = display_name(path)
    source = read_input(path, MAX_FILE_BYTES, "routine file")
    return parse_routine(source, name)


def load_pacing_file(path: str | Path) -> PacingValues:
    """Read a pacing file: YAML with the keys of a routine's ``pacing:`` block, converted
    as :meth:`~voiceguide.routine.pacing_block.PacingReader.pacing` does. Raises
    :class:`RoutineError` (every problem, as file:line:col) or :class:`UsageError` when it
    cannot be read."""
    name = str(path)
    source = read_input(path, MAX_FILE_BYTES, "pacing file")
    root = compose(
        decode(source, name), name, what="a pacing file", needs="pacing keys such as preset: gentle"
    )
    builder = _Builder(name)
    values = builder.pacing(root, "the pacing file")
    errors = [d for d in in_file_order(builder.diagnostics) if d.severity == "error"]
    if errors:
        raise RoutineError(errors)
    return values


def parse_routine(source: bytes, path: str) -> tuple[Routine, tuple[Diagnostic, ...]]:
    """Validate ``source`` (the file's bytes) and build the routine; see :func:`load_routine`."""
    if len(source) > MAX_FILE_BYTES:
        raise RoutineError.at(
            Position(path, 1, 1),
            f"the file is {len(source):,} bytes; routines are limited to 1 MiB",
        )
    text = decode(source, path)
    root = compose(text, path)
    builder = _Builder(path)
    routine = builder.routine(root)
    found = in_file_order(builder.diagnostics)  # (the pacing: block is read first)
    errors = [d for d in found if d.severity == "error"]
    if errors or routine is None:
        raise RoutineError(errors or [Diagnostic(Position(path, 1, 1), "invalid routine")])
    warnings = tuple(d for d in found if d.severity == "warning")
    return routine, warnings


# ---- raw text ------------------------------------------------------------------------------


# ---- building from nodes -----------------------------------------------------------------


class _Builder(PacingReader):
    """Walks the node tree, building the model and collecting every diagnostic."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.script_ms = 0  # holds, rests and breathing, expanded: for the 24-hour limit

    # -- the routine --
    def routine(self, root: Node) -> Routine | None:
        fields = self.mapping(root, schema.TOP_KEYS, "the routine")
        if "version" in fields:
            version = self.scalar(fields["version"][1])
            if version != 1 or isinstance(version, bool):  # true == 1 in Python
                self.error(
                    fields["version"][1],
                    f"unsupported format version {shown(version)}; this voiceguide reads version 1",
                )
        title = None
        if "title" not in fields:
            self.diagnostics.append(
                Diagnostic(self.at(root), 'missing "title:" (what the session is called)')
            )
        else:
            title = self.text(fields["title"][1], "title")
        description = self._optional_text(fields, "description", allow_empty=True)
        about = self.about(fields)
        voice = self.voice(fields["voice"][1]) if "voice" in fields else Voice()
        pronounce = self.pronounce(fields["pronounce"][1]) if "pronounce" in fields else MappingProxyType({})
        pacing = self.pacing(fields["pacing"][1]) if "pacing" in fields else PacingValues()
        pacing_at = self.at(fields["pacing"][1]) if "pacing" in fields else None
        intro = self._optional_text(fields, "intro")
        outro = self._optional_text(fields, "outro")
        safety = self.safety(fields["safety"][1]) if "safety" in fields else ()
        steps: tuple[Step | Group, ...] = ()
        if "steps" not in fields:
            self.diagnostics.append(Diagnostic(self.at(root), 'missing "steps:" (the list of steps)'))
        else:
            steps = self.steps(fields["steps"][1], depth=0)
            if steps and self.script_ms > MAX_DURATION_MS:
                self.error(
                    fields["steps"][0],
                    f"the steps add up to {format_seconds(self.script_ms)} of holds, rests and "
                    f"breathing, more than {MAX_DURATION_WORDS}",
                )
        if title is None:
            return None
        return Routine(
            title=title.strip(),
            path=self.path,
            where=self.at(root),
            steps=steps,
            description=(description or "").strip(),
            voice=voice,
            pacing=pacing,
            pacing_at=pacing_at,
            intro=intro or "",
            safety=safety,
            outro=outro or "",
            intro_at=self.at(fields["intro"][1]) if "intro" in fields else None,
            safety_at=self.at(fields["safety"][1]) if "safety" in fields else None,
            outro_at=self.at(fields["outro"][1]) if "outro" in fields else None,
            about=about,
            pronounce=pronounce,
        )

    # -- what the routine says about itself (schema.ABOUT_KEYS) --
    def about(self, fields: dict[str, tuple[Node, Node]]) -> About:
        def value(key: str, check: Callable[[Node], Any]) -> Any:
            return check(fields[key][1]) if key in fields else None

        return About(
            tags=value("tags", lambda n: self._words(n, "tags", schema.TAG_PATTERN, "back")) or (),
            level=value("level", lambda n: self._choice(n, "level", schema.LEVELS)),
            equipment=value("equipment", self._equipment),
            author=value("author", lambda n: self._label(n, "author")),
            license=value("license", lambda n: self._label(n, "license")),
            standard_length_ms=value("standard_minutes", self._standard_minutes),
        )

    def _label(self, node: Node, what: str) -> str | None:
        """One line of text, like an author or a license identifier."""
        value = self._some_text(node, what)
        if value is None:
            return None
        if len(value) > schema.MAX_LABEL_CHARS or "\n" in value.strip():
            self.error(node, f"{what} must be one line of at most {schema.MAX_LABEL_CHARS} characters")
            return None
        return value.strip()

    def _words(self, node: Node, what: str, pattern: str, example: str) -> tuple[str, ...]:
        """A list of distinct lowercase words matching ``pattern``."""
        words: list[str] = []
        for item in self.sequence(node, what):
            word = self.scalar(item)
            if not isinstance(word, str) or not re.fullmatch(pattern, word, re.ASCII):
                self.error(
                    item, f"each of {what} must be lowercase words like {example}, got {kind_of(word)}"
                )
            elif len(word) > schema.MAX_LABEL_CHARS:
                self.error(item, f"each of {what} may be at most {schema.MAX_LABEL_CHARS} characters")
            elif word in words:
                self.error(item, f'"{word}" is listed twice in {what}')
            else:
                words.append(word)
        return tuple(words)

    def _equipment(self, node: Node) -> tuple[str, ...]:
        """What is needed; ``[]`` or ``[none]``: nothing (``none`` beside others is dropped)."""
        items = self._words(node, "equipment", schema.EQUIPMENT_PATTERN, "mat or tennis ball")
        if schema.NO_EQUIPMENT in items and len(items) > 1:
            self.warn(node, f'"{schema.NO_EQUIPMENT}" beside other equipment means nothing; leave it out')
        return tuple(i for i in items if i != schema.NO_EQUIPMENT)

    def _standard_minutes(self, node: Node) -> tuple[int, int] | None:
        """``{min: 9, max: 11}`` → (540000, 660000) ms: how long at the standard preset."""
        fields = self.mapping(node, schema.MINUTES_KEYS, "standard_minutes")
        if not isinstance(node, MappingNode):
            return None
        bounds: list[int] = []
        for key in schema.MINUTES_KEYS:
            if key not in fields:
                self.error(node, f'standard_minutes needs "{key}:" (minutes, e.g. {{min: 9, max: 11}})')
                continue
            number = self.scalar(fields[key][1])
            if (
                isinstance(number, bool)
                or not isinstance(number, int | float)
                or not (
                    0 <= number <= schema.MAX_MINUTES  # false for nan too
                )
            ):
                self.error(
                    fields[key][1],
                    f"standard_minutes {key} must be a number of minutes "
                    f"from 0 to {schema.MAX_MINUTES}, got {shown(number)}",
                )
                continue
            bounds.append(round(Decimal(str(number)) * 60_000))
        if len(bounds) < 2:
            return None
        if bounds[0] > bounds[1]:
            self.error(node, "standard_minutes min is more than its max")
            return None
        return bounds[0], bounds[1]

    def _optional_text(
        self, fields: dict[str, tuple[Node, Node]], key: str, *, allow_empty: bool = False
    ) -> str | None:
        if key not in fields:
            return None
        node = fields[key][1]
        if allow_empty and isinstance(self.scalar(node), str) and not self.scalar(node).strip():
            return ""
        return self.text(node, key)

    def voice(self, node: Node) -> Voice:
        fields = self.mapping(node, schema.VOICE_KEYS, "voice")
        rate = (
            self.integer(fields["rate"][1], "voice rate (words per minute)", schema.MIN_RATE, schema.MAX_RATE)
            if "rate" in fields
            else None
        )
        name = self.text(fields["name"][1], "voice name") if "name" in fields else None
        engine = self._engine(fields["engine"][1]) if "engine" in fields else None
        where = self.at(fields["name"][1]) if "name" in fields else None
        return Voice(rate=rate, name=name, engine=engine, where=where)

    def pronounce(self, node: Node) -> MappingProxyType[str, str]:
        """``pronounce:``: word → respelling (see :mod:`voiceguide.routine.lexicon`)."""
        if not isinstance(node, MappingNode):
            self.error(node, "pronounce must be a mapping (word: how to say it)")
            return MappingProxyType({})
        if len(node.value) > schema.MAX_PRONOUNCE_ENTRIES:
            self.error(
                node,
                f"pronounce lists {len(node.value):,} words; at most "
                f"{schema.MAX_PRONOUNCE_ENTRIES} are allowed",
            )
            return MappingProxyType({})
        entries: dict[str, str] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            word = self._pronounced_word(key_node)
            say = self._respelling(value_node, word or "the word")
            if word is None:
                continue
            if word.lower() in seen:
                self.error(key_node, f'"{word}" is listed twice in pronounce (case does not matter)')
                continue
            seen.add(word.lower())
            if say is not None:
                entries[word] = say
        return MappingProxyType(entries)

    def _pronounced_word(self, node: Node) -> str | None:
        """A key of ``pronounce:``: one word, without white space or [ ] { }, as written
        (``12`` and ``no`` are the words "12" and "no", as a JSON object's keys are text)."""
        if not isinstance(node, ScalarNode):
            self.error(node, f"the words to respell must be text, got {kind_of(node)}")
            return None
        word = str(node.value)
        problem = None
        if not word:
            problem = "a word to respell is empty"
        elif any(c.isspace() for c in word):
            problem = f"{shown(word)}: a word to respell is one word, without spaces"
        elif any(mark in word for mark in "[]{}"):
            problem = f"{shown(word)}: a word to respell may not contain [ ] {{ }}"
        elif len(word) > schema.MAX_PRONOUNCE_WORD_CHARS:
            problem = (
                f"a word to respell may have at most {schema.MAX_PRONOUNCE_WORD_CHARS} "
                f"characters, this one has {len(word):,}"
            )
        if problem is None and not re.fullmatch(schema.PRONOUNCE_WORD_PATTERN, word):
            problem = f"{shown(word)} is not a word to respell"  # the schema's rule, as a backstop
        if problem is not None:
            self.error(node, problem)
            return None
        return word

    def _respelling(self, node: Node, word: str) -> str | None:
        """How to say ``word``: text without [ ] { }, at most MAX_RESPELLING_CHARS long."""
        what = f"the respelling of {shown(word)}" if word != "the word" else "a respelling"
        say = self._some_text(node, what)
        if say is None:
            return None
        if any(mark in say for mark in "[]{}"):
            self.error(node, f"{what} is said as it is: it may not contain [ ] {{ }} (no pauses or {{side}})")
            return None
        if len(say) > schema.MAX_RESPELLING_CHARS:
            self.error(
                node, f"{what} may have at most {schema.MAX_RESPELLING_CHARS} characters, it has {len(say):,}"
            )
            return None
        if not re.fullmatch(schema.RESPELLING_PATTERN, say):
            self.error(node, f"{what} is not a respelling")  # the schema's rule, as a backstop
            return None
        return say

    def _engine(self, node: Node) -> str | None:
        return self._choice(node, "engine", schema.ENGINES, unlisted=schema.TEST_ENGINES)

    def safety(self, node: Node) -> tuple[str, ...]:
        """``safety:``: a text, a list of texts, or ``{use: back, urgent: [...], also: [...]}``:
        the named sets' "get help now" texts (:mod:`voiceguide.routine.safety_sets`), the
        routine's own emergencies (``urgent:``), the sets' "ask your doctor first" texts,
        then the routine's other lines (``also:``): every emergency is heard first."""
        if isinstance(node, MappingNode):
            fields = self.mapping(node, schema.SAFETY_KEYS, "safety")
            if "use" not in fields:
                self.error(node, f'safety: {{…}} needs "use:" (a safety set: {", ".join(SAFETY_SETS)})')
            used = self._safety_sets(fields["use"][1]) if "use" in fields else []
            urgent = self._safety_lines(fields["urgent"][1], "safety urgent") if "urgent" in fields else ()
            also = self._safety_lines(fields["also"][1], "safety also") if "also" in fields else ()
            help_now = tuple(dict.fromkeys(s[0] for s in used))
            ask_first = tuple(dict.fromkeys(t for s in used for t in s[1:]))
            return help_now + urgent + ask_first + also
        return self._safety_lines(node, "safety")

    def _safety_lines(self, node: Node, what: str) -> tuple[str, ...]:
        """A text or a list of texts."""
        if isinstance(node, ScalarNode):
            one = self.text(node, what)
            return (one,) if one else ()
        items = [self.text(item, "a safety item") for item in self.sequence(node, what)]
        return tuple(i for i in items if i)

    def _safety_sets(self, node: Node) -> list[tuple[str, ...]]:
        """``use: back`` or ``use: [back, breathing]`` → the sets, in that order."""
        names = self.sequence(node, "safety use") if isinstance(node, SequenceNode) else [node]
        sets: list[tuple[str, ...]] = []
        for item in names:
            name = self._choice(item, "safety set", tuple(SAFETY_SETS))
            if name is not None:
                sets.append(SAFETY_SETS[name])
        return sets

    # -- steps --
    def steps(self, node: Node, depth: int) -> tuple[Step | Group, ...]:
        items = self.sequence(node, "steps")
        if isinstance(node, SequenceNode) and not items:
            self.error(node, "steps is empty; add at least one step")
        built: list[Step | Group] = []
        for item in items:
            step = self.step(item, depth)
            if step is not None:
                built.append(step)
        return tuple(built)

    def step(self, node: Node, depth: int) -> Step | Group | None:
        if not isinstance(node, MappingNode):
            value = self.scalar(node)
            space = ""
            if isinstance(value, str) and (glued := re.fullmatch(r"([A-Za-z_]\w*):(\S.*)", value.strip())):
                space = f": a missing space after ':': write {glued[1]}: {glued[2]}"
            self.error(
                node, f"each step must be a mapping (name:, say:, hold: …), got {kind_of(value)}{space}"
            )
            return None
        present = {k.value for k, _ in node.value if isinstance(k, ScalarNode)}
        if "repeat" in present or "steps" in present:
            return self.group(node, depth)
        if "breathe" in present:
            return self.breathing_step(node)
        return self.plain_step(node)

    def _name(self, fields: dict[str, tuple[Node, Node]]) -> str | None:
        if "name" not in fields:
            return None
        name = self.text(fields["name"][1], "name")
        return name.strip() if name else None

    def _sides(self, fields: dict[str, tuple[Node, Node]]) -> tuple[str, ...]:
        if "sides" not in fields:
            return ()
        node = fields["sides"][1]
        sides: list[str] = []
        for item in self.sequence(node, "sides"):
            side = self.scalar(item)
            if not isinstance(side, str) or not side.strip():
                self.error(item, f"each side must be a word like left or right, got {kind_of(side)}")
            elif any(mark in side for mark in "[]{}"):  # "{side}" must not make a pause mark
                self.error(item, f"a side is a word like left or right, without [ ] {{ }}: {shown(side)}")
            elif side.strip() in sides:
                self.error(item, f'side "{side.strip()}" is listed twice')
            else:
                sides.append(side.strip())
        if isinstance(node, SequenceNode) and not node.value:
            self.error(node, "sides is empty; leave it out or list the sides")
        return tuple(sides)

    def _setup(self, fields: dict[str, tuple[Node, Node]], sides: tuple[str, ...]) -> str:
        """``setup:``: the set-up said once before the first side (no ``{side}`` in it)."""
        if "setup" not in fields:
            return ""
        node = fields["setup"][1]
        if "sides" not in fields:
            self.error(
                node, "setup: is said once before the first of the sides; this step has no sides: (use say:)"
            )
            return ""
        value = self.scalar(node)
        if isinstance(value, str) and "{side}" in value:
            self.error(node, "setup: is said once for all sides, so it cannot name one: put {side} in say:")
            return ""
        return self.text(node, "setup", sides=bool(sides)) or ""

    def _rest(self, fields: dict[str, tuple[Node, Node]]) -> int | None:
        return self.duration(fields["rest"][1], "rest") if "rest" in fields else None

    def _misplaced(self, node: Node, allowed: tuple[str, ...], kind: str) -> tuple[str, ...]:
        """Keys valid for some step but not this kind: reported with a clear reason."""
        for key_node, _ in node.value:
            key = getattr(key_node, "value", None)
            if key in schema.ALL_STEP_KEYS and key not in allowed:
                self.error(key_node, f'"{key}" does not belong in {kind}')
        return tuple(k for k in schema.ALL_STEP_KEYS if k not in allowed)

    def _fields(self, node: Node, allowed: tuple[str, ...], kind: str) -> dict[str, tuple[Node, Node]]:
        misplaced = self._misplaced(node, allowed, kind)
        fields = self.mapping(node, allowed + misplaced, kind, suggest_from=schema.ALL_STEP_KEYS)
        return {k: v for k, v in fields.items() if k in allowed}

    def plain_step(self, node: Node) -> Step | None:
        fields = self._fields(node, schema.STEP_KEYS, "a step")
        sides = self._sides(fields)
        setup = self._setup(fields, sides)
        say = self.text(fields["say"][1], "say", sides=bool(sides)) if "say" in fields else ""
        hold = self.duration(fields["hold"][1], "hold") if "hold" in fields else 0
        rest = self._rest(fields)
        if not say and not hold and "say" not in fields and "hold" not in fields:
            self.error(node, "this step does nothing: give it say:, hold: or breathe:")
        countdown = 0
        if "countdown" in fields:
            countdown = self.integer(fields["countdown"][1], "countdown", 0, schema.MAX_COUNTDOWN) or 0
            if hold is not None and countdown * 1000 > (hold or 0):
                self.error(
                    fields["countdown"][1],
                    f"countdown of {countdown} s is longer than the {format_seconds(hold or 0)} hold",
                )
        cues = self.cues(fields["cues"][1], hold, bool(sides)) if "cues" in fields else ()
        chime = self.boolean(fields["chime"][1], "chime") if "chime" in fields else False
        self.script_ms += ((hold or 0) + (rest or 0)) * max(1, len(sides))
        return Step(
            name=self._name(fields),
            where=self.at(node),
            say=say or "",
            hold_ms=hold or 0,
            rest_ms=rest,
            cues=cues,
            countdown=countdown,
            sides=sides,
            chime=chime,
            setup=setup,
        )

    def cues(self, node: Node, hold_ms: int | None, sides: bool) -> tuple[Cue, ...]:
        """The cues of a hold of ``hold_ms`` (None: the hold itself is invalid, so only the
        cues' own values are checked)."""
        items = self.sequence(node, "cues")
        if items and hold_ms == 0:
            self.error(node, "cues are spoken during a hold, but this step has no hold:")
            return ()
        built = []
        for item in items:
            fields = self.mapping(item, schema.CUE_KEYS, "a cue")
            if isinstance(item, MappingNode):
                for required in schema.CUE_KEYS:
                    if required not in fields:
                        self.error(item, f'a cue needs "{required}:"')
            if "at" not in fields or "say" not in fields:
                continue
            at = self.duration(fields["at"][1], "cue at")
            text = self.text(fields["say"][1], "cue", sides=sides)
            if at is not None and hold_ms is not None and at >= hold_ms:
                self.error(
                    fields["at"][1],
                    f"cue at {format_seconds(at)} is past the end of the {format_seconds(hold_ms)} hold",
                )
            elif at is not None and text:
                built.append(Cue(at, text, self.at(item)))
        return tuple(sorted(built, key=lambda c: c.at_ms))

    def breathing_step(self, node: Node) -> Step | None:
        fields = self._fields(node, schema.BREATH_STEP_KEYS, "a breathing step")
        sides = self._sides(fields)
        setup = self._setup(fields, sides)
        say = self.text(fields["say"][1], "say", sides=bool(sides)) if "say" in fields else ""
        breathing = self.breathing(fields["breathe"][1], bool(sides))
        rest = self._rest(fields)
        chime = self.boolean(fields["chime"][1], "chime") if "chime" in fields else False
        if breathing is None:
            return None
        self.script_ms += (breathing.pattern.cycle_ms * breathing.cycles + (rest or 0)) * max(1, len(sides))
        return Step(
            name=self._name(fields),
            where=self.at(node),
            say=say or "",
            rest_ms=rest,
            sides=sides,
            chime=chime,
            breathe=breathing,
            setup=setup,
        )

    def breathing(self, node: Node, sides: bool) -> Breathing | None:
        fields = self.mapping(node, schema.BREATHE_KEYS, "breathe")
        if not isinstance(node, MappingNode):
            return None
        phases = [p for p in PHASES if p in fields]
        pattern: BreathPattern | None = None
        if "pattern" in fields and phases:
            self.error(
                fields[phases[0]][0],
                "give either pattern: or the phase lengths (inhale:, hold:, …), not both",
            )
        elif "pattern" in fields:
            pattern = self._pattern(fields["pattern"][1], "pattern")
        elif phases:
            if "inhale" not in fields:
                self.error(node, 'phase lengths need at least "inhale:"')
            lengths = {p: (self.duration(fields[p][1], p) if p in fields else 0) for p in PHASES}
            if "inhale" in fields and lengths["inhale"] == 0:
                self.error(fields["inhale"][1], "inhale must be longer than 0")
            if all(v is not None for v in lengths.values()) and lengths["inhale"]:
                pattern = BreathPattern(
                    lengths["inhale"] or 0,
                    lengths["hold"] or 0,
                    lengths["exhale"] or 0,
                    lengths["hold_out"] or 0,
                )
        else:
            self.error(
                node,
                "breathe needs a pattern (e.g. pattern: 4-7-8) or phase lengths (inhale: 4s …)",
            )
        cycles = (
            self.integer(fields["cycles"][1], "cycles", 1, schema.MAX_CYCLES) if "cycles" in fields else 4
        )
        words = dict(DEFAULT_PHASE_WORDS)
        if "say" in fields:
            say_fields = self.mapping(fields["say"][1], PHASES, "breathe say")
            for phase, (_, value_node) in say_fields.items():
                value = self.scalar(value_node)
                if value is None or value == "":
                    words[phase] = ""
                else:
                    words[phase] = self.text(value_node, f"the {phase} word", sides=sides) or ""
        ramp_to = self._ramp(fields["ramp"][1]) if "ramp" in fields else None
        sound: str | None = "words"
        if "sound" in fields:
            sound = self._choice(fields["sound"][1], "sound", schema.BREATH_SOUNDS)
        if pattern is None or cycles is None or sound is None:
            return None
        if ramp_to is not None and cycles < 2:
            self.error(
                fields["ramp"][0],
                "a ramp needs at least 2 cycles (it goes from the pattern to ramp.to)",
            )
        return Breathing(pattern, cycles, MappingProxyType(words), self.at(node), ramp_to, sound)

    def _ramp(self, node: Node) -> BreathPattern | None:
        fields = self.mapping(node, schema.RAMP_KEYS, "ramp")
        if not isinstance(node, MappingNode):
            return None
        if "to" not in fields:
            self.error(node, 'a ramp needs "to:" (the pattern of the last cycle, e.g. to: 4-7-8)')
            return None
        return self._pattern(fields["to"][1], "ramp to")

    def group(self, node: Node, depth: int) -> Group | None:
        fields = self._fields(node, schema.GROUP_KEYS, "a group (a step with repeat:)")
        if depth >= schema.MAX_GROUP_DEPTH:
            self.error(node, f"groups are nested more than {schema.MAX_GROUP_DEPTH} deep")
            return None
        repeat = (
            self.integer(fields["repeat"][1], "repeat", 1, schema.MAX_REPEAT) if "repeat" in fields else None
        )
        if "repeat" not in fields:
            self.error(node, 'a group with steps: needs "repeat:" (how many rounds)')
        if "steps" not in fields:
            self.error(node, 'a group with repeat: needs "steps:" (what to repeat)')
            return None
        before = self.script_ms
        steps = self.steps(fields["steps"][1], depth + 1)
        rest = self._rest(fields)
        if repeat is None or not steps:
            return None
        inner = self.script_ms - before
        self.script_ms = before + inner * repeat + (rest or 0) * (repeat - 1)
        return Group(name=self._name(fields), where=self.at(node), repeat=repeat, steps=steps, rest_ms=rest)
