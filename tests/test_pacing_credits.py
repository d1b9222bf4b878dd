"""`voiceguide pacing` credits each value to the layer that really set it, and README
documents every row it prints (issue 14 item 9)."""

from __future__ import annotations

import json
import re

from .helpers.run import REPO, Runner

#: Pacing fields that no preset changes: a preset never sets them
NOT_FROM_PRESETS = ["voice", "breath", "cycles", "cycle_scale", "cues", "duration_ms"]


def test_values_no_preset_sets_are_not_credited_to_the_preset(vg_in_process: Runner) -> None:
    sources = json.loads(vg_in_process("pacing", "box-breathing", "--json").stdout)["sources"]
    for name in NOT_FROM_PRESETS:
        assert not sources[name].startswith("preset"), (name, sources[name])
    for name in ("rate_wpm", "hold_scale", "rest_scale", "lead_in_s", "countdown"):
        assert sources[name] == "preset standard", (name, sources[name])
    assert sources["breath"] == sources["cycles"] == "the routine (as scripted)"


def test_command_line_and_fitting_are_credited(vg_in_process: Runner) -> None:
    doc = json.loads(
        vg_in_process(
            "pacing", "box-breathing", "--json", "--rate", "140", "--cycles", "3", "--no-cues"
        ).stdout
    )
    sources = doc["sources"]
    assert sources["rate_wpm"] == sources["cycles"] == sources["cues"] == "command line"
    fitted = json.loads(vg_in_process("pacing", "box-breathing", "--json", "--duration", "3m").stdout)[
        "sources"
    ]
    assert fitted["cycle_scale"] == fitted["hold_scale"] == "fitted to 3m (command line)"
    assert fitted["duration_ms"] == "command line"


def test_readme_documents_every_row_pacing_prints(vg_in_process: Runner) -> None:
    out = vg_in_process("pacing", "box-breathing").stdout
    rows = re.findall(r"^  (\S+(?: \S+)?)  ", out, re.M)
    assert len(rows) >= 13, out
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- pacing rows -->")[1].split("<!-- end of the pacing rows -->")[0]
    documented = re.findall(r"^\| `([^`]+)` \|", table, re.M)
    assert documented == rows
