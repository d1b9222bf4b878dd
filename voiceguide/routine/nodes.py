"""Reading YAML nodes as values, every problem collected as a diagnostic at its
file:line:col: the vocabulary the loader's builders share (a mapping's known keys, text,
durations in ms, whole numbers, flags, lists, choices, breathing patterns)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import Diagnostic, Position
from ..formatting import format_seconds, shown
from .durations import DurationSyntaxError, parse_duration
from .model import BreathPattern
from .schema import MAX_DURATION_MS, MAX_DURATION_WORDS, MAX_TEXT_CHARS
from .suggest import did_you_mean
from .text import PAUSE_MARK, normalize, split_pauses
from .yamlguard import mark
from .yamlsyntax import quoted

_T = TypeVar("_T")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class NodeReader:
    """Reads nodes of the file at ``path``, collecting every diagnostic in ``diagnostics``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self._constructor = SafeConstructor()

    # -- reporting --
    def at(self, node: Node) -> Position:
        return mark(self.path, node.start_mark)

    def error(self, node: Node, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.at(node), message))

    def warn(self, node: Node, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.at(node), message, "warning"))

    # -- generic shapes --
    def mapping(
        self,
        node: Node,
        allowed: tuple[str, ...],
        what: str,
        suggest_from: tuple[str, ...] | None = None,
    ) -> dict[str, tuple[Node, Node]]:
        """Keys of a mapping node → (key node, value node); unknown/duplicate keys reported."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping (key: value lines)")
            return {}
        found: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                self.error(key_node, f"keys in {what} must be words")
                continue
            key = key_node.value
            if key in found:
                self.error(key_node, f'"{key}" appears twice in {what}')
            elif key not in allowed:
                if node.flow_style and value_node.tag == "tag:yaml.org,2002:null":
                    hint = ": inside { … } a comma ends the text; put text with commas in quotes"
                else:
                    hint = did_you_mean(key, suggest_from or allowed)
                self.error(key_node, f'unknown key "{key}" in {what}{hint}')
            else:
                found[key] = (key_node, value_node)
        return found

    def scalar(self, node: Node) -> Any:
        if not isinstance(node, ScalarNode):
            return node  # the caller reports the wrong type
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError):
            return node.value

    def _some_text(self, node: Node, what: str) -> str | None:
        """The node's text, or None (reported) when it is not text or is blank."""
        value = self.scalar(node)
        if not isinstance(value, str):
            quote = ""
            if isinstance(value, MappingNode | SequenceNode) and value.flow_style:  # say: [pause 2s] Go.
                quote = ": a text that starts with [ or { must be in quotes"
            elif isinstance(value, MappingNode) and len(value.value) == 1:  # - Stop if: it hurts.
                key, said = value.value[0]
                if isinstance(key, ScalarNode) and isinstance(said, ScalarNode):
                    written = quoted(f"{key.value}: {said.value}")
                    quote = f": a colon inside the text: put the text in quotes: {written}"
            self.error(node, f"{what} must be text, got {kind_of(value)}{quote}")
            return None
        if not value.strip():
            self.error(node, f"{what} is empty")
            return None
        return value

    def text(self, node: Node, what: str, *, sides: bool = False) -> str | None:
        value = self._some_text(node, what)
        if value is None:
            return None
        if (length := len(normalize(value))) > MAX_TEXT_CHARS:
            self.error(
                node,
                f"{what} is {length:,} characters long; a text may have at most "
                f"{MAX_TEXT_CHARS:,} (≈ 13 minutes of speech): split it into several steps or cues",
            )
            return None
        segments = self.parsed(node, split_pauses, value, f"bad [pause …] in {what}")
        if segments is None:
            return None
        if PAUSE_MARK.search(value) and not any(hasattr(s, "text") for s in segments):
            self.error(node, f"{what} has nothing to say besides pauses")
        for placeholder in _PLACEHOLDER.findall(value):
            if placeholder != "side":
                self.error(
                    node,
                    f'unknown placeholder "{{{placeholder}}}" in {what}; only {{side}} is replaced',
                )
            elif not sides:
                self.warn(node, f"{{side}} in {what} of a step without sides: it will be left out")
        return value

    def parsed(self, node: Node, parse: Callable[[str], _T], value: str, what: str) -> _T | None:
        """``parse(value)``; on a DurationSyntaxError, an error at ``node`` ("what: why")."""
        try:
            return parse(value)
        except DurationSyntaxError as exc:
            self.error(node, f"{what}: {exc}")
            return None

    def duration(self, node: Node, what: str) -> int | None:
        value = self.scalar(node)
        if isinstance(value, Node):
            self.error(node, f"{what} must be a duration, got {kind_of(value)}")
            return None
        ms = self.parsed(node, parse_duration, value, what)
        if ms is None:
            return None
        if ms > MAX_DURATION_MS:
            self.error(node, f"{what} of {format_seconds(ms)} is longer than {MAX_DURATION_WORDS}")
            return None
        return ms

    def integer(self, node: Node, what: str, low: int, high: int) -> int | None:
        value = self.scalar(node)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 3.0 is 3, as in JSON (and so in the schema)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(node, f"{what} must be a whole number, got {kind_of(value)}")
            return None
        if not low <= value <= high:
            self.error(node, f"{what} must be between {low} and {high}, got {shown(value)}")
            return None
        return value

    def boolean(self, node: Node, what: str) -> bool:
        value = self.scalar(node)
        if not isinstance(value, bool):
            self.error(node, f"{what} must be true or false, got {kind_of(value)}")
            return False
        return value

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            keys = (
                [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
                if isinstance(node, MappingNode)
                else []
            )
            dashed = [key for key in keys if key[:1] == "-" and key[1:2].strip()]  # -say: hi
            space = f": a missing space after '-': write - {dashed[0][1:]}:" if dashed else ""
            self.error(node, f"{what} must be a list (lines starting with -){space}")
            return []
        return list(node.value)

    def _choice(
        self, node: Node, what: str, choices: tuple[str, ...], unlisted: tuple[str, ...] = ()
    ) -> str | None:
        """One of ``choices`` (or of ``unlisted``, accepted but never suggested), else an
        error with a suggestion and the list."""
        value = self.scalar(node)
        if value not in choices + unlisted:
            hint = did_you_mean(str(value), choices)
            self.error(node, f"unknown {what} {shown(value)}{hint}; {what}s: {', '.join(choices)}")
            return None
        return str(value)

    def _pattern(self, node: Node, what: str) -> BreathPattern | None:
        value = self.scalar(node)
        if not isinstance(value, str):
            self.error(node, f"{what} must be a pattern like 4-7-8, got {kind_of(value)}")
            return None
        try:
            return BreathPattern.parse(value)
        except ValueError as exc:
            self.error(node, str(exc))
            return None


def kind_of(value: object) -> str:
    if isinstance(value, Node):
        return {"MappingNode": "a mapping", "SequenceNode": "a list"}.get(
            type(value).__name__, "something else"
        )
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {shown(value)}"
    if isinstance(value, str):
        return f'"{shown(value)[1:-1]}"'
    return type(value).__name__
