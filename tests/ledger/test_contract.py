"""The ledger contract, run on SQLite and on PostgreSQL: sync, decisions, claims, history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.draft import PartResult
from scheduler.ledger import (
    ApprovalRule,
    LeaseLost,
    NotFound,
    PolicyError,
    StaleHash,
    State,
    TransitionError,
)
from scheduler.ledger.base import LedgerError
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

REVIEWER = "rev@example.org"
SECOND = "second@example.org"
DUE = T0 + timedelta(hours=1)
LATER = DUE + timedelta(minutes=5)


def approve(ledger: SqlLedger, post: str = "p1", actor: str = REVIEWER, **kw: object) -> None:
    rec = ledger.get(make_draft(post).key)
    ledger.decide(rec.key, kind="approve", actor=actor, content_hash=rec.content_hash, now=T0)


def approved_ledger(ledger: SqlLedger, *drafts_: object) -> SqlLedger:
    drafts = list(drafts_) or [make_draft("p1")]
    ledger.sync("mhaw", drafts, now=T0)  # type: ignore[arg-type]
    for d in drafts:
        approve(ledger, d.post_id)  # type: ignore[attr-defined]
    return ledger


def states(ledger: SqlLedger, post: str = "p1") -> list[tuple[str | None, str | None]]:
    return [
        (e.from_state and e.from_state.value, e.to_state and e.to_state.value)
        for e in ledger.events(make_draft(post).key)
        if e.from_state != e.to_state
    ]


# --- sync -----------------------------------------------------------------------------------


def test_sync_creates_drafts_awaiting_review(ledger: SqlLedger) -> None:
    report = ledger.sync("mhaw", [make_draft("p1"), make_draft("p2")], now=T0)
    assert len(report.created) == 2 and report.unchanged == 0
    rec = ledger.get(make_draft("p1").key)
    assert rec.state is State.DRAFT
    assert rec.draft == make_draft("p1")
    assert rec.content_hash == make_draft("p1").content_hash
    assert rec.due == DUE and rec.due.tzinfo is not None
    assert rec.approvals == () and rec.approved_hash is None
    assert [r.key.post_id for r in ledger.list("mhaw")] == ["p1", "p2"]
    assert ledger.campaigns() == ["mhaw"]


def test_resync_without_change_writes_nothing(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    before = ledger.get(make_draft().key)
    report = ledger.sync("mhaw", [make_draft("p1")], now=T0 + timedelta(minutes=1))
    assert report.unchanged == 1 and report.touched == 0
    after = ledger.get(make_draft().key)
    assert after == before and after.state is State.APPROVED


def test_edit_voids_approval_keeps_history_and_returns_to_review(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    edited = make_draft("p1", text="You are not alone. Call a friend today.")
    report = ledger.sync("mhaw", [edited], now=T0 + timedelta(minutes=1))
    assert report.changed == (edited.key,)
    rec = ledger.get(edited.key)
    assert rec.state is State.DRAFT
    assert rec.approvals == () and rec.approved_hash is None
    assert rec.content_hash == edited.content_hash
    history = ledger.approvals(edited.key)
    assert len(history) == 1 and history[0].voided_at is not None
    assert history[0].void_reason == "edited"
    assert history[0].content_hash == make_draft("p1").content_hash
    assert states(ledger)[-1] == ("approved", "draft")
    # The approved version is kept, so a reviewer can see what changed.
    assert ledger.version(edited.key, history[0].content_hash) == make_draft("p1")
    assert ledger.version(edited.key, edited.content_hash) == edited
    assert ledger.version(edited.key, "d1:unknown") is None


def test_due_time_change_voids_approval(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    moved = make_draft("p1", due=DUE + timedelta(hours=2))
    assert moved.content_hash == make_draft("p1").content_hash
    report = ledger.sync("mhaw", [moved], now=T0)
    assert report.changed == (moved.key,)
    rec = ledger.get(moved.key)
    assert rec.state is State.DRAFT and rec.due == DUE + timedelta(hours=2)
    assert ledger.approvals(moved.key)[0].void_reason == "rescheduled"


def test_source_or_window_change_keeps_approval(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    d = make_draft("p1", latest=DUE + timedelta(hours=3))
    report = ledger.sync("mhaw", [d], now=T0)
    assert report.touched == 0
    rec = ledger.get(d.key)
    assert rec.state is State.APPROVED and rec.latest == DUE + timedelta(hours=3)


def test_removed_post_is_cancelled_not_deleted_and_comes_back_to_review(
    ledger: SqlLedger,
) -> None:
    approved_ledger(ledger, make_draft("p1"), make_draft("p2"))
    report = ledger.sync("mhaw", [make_draft("p2")], now=T0)
    key = make_draft("p1").key
    assert report.cancelled == (key,)
    rec = ledger.get(key)
    assert rec.state is State.CANCELLED and rec.approvals == ()
    assert ledger.approvals(key)[0].void_reason == "removed from the campaign"
    assert ledger.claim(key, owner="w", now=LATER, lease=60) is None
    report = ledger.sync("mhaw", [make_draft("p1"), make_draft("p2")], now=T0)
    assert report.restored == (key,)
    assert ledger.get(key).state is State.DRAFT
    assert states(ledger) == [
        (None, "draft"),
        ("draft", "approved"),
        ("approved", "cancelled"),
        ("cancelled", "draft"),
    ]


def test_many_posts_edited_and_removed_in_one_sync(ledger: SqlLedger) -> None:
    drafts = [make_draft(f"p{i}") for i in range(6)]
    approved_ledger(ledger, *drafts)
    edited = [make_draft(f"p{i}", text="new words") for i in range(3)]
    moved = [make_draft("p3", due=DUE + timedelta(hours=1))]
    report = ledger.sync("mhaw", edited + moved, now=T0)
    assert len(report.changed) == 4 and len(report.cancelled) == 2
    assert [r.state.value for r in ledger.list("mhaw")] == ["draft"] * 3 + ["cancelled"] * 2 + [
        "draft"
    ]
    reasons = [ledger.approvals(d.key)[0].void_reason for d in drafts]
    assert reasons == ["edited"] * 3 + ["rescheduled"] + ["removed from the campaign"] * 2


def test_published_post_keeps_its_content_when_the_file_changes(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    ledger.finish(ledger.record_part(claim, PartResult(0, "1", "u"), now=LATER), now=LATER)
    edited = make_draft("p1", text="different words")
    report = ledger.sync("mhaw", [edited], now=LATER)
    assert report.frozen == (edited.key,)
    rec = ledger.get(edited.key)
    assert rec.state is State.PUBLISHED and rec.content_hash == make_draft().content_hash
    report = ledger.sync("mhaw", [], now=LATER)
    assert report.cancelled == () and ledger.get(edited.key).state is State.PUBLISHED


def test_sync_refuses_foreign_or_duplicate_drafts(ledger: SqlLedger) -> None:
    with pytest.raises(LedgerError, match="does not belong"):
        ledger.sync("other", [make_draft()], now=T0)
    with pytest.raises(LedgerError, match="twice"):
        ledger.sync("mhaw", [make_draft(), make_draft()], now=T0)
    assert ledger.list() == []


def test_unknown_draft_is_not_found(ledger: SqlLedger) -> None:
    with pytest.raises(NotFound):
        ledger.get(make_draft().key)


# --- decisions ------------------------------------------------------------------------------


def test_required_approvals_are_counted(ledger: SqlLedger) -> None:
    ledger.sync("mhaw", [make_draft()], now=T0, rule=ApprovalRule(required=2))
    approve(ledger)
    rec = ledger.get(make_draft().key)
    assert rec.state is State.DRAFT and len(rec.approvals) == 1
    approve(ledger, actor=SECOND)
    rec = ledger.get(make_draft().key)
    assert rec.state is State.APPROVED and rec.approved_hash == rec.content_hash
    assert {a.actor for a in rec.approvals} == {REVIEWER, SECOND}


def test_author_never_approves_own_post(ledger: SqlLedger) -> None:
    ledger.sync("mhaw", [make_draft(author="Author@Example.org")], now=T0)
    with pytest.raises(PolicyError, match="wrote this post"):
        approve(ledger, actor="author@example.org")
    assert ledger.get(make_draft().key).state is State.DRAFT
    assert ledger.approvals(make_draft().key) == []


def test_only_listed_approvers_count(ledger: SqlLedger) -> None:
    rule = ApprovalRule(required=1, approvers=frozenset({SECOND}))
    ledger.sync("mhaw", [make_draft()], now=T0, rule=rule)
    with pytest.raises(PolicyError, match="may not approve"):
        approve(ledger)
    approve(ledger, actor=SECOND)
    assert ledger.get(make_draft().key).state is State.APPROVED


def test_same_person_cannot_approve_twice(ledger: SqlLedger) -> None:
    ledger.sync("mhaw", [make_draft()], now=T0, rule=ApprovalRule(required=2))
    approve(ledger)
    with pytest.raises(PolicyError, match="already approved"):
        approve(ledger)


def test_stale_hash_is_refused_not_applied_to_new_text(ledger: SqlLedger) -> None:
    ledger.sync("mhaw", [make_draft()], now=T0)
    seen = ledger.get(make_draft().key).content_hash
    ledger.sync("mhaw", [make_draft(text="new words")], now=T0)
    with pytest.raises(StaleHash, match="changed"):
        ledger.decide(make_draft().key, kind="approve", actor=REVIEWER, content_hash=seen, now=T0)
    rec = ledger.get(make_draft().key)
    assert rec.state is State.DRAFT and ledger.approvals(rec.key) == []


def test_rejection_needs_a_reason_and_an_edit_returns_it(ledger: SqlLedger) -> None:
    ledger.sync("mhaw", [make_draft()], now=T0)
    h = ledger.get(make_draft().key).content_hash
    with pytest.raises(PolicyError, match="needs a reason"):
        ledger.decide(make_draft().key, kind="reject", actor=REVIEWER, content_hash=h, now=T0)
    rec = ledger.decide(
        make_draft().key,
        kind="reject",
        actor=REVIEWER,
        content_hash=h,
        comment="Add the helpline number",
        now=T0,
    )
    assert rec.state is State.REJECTED
    with pytest.raises(TransitionError, match="rejected"):
        approve(ledger, actor=SECOND)
    ledger.sync("mhaw", [make_draft(text="Call 116 123")], now=T0)
    assert ledger.get(make_draft().key).state is State.DRAFT


def test_comment_allowed_on_any_draft(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    ledger.finish(ledger.record_part(claim, PartResult(0, "1", "u"), now=LATER), now=LATER)
    h = ledger.get(make_draft().key).content_hash
    rec = ledger.decide(
        make_draft().key, kind="comment", actor=SECOND, content_hash=h, comment="Nice", now=LATER
    )
    assert rec.state is State.PUBLISHED
    assert [d.kind for d in ledger.approvals(rec.key)] == ["approve", "comment"]


def test_policy_change_recounts_approvals(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    report = ledger.sync("mhaw", [make_draft()], now=T0, rule=ApprovalRule(required=2))
    assert report.requeued == (make_draft().key,)
    assert ledger.get(make_draft().key).state is State.DRAFT
    assert ledger.claim(make_draft().key, owner="w", now=LATER, lease=60) is None
    report = ledger.sync("mhaw", [make_draft()], now=T0, rule=ApprovalRule(required=1))
    assert ledger.get(make_draft().key).state is State.APPROVED


# --- claims ---------------------------------------------------------------------------------


def test_nothing_unapproved_or_early_or_late_is_claimed(ledger: SqlLedger) -> None:
    ledger.sync(
        "mhaw", [make_draft("p1"), make_draft("p2", latest=DUE + timedelta(minutes=1))], now=T0
    )
    assert ledger.claim_due(owner="w", now=LATER, lease=60) == []  # not approved
    approve(ledger, "p1")
    approve(ledger, "p2")
    assert ledger.claim_due(owner="w", now=DUE - timedelta(seconds=1), lease=60) == []
    claims = ledger.claim_due(owner="w", now=LATER, lease=60)  # p2's window has closed
    assert [c.key.post_id for c in claims] == ["p1"]
    c = claims[0]
    assert c.attempt == 1 and c.takeover is False and c.content_hash == make_draft().content_hash
    assert c.lease_until == LATER + timedelta(seconds=60)
    rec = ledger.get(c.key)
    assert rec.state is State.PUBLISHING and rec.lease_owner == "w" and rec.attempts == 1
    assert ledger.claim(c.key, owner="other", now=LATER, lease=60) is None


def test_thread_parts_are_recorded_as_they_go_and_finish_needs_them_all(
    ledger: SqlLedger,
) -> None:
    approved_ledger(ledger, make_draft(parts=3))
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    claim = ledger.record_part(claim, PartResult(0, "a", "https://s/a", {"cid": "x"}), now=LATER)
    with pytest.raises(LedgerError, match="1 of 3 parts"):
        ledger.finish(claim, now=LATER)
    claim = ledger.record_part(claim, PartResult(1, "b", "https://s/b"), now=LATER)
    claim = ledger.record_part(claim, PartResult(1, "b", "https://s/b"), now=LATER)  # twice: once
    claim = ledger.record_part(claim, PartResult(2, "c", "https://s/c"), now=LATER)
    assert [p.remote_id for p in ledger.get(claim.key).parts_done] == ["a", "b", "c"]
    assert ledger.get(claim.key).parts_done[0].extra == {"cid": "x"}
    ledger.finish(claim, now=LATER)
    rec = ledger.get(claim.key)
    assert rec.state is State.PUBLISHED and rec.lease_owner is None
    (attempt,) = ledger.attempts(claim.key)
    assert attempt.outcome == "published" and attempt.ended_at == LATER and attempt.owner == "w"


def test_finish_records_the_last_part_in_the_same_transaction(ledger: SqlLedger) -> None:
    approved_ledger(ledger, make_draft(parts=2))
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    # Without the part before it, the last part is stored but the draft is not finished.
    with pytest.raises(LedgerError, match="1 of 2 parts"):
        ledger.finish(claim, now=LATER, part=PartResult(1, "b", "https://s/b"))
    rec = ledger.get(claim.key)
    assert rec.state is State.PUBLISHING and [p.remote_id for p in rec.parts_done] == ["b"]
    claim = ledger.record_part(claim, PartResult(0, "a", "https://s/a"), now=LATER)
    ledger.finish(claim, now=LATER, part=PartResult(1, "b", "https://s/b"))  # again: once
    rec = ledger.get(claim.key)
    assert rec.state is State.PUBLISHED and rec.lease_owner is None
    assert [p.remote_id for p in rec.parts_done] == ["a", "b"]
    (attempt,) = ledger.attempts(claim.key)
    assert attempt.outcome == "published" and attempt.ended_at == LATER
    actions = [e.action for e in ledger.events(claim.key)]
    assert actions[-3:] == ["record_part", "record_part", "finish"]


def test_finish_with_the_last_part_after_a_lost_lease_keeps_the_part(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    first = ledger.claim(make_draft().key, owner="w1", now=LATER, lease=30)
    assert first is not None
    second = ledger.claim(first.key, owner="w2", now=LATER + timedelta(seconds=31), lease=30)
    assert second is not None and second.takeover
    with pytest.raises(LeaseLost):
        ledger.finish(first, now=LATER + timedelta(seconds=32), part=PartResult(0, "a", "u"))
    rec = ledger.get(first.key)
    # The part exists on the platform whatever the lease says; the new holder finishes.
    assert [p.remote_id for p in rec.parts_done] == ["a"]
    assert rec.state is State.PUBLISHING and rec.lease_owner == "w2"
    ledger.finish(second, now=LATER + timedelta(seconds=33))
    assert ledger.get(first.key).state is State.PUBLISHED


def test_retry_later_waits_for_next_attempt(ledger: SqlLedger) -> None:
    approved_ledger(ledger, make_draft(parts=2))
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    ledger.record_part(claim, PartResult(0, "a", "u"), now=LATER)
    err = RuntimeError("503 from server")
    err.platform_message = "Service Unavailable"  # type: ignore[attr-defined]
    retry_at = LATER + timedelta(minutes=2)
    ledger.retry_later(claim, next_attempt=retry_at, error=err, now=LATER)
    rec = ledger.get(claim.key)
    assert rec.state is State.RETRY_WAIT and rec.next_attempt == retry_at
    assert rec.last_error == "503 from server" and rec.lease_owner is None
    assert ledger.claim(claim.key, owner="w", now=retry_at - timedelta(seconds=1), lease=60) is None
    again = ledger.claim(claim.key, owner="w", now=retry_at, lease=60)
    assert again is not None and again.attempt == 2
    assert [p.remote_id for p in again.parts_done] == ["a"]
    first, second = ledger.attempts(claim.key)
    assert (first.outcome, first.error_class, first.platform_message) == (
        "retry",
        "RuntimeError",
        "Service Unavailable",
    )
    assert second.ended_at is None and second.number == 2


@pytest.mark.parametrize("target", ["failed", "missed", "outcome_unknown"])
def test_give_up(ledger: SqlLedger, target: str) -> None:
    approved_ledger(ledger)
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    ledger.give_up(claim, state=target, reason="the platform said no", now=LATER)
    rec = ledger.get(claim.key)
    assert rec.state.value == target and rec.last_error == "the platform said no"
    assert ledger.attempts(claim.key)[0].outcome == target
    assert ledger.claim(claim.key, owner="w", now=LATER + timedelta(hours=1), lease=60) is None


def test_give_up_refuses_other_states(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    with pytest.raises(LedgerError, match="give_up"):
        ledger.give_up(claim, state="published", reason="x", now=LATER)


def test_release_gives_the_draft_back(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    ledger.release(claim, now=LATER)
    assert ledger.get(claim.key).state is State.SCHEDULED
    again = ledger.claim(claim.key, owner="w2", now=LATER, lease=60)
    assert again is not None and again.attempt == 2 and not again.takeover


def test_expired_lease_lets_another_worker_take_over(ledger: SqlLedger) -> None:
    approved_ledger(ledger, make_draft(parts=2))
    first = ledger.claim(make_draft().key, owner="w1", now=LATER, lease=30)
    assert first is not None
    first = ledger.record_part(first, PartResult(0, "a", "u"), now=LATER)
    assert ledger.claim(first.key, owner="w2", now=LATER + timedelta(seconds=29), lease=30) is None
    second = ledger.claim(first.key, owner="w2", now=LATER + timedelta(seconds=31), lease=30)
    assert second is not None and second.takeover and second.owner == "w2"
    assert [p.remote_id for p in second.parts_done] == ["a"]
    with pytest.raises(LeaseLost):
        ledger.renew(first, now=LATER + timedelta(seconds=32), lease=30)
    with pytest.raises(LeaseLost):
        ledger.finish(first, now=LATER + timedelta(seconds=32))
    # A part the old holder did publish is kept even so: it exists on the platform.
    with pytest.raises(LeaseLost):
        ledger.record_part(first, PartResult(1, "b", "u2"), now=LATER + timedelta(seconds=33))
    assert [p.remote_id for p in ledger.get(first.key).parts_done] == ["a", "b"]
    attempts = ledger.attempts(first.key)
    assert [(a.owner, a.outcome) for a in attempts] == [("w1", "lease_expired"), ("w2", None)]


def test_renew_extends_the_lease(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    claim = ledger.claim(make_draft().key, owner="w1", now=LATER, lease=30)
    assert claim is not None
    claim = ledger.renew(claim, now=LATER + timedelta(seconds=20), lease=30)
    assert claim.lease_until == LATER + timedelta(seconds=50)
    assert ledger.claim(claim.key, owner="w2", now=LATER + timedelta(seconds=40), lease=30) is None


def test_resolve_outcome_unknown(ledger: SqlLedger) -> None:
    approved_ledger(ledger, make_draft("p1"), make_draft("p2"), make_draft("p3"))
    for post, outcome in [("p1", "published"), ("p2", "not_published"), ("p3", "give_up")]:
        claim = ledger.claim(make_draft(post).key, owner="w", now=LATER, lease=60)
        assert claim is not None
        ledger.give_up(claim, state="outcome_unknown", reason="timeout after send", now=LATER)
        ledger.resolve(
            claim.key,
            actor=REVIEWER,
            outcome=outcome,  # type: ignore[arg-type]
            url="https://m/1" if outcome == "published" else None,
            now=LATER,
        )
    assert ledger.get(make_draft("p1").key).state is State.PUBLISHED
    assert ledger.get(make_draft("p1").key).parts_done[0].url == "https://m/1"
    assert ledger.get(make_draft("p2").key).state is State.RETRY_WAIT
    assert ledger.get(make_draft("p3").key).state is State.FAILED
    again = ledger.claim(make_draft("p2").key, owner="w", now=LATER, lease=60)
    assert again is not None
    with pytest.raises(TransitionError, match="published"):
        ledger.resolve(make_draft("p1").key, actor=REVIEWER, outcome="give_up", now=LATER)


def test_mark_missed(ledger: SqlLedger) -> None:
    approved_ledger(ledger, make_draft("p1"), make_draft("p2"))
    ledger.mark_missed(make_draft("p1").key, reason="window closed at 10:00", now=LATER)
    rec = ledger.get(make_draft("p1").key)
    assert rec.state is State.MISSED and rec.last_error == "window closed at 10:00"
    claim = ledger.claim(make_draft("p2").key, owner="w", now=LATER, lease=60)
    assert claim is not None
    with pytest.raises(LeaseLost):
        ledger.mark_missed(claim.key, reason="late", now=LATER)
    ledger.mark_missed(claim.key, reason="late", now=LATER + timedelta(minutes=5))
    assert ledger.get(claim.key).state is State.MISSED


def test_every_state_change_has_an_event(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    ledger.retry_later(claim, next_attempt=LATER, error="boom", now=LATER)
    claim = ledger.claim(make_draft().key, owner="w", now=LATER, lease=60)
    assert claim is not None
    ledger.finish(ledger.record_part(claim, PartResult(0, "1", "u"), now=LATER), now=LATER)
    assert states(ledger) == [
        (None, "draft"),
        ("draft", "approved"),
        ("approved", "publishing"),
        ("publishing", "retry_wait"),
        ("retry_wait", "publishing"),
        ("publishing", "published"),
    ]


# --- staged containers ------------------------------------------------------------------------


def test_staged_ids_are_kept_per_part_for_the_next_attempt(ledger: SqlLedger) -> None:
    approved_ledger(ledger, make_draft(parts=2))
    first = ledger.claim(make_draft().key, owner="w1", now=LATER, lease=30)
    assert first is not None
    assert ledger.staged(first.key, first.content_hash) == {}
    ledger.record_staged(first, 0, "container-1", now=LATER)
    ledger.record_staged(first, 0, "container-2", now=LATER)  # staged again: the latest counts
    ledger.record_staged(first, 1, "container-3", now=LATER)
    assert ledger.staged(first.key, first.content_hash) == {0: "container-2", 1: "container-3"}
    # Another version of the draft has nothing staged.
    assert ledger.staged(first.key, "sha256:other") == {}
    assert [e.action for e in ledger.events(first.key)].count("stage") == 3


def test_a_lost_lease_stores_no_staged_id(ledger: SqlLedger) -> None:
    approved_ledger(ledger)
    first = ledger.claim(make_draft().key, owner="w1", now=LATER, lease=30)
    assert first is not None
    second = ledger.claim(first.key, owner="w2", now=LATER + timedelta(seconds=31), lease=30)
    assert second is not None
    with pytest.raises(LeaseLost):
        ledger.record_staged(first, 0, "container-1", now=LATER + timedelta(seconds=32))
    assert ledger.staged(first.key, first.content_hash) == {}
    ledger.record_staged(second, 0, "container-2", now=LATER + timedelta(seconds=32))
    assert ledger.staged(first.key, first.content_hash) == {0: "container-2"}
