"""Small commands: ``pacing`` (the effective pacing and its sources), ``voices``,
``schema`` and ``install-shell``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import UsageError
from ..formatting import format_ms
from ..routine.bundled import resolve_routine
from .group import Command
from .options import EngineChoice, cache_and_pacing_options
from .prepare import prepare_routine
from .progress import console, echo_json, warn

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..speech.engine import VoiceInfo
    from ..timing.pacing import Layer


@click.command(
    cls=Command,
    name="pacing",
    epilog="\b\nExamples:\n  voiceguide pacing lower-back-stretch --preset gentle\n"
    "  voiceguide pacing box-breathing --duration 6m --json\n"
    "  voiceguide pacing my.yaml --pacing slow-days.yaml --rate 140",
)
@click.argument("routine")
@cache_and_pacing_options(lead_in=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (values and sources).")
def pacing_command(routine: str, cache_dir: Path | None, layers: tuple[Layer, ...], as_json: bool) -> int:
    """Print the effective pacing and where each value came from.

    Precedence, highest first: command line, --pacing file, the user's pacing file,
    the routine's pacing: block (then its voice: block), the preset. With --duration
    the speech is measured first, so the fitted scales shown are the ones used.
    """
    from dataclasses import asdict

    from ..timing.pacing import DESCRIBED_FIELDS, describe

    session, _ = prepare_routine(routine, cache_dir, layers, quiet=as_json)
    pacing, sources = session.pacing, session.pacing_sources
    rows = [(name, value, sources[DESCRIBED_FIELDS[name]]) for name, value in describe(pacing)]
    if as_json:
        values = asdict(pacing)
        values["breath"] = pacing.breath.label() if pacing.breath else None
        echo_json(
            {
                "routine": str(resolve_routine(routine)),
                "duration_ms": session.timeline.duration_ms,
                "pacing": values,
                "sources": dict(sources),
            }
        )
        return 0
    warn(session.warnings)
    console().print(f"[bold]{session.routine.title}[/bold]: {format_ms(session.timeline.duration_ms)}")
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        console().print(f"  {name:<{width}}  {value:<28} [dim]{source}[/dim]")
    return 0


@click.command(
    cls=Command,
    epilog="\b\nExamples:\n  voiceguide voices\n  voiceguide voices --engine piper\n"
    "  voiceguide voices --json",
)
@click.option(
    "--engine", type=EngineChoice(), help="Only this engine's voices (default: every installed engine)."
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def voices(engine: str | None, as_json: bool) -> int:
    """List the voices of the installed speech engines, the default engine's first (use one
    with --voice NAME, and --engine espeak-ng for the fast robotic voice)."""
    from ..speech.engines import FALLBACK_NOTE, FALLBACK_SOURCE, voice_catalog, voice_fields

    catalog = voice_catalog(engine)
    if engine is None and catalog.source == FALLBACK_SOURCE:
        click.echo(f"voiceguide: {FALLBACK_NOTE}", err=True)
    rows: list[tuple[str, VoiceInfo]] = [(e.engine, v) for e in catalog.engines for v in e.voices]
    if as_json:
        echo_json([{"engine": name, **voice_fields(v)} for name, v in rows])
        return 0
    for line in aligned([(name, v.id, v.name, ",".join(v.languages)) for name, v in rows]):
        click.echo(line)
    return 0


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """``rows`` as lines of columns two spaces apart, each column as wide as its widest
    cell (a long voice name widens its column instead of pushing the next one along)."""
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


@click.command(cls=Command, epilog="\b\nExample:\n  voiceguide schema > routine.schema.json")
def schema() -> int:
    """Print the JSON Schema of the routine format, for editors that complete and check YAML."""
    from ..routine.schema import json_schema

    echo_json(json_schema())
    return 0


@click.command(
    cls=Command,
    name="install-shell",
    epilog="\b\nExample:\n  voiceguide install-shell   # in a checkout: bin/voiceguide install-shell",
)
def install_shell() -> int:
    """Make `voiceguide` a command of your shell: a link to this program in ~/.local/bin."""
    from ..errors import ExportError
    from .invocation import installed_script, on_path, user_bin_dir

    script, folder = installed_script(), user_bin_dir()
    link = folder / "voiceguide"
    if not script.exists():
        raise UsageError(
            f"there is no voiceguide program beside {sys.executable} to link to",
            hint="install voiceguide into this Python first (bin/setup in a checkout)",
        )
    if link.is_symlink() and os.path.samefile(link, script):
        click.echo(f"{link} already runs {script}")
    elif os.path.lexists(link):
        raise ExportError(
            f"{link} already exists and is not a link to {script}",
            hint="remove it (or rename it) and run install-shell again",
        )
    else:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            link.symlink_to(script)
        except OSError as exc:
            raise ExportError(f"cannot make the link {link}: {exc.strerror}") from None
        click.echo(f"linked {link} → {script}")
    if on_path(folder):
        click.echo(f"{folder} is on your PATH: type `voiceguide` from now on.")
    else:
        click.echo(
            f"{folder} is not on your PATH yet; add it (then open a new terminal):\n"
            f"  echo 'export PATH=\"$HOME/.local/bin:$PATH\"' >> ~/.bashrc"
        )
    return 0
