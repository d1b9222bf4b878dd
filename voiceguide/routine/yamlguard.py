"""The YAML guard: a routine or pacing file's bytes to a YAML node tree, every refusal at its
file:line:col. Hostile files are refused before they can cost anything: size, binary
content, encodings, YAML anchors/aliases (alias bombs), nesting depth and multiple
documents are checked on the raw text and the YAML event stream before any node tree is
built. What the nodes mean is :mod:`voiceguide.routine.loader`'s (and
:mod:`voiceguide.routine.nodes`') business."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

from ..errors import Position, RoutineError
from .yamlsyntax import explain_any

MAX_FILE_BYTES = 1 << 20  # 1 MiB
#: libyaml's loader when PyYAML was built with it (about ten times faster; same marks)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_YAML_DEPTH = 24


def position_of(data: bytes, offset: int, path: str) -> Position:
    """1-based line and column of byte ``offset`` (columns counted in bytes)."""
    before = data[:offset]
    return Position(path, before.count(b"\n") + 1, offset - before.rfind(b"\n"))


def decode(source: bytes, path: str) -> str:
    if source.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return source.decode("utf-16")
        except UnicodeDecodeError:
            raise RoutineError.at(
                Position(path, 1, 1), "the file starts like UTF-16 but is not; save it as UTF-8"
            ) from None
    nul = source.find(b"\0")
    if nul >= 0:
        raise RoutineError.at(
            position_of(source, nul, path), "binary data (a NUL byte): this is not a text file"
        )
    if source.startswith(b"\xef\xbb\xbf"):
        source = source[3:]
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = source[exc.start]
        raise RoutineError.at(
            position_of(source, exc.start, path),
            f"not valid UTF-8 (byte 0x{byte:02X}); save the file as UTF-8",
        ) from None


def mark(path: str, mark: Any) -> Position:
    if mark is None:
        return Position(path, 1, 1)
    return Position(path, mark.line + 1, mark.column + 1)


def compose(text: str, path: str, what: str = "a routine", needs: str = "a title and steps") -> Node:
    """The YAML node tree, after refusing aliases, deep nesting and multiple documents."""
    depth = 0
    documents = 0
    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise RoutineError.at(
                    mark(path, event.start_mark),
                    f"anchors and aliases (& and *) are not supported in {what}; "
                    "a text that starts with & or * must be in quotes",
                )
            if getattr(event, "tag", None):  # `say: !Important stretch` would say "stretch"
                raise RoutineError.at(
                    mark(path, event.start_mark),
                    f"tags (!name) are not supported in {what}; a text that starts with ! must be in quotes",
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise RoutineError.at(
                        mark(path, event.start_mark),
                        f"nested more than {MAX_YAML_DEPTH} levels deep",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise RoutineError.at(
                        mark(path, event.start_mark),
                        f"more than one YAML document; {what} is one document",
                    )
        root = yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:  # syntax, or a character YAML does not allow
        raise RoutineError([explain_any(exc, text, path)]) from None
    if root is None:
        raise RoutineError.at(Position(path, 1, 1), f"the file is empty; {what} needs {needs}")
    if not isinstance(root, MappingNode):
        raise RoutineError.at(
            mark(path, root.start_mark),
            "the top level must be a mapping with "
            + ("title: and steps:" if what == "a routine" else "key: value lines"),
        )
    return root
