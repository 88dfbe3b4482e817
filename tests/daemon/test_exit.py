"""``scheduler run --exit-when-done``: exits 1 when any draft failed, was missed or has an
unknown outcome (drafts closed as missed at start included), and its summary counts them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.daemon.support import DUE1, DUE2, DUE3, Rig, at, rig
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]

PAST_CAMPAIGN = """\
id: past
title: A week long gone
timezone: Etc/UTC
language: en
week_start: 2020-01-06
accounts:
  masto: {platform: sandbox, as_platform: mastodon}
team:
  - {name: Author, email: author@example.org, roles: [writer]}
approval: {required: 1}
posts:
  - {id: one, day: 1, time: "08:00", author: author@example.org, text: "Long gone."}
  - {id: two, day: 1, time: "09:00", author: author@example.org, text: "Gone too."}
"""


def test_drafts_missed_at_start_make_the_exit_code_1(
    data_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "past"
    folder.mkdir()
    (folder / "campaign.yaml").write_text(PAST_CAMPAIGN, encoding="utf-8")
    monkeypatch.setenv("SCHEDULER_DAEMON_SWEEP_INTERVAL", "0.1")
    monkeypatch.setenv("SCHEDULER_DAEMON_RELOAD_INTERVAL", "0.1")
    assert main(["run", str(folder), "--sandbox", "--exit-when-done", "--log-json"]) == 1
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    summary = [e for e in events if e.get("event") == "summary"]
    assert len(summary) == 1
    assert summary[0]["missed"] == 2 and summary[0]["not_published"] == 2
    assert summary[0]["drafts"] == {"missed": 2}


def test_exit_code_and_summary_from_the_ledger(rig: Rig) -> None:
    daemon = rig.daemon(exit_when_done=True)
    daemon.reload()
    rig.approve_all(skip=("thread",))
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "published"
    assert daemon.fire(rig.key("first", "sky")) == "published"
    at(rig.clock, DUE2)
    assert daemon.fire(rig.key("second")) == "published"
    assert daemon.exit_code() == 0  # the thread is not due yet, nothing went wrong
    # The unapproved thread's window closes: missed, and the run is no longer clean.
    at(rig.clock, DUE3, plus=3 * 3600)
    daemon.replan()
    assert rig.state("thread") == "missed"
    assert daemon.summary() == {"missed": 1, "published": 3}
    assert daemon.exit_code() == 1


def test_a_failed_draft_makes_the_exit_code_1(rig: Rig) -> None:
    rig.faults["masto"] = {"fail_first": "invalid"}
    daemon = rig.daemon(exit_when_done=True)
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "failed"
    assert daemon.exit_code() == 1
    assert daemon.summary()["failed"] == 1
