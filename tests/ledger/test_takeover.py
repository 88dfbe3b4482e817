"""Claims of a dead holder's work, on SQLite and PostgreSQL: never stranded by the window.

A draft left in publishing by a daemon that died may be partly out on the platform. After its
lease expires it must be claimable (as a takeover) even when its window has closed, so that
the taker reconciles it and records what it became; otherwise it would stay in publishing for
ever and nobody would be told.
"""

from __future__ import annotations

from datetime import timedelta

from scheduler.draft import PartResult
from scheduler.ledger import State
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

DUE = T0 + timedelta(hours=1)
LATEST = DUE + timedelta(minutes=10)


def _approved(ledger: SqlLedger, parts: int = 2) -> None:
    draft = make_draft("p1", parts=parts, latest=LATEST)
    ledger.sync("mhaw", [draft], now=T0)
    rec = ledger.get(draft.key)
    ledger.decide(
        rec.key, kind="approve", actor="rev@example.org", content_hash=rec.content_hash, now=T0
    )


def test_expired_lease_is_taken_over_after_the_window(ledger: SqlLedger) -> None:
    _approved(ledger)
    key = make_draft("p1").key
    first = ledger.claim(key, owner="w1", now=LATEST - timedelta(seconds=5), lease=30)
    assert first is not None
    ledger.record_part(first, PartResult(0, "a", "u"), now=LATEST - timedelta(seconds=4))
    after = LATEST + timedelta(minutes=5)
    taken = ledger.claim(key, owner="w2", now=after, lease=30)
    assert taken is not None and taken.takeover
    assert [p.remote_id for p in taken.parts_done] == ["a"]
    ledger.record_part(taken, PartResult(1, "b", "u2"), now=after)
    ledger.finish(taken, now=after)
    assert ledger.get(key).state is State.PUBLISHED


def test_claim_due_finds_a_stranded_claim_after_the_window(ledger: SqlLedger) -> None:
    _approved(ledger, parts=1)
    key = make_draft("p1").key
    assert ledger.claim(key, owner="w1", now=DUE, lease=30) is not None
    claims = ledger.claim_due(owner="w2", now=LATEST + timedelta(hours=1), lease=30)
    assert [(c.key, c.takeover) for c in claims] == [(key, True)]


def test_the_window_still_closes_for_drafts_nobody_holds(ledger: SqlLedger) -> None:
    _approved(ledger, parts=1)
    key = make_draft("p1").key
    assert ledger.claim(key, owner="w1", now=LATEST + timedelta(seconds=1), lease=30) is None
    assert ledger.claim_due(owner="w1", now=LATEST + timedelta(seconds=1), lease=30) == []


def test_claim_due_can_be_limited_to_some_campaigns(ledger: SqlLedger) -> None:
    ours = make_draft("p1", campaign="ours")
    theirs = make_draft("p1", campaign="theirs")
    for draft in (ours, theirs):
        ledger.sync(draft.campaign, [draft], now=T0)
        rec = ledger.get(draft.key)
        ledger.decide(
            rec.key, kind="approve", actor="rev@example.org", content_hash=rec.content_hash, now=T0
        )
    assert ledger.claim_due(owner="w", now=DUE, lease=30, campaigns=[]) == []
    claims = ledger.claim_due(owner="w", now=DUE, lease=30, limit=10, campaigns=["ours"])
    assert [c.key for c in claims] == [ours.key]
    claims = ledger.claim_due(owner="w", now=DUE, lease=30, limit=10)
    assert [c.key for c in claims] == [theirs.key]
