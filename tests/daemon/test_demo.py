"""The README's main job: `scheduler demo` runs the real daemon end to end on the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_demo_publishes_every_approved_post_once(data_home: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=data_home.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "DEMO: campaign demo-" in out
    assert "demo approvals" in out
    assert "will retry" in out  # the rehearsed failure was retried
    assert "NOT APPROVED" in out and "MISSED" in out  # the unapproved post, reported
    assert "5 post(s) published" in out
    outbox = Path(os.environ["SCHEDULER_HOME"]) / "outbox"
    files = sorted(p for p in outbox.rglob("*.json"))
    # day1 on three accounts (1 part each) + day2 thread on two accounts (3 parts each)
    assert len(files) == 3 + 2 * 3
    texts = [json.loads(p.read_text())["request"] for p in files]
    assert not any("never approved" in json.dumps(t) for t in texts)
    # The thread replies to the right parent on Mastodon.
    masto = [json.loads(p.read_text()) for p in (outbox / "demo-mastodon").glob("*.json")]
    thread = sorted((d for d in masto if d["parts"] == 3), key=lambda d: d["part_index"])
    assert thread[1]["request"]["in_reply_to_id"] == thread[0]["remote_id"]
    assert thread[2]["request"]["in_reply_to_id"] == thread[1]["remote_id"]
