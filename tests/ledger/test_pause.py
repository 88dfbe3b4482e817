"""Pausing in the ledger, on SQLite and PostgreSQL: claims refused while paused, the pause
kept across a reopen, the history append-only, and both resume choices applied."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from scheduler.ledger import ALL_CAMPAIGNS, PauseError, Shift, State
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

REVIEWER = "rev@example.org"
DUE = T0 + timedelta(hours=1)


def approved(ledger: SqlLedger, *posts: str, campaign: str = "mhaw") -> None:
    drafts = [make_draft(p, campaign=campaign, latest=DUE + timedelta(hours=1)) for p in posts]
    ledger.sync(campaign, drafts, now=T0)
    for d in drafts:
        ledger.decide(d.key, kind="approve", actor=REVIEWER, content_hash=d.content_hash, now=T0)


def test_a_paused_campaign_is_not_claimed_and_others_are(ledger: SqlLedger) -> None:
    approved(ledger, "p1")
    approved(ledger, "q1", campaign="other")
    pause = ledger.pause("mhaw", actor="Lead@Example.org", reason="news of a death", now=T0)
    assert pause.actor == "lead@example.org" and pause.covers("mhaw")
    claims = ledger.claim_due(owner="w", now=DUE, lease=60)
    assert [c.key.campaign for c in claims] == ["other"]
    assert ledger.claim(make_draft("p1").key, owner="w", now=DUE, lease=60) is None
    assert ledger.paused("mhaw") == pause and ledger.paused("other") is None


def test_pause_all_covers_every_campaign(ledger: SqlLedger) -> None:
    approved(ledger, "p1")
    approved(ledger, "q1", campaign="other")
    ledger.pause(ALL_CAMPAIGNS, actor="lead@example.org", reason="crisis", now=T0)
    assert ledger.claim_due(owner="w", now=DUE, lease=60) == []
    assert ledger.paused("other") is not None and ledger.paused("new-campaign") is not None


def test_an_expired_lease_is_not_taken_over_while_paused(ledger: SqlLedger) -> None:
    approved(ledger, "p1")
    (claim,) = ledger.claim_due(owner="w", now=DUE, lease=60)
    ledger.pause("mhaw", actor="lead@example.org", reason="crisis", now=DUE)
    assert ledger.claim_due(owner="x", now=DUE + timedelta(minutes=5), lease=60) == []
    assert ledger.get(claim.key).state is State.PUBLISHING


def test_pausing_twice_or_without_reason_is_refused(ledger: SqlLedger) -> None:
    with pytest.raises(PauseError, match="reason"):
        ledger.pause("mhaw", actor="lead@example.org", reason="  ", now=T0)
    ledger.pause("mhaw", actor="lead@example.org", reason="crisis", now=T0)
    with pytest.raises(PauseError, match=r"already paused .* by lead@example\.org: crisis"):
        ledger.pause("mhaw", actor="other@example.org", reason="again", now=T0)
    with pytest.raises(PauseError, match="not paused"):
        ledger.resume("other", actor="lead@example.org", now=T0, choice="missed")


def test_the_pause_survives_reopening(ledger_url: str, open_at: object) -> None:
    first = open_at(ledger_url)  # type: ignore[operator]
    approved(first, "p1")
    first.pause("mhaw", actor="lead@example.org", reason="crisis", now=T0)
    first.close()
    again = open_at(ledger_url)  # type: ignore[operator]
    assert [p.scope for p in again.pauses()] == ["mhaw"]
    assert again.claim_due(owner="w", now=DUE, lease=60) == []


def test_resume_records_history_and_claims_again(ledger: SqlLedger) -> None:
    approved(ledger, "p1")
    ledger.pause("mhaw", actor="lead@example.org", reason="crisis", now=T0)
    ended = ledger.resume(
        "mhaw", actor="chair@example.org", now=T0 + timedelta(minutes=30), choice="missed"
    )
    assert ended.since == T0 and ledger.pauses() == []
    history = ledger.pause_history("mhaw")
    assert [(e.action, e.actor) for e in history] == [
        ("pause", "lead@example.org"),
        ("resume", "chair@example.org"),
    ]
    assert history[0].detail == {"reason": "crisis"}
    assert history[1].detail["choice"] == "missed" and history[1].detail["paused_by"]
    assert [c.key.post_id for c in ledger.claim_due(owner="w", now=DUE, lease=60)] == ["p1"]


def test_pause_history_is_append_only(ledger: SqlLedger) -> None:
    ledger.pause("mhaw", actor="lead@example.org", reason="crisis", now=T0)
    for statement in ("UPDATE campaign_events SET actor = 'x'", "DELETE FROM campaign_events"):
        with pytest.raises(Exception, match="append-only"), ledger.engine.begin() as conn:
            conn.execute(text(statement))
    assert len(ledger.pause_history()) == 1


def test_resume_marks_the_planned_drafts_missed(ledger: SqlLedger) -> None:
    approved(ledger, "p1", "p2")
    ledger.pause("mhaw", actor="lead@example.org", reason="crisis", now=T0)
    key = make_draft("p1").key
    ledger.resume(
        "mhaw",
        actor="lead@example.org",
        now=DUE + timedelta(hours=2),
        choice="missed",
        missed=[(key, "its window closed while publishing was paused")],
    )
    rec = ledger.get(key)
    assert rec.state is State.MISSED and "paused" in (rec.last_error or "")
    assert ledger.get(make_draft("p2").key).state is State.APPROVED


def test_resume_shifts_keep_approvals_and_survive_a_sync(ledger: SqlLedger) -> None:
    approved(ledger, "p1")
    ledger.pause("mhaw", actor="lead@example.org", reason="crisis", now=T0)
    key = make_draft("p1").key
    moved = DUE + timedelta(hours=3)
    ledger.resume(
        "mhaw",
        actor="lead@example.org",
        now=T0 + timedelta(hours=3),
        choice="shift",
        shifts=[Shift(key, DUE, moved, DUE + timedelta(hours=4), None)],
    )
    rec = ledger.get(key)
    assert (rec.due, rec.latest, rec.state) == (moved, DUE + timedelta(hours=4), State.APPROVED)
    assert rec.draft.due == moved and rec.is_approved
    assert [e.action for e in ledger.events(key)][-1] == "shift"
    # The files still give the old time: the moved time and the approval stand.
    report = ledger.sync(
        "mhaw", [make_draft("p1", latest=DUE + timedelta(hours=1))], now=T0 + timedelta(hours=3)
    )
    assert report.changed == () and ledger.get(key).is_approved
    assert ledger.get(key).due == moved
    assert ledger.claim_due(owner="w", now=DUE + timedelta(hours=1), lease=60) == []
    assert [c.key for c in ledger.claim_due(owner="w", now=moved, lease=60)] == [key]


def test_a_new_time_in_the_files_replaces_the_shift(ledger: SqlLedger) -> None:
    approved(ledger, "p1")
    ledger.pause("mhaw", actor="lead@example.org", reason="crisis", now=T0)
    key = make_draft("p1").key
    ledger.resume(
        "mhaw",
        actor="lead@example.org",
        now=T0 + timedelta(hours=3),
        choice="shift",
        shifts=[Shift(key, DUE, DUE + timedelta(hours=3), None, None)],
    )
    new_due = DUE + timedelta(days=1)
    report = ledger.sync("mhaw", [make_draft("p1", due=new_due)], now=T0 + timedelta(hours=4))
    assert report.changed == (key,)
    assert ledger.get(key).due == new_due and ledger.get(key).state is State.DRAFT


def test_a_shift_planned_on_a_stale_due_time_is_skipped(ledger: SqlLedger) -> None:
    approved(ledger, "p1")
    ledger.pause("mhaw", actor="lead@example.org", reason="crisis", now=T0)
    key = make_draft("p1").key
    stale = DUE - timedelta(minutes=1)
    ledger.resume(
        "mhaw",
        actor="lead@example.org",
        now=T0,
        choice="shift",
        shifts=[Shift(key, stale, DUE + timedelta(hours=3), None, None)],
    )
    assert ledger.get(key).due == DUE
    assert ledger.pause_history()[-1].detail["shifted"] == 0


def test_two_people_pausing_at_once_get_one_pause(ledger_url: str, open_at: object) -> None:
    import threading

    first = open_at(ledger_url)  # type: ignore[operator]
    second = open_at(ledger_url)  # type: ignore[operator]
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def pause(ledger: SqlLedger, who: str) -> None:
        start.wait()
        try:
            ledger.pause("mhaw", actor=who, reason="crisis", now=T0)
            outcomes.append("paused")
        except PauseError as exc:
            outcomes.append("refused: " + exc.message)

    threads = [
        threading.Thread(target=pause, args=(first, "a@example.org")),
        threading.Thread(target=pause, args=(second, "b@example.org")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["paused", "refused"], outcomes
    assert len(first.pauses()) == 1 and len(first.pause_history()) == 1
