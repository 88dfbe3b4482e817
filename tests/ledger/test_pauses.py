"""Account pauses and quota counts in the ledger, on SQLite and PostgreSQL: one pause per
account, the later kept, seen by every ledger handle (every daemon), skipped by claims; a
deferred claim costs no attempt; published parts are counted per account across campaigns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from scheduler.draft import PartResult
from scheduler.ledger import State
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

REVIEWER = "rev@example.org"
DUE = T0 + timedelta(hours=1)
M = timedelta(minutes=1)


def _approved(ledger: SqlLedger, *drafts: object, campaign: str = "mhaw") -> None:
    ledger.sync(campaign, list(drafts), now=T0)  # type: ignore[arg-type]
    for d in drafts:
        rec = ledger.get(d.key)  # type: ignore[attr-defined]
        hash_ = rec.content_hash
        ledger.decide(rec.key, kind="approve", actor=REVIEWER, content_hash=hash_, now=T0)


def _pause(ledger: SqlLedger, until: object, *, source: str = "rate_limited", now: object = DUE):
    return ledger.pause_account(
        "masto",
        until=until,
        reason=f"test {source}",
        source=source,
        now=now,  # type: ignore[arg-type]
    )


def test_one_pause_per_account_and_the_later_one_wins(ledger: SqlLedger) -> None:
    assert ledger.account_pause("masto", now=DUE) is None
    first = _pause(ledger, DUE + 15 * M)
    assert (first.until, first.source) == (DUE + 15 * M, "rate_limited")
    kept = _pause(ledger, DUE + 5 * M, source="headers")  # an earlier reset never shortens it
    assert (kept.until, kept.source) == (DUE + 15 * M, "rate_limited")
    longer = _pause(ledger, DUE + 60 * M, source="quota")
    assert (longer.until, longer.source) == (DUE + 60 * M, "quota")
    assert ledger.account_pause("masto", now=DUE + 59 * M) == longer
    assert ledger.account_pause("masto", now=DUE + 60 * M) is None  # over at its end
    assert ledger.account_pause("sky", now=DUE) is None
    # A pause that has passed is replaced by any new one, even an earlier-ending one.
    late = DUE + 2 * 60 * M
    fresh = _pause(ledger, late + 5 * M, now=late)
    assert fresh.until == late + 5 * M
    assert [p.account for p in ledger.account_pauses(now=late)] == ["masto"]


def test_a_pause_reason_is_kept_redacted(ledger: SqlLedger) -> None:
    # A platform's refusal may quote the request back: a credential in it is masked.
    reason = "429 from the server: Authorization: Bearer abcdefghij0123 access_token=s3cr3tvalue9"
    kept = ledger.pause_account(
        "masto", until=DUE + 5 * M, reason=reason, source="rate_limited", now=DUE
    )
    stored = ledger.account_pause("masto", now=DUE)
    assert stored is not None
    for text in (kept.reason, stored.reason):
        assert "abcdefghij0123" not in text and "s3cr3tvalue9" not in text
        assert text.startswith("429 from the server") and "***" in text


def test_an_unknown_source_is_refused(ledger: SqlLedger) -> None:
    with pytest.raises(ValueError):
        _pause(ledger, DUE + M, source="guess")


def test_two_daemons_sharing_a_ledger_see_one_pause(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    one, two = open_at(ledger_url), open_at(ledger_url)
    _approved(one, make_draft("p1", due=DUE), make_draft("p2", due=DUE, account="sky"))
    one.pause_account("masto", until=DUE + 15 * M, reason="429", source="rate_limited", now=DUE)
    seen = two.account_pause("masto", now=DUE)
    assert seen is not None and seen.until == DUE + 15 * M
    # The other daemon's claim skips the paused account's draft; other accounts go on.
    claims = two.claim_due(owner="two", now=DUE, lease=60)
    assert [c.key.account for c in claims] == ["sky"]
    assert two.claim(make_draft("p1").key, owner="two", now=DUE, lease=60) is None
    assert one.get(make_draft("p1").key).attempts == 0
    # At the reset it is claimable again, by either.
    later = one.claim(make_draft("p1").key, owner="one", now=DUE + 15 * M, lease=60)
    assert later is not None and later.attempt == 1


def test_a_started_thread_waits_for_the_pause_too(ledger: SqlLedger) -> None:
    _approved(ledger, make_draft("t", due=DUE, parts=3))
    claim = ledger.claim(make_draft("t").key, owner="a", now=DUE, lease=60)
    assert claim is not None
    ledger.record_part(claim, PartResult(0, "1", "https://m.example/1"), now=DUE)
    ledger.retry_later(claim, next_attempt=DUE + M, error="429", now=DUE)
    _pause(ledger, DUE + 10 * M)
    assert ledger.claim(make_draft("t").key, owner="a", now=DUE + 2 * M, lease=60) is None
    again = ledger.claim(make_draft("t").key, owner="a", now=DUE + 10 * M, lease=60)
    assert again is not None and len(again.parts_done) == 1


def test_a_deferred_claim_is_no_attempt(ledger: SqlLedger) -> None:
    _approved(ledger, make_draft("p1", due=DUE))
    key = make_draft("p1").key
    first = ledger.claim(key, owner="a", now=DUE, lease=60)
    assert first is not None and first.attempt == 1
    ledger.retry_later(first, next_attempt=DUE + M, error="503", now=DUE)
    second = ledger.claim(key, owner="a", now=DUE + M, lease=60)
    assert second is not None and second.attempt == 2
    ledger.defer(second, until=DUE + 10 * M, reason="account paused", now=DUE + M)
    rec = ledger.get(key)
    assert rec.state is State.RETRY_WAIT and rec.next_attempt == DUE + 10 * M
    assert rec.attempts == 1  # the deferral sent nothing: it is not counted
    assert [a.number for a in ledger.attempts(key)] == [1]
    assert [e.action for e in ledger.events(key)][-1] == "defer"
    third = ledger.claim(key, owner="a", now=DUE + 10 * M, lease=60)
    assert third is not None and third.attempt == 2


def test_published_parts_are_counted_per_account_across_campaigns(ledger: SqlLedger) -> None:
    _approved(ledger, make_draft("t", due=DUE, parts=2), make_draft("s", due=DUE, account="sky"))
    _approved(ledger, make_draft("o", due=DUE, campaign="other"), campaign="other")
    for key, parts in (
        (make_draft("t").key, 2),
        (make_draft("o", campaign="other").key, 1),
        (make_draft("s", account="sky").key, 1),
    ):
        claim = ledger.claim(key, owner="a", now=DUE, lease=60)
        assert claim is not None
        for i in range(parts):
            at = DUE + (i + 1) * M
            claim = ledger.record_part(claim, PartResult(i, f"{key}-{i}", "u"), now=at)
        ledger.finish(claim, now=DUE + 3 * M)
    got = ledger.published_parts("masto", since=DUE)
    assert sorted(got) == [(DUE + M, 0), (DUE + M, 0), (DUE + 2 * M, 1)]
    assert ledger.published_parts("masto", since=DUE + M) == [(DUE + 2 * M, 1)]
    assert ledger.published_parts("sky", since=DUE) == [(DUE + M, 0)]
    assert ledger.count_published("masto", since=DUE) == 3
    assert ledger.count_published("masto", since=DUE + M) == 1
    assert ledger.count_published("sky", since=DUE + M) == 0
    assert ledger.count_published("nobody", since=DUE) == 0


def test_the_gate_reads_the_pause_and_the_counts_at_once(ledger: SqlLedger) -> None:
    _approved(ledger, make_draft("t", due=DUE, parts=2))
    claim = ledger.claim(make_draft("t").key, owner="a", now=DUE, lease=60)
    assert claim is not None
    for i in range(2):
        claim = ledger.record_part(claim, PartResult(i, f"t-{i}", "u"), now=DUE + (i + 1) * M)
    assert ledger.account_gate("masto", now=DUE) == (None, ())
    assert ledger.account_gate("masto", now=DUE, since=[DUE, DUE + M, DUE + 9 * M]) == (
        None,
        (2, 1, 0),
    )
    pause = _pause(ledger, DUE + 15 * M)
    assert ledger.account_gate("masto", now=DUE + 14 * M, since=[DUE]) == (pause, (2,))
    assert ledger.account_gate("masto", now=DUE + 15 * M, since=[DUE]) == (None, (2,))
    assert ledger.account_gate("sky", now=DUE, since=[DUE]) == (None, (0,))
