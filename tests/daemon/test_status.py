"""`scheduler status` shows the daemon's view, and `scheduler resolve` settles unknown outcomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.cli import main
from scheduler.daemon.status import build, render
from scheduler.platforms.base import OutcomeUnknown, Transient
from tests.daemon.support import DUE1, DUE3, Rig, at, rig
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]


def _states(rig: Rig) -> None:
    """first@masto published, first@sky outcome unknown, thread retrying, second unapproved."""
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all(skip=("second",))
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "published"
    claim = rig.ledger.claim(rig.key("first", "sky"), owner="w", now=DUE1, lease=60)
    rig.ledger.give_up(
        claim, state="outcome_unknown", reason=OutcomeUnknown("connection dropped"), now=DUE1
    )
    at(rig.clock, DUE3)
    claim = rig.ledger.claim(rig.key("thread"), owner="w", now=DUE3, lease=60)
    rig.ledger.retry_later(
        claim,
        next_attempt=DUE3 + timedelta(minutes=2),
        error=Transient("server error", status=503),
        now=DUE3,
    )


def test_status_groups(rig: Rig) -> None:
    _states(rig)
    report = build(rig.ledger.list("test-daemon"), now=rig.clock.now(), max_lateness=3600)
    assert [i["key"] for i in report["published"]] == ["test-daemon/first@masto"]
    assert report["published"][0]["url"].startswith("file:")
    [waiting] = report["waiting_to_retry"]
    assert waiting["key"] == "test-daemon/thread@masto"
    assert waiting["next_attempt"] == (DUE3 + timedelta(minutes=2)).isoformat()
    problems = {i["key"]: i["problem"] for i in report["problems"]}
    assert problems["test-daemon/first@sky"].startswith("outcome unknown: connection dropped")
    assert "scheduler resolve" in problems["test-daemon/first@sky"]
    # "second" was never approved and its window (30 min) has closed by now: missed or not,
    # it is never shown as upcoming-and-fine.
    assert "test-daemon/second@masto" not in {i["key"] for i in report["upcoming"]} or not any(
        i["approved"] for i in report["upcoming"] if i["key"] == "test-daemon/second@masto"
    )
    lines = "\n".join(render(report))
    assert "Problems (a person must act)" in lines
    assert "next attempt Mon 11 May 09:02 UTC" in lines
    assert "1 published" in lines


def test_status_and_resolve_commands(rig: Rig, capsys: pytest.CaptureFixture[str]) -> None:
    _states(rig)
    campaign = str(rig.root / "campaign")
    url = rig.ledger.url
    assert main(["status", campaign, "--ledger", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["post"] for d in data["drafts"]} == {"first", "second", "thread"}
    assert data["counts"]["published"] == 1 and data["counts"]["waiting_to_retry"] == 1
    assert main(["status", campaign, "--ledger", url]) == 0
    out = capsys.readouterr().out
    assert "Waiting to retry (1)" in out and "outcome unknown" in out
    # Only an unknown outcome can be resolved.
    who = ["--ledger", url, "--as", "rev@example.org"]
    code = main(["resolve", campaign, "first", "--account", "masto", "--not-published", *who])
    assert code == 1
    assert "no draft whose outcome is unknown" in capsys.readouterr().err
    code = main(
        [
            "resolve",
            campaign,
            "first",
            "--account",
            "sky",
            "--published",
            "https://bsky.app/x",
            *who,
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "last error: connection dropped" in out and "now published" in out
    record = rig.ledger.get(rig.key("first", "sky"))
    assert str(record.state) == "published"
    assert record.parts_done[-1].url == "https://bsky.app/x"


def test_status_shows_the_paused_accounts(rig: Rig, capsys: pytest.CaptureFixture[str]) -> None:
    _states(rig)
    now = rig.clock.now()
    # `status` reads the system clock: a pause that is still in force now.
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    rig.ledger.pause_account(
        "masto", until=until, reason="mastodon answered 429", source="rate_limited", now=now
    )
    rig.ledger.pause_account(
        "elsewhere", until=until, reason="another campaign's", source="quota", now=now
    )
    campaign = str(rig.root / "campaign")
    assert main(["status", campaign, "--ledger", rig.ledger.url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["paused_accounts"] == [
        {
            "account": "masto",
            "until": until.isoformat(),
            "reason": "mastodon answered 429",
            "source": "rate_limited",
        }
    ]
    assert main(["status", campaign, "--ledger", rig.ledger.url]) == 0
    out = capsys.readouterr().out
    assert f"masto  until {until.isoformat()}: mastodon answered 429 (rate_limited)" in out
    assert "elsewhere" not in out


def test_a_past_week_nobody_ran_is_not_upcoming(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all(skip=("second",))
    week_later = DUE3 + timedelta(days=7)
    report = build(rig.ledger.list("test-daemon"), now=week_later, max_lateness=3600)
    assert report["upcoming"] == [] and report["counts"]["closed"] == 4
    lines = "\n".join(render(report))
    assert "Upcoming" not in lines and "Window closed, never sent (4)" in lines
    assert "second@masto  Mon 11 May 08:10 UTC  window closed at" in lines
    assert "not approved (draft), never published" in lines
    # The same drafts before their time are upcoming.
    before = build(rig.ledger.list("test-daemon"), now=DUE1 - timedelta(hours=1), max_lateness=3600)
    assert before["counts"]["upcoming"] == 4 and before["counts"]["closed"] == 0
