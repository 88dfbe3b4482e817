"""Layers import downward only (see DESIGN.md); a module unknown to this table fails the test
so that a new module is placed in a layer on purpose."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scheduler"

# Lower numbers are lower layers. A module may import its own top-level unit and lower layers.
LAYERS: dict[str, int] = {
    "redact": -1,
    "destination": 0,
    "errors": 0,
    "clock": 1,
    "settings": 1,
    "log": 1,
    "progress": 1,
    "credentials": 2,
    "draft": 2,
    "accounts": 2,
    "text": 3,
    "descriptors": 4,
    "campaign": 5,
    "render": 6,
    "care": 6,
    "platforms": 6,
    "ledger": 6,
    "notify": 6,
    "approval": 7,
    "pausing": 7,
    "connect": 7,
    "metrics": 7,
    "media": 7,
    "review": 8,
    "daemon": 8,
    "web": 8,
    "demo": 8,
    "rehearsal": 9,
    "cli": 10,
    "__main__": 11,
    "__init__": 0,
}


def _unit(module_path: Path) -> str:
    rel = module_path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imported_units(tree: ast.AST) -> set[str]:
    units: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("scheduler."):
                    units.add(alias.name.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "scheduler":
                units.update(a.name for a in node.names)
            elif node.module.startswith("scheduler."):
                units.add(node.module.split(".")[1])
    return units


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_downward(path: Path) -> None:
    unit = _unit(path)
    assert unit in LAYERS, f"{unit}: place this new module in a layer in tests/test_layers.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for other in _imported_units(tree):
        if other == unit or other == "__version__":
            continue
        assert other in LAYERS, f"{path}: imports unknown unit {other}"
        assert LAYERS[other] < LAYERS[unit], (
            f"{path.relative_to(PACKAGE)} (layer {LAYERS[unit]}) imports scheduler.{other} "
            f"(layer {LAYERS[other]}): layers import downward only"
        )


def test_platforms_never_import_campaign_ledger_or_approval() -> None:
    for path in (PACKAGE / "platforms").rglob("*.py"):
        units = _imported_units(ast.parse(path.read_text(encoding="utf-8")))
        assert not units & {"campaign", "ledger", "approval", "render"}, path
