"""The claim reads the earliest open drafts through ``ix_drafts_open`` and stops at its limit.

Without it every claim read every draft of the campaign (published ones too) and sorted them:
a burst of 1,000 due posts cost 2.4 ms a claim on SQLite, growing with the campaign. The
plans are asked of the databases themselves, for the statement the ledger really sends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event

from scheduler.draft import PartResult
from scheduler.ledger.claimable import OPEN_STATES
from scheduler.ledger.states import TRANSITIONS, State
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

DUE = T0 + timedelta(hours=1)


def _week(ledger: SqlLedger, count: int = 60) -> None:
    """A campaign with published drafts before the due ones, and some waiting for later."""
    drafts = [make_draft(f"p{i:03d}", due=DUE + timedelta(minutes=i % 7)) for i in range(count)]
    ledger.sync("mhaw", drafts, now=T0)
    for draft in drafts:
        record = ledger.get(draft.key)
        ledger.decide(
            draft.key,
            kind="approve",
            actor="rev@example.org",
            content_hash=record.content_hash,
            now=T0,
        )
    for claim in ledger.claim_due(owner="w0", now=DUE + timedelta(minutes=3), lease=60, limit=20):
        at = DUE + timedelta(minutes=3)
        ledger.finish(claim, now=at, part=PartResult(0, f"id-{claim.key.post_id}", "https://x"))


def _claim_statement(ledger: SqlLedger) -> tuple[str, Any]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT drafts.campaign") and "LIMIT" in statement:
            seen.append((statement, parameters))

    event.listen(ledger.engine, "before_cursor_execute", keep)
    try:
        claims = ledger.claim_due(
            owner="w1",
            now=DUE + timedelta(minutes=10),
            lease=60,
            limit=1,
            campaigns=["mhaw"],
            thread_completion=6 * 3600,  # as the daemon claims: started threads finish late
        )
    finally:
        event.remove(ledger.engine, "before_cursor_execute", keep)
    assert len(claims) == 1
    assert len(seen) == 1
    return seen[0]


def _plan(ledger: SqlLedger, prefix: str, statement: str, parameters: Any) -> str:
    with ledger.engine.connect() as conn:
        if ledger.dialect == "postgresql":
            # A table this small is read whole whatever the indexes; the question here is
            # whether the index can serve the claim, so sequential reads are priced out.
            conn.exec_driver_sql("SET enable_seqscan = off")
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def test_the_claim_walks_the_open_drafts_index_in_order(ledger: SqlLedger) -> None:
    _week(ledger)
    statement, parameters = _claim_statement(ledger)
    if ledger.dialect == "sqlite":
        plan = _plan(ledger, "EXPLAIN QUERY PLAN ", statement, parameters)
        assert "SEARCH drafts USING INDEX ix_drafts_open" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort: the index gives due order
    else:
        plan = _plan(ledger, "EXPLAIN ", statement, parameters)
        assert "ix_drafts_open" in plan, plan
        assert "Sort" not in plan, plan


def test_no_pattern_is_bound_in_the_claim(ledger: SqlLedger) -> None:
    """SQLite prepares a statement again whenever a new value is bound to a LIKE pattern:
    the claim's pattern is part of its text, so the prepared claim is reused."""
    _week(ledger)
    statement, _ = _claim_statement(ledger)
    assert "LIKE" in statement
    assert "LIKE ?" not in statement and "LIKE %(" not in statement


def test_the_index_holds_the_states_a_claim_takes_drafts_from() -> None:
    assert set(OPEN_STATES) == set(TRANSITIONS["claim"])
    assert State.PUBLISHED not in OPEN_STATES


def test_claims_still_come_earliest_first(ledger: SqlLedger) -> None:
    _week(ledger)
    claims = ledger.claim_due(owner="w1", now=DUE + timedelta(minutes=10), lease=60, limit=100)
    dues = [claim.draft.due for claim in claims]
    assert dues == sorted(dues)
    assert len(claims) == 40  # 60 drafts, 20 published before
