"""Concurrency on both backends: reviewers racing, syncs during claims, workers sharing a ledger.

Each thread opens its own ledger on the same database, as separate processes would.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest

from scheduler.draft import DraftKey, PartResult
from scheduler.ledger import ApprovalRule, Claim, StaleHash, State
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger_url, make_draft, open_at, postgres_url

__all__ = ["clock", "ledger_url", "open_at", "postgres_url"]

LATER = T0 + timedelta(hours=2)
R = TypeVar("R")


def together(*fns: Callable[[], R]) -> list[R | BaseException]:
    """Run the functions in threads released at the same instant; results or exceptions."""
    barrier = threading.Barrier(len(fns))
    out: list[R | BaseException] = [RuntimeError("did not run")] * len(fns)

    def run(i: int, fn: Callable[[], R]) -> None:
        barrier.wait()
        try:
            out[i] = fn()
        except BaseException as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return out


def test_two_reviewers_at_once_are_both_counted(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    a, b = open_at(ledger_url), open_at(ledger_url)
    drafts = [make_draft(f"p{i}") for i in range(8)]
    a.sync("mhaw", drafts, now=T0, rule=ApprovalRule(required=2))
    for d in drafts:
        results = together(
            lambda d=d: a.decide(
                d.key, kind="approve", actor="one@x.org", content_hash=d.content_hash, now=T0
            ),
            lambda d=d: b.decide(
                d.key, kind="approve", actor="two@x.org", content_hash=d.content_hash, now=T0
            ),
        )
        assert not [r for r in results if isinstance(r, BaseException)], results
        rec = a.get(d.key)
        assert {x.actor for x in rec.approvals} == {"one@x.org", "two@x.org"}
        assert rec.state is State.APPROVED


def test_approving_a_hash_that_just_changed_is_never_applied_to_the_new_text(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    a, b = open_at(ledger_url), open_at(ledger_url)
    old = [make_draft(f"p{i}") for i in range(8)]
    new = [make_draft(f"p{i}", text="edited a moment ago") for i in range(8)]
    a.sync("mhaw", old, now=T0)
    for o in old:
        together(
            lambda o=o: b.decide(
                o.key, kind="approve", actor="rev@x.org", content_hash=o.content_hash, now=T0
            ),
            lambda: a.sync("mhaw", new, now=T0),
        )
    for o, n in zip(old, new, strict=True):
        rec = a.get(o.key)
        assert rec.content_hash == n.content_hash
        assert rec.state is State.DRAFT and rec.approvals == ()
        assert all(x.voided_at is not None for x in a.approvals(o.key) if x.kind == "approve")
        try:
            b.decide(o.key, kind="approve", actor="rev@x.org", content_hash=o.content_hash, now=T0)
        except StaleHash:
            pass
        else:
            raise AssertionError("an approval of the old text was applied to the new text")


def test_workers_sharing_a_ledger_never_claim_one_draft_twice(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    setup = open_at(ledger_url)
    drafts = [make_draft(f"p{i:03d}") for i in range(60)]
    setup.sync("mhaw", drafts, now=T0)
    for d in drafts:
        setup.decide(d.key, kind="approve", actor="rev@x.org", content_hash=d.content_hash, now=T0)
    workers = [open_at(ledger_url) for _ in range(3)]

    def work(ledger: SqlLedger, name: str) -> list[DraftKey]:
        got: list[DraftKey] = []
        while True:
            claims = ledger.claim_due(owner=name, now=LATER, lease=300, limit=4)
            if not claims:
                return got
            for c in claims:
                c = ledger.record_part(c, PartResult(0, f"{name}-{c.key.post_id}", "u"), now=LATER)
                ledger.finish(c, now=LATER)
                got.append(c.key)

    results = together(*[lambda w=w, i=i: work(w, f"w{i}") for i, w in enumerate(workers)])
    keys: list[DraftKey] = []
    for r in results:
        assert not isinstance(r, BaseException), r
        keys.extend(r)
    counts = Counter(keys)
    assert [k for k, n in counts.items() if n > 1] == []
    assert set(counts) == {d.key for d in drafts}
    assert all(r.state is State.PUBLISHED for r in setup.list("mhaw"))
    assert all(len(setup.attempts(d.key)) == 1 for d in drafts[:10])


def test_sync_while_a_daemon_claims_is_safe(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    reviewer, daemon = open_at(ledger_url), open_at(ledger_url)
    drafts = [make_draft(f"p{i:03d}") for i in range(40)]
    reviewer.sync("mhaw", drafts, now=T0)
    for d in drafts:
        reviewer.decide(
            d.key, kind="approve", actor="rev@x.org", content_hash=d.content_hash, now=T0
        )
    # Half the posts are edited while the daemon publishes.
    edited = [make_draft(d.post_id, text="edited") if i % 2 else d for i, d in enumerate(drafts)]
    published: list[Claim] = []

    def publish() -> None:
        while claims := daemon.claim_due(owner="d", now=LATER, lease=300, limit=3):
            for c in claims:
                c = daemon.record_part(c, PartResult(0, c.key.post_id, "u"), now=LATER)
                daemon.finish(c, now=LATER)
                published.append(c)

    def resync() -> None:
        for _ in range(5):
            reviewer.sync("mhaw", edited, now=LATER)

    results = together(publish, resync)
    assert not [r for r in results if isinstance(r, BaseException)], results
    by_key = {c.key: c for c in published}
    assert len(by_key) == len(published)  # nothing published twice
    for d, e in zip(drafts, edited, strict=True):
        rec = reviewer.get(d.key)
        if d.key in by_key:
            # It went out as approved, and kept the content that went out.
            assert by_key[d.key].content_hash == d.content_hash
            assert rec.state is State.PUBLISHED and rec.content_hash == d.content_hash
        else:
            # Only an edit stops a post; the edit is in and awaits review.
            assert e.content_hash != d.content_hash
            assert rec.state is State.DRAFT and rec.content_hash == e.content_hash


def test_two_first_syncs_of_one_campaign_at_once(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    a, b = open_at(ledger_url), open_at(ledger_url)
    drafts = [make_draft(f"p{i:03d}") for i in range(50)]
    results = together(
        lambda: a.sync("mhaw", drafts, now=T0), lambda: b.sync("mhaw", drafts, now=T0)
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    created = sorted(len(r.created) for r in results if not isinstance(r, BaseException))
    assert created == [0, 50]
    assert len(a.list("mhaw")) == 50
    assert all(len([e for e in a.events(d.key) if e.action == "create"]) == 1 for d in drafts)


@pytest.mark.postgres
def test_claims_skip_rows_another_worker_has_locked(
    postgres_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    ledger = open_at(postgres_url)
    drafts = [make_draft(f"p{i}") for i in range(3)]
    ledger.sync("mhaw", drafts, now=T0)
    for d in drafts:
        ledger.decide(d.key, kind="approve", actor="rev@x.org", content_hash=d.content_hash, now=T0)
    other = open_at(postgres_url)
    with other.engine.connect() as conn:
        conn.exec_driver_sql("SET lock_timeout = '5s'")
        # Another worker is in the middle of claiming p0: its row is locked.
        conn.exec_driver_sql("SELECT 1 FROM drafts WHERE post_id = 'p0' FOR UPDATE")
        started = time.monotonic()
        claims = ledger.claim_due(owner="w", now=LATER, lease=60, limit=10)
        assert time.monotonic() - started < 2  # did not wait for the lock
        assert sorted(c.key.post_id for c in claims) == ["p1", "p2"]
        conn.rollback()
    assert [c.key.post_id for c in ledger.claim_due(owner="w", now=LATER, lease=60)] == ["p0"]
