"""The routine as a picture (issue 25 item 2): ``voiceguide.timeline_svg`` renders a compiled
timeline as SVG; ``show --svg FILE`` writes it. The server's routes are tested in
tests/test_serve_pictures.py."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from voiceguide.routine.loader import parse_routine
from voiceguide.timeline_svg import BACKGROUND, COLOURS, INK, MUTED, OVERVIEW, SVG, timeline_svg
from voiceguide.timing.pacing import resolve_pacing
from voiceguide.timing.timeline import Timeline, compile, utterances

from .helpers.routines import YAML_ROUTINE
from .helpers.run import Runner

NS = {"svg": SVG}


def compiled(text: str = YAML_ROUTINE, speech_ms: int = 1200) -> Timeline:
    routine, _ = parse_routine(text.encode(), "tiny.yaml")
    pacing = resolve_pacing(routine, ()).pacing
    return compile(routine, pacing, {t: speech_ms for t in utterances(routine, pacing)})


def parsed(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{{{SVG}}}svg"
    return root


def spans(root: ET.Element, css: str) -> list[ET.Element]:
    return [e for e in root.iter() if css in (e.get("class") or "").split()]


def test_the_picture_parses_and_names_itself_for_screen_readers() -> None:
    timeline = compiled()
    root = parsed(timeline_svg(timeline))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "tl-title tl-desc"
    assert root.findtext("svg:title", namespaces=NS) == "Timeline of Tiny"
    assert "5 steps" in (root.findtext("svg:desc", namespaces=NS) or "")
    width, height = (float(v) for v in (root.get("viewBox") or "").split()[2:])
    assert width == 360 and height > 118 + 44 * 4
    assert root.get("data-duration-ms") == str(timeline.duration_ms)
    rows = spans(root, "tl-row")
    assert [r.findtext("svg:title", namespaces=NS).split(":")[0] for r in rows] == [  # type: ignore[union-attr]
        f"{n}. {c.title}" for n, c in enumerate(timeline.chapters, 1)
    ]


def test_bars_are_as_wide_as_their_time_on_one_scale() -> None:
    timeline = compiled()
    root = parsed(timeline_svg(timeline))
    bars = spans(root, "tl-bar")
    assert len(bars) == len(timeline.chapters)
    ratios = [
        float(b.get("width", 0)) / (int(b.get("data-end-ms", 0)) - int(b.get("data-start-ms", 0)))
        for b in bars
    ]
    assert max(ratios) - min(ratios) < 0.01 * max(ratios)  # one scale for every row
    assert max(float(b.get("width", 0)) for b in bars) == 344  # the longest fills the row
    blocks = spans(root, "tl-block")  # the whole session as one strip
    assert sum(float(b.get("width", 0)) for b in blocks) == pytest.approx(344, abs=0.05)
    longer = parsed(timeline_svg(compiled(YAML_ROUTINE.replace("hold: 3s", "hold: 30s"))))
    knee = [b for b in spans(longer, "tl-bar")][1]
    assert float(knee.get("width", 0)) > float(bars[1].get("width", 0))


def test_phases_are_coloured_inside_their_bar_and_cues_are_ticks() -> None:
    timeline = compiled()
    root = parsed(timeline_svg(timeline))
    phases = spans(root, "tl-phase")
    assert len(phases) == len(timeline.phases)
    kinds = {c for p in phases for c in (p.get("class") or "").split() if c.startswith("tl-")} - {"tl-phase"}
    assert kinds == {"tl-hold", "tl-rest", "tl-inhale", "tl-exhale"}
    for row in spans(root, "tl-row"):
        [bar] = spans(row, "tl-bar")
        left, right = float(bar.get("x", 0)), float(bar.get("x", 0)) + float(bar.get("width", 0))
        for phase in spans(row, "tl-phase"):
            x = float(phase.get("x", 0))
            assert left - 0.01 <= x and x + float(phase.get("width", 0)) <= right + 0.51
    ticks = spans(root, "tl-cue")
    assert len(ticks) == sum(1 for e in timeline.events if e.kind == "speech")


def test_text_is_escaped_and_long_titles_are_cut() -> None:
    text = YAML_ROUTINE.replace("Tiny", 'Tiny <&> "quoted"').replace(
        "Knee to chest", "Knee to chest with a very long name that cannot fit on a phone"
    )
    root = parsed(timeline_svg(compiled(text)))
    assert root.findtext("svg:title", namespaces=NS) == 'Timeline of Tiny <&> "quoted"'
    labels = [t.text or "" for t in root.iter(f"{{{SVG}}}text")]
    assert any(label.endswith("…") for label in labels)
    assert all(len(label) <= 48 for label in labels)
    long_title = parsed(timeline_svg(compiled(YAML_ROUTINE.replace("Tiny", "A very long title " * 4))))
    heading = next(long_title.iter(f"{{{SVG}}}text")).text or ""
    assert heading.endswith("…") and len(heading) <= 35  # 16 px bold within the 344 units
    assert (
        long_title.findtext("svg:title", namespaces=NS) == "Timeline of " + ("A very long title " * 4).strip()
    )


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_meet_wcag_contrast_on_the_background() -> None:
    assert contrast(INK, BACKGROUND) >= 4.5 and contrast(MUTED, BACKGROUND) >= 4.5  # text
    for fill, _ in COLOURS.values():
        assert contrast(fill, BACKGROUND) >= 3, fill  # shapes
    assert all(contrast(fill, BACKGROUND) >= 3 for fill in OVERVIEW)
    assert contrast("#777777", BACKGROUND) < 4.5  # the measure can fail
    root = parsed(timeline_svg(compiled()))
    used = {e.get("fill") for e in root.iter() if e.get("fill")}
    assert used <= {BACKGROUND, INK, MUTED, "#e5e7eb", *OVERVIEW, *(f for f, _ in COLOURS.values())}


def test_show_svg_writes_the_picture_at_the_pacing_asked(vg_in_process: Runner, tmp_path: Path) -> None:
    routine = tmp_path / "tiny.yaml"
    routine.write_text(YAML_ROUTINE, encoding="utf-8")
    target = tmp_path / "pictures" / "tiny.svg"
    result = vg_in_process("show", str(routine), "--svg", str(target))
    assert result.returncode == 0, result.stderr
    assert f"wrote {target}" in result.stdout
    plain = parsed(target.read_text(encoding="utf-8"))
    assert not list(tmp_path.glob("pictures/.*"))  # no temporary file left beside it
    again = vg_in_process("show", str(routine), "--hold-scale", "3", "--svg", str(target))
    assert again.returncode == 0
    slower = parsed(target.read_text(encoding="utf-8"))
    assert int(slower.get("data-duration-ms", 0)) > int(plain.get("data-duration-ms", 0))
    piped = vg_in_process("show", str(routine), "--svg", "-")
    assert piped.stdout.startswith("<svg") and re.search(r'data-duration-ms="\d+"', piped.stdout)
    wrong = vg_in_process("show", str(routine), "--hold-scale", "nope", "--svg", str(target))
    assert wrong.returncode == 2
