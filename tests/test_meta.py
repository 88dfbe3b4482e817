"""The project keeps its own promises: the README names every command; code is lint-clean."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from scheduler.cli import build_parser
from tests.conftest import ROOT


def _command_paths(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix} {name}".strip()
                nested = _command_paths(sub, path)
                found.extend(nested or [path])
    return found


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c for c in _command_paths(build_parser()) if f"scheduler {c}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"


def test_ruff_is_clean() -> None:
    pytest.importorskip("ruff")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "scheduler", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_dead_code() -> None:
    """vulture over the package; tests and benchmarks count as users, and
    tests/vulture_whitelist.py names what frameworks and templates reach by name."""
    pytest.importorskip("vulture")
    result = subprocess.run(
        [sys.executable, "-m", "vulture"], cwd=ROOT, capture_output=True, text=True
    )
    dead = [line for line in result.stdout.splitlines() if line.startswith("scheduler/")]
    assert not dead, "\n".join(dead)
