"""Several finishes in one transaction, on SQLite and PostgreSQL: each ends as its own
``finish`` would, and one that cannot (a lost lease, a missing part) leaves the others
finished and its own part stored."""

from __future__ import annotations

from datetime import timedelta

from scheduler.draft import PartResult
from scheduler.ledger import LeaseLost, LedgerError, State
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

DUE = T0 + timedelta(hours=1)
S = timedelta(seconds=1)


def _claimed(ledger: SqlLedger, *posts: str, parts: int = 1) -> list:  # type: ignore[type-arg]
    drafts = [make_draft(p, due=DUE, parts=parts) for p in posts]
    ledger.sync("mhaw", drafts, now=T0)
    for d in drafts:
        rec = ledger.get(d.key)
        ledger.decide(
            rec.key, kind="approve", actor="rev@example.org", content_hash=rec.content_hash, now=T0
        )
    claims = ledger.claim_due(owner="a", now=DUE, lease=60, limit=len(posts))
    assert [c.key.post_id for c in claims] == list(posts)
    return claims


def test_finishes_in_one_transaction_end_each_draft_as_finish_would(ledger: SqlLedger) -> None:
    one, two, three = _claimed(ledger, "p1", "p2", "p3")
    # p2's lease ran out and another worker holds it now.
    taken = ledger.claim(two.key, owner="b", now=DUE + 61 * S, lease=60)
    assert taken is not None
    results = ledger.finish_many(
        [
            (one, DUE + 62 * S, PartResult(0, "r1", "https://x/1")),
            (two, DUE + 62 * S, PartResult(0, "r2", "https://x/2")),
            (three, DUE + 62 * S, PartResult(0, "r3", "https://x/3")),
        ]
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], LeaseLost)
    for claim, state in ((one, State.PUBLISHED), (two, State.PUBLISHING), (three, State.PUBLISHED)):
        record = ledger.get(claim.key)
        assert record.state is state
        assert len(record.parts_done) == 1  # the lost one's part is stored all the same
    assert ledger.get(two.key).lease_owner == "b"
    assert [e.action for e in ledger.events(one.key)][-2:] == ["record_part", "finish"]


def test_a_finish_that_fails_in_the_group_rolls_back_alone(ledger: SqlLedger) -> None:
    one, two = _claimed(ledger, "p1", "p2")
    ledger.finish(two, now=DUE + S, part=PartResult(0, "r2", "u"))
    # Finishing it again is refused (not publishing any more); the other is finished.
    results = ledger.finish_many([(two, DUE + 2 * S, None), (one, DUE + 2 * S, None)])
    assert isinstance(results[0], LedgerError)
    assert isinstance(results[1], LedgerError)  # one has no part recorded: cannot finish
    assert ledger.get(one.key).state is State.PUBLISHING
    results = ledger.finish_many([(one, DUE + 3 * S, PartResult(0, "r1", "u"))])
    assert results == [None]
    assert ledger.get(one.key).state is State.PUBLISHED
    assert ledger.get(two.key).state is State.PUBLISHED
