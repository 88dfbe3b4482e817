"""`scheduler --help` starts cold without the progress bar's or the schemas' libraries."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = (
    "rich",
    "jsonschema",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "scheduler.web",
    "boto3",
    "botocore",
)


def test_help_imports_nothing_heavy() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "scheduler", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "completion" in done.stdout
    # -X importtime writes one line per module imported: "import time: self | cumulative | name"
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "scheduler.cli" in imported
    heavy = sorted(m for m in imported if any(m == h or m.startswith(f"{h}.") for h in HEAVY))
    assert heavy == []
