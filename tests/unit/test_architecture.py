"""Rules of the architecture that import-linter cannot state on its own."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import afp_core

CORE = Path(afp_core.__file__).parent
ALLOWED_EXTERNAL = {"attrs"}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_core_imports_nothing_but_the_standard_library_and_attrs() -> None:
    offenders = {}
    for path in CORE.rglob("*.py"):
        outside = {
            name
            for name in imported_top_levels(path)
            if name not in sys.stdlib_module_names
            and name not in ALLOWED_EXTERNAL
            and name != "afp_core"
        }
        if outside:
            offenders[str(path.relative_to(CORE))] = sorted(outside)
    assert offenders == {}


def test_every_package_ships_its_type_marker() -> None:
    src = CORE.parent
    for package in ("afp_core", "afp_adapters", "afp_bootstrap", "afp_http", "afp_cli"):
        assert (src / package / "py.typed").is_file(), package


def test_make_test_runs_every_gate_before_the_tests() -> None:
    makefile = (CORE.parents[1] / "Makefile").read_text()
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    for gate in ("lint", "typecheck", "imports"):
        assert gate in test_rule.split(":")[1].split("##")[0].split(), gate
    ci = (CORE.parents[1] / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci and "make test" in ci
