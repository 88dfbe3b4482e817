"""The daemon warns at start when a create request can outlast the half lease it may begin
with; polling before the create (renewed after it) is no reason to warn."""

from __future__ import annotations

import pytest

from scheduler.accounts import AccountSpec
from scheduler.daemon.leases import too_long
from tests.daemon.support import Rig, rig
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]

MASTO = AccountSpec("masto", "mastodon", {"instance": "https://social.example"})
GRAM = AccountSpec("gram", "instagram", {"user_id": "17841400008460056"})
THREADS = AccountSpec("thr", "threads", {})
X = AccountSpec("x", "x", {})
SANDBOX = AccountSpec("sand", "sandbox", {"as_platform": "mastodon"})


def _gram(wait: int) -> AccountSpec:
    return AccountSpec("gram", "instagram", {**GRAM.settings, "container_wait": wait})


# (case, lease, HTTP timeout, accounts, the accounts warned about, longest first)
CASES: list[tuple[str, float, float, list[AccountSpec], list[str]]] = [
    ("defaults, Mastodon: 60 s fits in 150", 300, 30, [MASTO], []),
    ("defaults, X: a minute of GIF processing fits", 300, 30, [MASTO, X], []),
    (
        "defaults, Instagram's five minutes of polling come before the renewal",
        300,
        30,
        [MASTO, GRAM],
        [],
    ),
    ("Threads polls as long", 300, 30, [THREADS, MASTO], []),
    ("a long container_wait is no reason either", 300, 30, [_gram(1200)], []),
    ("a lease under four timeouts is", 100, 30, [GRAM], ["gram"]),
    ("a lease shorter than two timeouts", 5, 3, [MASTO], ["masto"]),
    ("the reliability runner's settings fit", 5, 1, [MASTO], []),
    ("longest first", 100, 30, [MASTO, X, GRAM], ["gram", "x", "masto"]),
    ("the sandbox sends nothing", 1, 30, [SANDBOX], []),
]


@pytest.mark.parametrize(
    ("case", "lease", "timeout", "accounts", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_which_accounts_can_outlast_the_lease(
    case: str, lease: float, timeout: float, accounts: list[AccountSpec], expected: list[str]
) -> None:
    assert [step.account for step in too_long(lease, timeout, accounts)] == expected


CAMPAIGN = """\
id: test-daemon
title: Lease check
timezone: Etc/UTC
language: en
week_start: 2026-05-11
accounts:
  masto: {platform: sandbox, as_platform: mastodon}
  gram: {platform: instagram, user_id: "17841400008460056", container_wait: WAIT}
team:
  - {name: Author, email: author@example.org, roles: [writer]}
  - {name: Reviewer, email: rev@example.org, roles: [reviewer]}
approval: {required: 1, approvers: [reviewer]}
posts:
  - id: first
    day: 1
    time: "08:00"
    author: author@example.org
    accounts: [masto]
    text: You are not alone. Talking to someone can help.
"""


def _start(rig: Rig, wait: int, lease: float) -> list[dict[str, object]]:
    text = CAMPAIGN.replace("WAIT", str(wait))
    (rig.root / "campaign" / "campaign.yaml").write_text(text, encoding="utf-8")
    daemon = rig.daemon(lease=lease, http_timeout=30.0, remind_ahead=0.0)
    daemon.start()
    try:
        return [dict(e) for e in rig.log.of("lease_too_short")]
    finally:
        daemon.stop()


def test_a_lease_shorter_than_a_step_is_one_warning_at_start(rig: Rig) -> None:
    (event,) = _start(rig, wait=300, lease=100)
    assert event["account"] == "gram" and event["step"] == 360.0
    message = str(event["message"])
    assert "can take 60 s" in message and "HTTP timeout 30 s" in message
    assert "SCHEDULER_DAEMON_LEASE to at least 120" in str(event["hint"])
    level = [lvl for name, lvl, _ in rig.log.events if name == "lease_too_short"]
    assert level == ["warning"]


def test_no_warning_when_the_lease_outlasts_every_request(rig: Rig) -> None:
    assert _start(rig, wait=300, lease=300) == []
