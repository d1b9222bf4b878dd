"""The package's layers, written once, and a check that every import points down them.

A *unit* is a top-level module or package of ``voiceguide`` (``errors``, ``speech``, …).
A module may import its own unit or a unit of a lower layer; units that share a layer
(``export`` and ``play``) are independent of each other. Every ``import`` counts:
module-level, inside functions, under ``TYPE_CHECKING``, and ``import_module("…")``
with a literal name. docs/DESIGN.md ("Layers") draws the same table; a test keeps the
two alike.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import REPO

#: bottom to top: (layer name, its units). A new top-level module must be placed here.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("errors", ("errors",)),
    ("base", ("atomic", "formatting", "inputs", "userdirs")),
    ("pcm", ("pcm",)),
    ("routine", ("routine",)),
    ("timing", ("timing",)),
    ("speech", ("speech", "timeline_svg")),
    ("audio", ("audio",)),
    ("pacing layers", ("pacing_layers",)),
    ("session", ("session",)),
    ("outputs", ("export", "play", "preview")),
    ("service", ("service",)),
    ("server", ("serve",)),
    ("command line", ("cli",)),
    ("entry", ("__init__", "__main__")),
)

#: (importing module, imported module) → why it is still allowed. Each entry is a debt:
#: the list only shrinks, and an entry whose import is gone fails the test (remove it).
#: Empty since serve stopped importing cli.options (517605d, the pacing description).
#: An entry reads ("voiceguide.serve.jobs", "voiceguide.cli.options"): "why, and what ends it".
ALLOWED: Mapping[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is written."""

    path: Path
    line: int
    importer: str  #: dotted name of the importing module
    target: str  #: dotted name of the imported module (or of the name imported from a package)


@dataclass(frozen=True)
class Violation:
    """An import that runs up (or across) the layers."""

    found: Import
    from_layer: str
    to_layer: str

    def __str__(self) -> str:
        where = f"{self.found.path}:{self.found.line}"
        return (
            f"{where}: {self.found.importer} (layer {self.from_layer!r}) imports"
            f" {self.found.target} (layer {self.to_layer!r})"
        )


def module_name(path: Path, root: Path, package: str) -> str:
    """``root/speech/cache.py`` → ``package.speech.cache``; a package's ``__init__`` is the package."""
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((package, *parts))


def imports_of(path: Path, root: Path, package: str) -> Iterator[Import]:
    """Every import of the package's own modules in one file, at any depth of its syntax tree."""
    importer = module_name(path, root, package)
    is_package = path.name == "__init__.py"
    here = importer.split(".") if is_package else importer.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if node.module is None or module == package:  # from . import x: x is a module
                targets = [f"{module}.{alias.name}" for alias in node.names]
            else:
                targets = [module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and not node.args[0].value.startswith(".")
        ):
            targets = [node.args[0].value]
        for target in targets:
            if target == package or target.startswith(package + "."):
                assert isinstance(node, ast.stmt | ast.expr)
                yield Import(path, node.lineno, importer, target)


def unit_of(module: str, package: str) -> str:
    """``package.speech.cache`` → ``speech``; the package itself → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def check(
    root: Path,
    package: str,
    layers: Sequence[tuple[str, Sequence[str]]],
    allowed: Mapping[tuple[str, str], str],
) -> tuple[list[Violation], list[str], list[tuple[str, str]]]:
    """(imports up or across the layers, modules no layer holds, allow-list entries no import uses)."""
    layer_of = {unit: (index, name) for index, (name, units) in enumerate(layers) for unit in units}
    violations: list[Violation] = []
    unplaced: list[str] = []
    used: set[tuple[str, str]] = set()
    for path in sorted(root.rglob("*.py")):
        importer = module_name(path, root, package)
        if unit_of(importer, package) not in layer_of:
            unplaced.append(importer)
            continue
        for found in imports_of(path, root, package):
            source, target = unit_of(found.importer, package), unit_of(found.target, package)
            if source == target or target not in layer_of:  # an unknown target fails as unplaced
                continue
            (source_index, from_name), (target_index, to_name) = layer_of[source], layer_of[target]
            if target_index < source_index:
                continue
            key = (found.importer, found.target)
            if key in allowed:
                used.add(key)
                continue
            violations.append(Violation(found, from_name, to_name))
    return violations, unplaced, sorted(set(allowed) - used)


def test_every_import_points_down_the_layers() -> None:
    violations, unplaced, stale = check(REPO / "voiceguide", "voiceguide", LAYERS, ALLOWED)
    assert not unplaced, f"modules in no layer (add their unit to LAYERS in {__file__}): {unplaced}"
    assert not violations, "imports up or across the layers:\n" + "\n".join(map(str, violations))
    assert not stale, f"allowed imports that no longer exist (remove them from ALLOWED): {stale}"


def test_design_draws_the_same_layers() -> None:
    text = (REPO / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    block = text.split("<!-- layers -->", 1)[1].split("<!-- /layers -->", 1)[0]
    drawn = [
        (int(match[1]), [unit.strip().rstrip("/") for unit in match[2].split("·")])
        for match in re.finditer(r"^\s*(\d+)\s+│\s+(.+?)\s+│", block, re.M)
    ]
    expected = [(index, list(units)) for index, (_, units) in enumerate(LAYERS)]
    assert sorted(drawn) == expected


# --- the checker can fail: a small package written for the test --------------------------------

FAKE_LAYERS = (("low", ("low", "side")), ("mid", ("mid",)), ("high", ("high",)))


def write_package(root: Path, files: Mapping[str, str]) -> Path:
    for name, source in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root / "pkg"


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    return write_package(
        tmp_path,
        {
            "__init__.py": "",
            "low.py": "import os\n",
            "side.py": "",
            "mid/__init__.py": "",
            "mid/a.py": "from ..low import x\nfrom . import b\nimport pkg.low\n",
            "mid/b.py": "from pkg import low\n",
            "high.py": "from .mid.a import y\n",
        },
    )


def test_a_package_whose_imports_point_down_passes(fake: Path) -> None:
    layers = (*FAKE_LAYERS, ("entry", ("__init__",)))
    assert check(fake, "pkg", layers, {}) == ([], [], [])


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("from .mid.a import y\n", 1),  # module level
        ("import os\n\n\ndef f() -> None:\n    from .mid import a\n", 5),  # inside a function
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.mid.a import y\n", 3),
        ("from . import mid\n", 1),  # a module named in `from . import`
        ("import importlib\nm = importlib.import_module('pkg.mid.b')\n", 2),
    ],
)
def test_an_upward_import_is_named_with_its_place_and_both_layers(fake: Path, source: str, line: int) -> None:
    (fake / "low.py").write_text(source, encoding="utf-8")
    violations, _, _ = check(fake, "pkg", (*FAKE_LAYERS, ("entry", ("__init__",))), {})
    assert [str(v) for v in violations] == [
        f"{fake / 'low.py'}:{line}: pkg.low (layer 'low') imports {violations[0].found.target} (layer 'mid')"
    ]
    assert violations[0].found.target.startswith("pkg.mid")


def test_units_of_one_layer_do_not_import_each_other(fake: Path) -> None:
    (fake / "side.py").write_text("from .low import x\n", encoding="utf-8")
    violations, _, _ = check(fake, "pkg", (*FAKE_LAYERS, ("entry", ("__init__",))), {})
    assert [(v.from_layer, v.to_layer, v.found.target) for v in violations] == [("low", "low", "pkg.low")]


def test_an_allowed_import_passes_and_a_stale_allowance_is_reported(fake: Path) -> None:
    (fake / "low.py").write_text("def f() -> None:\n    from .high import z\n", encoding="utf-8")
    layers = (*FAKE_LAYERS, ("entry", ("__init__",)))
    gone = ("pkg.mid.a", "pkg.high")
    violations, _, stale = check(fake, "pkg", layers, {("pkg.low", "pkg.high"): "debt", gone: "paid"})
    assert violations == []
    assert stale == [gone]


def test_a_module_in_no_layer_is_reported(fake: Path) -> None:
    (fake / "extra.py").write_text("", encoding="utf-8")
    _, unplaced, _ = check(fake, "pkg", (*FAKE_LAYERS, ("entry", ("__init__",))), {})
    assert unplaced == ["pkg.extra"]


def test_a_test_module_never_imports_another() -> None:
    """What test files share lives in tests/helpers/ (or conftest.py): importing a test
    module from another runs its fixtures and tests' set-up in the wrong place and ties
    the two together (test_breath_tones once took ffmpeg's meter from test_loudness)."""
    found: list[str] = []
    for path in sorted((REPO / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.module else [alias.name for alias in node.names]
                targets = [n.rsplit(".", 1)[-1] for n in names if node.level or n.startswith("tests.")]
            elif isinstance(node, ast.Import):
                targets = [a.name.rsplit(".", 1)[-1] for a in node.names if a.name.startswith("tests.")]
            else:
                continue
            found += [f"{path.name}:{node.lineno}: {t}" for t in targets if t.startswith("test_")]
    assert found == []
