"""YAML syntax errors in plain words: what PyYAML (or libyaml) found wrong in a routine or
pacing file, said as what is wrong and how to fix it, at the place to fix it.

PyYAML reports where its scanner gave up, which is often not where the mistake is: an
unclosed quote at the end of the file, an over-indented ``cues:`` at its colon. Each rule
below recognises one common mistake from PyYAML's words (the C and the pure-Python loader
word them differently) and the line's text, and says it as a person would, with the line
rewritten where the fix is sure: ``a colon inside the text: put the text in quotes: say:
"Roll your shoulders: slowly"``. The position moves only to where the fix goes (the
opening quote or bracket, the start of a wrongly indented line); an error no rule knows
keeps PyYAML's own words, as ``YAML syntax error: …``. Lines and columns are 1-based in
the :class:`~voiceguide.errors.Position`, counted in characters as PyYAML's marks are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from ..errors import Diagnostic, Position

#: YAML 1.1's line breaks (what PyYAML counts lines by; not str.splitlines', which has more)
_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
#: ``key: value`` on a block line (after its indentation and any ``- `` item marks)
_KEY_VALUE = re.compile(
    r"(?P<lead>[ \t]*(?:-[ \t]+)*)(?P<key>[^\s:#'\"\[\]{},&*!|>%@`-][^:]*?):[ \t]+(?P<value>\S.*)"
)
#: a line's lead: indentation and ``- `` item marks
_LEAD = re.compile(r"[ \t]*(?:-(?:[ \t]+|$))*")
#: ``key:value``: a key whose colon has no space after it
_NO_SPACE = re.compile(r"(?P<lead>[ \t]*(?:-[ \t]+)*)(?P<key>[A-Za-z_][\w-]*):(?P<value>[^\s:].*)")
#: what starts a comment after a plain value
_COMMENT = re.compile(r"[ \t]+#.*")

_TAB = "a tab: indent with spaces, not tabs"


@dataclass(frozen=True)
class _Error:
    """PyYAML's error, as the rules read it: its words and its two places (0-based)."""

    lines: tuple[str, ...]
    path: str
    problem: str
    context: str
    line: int  # where the scanner gave up
    column: int
    context_line: int | None  # where what it was reading began (a quote, a bracket, a key)
    context_column: int | None

    def text(self, line: int) -> str:
        return self.lines[line] if 0 <= line < len(self.lines) else ""

    def char(self, line: int, column: int) -> str:
        text = self.text(line)
        return text[column] if 0 <= column < len(text) else ""

    def at(self, line: int, column: int, message: str) -> Diagnostic:
        return Diagnostic(Position(self.path, line + 1, column + 1), message)


def explain(exc: yaml.MarkedYAMLError, text: str, path: str) -> Diagnostic:
    """PyYAML's syntax error ``exc`` in the file ``text`` (named ``path``) in plain words:
    what is wrong and the fix, at the place to fix it."""
    problem_mark, context_mark = exc.problem_mark, exc.context_mark
    found = _Error(
        lines=tuple(_BREAKS.split(text)),
        path=path,
        problem=exc.problem or "",
        context=exc.context or "",
        line=problem_mark.line if problem_mark else 0,
        column=problem_mark.column if problem_mark else 0,
        context_line=context_mark.line if context_mark else None,
        context_column=context_mark.column if context_mark else None,
    )
    for rule in _RULES:
        diagnostic = rule(found)
        if diagnostic is not None:
            return diagnostic
    context = f" ({found.context})" if found.context else ""
    return found.at(
        found.line, found.column, f"YAML syntax error: {found.problem or 'invalid YAML'}{context}"
    )


def explain_reader(exc: yaml.reader.ReaderError, text: str, path: str) -> Diagnostic:
    """A character YAML does not allow (a control character, a lone surrogate), at its place in ``text``."""
    character = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    offset = text.find(chr(character))  # the first (libyaml counts bytes, PyYAML characters)
    before = _BREAKS.split(text[: offset if offset >= 0 else min(max(exc.position, 0), len(text))])
    kind = "a control character" if unicodedata.category(chr(character)) == "Cc" else "a character"
    return Diagnostic(
        Position(path, len(before), len(before[-1]) + 1),
        f"{kind} (U+{character:04X}) that YAML does not allow: delete it",
    )


# ---- helpers ---------------------------------------------------------------------------------


def quoted(text: str) -> str:
    """``text`` as a YAML quoted scalar: in double quotes, or single quotes when it holds a
    double quote or a backslash (a single quote inside is doubled)."""
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    return "'" + text.replace("'", "''") + "'"


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


def _content(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith("#")


def _lines_above(found: _Error, line: int) -> list[int]:
    """The lines above ``line`` that hold something (not blank, not only a comment), nearest first."""
    return [n for n in range(min(line, len(found.lines)) - 1, -1, -1) if _content(found.text(n))]


def _key_column(text: str) -> int:
    """Where a line's key (or value) starts, after its indentation and ``- `` marks."""
    match = _LEAD.match(text)
    return match.end() if match else 0


def _key_of(text: str) -> str:
    rest = text[_key_column(text) :]
    return rest.split(":", 1)[0].strip() if ":" in rest else rest.strip()


def _plain_value(value: str) -> str:
    return _COMMENT.sub("", value).rstrip()


def _rewritten(line: str, value: str | None = None) -> str:
    """``key: "value"`` for a ``key: value`` line (``value`` replaces the line's own)."""
    match = _KEY_VALUE.match(line)
    if match is None:
        return ""
    text = _plain_value(match["value"]) if value is None else value
    return f"{match['key'].strip()}: {quoted(text)}"


def _in_quotes(line: str) -> str:
    """``: put the text in quotes: key: "…"``, or just the advice when the line is no ``key: value``."""
    fix = _rewritten(line)
    return f"put the text in quotes: {fix}" if fix else "put the text in quotes"


# ---- the rules, in the order they are tried --------------------------------------------------


def _tab(found: _Error) -> Diagnostic | None:
    line = found.text(found.line)
    if found.char(found.line, found.column) == "\t":
        return found.at(found.line, found.column, _TAB)
    lead = line[: _indent(line)]
    if "\t" in lead and ("tab" in found.problem or found.column <= len(lead)):
        return found.at(found.line, lead.index("\t"), _TAB)
    return None


def _unclosed_quote(found: _Error) -> Diagnostic | None:
    if "quoted scalar" not in found.context or "end of stream" not in found.problem:
        return None
    if found.context_line is None or found.context_column is None:
        return None
    quote = found.char(found.context_line, found.context_column) or '"'
    return found.at(
        found.context_line,
        found.context_column,
        f"this {quote} is never closed: end the text with {quote}",
    )


def _escape(found: _Error) -> Diagnostic | None:
    if "quoted scalar" not in found.context or not (
        "escape" in found.problem or "hexdecimal" in found.problem
    ):
        return None
    line = found.text(found.line)
    backslash = line.rfind("\\", 0, found.column + 1)
    match = _KEY_VALUE.match(line)
    raw = _plain_value(match["value"]) if match else ""
    fix = ""
    if match and len(raw) > 1 and raw[0] == raw[-1] == '"':
        fix = f": {match['key'].strip()}: '" + raw[1:-1].replace("'", "''") + "'"
    return found.at(
        found.line,
        backslash if backslash >= 0 else found.column,
        'a backslash inside "…" starts an escape such as \\n: write \\\\ for a backslash, '
        "or use single quotes" + fix,
    )


def _missing_space_after_colon(found: _Error, line: int) -> Diagnostic | None:
    """``key:value`` on ``line``: the colon needs a space after it."""
    text = found.text(line)
    match = _NO_SPACE.match(text)
    if match is None or re.search(r":[ \t]", text):
        return None
    return found.at(
        line,
        match.end("key"),
        f"a missing space after ':': write {match['key']}: {_plain_value(match['value'])}",
    )


def _indented(found: _Error, line: int, direction: str, target: int, target_line: int) -> Diagnostic:
    text = found.text(line)
    first = _indent(text)
    mine = "the -" if text[first:].startswith("-") else f"{_key_of(text)}:"
    above = found.text(target_line)
    theirs = "the -" if above[target:].startswith("-") else f"{_key_of(above[target:])}:"
    return found.at(
        line,
        first,
        f"this line is indented {direction} than the lines above it expect: "
        f"line up {mine} with {theirs} on line {target_line + 1} (column {target + 1})",
    )


def _mapping_values(found: _Error) -> Diagnostic | None:
    """A colon where PyYAML expected none: inside a text, or after an over-indented key."""
    if "mapping values are not allowed" not in found.problem:
        return None
    line = found.text(found.line)
    match = _KEY_VALUE.match(line)
    if match and found.column >= match.start("value"):
        return found.at(found.line, found.column, f"a colon inside the text: {_in_quotes(line)}")
    above = _lines_above(found, found.line)
    if above and (missing := _missing_space_after_colon(found, above[0])) is not None:
        return missing
    key = _key_of(line)
    if re.search(r"\s", key):  # the line goes on with the text above it: "… and wraps: here"
        return found.at(
            found.line,
            found.column,
            "a colon inside a text that goes on over several lines: put the whole text in quotes",
        )
    if above and _indent(line) > _key_column(found.text(above[0])):
        return _indented(found, found.line, "more", _key_column(found.text(above[0])), above[0])
    if above:  # "Welcome.\ntitle: …": the line above is a text, no key: value
        return _not_key_value(found, above[0])
    return None


def _flow(found: _Error) -> Diagnostic | None:
    """Inside ``[ … ]`` or ``{ … }``: a colon in a text, or a bracket never closed."""
    if "expected ',' or" not in found.problem or "flow" not in found.context:
        return None
    line = found.text(found.line)
    closer_after = found.context_line == found.line and re.search(r"[]}]", line[found.column :])
    if found.char(found.line, found.column) == ":" and closer_after:
        start = max(line.rfind(",", 0, found.column), line.rfind("{", 0, found.column)) + 1
        ends = [i for i in (line.find(",", found.column), line.find("}", found.column)) if i >= 0]
        item = re.match(r"\s*(?P<key>[^:]+?):\s+(?P<value>.*\S)", line[start : min(ends, default=len(line))])
        fix = f": {item['key']}: {quoted(item['value'])}" if item else ""
        return found.at(found.line, found.column, f"a colon inside the text: put the text in quotes{fix}")
    if found.context_line is None or found.context_column is None:
        return None
    bracket = found.char(found.context_line, found.context_column)
    closer = {"[": "]", "{": "}"}.get(bracket)
    if closer is None:
        return None
    return found.at(
        found.context_line,
        found.context_column,
        f"this {bracket} is never closed: close it with {closer} "
        f"(if the {bracket} is part of the text, put the text in quotes)",
    )


def _simple_key(found: _Error) -> Diagnostic | None:
    """A line in a mapping that is not ``key: value``."""
    if "could not find expected ':'" not in found.problem or found.context_line is None:
        return None
    missing = _missing_space_after_colon(found, found.context_line)
    if missing is not None:
        return missing
    return _not_key_value(found, found.context_line)


def _not_key_value(found: _Error, line: int) -> Diagnostic:
    """``line`` is a text where a ``key: value`` line belongs."""
    text = found.text(line)
    above = _lines_above(found, line)
    if not above:
        return found.at(
            line,
            _indent(text),
            "this line is not key: value (each line at the top is a key, a colon, a value)",
        )
    column = _key_column(found.text(above[0]))
    return found.at(
        line,
        _indent(text),
        "this line is not key: value; if it goes on with the text above, indent it further than "
        f"{_key_of(found.text(above[0]))}: (column {column + 1})",
    )


def _after_quote(found: _Error, quote: str, closing: int) -> Diagnostic:
    """Text after a closing quote at ``closing`` on the problem line."""
    line = found.text(found.line)
    opening = _opening_quote(found, found.line, closing, quote)
    if opening is not None and opening[0] < found.line:
        return found.at(
            *opening,
            f"the text opened with {quote} on line {opening[0] + 1} is closed only on line "
            f"{found.line + 1}: close it with {quote} on line {opening[0] + 1}",
        )
    match = _KEY_VALUE.match(line)
    raw = _plain_value(match["value"]) if match else ""
    text = raw[1:-1] if len(raw) > 1 and raw[0] == raw[-1] == quote else raw
    fix = _rewritten(line, text) if raw else ""
    if quote == "'":
        what = "an apostrophe ends a text in single quotes: use double quotes"
    else:
        what = "text after the closing quote: put the whole text in quotes"
    return found.at(found.line, found.column, what + (f": {fix}" if fix else ""))


def _opening_quote(found: _Error, line: int, closing: int, quote: str) -> tuple[int, int] | None:
    """The quote that the one at (``line``, ``closing``) closes, looking back over the lines."""
    column = closing
    while line >= 0:
        text = found.text(line)
        i = column - 1
        while i >= 0:
            if text[i] == quote:
                if quote == "'" and i > 0 and text[i - 1] == "'":
                    i -= 2  # '' is a quote inside single quotes
                    continue
                backslashes = len(text[:i]) - len(text[:i].rstrip("\\"))
                if quote == "'" or backslashes % 2 == 0:
                    return line, i
            i -= 1
        line -= 1
        column = len(found.text(line))
    return None


def _missing_space_after_dash(found: _Error) -> Diagnostic | None:
    """``-say: hi`` where PyYAML wanted a list item: ``- say: hi``."""
    line = found.text(found.line)
    first = _indent(line)
    rest = line[first:]
    if found.column != first or not re.match(r"-[^\s-]", rest):
        return None
    return found.at(found.line, first, f"a missing space after '-': write - {_plain_value(rest[1:])}")


def _block(found: _Error) -> Diagnostic | None:
    """A block mapping or list that cannot go on: a wrongly indented line, or text left
    after a closing quote or bracket."""
    problem = found.problem
    if not any(word in problem for word in ("'-' indicator", "expected key", "<block end>")):
        return None
    line = found.text(found.line)
    first = _indent(line)
    if found.column > first:
        before = line[: found.column].rstrip()
        last = before[-1:]
        if last in ("'", '"'):
            return _after_quote(found, last, len(before) - 1)
        if last in ("]", "}"):
            match = _KEY_VALUE.match(line)
            if match is None:
                return None
            raw = _plain_value(match["value"])
            return found.at(
                found.line,
                match.start("value"),
                f"a text that starts with {raw[0]} must be in quotes: {_rewritten(line)}",
            )
        return None
    return _wrongly_indented(found)


def _wrongly_indented(found: _Error) -> Diagnostic | None:
    """The line at the error starts where no list or mapping above it can go on."""
    line = found.text(found.line)
    first = _indent(line)
    item = line[first:].startswith("-")
    best: tuple[int, int] | None = None  # (column, line)
    for n in _lines_above(found, found.line):
        text = found.text(n)
        indent = _indent(text)
        if item:
            columns = [indent] if text[indent:].startswith("-") else []
        else:
            columns = [_key_column(text)]
        for column in columns:
            if column != first and (best is None or abs(column - first) < abs(best[0] - first)):
                best = (column, n)
        if indent < first:
            break
    if best is None:
        return None
    return _indented(found, found.line, "more" if first > best[0] else "less", *best)


def _document_start(found: _Error) -> Diagnostic | None:
    if "<document start>" not in found.problem:
        return None
    lines = [n for n in range(len(found.lines)) if _content(found.text(n))]
    if not lines:
        return None
    if _indent(found.text(lines[0])) == 0:  # "Welcome.\n…": a text first
        return None if re.search(r":(\s|$)", found.text(lines[0])) else _not_key_value(found, lines[0])
    return found.at(
        lines[0],
        _indent(found.text(lines[0])),
        "the first line is indented: start the top-level lines at column 1, without spaces before them",
    )


#: what YAML reads a text's first character as, by the scanner's context
_READS = {
    "an alias": "an alias",
    "an anchor": "an anchor",
    "a tag": "a tag",
    "a block scalar": "the start of a text on the lines below",
}


def _special_start(found: _Error) -> Diagnostic | None:
    """A text that starts with a character YAML reserves (@ `), reads as an alias, anchor,
    tag or block text (* & ! | >), or cannot start a value with (, ] })."""
    what = next((word for word in _READS if f"while scanning {word}" in found.context), None)
    if what is not None and found.context_line is not None and found.context_column is not None:
        line, column = found.context_line, found.context_column
        reads = f" (YAML reads {found.char(line, column)}… as {_READS[what]})"
    elif "cannot start any token" in found.problem or (
        "node content" in found.problem and found.char(found.line, found.column) in ",]}"
    ):
        line, column, reads = found.line, found.column, ""
    else:
        return None
    character = found.char(line, column)
    return found.at(
        line,
        column,
        f"a text cannot start with {character}{reads}: {_in_quotes(found.text(line))}",
    )


def _list_on_its_key_line(found: _Error) -> Diagnostic | None:
    """``safety: - Stop if it hurts.``: a list begun on its key's line."""
    if "sequence entries are not allowed" not in found.problem:
        return None
    line = found.text(found.line)
    match = _KEY_VALUE.match(line)
    if match is None or match.start("value") != found.column:
        return None
    return found.at(
        found.line,
        found.column,
        f"a list cannot start on the line of its key: put each - item on a line of its own below "
        f"{match['key'].strip()}:, indented (if the - is part of the text, put the text in quotes)",
    )


def _unexpected_colon(found: _Error) -> Diagnostic | None:
    """``[left:, right]``: a colon with no space after it inside brackets."""
    if "found unexpected ':'" not in found.problem:
        return None
    return found.at(
        found.line,
        found.column,
        "a colon inside [ … ] or { … } needs a space after it (key: value), or put the text in quotes",
    )


_RULES: tuple[Callable[[_Error], Diagnostic | None], ...] = (
    _tab,
    _unclosed_quote,
    _escape,
    _mapping_values,
    _flow,
    _simple_key,
    _missing_space_after_dash,
    _block,
    _document_start,
    _special_start,
    _list_on_its_key_line,
    _unexpected_colon,
)


def explain_any(exc: yaml.YAMLError, text: str, path: str) -> Diagnostic:
    """:func:`explain` for a marked error, :func:`explain_reader` for a reader's error, and
    otherwise PyYAML's words at the file's start."""
    if isinstance(exc, yaml.MarkedYAMLError):
        return explain(exc, text, path)
    if isinstance(exc, yaml.reader.ReaderError):
        return explain_reader(exc, text, path)
    return Diagnostic(Position(path, 1, 1), f"invalid YAML: {exc}")
