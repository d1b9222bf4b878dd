"""Block letters five rows high, for a screen read from a few metres away (``play --big``).

A hand-made font of capital letters, digits and a little punctuation, drawn with '█', each
glyph five columns wide with one column between glyphs. Text is folded to capitals and
its accents dropped; :func:`drawable` says whether every character has a glyph.
"""

from __future__ import annotations

import unicodedata

ROWS = 5
GLYPH_WIDTH = 5
SPACING = 1

_FONT_SOURCE = {
    "A": (" ### ", "#   #", "#####", "#   #", "#   #"),
    "B": ("#### ", "#   #", "#### ", "#   #", "#### "),
    "C": (" ####", "#    ", "#    ", "#    ", " ####"),
    "D": ("#### ", "#   #", "#   #", "#   #", "#### "),
    "E": ("#####", "#    ", "#### ", "#    ", "#####"),
    "F": ("#####", "#    ", "#### ", "#    ", "#    "),
    "G": (" ####", "#    ", "#  ##", "#   #", " ####"),
    "H": ("#   #", "#   #", "#####", "#   #", "#   #"),
    "I": ("#####", "  #  ", "  #  ", "  #  ", "#####"),
    "J": ("  ###", "    #", "    #", "#   #", " ### "),
    "K": ("#   #", "#  # ", "###  ", "#  # ", "#   #"),
    "L": ("#    ", "#    ", "#    ", "#    ", "#####"),
    "M": ("#   #", "## ##", "# # #", "#   #", "#   #"),
    "N": ("#   #", "##  #", "# # #", "#  ##", "#   #"),
    "O": (" ### ", "#   #", "#   #", "#   #", " ### "),
    "P": ("#### ", "#   #", "#### ", "#    ", "#    "),
    "Q": (" ### ", "#   #", "# # #", "#  # ", " ## #"),
    "R": ("#### ", "#   #", "#### ", "#  # ", "#   #"),
    "S": (" ####", "#    ", " ### ", "    #", "#### "),
    "T": ("#####", "  #  ", "  #  ", "  #  ", "  #  "),
    "U": ("#   #", "#   #", "#   #", "#   #", " ### "),
    "V": ("#   #", "#   #", "#   #", " # # ", "  #  "),
    "W": ("#   #", "#   #", "# # #", "## ##", "#   #"),
    "X": ("#   #", " # # ", "  #  ", " # # ", "#   #"),
    "Y": ("#   #", " # # ", "  #  ", "  #  ", "  #  "),
    "Z": ("#####", "   # ", "  #  ", " #   ", "#####"),
    "0": (" ### ", "#  ##", "# # #", "##  #", " ### "),
    "1": ("  #  ", " ##  ", "  #  ", "  #  ", " ### "),
    "2": (" ### ", "#   #", "  ## ", " #   ", "#####"),
    "3": ("#### ", "    #", " ### ", "    #", "#### "),
    "4": ("#   #", "#   #", "#####", "    #", "    #"),
    "5": ("#####", "#    ", "#### ", "    #", "#### "),
    "6": (" ### ", "#    ", "#### ", "#   #", " ### "),
    "7": ("#####", "    #", "   # ", "  #  ", "  #  "),
    "8": (" ### ", "#   #", " ### ", "#   #", " ### "),
    "9": (" ### ", "#   #", " ####", "    #", " ### "),
    " ": ("     ",) * 5,
    "-": ("     ", "     ", " ### ", "     ", "     "),
    "—": ("     ", "     ", "#####", "     ", "     "),
    "–": ("     ", "     ", "#####", "     ", "     "),
    ".": ("     ", "     ", "     ", "     ", "  #  "),
    ",": ("     ", "     ", "     ", "  #  ", " #   "),
    ":": ("     ", "  #  ", "     ", "  #  ", "     "),
    "'": ("  #  ", "  #  ", "     ", "     ", "     "),
    "/": ("    #", "   # ", "  #  ", " #   ", "#    "),
    "?": (" ### ", "#   #", "  ## ", "     ", "  #  "),
    "!": ("  #  ", "  #  ", "  #  ", "     ", "  #  "),
    "(": ("   # ", "  #  ", "  #  ", "  #  ", "   # "),
    ")": (" #   ", "  #  ", "  #  ", "  #  ", " #   "),
    "+": ("     ", "  #  ", " ### ", "  #  ", "     "),
}
FONT = {char: tuple(row.replace("#", "█") for row in rows) for char, rows in _FONT_SOURCE.items()}


def fold(text: str) -> str:
    """Capitals without accents ("Épaule" → "EPAULE"); what the font draws."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()).upper())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def drawable(text: str) -> bool:
    return all(c in FONT for c in fold(text))


def big_text(text: str) -> list[str]:
    """``text`` (drawable, one line) as five rows of block characters, all the same length."""
    glyphs = [FONT[c] for c in fold(text)]
    return [(" " * SPACING).join(glyph[row] for glyph in glyphs) for row in range(ROWS)]


def fits(width: int) -> int:
    """How many glyphs fit in ``width`` columns."""
    return max(1, (width + SPACING) // (GLYPH_WIDTH + SPACING))


def wrap(text: str, width: int) -> list[str]:
    """``text`` folded and broken into lines of at most :func:`fits` (``width``) glyphs,
    between words where it can, inside a word that is longer than a line."""
    most = fits(width)
    lines: list[str] = []
    line = ""
    for word in fold(text).split():
        while len(word) > most:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:most])
            word = word[most:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= most:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines
