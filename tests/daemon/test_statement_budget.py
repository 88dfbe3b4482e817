"""What one post costs the ledger: the statements the daemon sends to publish it.

At a peak every statement is paid thousands of times over, so the daemon's per-post work is
pinned here, counted on the real database as it runs: a post nobody waits on reads no
dependants, the last part and the finish are logged in one insert, and a single post stays
within a budget of statements.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.daemon.support import DUE1, Rig, at, rig
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]

# fire (the account's pause), the claim (select, update, attempt, event), the campaign's
# pause (read with the account's pause and counts, which a publisher's first request then
# uses instead of reading them: tests/daemon/test_gate_primed.py), the finish (lock, draft,
# attempt, events), and on SQLite a BEGIN IMMEDIATE for each of the two writes (its
# one-statement reads need none).
BUDGET = {"sqlite": 12, "postgresql": 10}


@contextmanager
def statements(rig: Rig) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = rig.ledger.engine

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def _published_first(rig: Rig) -> list[str]:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    daemon.reload()
    at(rig.clock, DUE1)
    with statements(rig) as seen:
        assert daemon.fire(rig.key("first")) == "published"
    return seen


def test_a_post_nobody_waits_on_reads_no_dependants(rig: Rig) -> None:
    seen = _published_first(rig)
    assert not [s for s in seen if "draft_after" in s and not s.startswith("SELECT drafts.")]


def test_the_last_part_and_the_finish_are_logged_in_one_insert(rig: Rig) -> None:
    seen = _published_first(rig)
    inserts = [s for s in seen if s.startswith("INSERT INTO events")]
    assert len(inserts) == 2  # the claim's, and the finish's with its part


def test_a_post_stays_within_its_statement_budget(rig: Rig) -> None:
    seen = _published_first(rig)
    assert len(seen) <= BUDGET[rig.ledger.dialect], "\n".join(seen)
