"""The routine as a picture: a compiled :class:`~voiceguide.timing.timeline.Timeline` as SVG text.

One renderer serves ``voiceguide show ROUTINE --svg FILE`` and the server's
``GET /api/routines/NAME/timeline.svg`` (and a session's ``timeline.svg``, which the page's
player marks with the position heard). Pure: a timeline in, text out; times are integer ms.

The picture, top to bottom, in a ``viewBox`` :data:`WIDTH` units wide (one unit is a CSS
pixel at 360 px wide; the page draws it 338 px wide on a phone 390 px wide, so its text is
12–16 px there, and larger in print):

* the title, the length and the number of steps;
* the whole session as one strip, each chapter a block as wide as its share of the time
  (``class="tl-overview"``: the position marker runs along it);
* a legend of the colours;
* one row per chapter (numbered as ``play --from`` counts), its title and length above a
  bar whose width is the chapter's length on a scale shared by every row (the longest
  fills the row): holds, rests and breath phases coloured inside it, each spoken cue a
  tick above it.

Every element that stands for a stretch of time carries ``data-start-ms`` and
``data-end-ms`` (integer ms of the session) beside its ``x`` and ``width``, so a viewer
can place a marker at any moment by interpolating (the page does: ``picture.js``).
Colours are presentation attributes (no ``<style>``, which the server's CSP forbids
inline) and meet WCAG contrast on the white background the picture paints: 4.5:1 for
text, 3:1 for shapes; class names let a page restyle them (dark mode).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .formatting import format_ms

if TYPE_CHECKING:
    from .timing.timeline import Phase, Timeline

SVG = "http://www.w3.org/2000/svg"
#: the picture's width in viewBox units (a phone's CSS pixels, less the page's margins)
WIDTH = 360
PAD = 8
TRACK = WIDTH - 2 * PAD  # the width a bar or the strip may take
ROW_HEIGHT = 44
BAR_HEIGHT = 14
HEADER_HEIGHT = 118  # title, length, strip and legend
TITLE_PX, TEXT_PX, SMALL_PX = 17, 14, 13
#: characters of a row's title that fit beside its length (≈0.55 em a character)
TITLE_CHARS = int((TRACK - 44) / (TEXT_PX * 0.55))
#: characters of the picture's title that fit the width (bold: ≈0.6 em a character)
HEADING_CHARS = int(TRACK / (TITLE_PX * 0.6))

#: the colours (on white): name → (fill, what the legend calls it). Text #1f2937 is 14.7:1,
#: muted text #4b5563 7.6:1; every shape at least 4.6:1 (tests/test_timeline_svg.py measures them)
BACKGROUND = "#ffffff"
INK = "#1f2937"
MUTED = "#4b5563"
SPEAKING = "#e5e7eb"  # a bar's ground: time spent speaking, outlined in MUTED
COLOURS: Mapping[str, tuple[str, str]] = {
    "hold": ("#1f5f8b", "hold"),
    "rest": ("#6b7280", "rest"),
    "inhale": ("#167a55", "breathe in"),
    "breath-hold": ("#9a5b00", "hold the breath"),
    "exhale": ("#7c3aed", "breathe out"),
}
OVERVIEW = ("#1f5f8b", "#0f3d5c")  # the strip's blocks, alternating


def phase_colour_key(phase: Phase) -> str:
    """The :data:`COLOURS` key of ``phase``: its kind, or its breath phase."""
    if phase.kind != "breath":
        return phase.kind
    if phase.detail in ("inhale", "exhale"):
        return phase.detail
    return "breath-hold"


def timeline_svg(timeline: Timeline, *, estimated: bool = False) -> str:
    """The picture of ``timeline`` as an SVG document (text, UTF-8 when encoded).
    ``estimated``: some speech lengths are estimates, and the length says ``≈``."""
    chapters = timeline.chapters
    height = HEADER_HEIGHT + ROW_HEIGHT * len(chapters) + PAD
    total = f"{'≈' if estimated else ''}{format_ms(timeline.duration_ms)}"
    steps = f"{len(chapters)} step{'' if len(chapters) == 1 else 's'}"
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG,
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": str(WIDTH),
            "height": str(height),
            "role": "img",
            "aria-labelledby": "tl-title tl-desc",
            "class": "timeline-picture",
            "data-duration-ms": str(timeline.duration_ms),
            "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        },
    )
    _sub(root, "title", f"Timeline of {timeline.title}", id="tl-title")
    _sub(
        root,
        "desc",
        f"{total}, {steps}: each step a bar as long as its time, coloured by holds, rests "
        "and breath phases, with a tick for each spoken cue.",
        id="tl-desc",
    )
    _sub(
        root,
        "rect",
        x="0",
        y="0",
        width=str(WIDTH),
        height=str(height),
        fill=BACKGROUND,
        **{"class": "tl-bg"},
    )
    _text(root, PAD, 22, _cut(timeline.title, HEADING_CHARS), TITLE_PX, INK, bold=True)
    _text(root, PAD, 42, f"{total} · {steps}", TEXT_PX, MUTED, css="tl-muted")
    _overview(root, timeline, 52)
    _legend(root, 92)
    longest = max((c.end_ms - c.start_ms for c in chapters), default=0)
    phases: dict[int, list[Phase]] = {}
    for phase in timeline.phases:
        phases.setdefault(phase.chapter, []).append(phase)
    cues: dict[int, list[int]] = {}
    for event in timeline.events:
        if event.kind == "speech":
            cues.setdefault(event.chapter, []).append(event.start_ms)
    for index, chapter in enumerate(chapters):
        y = HEADER_HEIGHT + ROW_HEIGHT * index
        row = _sub(
            root,
            "g",
            **{
                "class": "tl-row",
                "data-index": str(index),
                "data-start-ms": str(chapter.start_ms),
                "data-end-ms": str(chapter.end_ms),
            },
        )
        length = chapter.end_ms - chapter.start_ms
        _sub(
            row,
            "title",
            f"{index + 1}. {chapter.title}: {format_ms(length)} from {format_ms(chapter.start_ms)}",
        )
        _text(row, PAD, y + 14, _cut(f"{index + 1}. {chapter.title}", TITLE_CHARS), TEXT_PX, INK)
        _text(row, WIDTH - PAD, y + 14, format_ms(length), SMALL_PX, MUTED, css="tl-muted", end=True)
        scale = TRACK / longest if longest else 0.0  # units per ms, the same for every row
        bar_y = y + 22
        _span(
            row, chapter.start_ms, chapter.end_ms, PAD, length * scale, bar_y, BAR_HEIGHT, SPEAKING, "tl-bar"
        ).set("stroke", MUTED)
        for phase in phases.get(index, ()):
            key = phase_colour_key(phase)
            x = PAD + (phase.start_ms - chapter.start_ms) * scale
            _span(
                row,
                phase.start_ms,
                phase.end_ms,
                x,
                (phase.end_ms - phase.start_ms) * scale,
                bar_y,
                BAR_HEIGHT,
                COLOURS[key][0],
                f"tl-phase tl-{key}",
            )
        for start_ms in cues.get(index, ()):
            x = PAD + (start_ms - chapter.start_ms) * scale
            _sub(
                row,
                "line",
                x1=_n(x),
                x2=_n(x),
                y1=str(bar_y - 5),
                y2=str(bar_y),
                stroke=INK,
                **{"stroke-width": "1.5", "class": "tl-cue", "data-start-ms": str(start_ms)},
            )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def _overview(root: ET.Element, timeline: Timeline, y: int) -> None:
    """The whole session as one strip of chapter blocks, and its marker (hidden until a
    viewer moves it)."""
    strip = _sub(
        root,
        "g",
        **{
            "class": "tl-overview",
            "data-start-ms": "0",
            "data-end-ms": str(timeline.duration_ms),
            "data-x": str(PAD),
            "data-width": str(TRACK),
        },
    )
    scale = TRACK / timeline.duration_ms if timeline.duration_ms else 0.0
    for index, chapter in enumerate(timeline.chapters):
        block = _span(
            strip,
            chapter.start_ms,
            chapter.end_ms,
            PAD + chapter.start_ms * scale,
            (chapter.end_ms - chapter.start_ms) * scale,
            y,
            20,
            OVERVIEW[index % 2],
            f"tl-block tl-block-{index % 2}",
        )
        block.set("stroke", BACKGROUND)  # a gap between neighbours
        _sub(block, "title", f"{index + 1}. {chapter.title}")
    _sub(
        root,
        "line",
        x1=str(PAD),
        x2=str(PAD),
        y1=str(y - 4),
        y2=str(y + 24),
        stroke="#b91c1c",
        visibility="hidden",
        **{"stroke-width": "3", "class": "tl-marker", "id": "tl-marker"},
    )


def _legend(root: ET.Element, y: int) -> None:
    """A swatch and a word for each colour, in two lines."""
    legend = _sub(root, "g", **{"class": "tl-legend"})
    x: float = PAD
    line = 0
    for key, (fill, words) in COLOURS.items():
        width = 16 + len(words) * SMALL_PX * 0.55 + 10
        if x + width > WIDTH - PAD:
            x, line = PAD, line + 1
        top = y + line * 16
        _sub(
            legend,
            "rect",
            x=_n(x),
            y=str(top - 9),
            width="10",
            height="10",
            fill=fill,
            **{"class": f"tl-{key}"},
        )
        _text(legend, x + 14, top, words, SMALL_PX, MUTED, css="tl-muted")
        x += width


def _span(
    parent: ET.Element,
    start_ms: int,
    end_ms: int,
    x: float,
    width: float,
    y: int,
    height: int,
    fill: str,
    css: str,
) -> ET.Element:
    """A rectangle standing for ``[start_ms, end_ms)``."""
    return _sub(
        parent,
        "rect",
        x=_n(x),
        y=str(y),
        width=_n(max(width, 0.5)),
        height=str(height),
        fill=fill,
        **{"class": css, "data-start-ms": str(start_ms), "data-end-ms": str(end_ms)},
    )


def _text(
    parent: ET.Element,
    x: float,
    y: int,
    words: str,
    size: int,
    fill: str,
    *,
    bold: bool = False,
    css: str = "tl-text",
    end: bool = False,
) -> None:
    attributes = {"x": _n(x), "y": str(y), "font-size": str(size), "fill": fill, "class": css}
    if bold:
        attributes["font-weight"] = "700"
    if end:
        attributes["text-anchor"] = "end"
    _sub(parent, "text", words, **attributes)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _cut(words: str, limit: int) -> str:
    """``words`` within ``limit`` characters, an ellipsis where cut."""
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def _n(value: float) -> str:
    """A coordinate with at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
