"""One rounding rule for lengths (issue 25 item 13): the export summary said 4:45 where
`list` and the page said 4:46 for the same 285.633 s. voiceguide.formatting.format_ms
rounds to the nearest second, a half up, and everything that shows a length uses it; the
page's clock() (serve/static/format.js) rounds alike, checked here against it in Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from voiceguide.formatting import format_ms

from .helpers.run import REPO, Runner

SAMPLES_MS = [0, 499, 500, 999, 1_500, 59_499, 59_500, 285_499, 285_500, 285_633, 3_599_500, 3_723_456]


def test_format_ms_rounds_to_the_nearest_second_a_half_up() -> None:
    assert [format_ms(ms) for ms in (285_633, 285_499, 285_500, 59_500, 3_599_500)] == [
        "4:46",
        "4:45",
        "4:46",
        "1:00",
        "1:00:00",
    ]
    assert format_ms(285_633, precise=True) == "4:45.6" and format_ms(-600) == "-0:01"
    assert format_ms(-400) == "0:00"  # nothing to sign


def test_the_page_rounds_lengths_as_the_command_line_does() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Node 20 or later runs the page's unit tests)")
    script = (
        f"import {{ clock }} from {json.dumps(str(REPO / 'voiceguide/serve/static/format.js'))};"
        f"console.log(JSON.stringify({json.dumps(SAMPLES_MS)}.map(clock)));"
    )
    run = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [format_ms(ms) for ms in SAMPLES_MS]


def test_export_and_list_show_one_length_for_one_session(vg_in_process: Runner, tmp_path: Path) -> None:
    """A routine made to last a whole number of seconds and 633 ms, as in the issue."""
    folder = tmp_path / "my-routines"
    folder.mkdir()
    env = {"VOICEGUIDE_ROUTINES_DIR": str(folder)}
    text = (
        "title: Odd\nsteps:\n  - {{say: Reach up., hold: 3s, rest: {rest}ms}}\n  - {{say: Fold., hold: 2s}}\n"
    )
    (folder / "odd.yaml").write_text(text.format(rest=0))
    first = json.loads(vg_in_process("show", "odd", "--json", env=env).stdout)["duration_ms"]
    (folder / "odd.yaml").write_text(text.format(rest=(633 - first) % 1000))
    duration_ms = json.loads(vg_in_process("show", "odd", "--json", env=env).stdout)["duration_ms"]
    assert duration_ms % 1000 == 633
    rounded, truncated = format_ms(duration_ms), format_ms(duration_ms - 633)
    assert rounded != truncated
    exported = vg_in_process("export", "odd", "-o", str(tmp_path / "odd.wav"), env=env)
    assert exported.returncode == 0, exported.stderr
    listed = vg_in_process("list", env=env)  # yours: its length at its pacing, speech cached
    assert listed.returncode == 0, listed.stderr
    for said in (exported.stdout + exported.stderr, listed.stdout):
        assert rounded in said and truncated not in said, said
