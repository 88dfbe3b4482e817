"""The claim condition for threads already partly public, on SQLite and PostgreSQL.

A thread with a part recorded may be claimed after its window closed, up to the completion
limit the caller gives; nothing else may. ``parts_done`` is JSON text, so "started" is
decided in SQL over that text: these tests write it in the forms a row may hold.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from scheduler.draft import PartResult
from scheduler.ledger import ApprovalRule, State
from scheduler.ledger import tables as t
from scheduler.ledger.core import key_where
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

DUE = T0 + timedelta(hours=1)
LATEST = DUE + timedelta(minutes=30)
DAY = timedelta(hours=24)
AFTER = LATEST + timedelta(hours=2)  # the window closed two hours ago


def _approved(ledger: SqlLedger, *posts: str, parts: int = 3) -> None:
    drafts = [make_draft(p, parts=parts, latest=LATEST) for p in posts]
    ledger.sync("mhaw", drafts, now=T0)
    for draft in drafts:
        rec = ledger.get(draft.key)
        ledger.decide(
            rec.key, kind="approve", actor="rev@example.org", content_hash=rec.content_hash, now=T0
        )


def _stopped_after_part_one(ledger: SqlLedger, post: str = "p1") -> None:
    """Part 1 went out inside the window; then the daemon stopped (released the thread)."""
    claim = ledger.claim(make_draft(post).key, owner="w", now=DUE, lease=60)
    assert claim is not None
    claim = ledger.record_part(claim, PartResult(0, "id-1", "https://m.example/1"), now=DUE)
    ledger.release(claim, now=DUE)


def test_a_started_thread_is_claimed_after_its_window_within_the_limit(ledger: SqlLedger) -> None:
    _approved(ledger, "p1")
    _stopped_after_part_one(ledger)
    key = make_draft("p1").key
    assert ledger.claim(key, owner="w", now=AFTER, lease=60) is None  # no limit given: closed
    claim = ledger.claim(key, owner="w", now=AFTER, lease=60, thread_completion=DAY)
    assert claim is not None and claim.attempt == 2 and not claim.takeover
    assert [p.remote_id for p in claim.parts_done] == ["id-1"]  # resumes at part 2
    claim = ledger.record_part(claim, PartResult(1, "id-2", "https://m.example/2"), now=AFTER)
    claim = ledger.record_part(claim, PartResult(2, "id-3", "https://m.example/3"), now=AFTER)
    ledger.finish(claim, now=AFTER)
    assert ledger.get(key).state is State.PUBLISHED


def test_the_limit_is_a_hard_end(ledger: SqlLedger) -> None:
    _approved(ledger, "p1")
    _stopped_after_part_one(ledger)
    key = make_draft("p1").key
    end = LATEST + DAY
    past = end + timedelta(seconds=1)
    assert ledger.claim(key, owner="w", now=past, lease=60, thread_completion=DAY) is None
    assert ledger.claim_due(owner="w", now=past, lease=60, thread_completion=DAY) == []
    # Seconds work as well as a timedelta, and the limit's last instant is inside it.
    assert ledger.claim(key, owner="w", now=end, lease=60, thread_completion=86400.0) is not None


def test_a_thread_not_started_stays_closed(ledger: SqlLedger) -> None:
    _approved(ledger, "p1", "p2")
    _stopped_after_part_one(ledger, "p2")
    claims = ledger.claim_due(owner="w", now=AFTER, lease=60, limit=10, thread_completion=DAY)
    assert [c.key.post_id for c in claims] == ["p2"]
    assert ledger.get(make_draft("p1").key).state is State.APPROVED


def test_a_started_retry_waits_for_its_next_attempt_even_late(ledger: SqlLedger) -> None:
    _approved(ledger, "p1")
    key = make_draft("p1").key
    claim = ledger.claim(key, owner="w", now=DUE, lease=60)
    assert claim is not None
    claim = ledger.record_part(claim, PartResult(0, "id-1", "https://m.example/1"), now=DUE)
    retry_at = LATEST + timedelta(hours=1)  # after the window
    ledger.retry_later(claim, next_attempt=retry_at, error="503 on part 2", now=DUE)
    early = retry_at - timedelta(seconds=1)
    assert ledger.claim(key, owner="w", now=early, lease=60, thread_completion=DAY) is None
    again = ledger.claim(key, owner="w", now=retry_at, lease=60, thread_completion=DAY)
    assert again is not None and [p.index for p in again.parts_done] == [0]


def test_a_started_thread_must_still_be_approved(ledger: SqlLedger) -> None:
    _approved(ledger, "p1")
    _stopped_after_part_one(ledger)
    # A stricter approval policy sends it back to review: nobody publishes it meanwhile.
    ledger.sync(
        "mhaw", [make_draft("p1", parts=3, latest=LATEST)], now=DUE, rule=ApprovalRule(required=2)
    )
    assert ledger.get(make_draft("p1").key).state is State.DRAFT
    assert ledger.claim_due(owner="w", now=AFTER, lease=60, thread_completion=DAY) == []


def _set_parts_text(ledger: SqlLedger, post: str, text: str) -> None:
    d = t.drafts
    with ledger.engine.begin() as conn:
        conn.execute(update(d).where(key_where(d, make_draft(post).key)).values(parts_done=text))


@pytest.mark.parametrize(
    ("text", "started"),
    [
        ("[]", False),
        ("[ ]", False),
        ("", False),
        ("[\n]", False),
        ('[{"extra": {}, "index": 0, "remote_id": "1", "url": "u"}]', True),
        ('[ {"index": 0, "remote_id": "1", "url": "u"} ]', True),  # spaced as another writer
        ('[\n  {\n    "index": 0,\n    "remote_id": "1",\n    "url": "u"\n  }\n]', True),
    ],
)
def test_started_is_read_from_the_json_text_as_stored(
    ledger: SqlLedger, text: str, started: bool
) -> None:
    _approved(ledger, "p1")
    claim = ledger.claim(make_draft("p1").key, owner="w", now=DUE, lease=60)
    assert claim is not None
    ledger.release(claim, now=DUE)
    _set_parts_text(ledger, "p1", text)
    claims = ledger.claim_due(owner="w", now=AFTER, lease=60, thread_completion=DAY)
    assert bool(claims) is started


def test_drafts_without_a_latest_time_are_left_to_the_daemon(ledger: SqlLedger) -> None:
    # No latest: the ledger has no window for it (the daemon applies its default lateness),
    # with or without a completion limit.
    draft = make_draft("p1")
    ledger.sync("mhaw", [draft], now=T0)
    rec = ledger.get(draft.key)
    ledger.decide(
        rec.key, kind="approve", actor="rev@example.org", content_hash=rec.content_hash, now=T0
    )
    later = DUE + 3 * DAY
    assert ledger.claim(draft.key, owner="w", now=later, lease=60, thread_completion=DAY)
