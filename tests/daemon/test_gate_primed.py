"""The campaign's pause read with the account's gate: one statement before a post's request.

Just before a post's first request (and before each later part) the worker asks whether the
campaign is paused; the same statement reads the account's pause and quota counts, and the
gate lets the next request use them instead of reading again. These tests pin how far that
read stands in: for the next request on the same thread, to the same account and platform,
within PRIMED_FOR_S, and never beyond. They run the real gate on a real ledger (SQLite and
PostgreSQL) and count the statements it sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from scheduler.clock import FixedClock
from scheduler.daemon import gate as gate_module
from scheduler.daemon.gate import LedgerGate
from scheduler.descriptors import Quota
from scheduler.ledger.store import SqlLedger
from scheduler.platforms.base import CREATE, READ, AccountPaused
from tests.ledger.support import clock, ledger, ledger_url, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

NOW = datetime.fromisoformat("2026-05-11T08:00:00+00:00")


def _quotas(account: str, platform: str) -> tuple[Quota, ...]:
    return (Quota(300, timedelta(hours=3), "account"),)


@contextmanager
def reads(ledger: SqlLedger) -> Iterator[list[str]]:
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(ledger.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(ledger.engine, "before_cursor_execute", keep)


@pytest.fixture
def gate(ledger: SqlLedger, clock: FixedClock) -> LedgerGate:
    clock.set(NOW)
    return LedgerGate(ledger, clock, quotas=_quotas)


def test_the_campaign_read_stands_in_for_the_next_request_and_only_it(
    gate: LedgerGate, ledger: SqlLedger
) -> None:
    gate.begin()
    with reads(ledger) as seen:
        assert gate.campaign_paused("week", "masto", "mastodon") is False
        gate.before("masto", "mastodon", CREATE)
    assert len(seen) == 1 and "campaign_pauses" in seen[0]
    with reads(ledger) as seen:
        gate.before("masto", "mastodon", CREATE)
    assert len(seen) == 1 and "campaign_pauses" not in seen[0]
    assert gate.sent().creates == 2


@pytest.mark.parametrize(
    ("account", "platform"),
    [("other", "mastodon"), ("masto", "sandbox")],
    ids=["account", "platform"],
)
def test_a_request_to_another_account_or_platform_reads_afresh(
    gate: LedgerGate, ledger: SqlLedger, account: str, platform: str
) -> None:
    gate.begin()
    gate.campaign_paused("week", "masto", "mastodon")
    with reads(ledger) as seen:
        gate.before(account, platform, CREATE)
    assert len(seen) == 1
    with reads(ledger) as seen:
        gate.before("masto", "mastodon", CREATE)  # the read was used up all the same
    assert len(seen) == 1


def test_a_read_older_than_its_time_is_not_used(
    gate: LedgerGate, ledger: SqlLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_module, "PRIMED_FOR_S", -1.0)
    gate.begin()
    gate.campaign_paused("week", "masto", "mastodon")
    with reads(ledger) as seen:
        gate.before("masto", "mastodon", CREATE)
    assert len(seen) == 1


def test_a_new_attempt_forgets_the_read(gate: LedgerGate, ledger: SqlLedger) -> None:
    gate.begin()
    gate.campaign_paused("week", "masto", "mastodon")
    gate.begin()
    with reads(ledger) as seen:
        gate.before("masto", "mastodon", READ)
    assert len(seen) == 1


def test_a_paused_campaign_is_told_and_primes_nothing(gate: LedgerGate, ledger: SqlLedger) -> None:
    ledger.pause("week", actor="ada@example.org", reason="news", now=NOW)
    gate.begin()
    assert gate.campaign_paused("week", "masto", "mastodon") is True
    assert gate.campaign_paused("other-week", "masto", "mastodon") is False
    ledger.pause("*", actor="ada@example.org", reason="all", now=NOW)
    assert gate.campaign_paused("other-week", "masto", "mastodon") is True
    with reads(ledger) as seen:
        gate.before("masto", "mastodon", CREATE)
    assert len(seen) == 1


def test_an_account_pause_in_the_read_refuses_the_request_without_another_read(
    gate: LedgerGate, ledger: SqlLedger
) -> None:
    ledger.pause_account(
        "masto", until=NOW + timedelta(minutes=5), reason="429", source="rate_limited", now=NOW
    )
    gate.begin()
    assert gate.campaign_paused("week", "masto", "mastodon") is False
    with reads(ledger) as seen, pytest.raises(AccountPaused):
        gate.before("masto", "mastodon", CREATE)
    assert seen == []
    assert gate.sent().requests == 0


def test_an_account_pause_that_ended_since_the_read_does_not_refuse(
    gate: LedgerGate, ledger: SqlLedger, clock: FixedClock
) -> None:
    ledger.pause_account(
        "masto", until=NOW + timedelta(seconds=1), reason="429", source="rate_limited", now=NOW
    )
    gate.begin()
    gate.campaign_paused("week", "masto", "mastodon")
    clock.set(NOW + timedelta(seconds=1))
    gate.before("masto", "mastodon", CREATE)
    assert gate.sent().creates == 1
