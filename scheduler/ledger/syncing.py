"""Sync: bring a campaign's stored drafts in line with the files, writing only what changed.

The comparison itself is pure (``sync.plan_sync``); this writes its result in one
transaction with executemany. Each update names the row version it read, so a concurrent
writer (a reviewer, a daemon's claim) makes the sync start again instead of being
overwritten; an unchanged re-sync writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from scheduler.clock import ensure_utc
from scheduler.draft import Draft, DraftKey
from scheduler.ledger import tables as t
from scheduler.ledger.after import write_after
from scheduler.ledger.base import (
    ApprovalRule,
    Decision,
    LedgerError,
    LedgerUnavailable,
    SyncReport,
)
from scheduler.ledger.core import Conflict, LedgerCore, key_where
from scheduler.ledger.states import State, check
from scheduler.ledger.sync import Current, plan_sync
from scheduler.progress import Progress, Silent

SYNC_RETRIES = 5


def _moved(conn: Connection, campaign: str, drafts: Sequence[Draft]) -> Sequence[Draft]:
    """The drafts with the moves of earlier resumes applied.

    A resume that shifted the schedule moved a draft from the time the files give to a later
    one; while the files still give that time, the moved time stands (with its approvals).
    Once the files give another time, that is an edit like any other.
    """
    s = t.schedule_shifts
    moves = {
        (r.post_id, r.account): (r.file_due, r.due)
        for r in conn.execute(
            select(s.c.post_id, s.c.account, s.c.file_due, s.c.due).where(s.c.campaign == campaign)
        )
    }
    if not moves:
        return drafts
    out: list[Draft] = []
    for draft in drafts:
        move = moves.get((draft.post_id, draft.account))
        if move is None or move[0] != draft.due:
            out.append(draft)
            continue
        delta = move[1] - move[0]
        latest = None if draft.latest is None else draft.latest + delta
        out.append(replace(draft, due=move[1], latest=latest))
    return out


class _Steps:
    """A sync's progress: ``total`` steps, reported once each even when a conflict makes the
    sync start again (a new attempt counts from zero, and reports only past the last)."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        self.reported = 0
        progress.grow(total)

    def again(self) -> None:
        self.done = 0

    def add(self, steps: int = 1) -> None:
        self.done = min(self.done + steps, self.total)
        if self.done > self.reported:
            self.progress.advance(self.done - self.reported)
            self.reported = self.done


class SyncOps(LedgerCore):
    # --- sync -------------------------------------------------------------------------------

    def sync(
        self,
        campaign_id: str,
        drafts: Sequence[Draft],
        *,
        now: datetime,
        rule: ApprovalRule | None = None,
        progress: Progress | None = None,
    ) -> SyncReport:
        """``progress`` hears two steps a draft: compared with what is stored, then written
        (or found unchanged); a sync retried after a conflict does not count twice."""
        now = ensure_utc(now)
        steps = _Steps(progress or Silent(), 2 * len(drafts))
        seen: set[DraftKey] = set()
        for draft in drafts:
            if draft.campaign != campaign_id:
                raise LedgerError(f"draft {draft.key} does not belong to campaign {campaign_id!r}")
            if draft.key in seen:
                raise LedgerError(f"draft {draft.key} appears twice in one sync")
            seen.add(draft.key)
        for _ in range(SYNC_RETRIES):
            try:
                steps.again()
                with self._write() as conn:
                    return self._sync_once(
                        conn, campaign_id, drafts, now=now, rule=rule, steps=steps
                    )
            except Conflict:
                continue
            except IntegrityError:
                # Another sync inserted the same new drafts first (PostgreSQL): start again,
                # and this time they are there to compare with.
                continue
        raise LedgerUnavailable(
            f"sync of {campaign_id} kept meeting concurrent changes",
            hint="try again in a moment",
        )

    def _sync_once(
        self,
        conn: Connection,
        campaign: str,
        drafts: Sequence[Draft],
        *,
        now: datetime,
        rule: ApprovalRule | None,
        steps: _Steps,
    ) -> SyncReport:
        d = t.drafts
        rows = conn.execute(
            select(
                d.c.post_id,
                d.c.account,
                d.c.content_hash,
                d.c.due,
                d.c.latest,
                d.c.state,
                d.c.payload,
                d.c.version,
                d.c.parts_done,
            ).where(d.c.campaign == campaign)
        ).all()
        current = [
            Current(
                r.post_id,
                r.account,
                r.content_hash,
                r.due,
                r.latest,
                State(r.state),
                r.payload,
                r.version,
                r.parts_done not in ("", "[]"),
            )
            for r in rows
        ]
        plan = plan_sync(campaign, current, _moved(conn, campaign, drafts), compared=steps.add)
        log: list[dict[str, Any]] = []

        if plan.create:
            conn.execute(
                d.insert(),
                [
                    {
                        "campaign": campaign,
                        "post_id": dr.post_id,
                        "account": dr.account,
                        "platform": dr.platform,
                        "content_hash": dr.content_hash,
                        "payload": payload,
                        "author": dr.author,
                        "due": dr.due,
                        "latest": dr.latest,
                        "state": State.DRAFT.value,
                        "attempts": 0,
                        "parts_done": "[]",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for dr, payload in plan.create
                ],
            )
            steps.add(len(plan.create))
            log += [
                self._event(
                    dr.key,
                    at=now,
                    action="create",
                    from_state=None,
                    to_state=State.DRAFT,
                    content_hash=dr.content_hash,
                    detail={"due": dr.due.isoformat()},
                )
                for dr, _ in plan.create
            ]

        versioned = update(d).where(
            d.c.campaign == campaign,
            d.c.post_id == bindparam("k_post_id"),
            d.c.account == bindparam("k_account"),
            d.c.version == bindparam("k_version"),
        )
        back = plan.edit + plan.restore
        if back:
            for ch in plan.edit:
                check("edit", ch.draft.key, ch.current.state, State.DRAFT)
            self._expect(
                conn.execute(
                    versioned.values(
                        platform=bindparam("v_platform"),
                        content_hash=bindparam("v_hash"),
                        payload=bindparam("v_payload"),
                        author=bindparam("v_author"),
                        due=bindparam("v_due"),
                        latest=bindparam("v_latest"),
                        state=State.DRAFT.value,
                        approved_hash=None,
                        next_attempt=None,
                        lease_owner=None,
                        lease_token=None,
                        lease_until=None,
                        last_error=None,
                        version=d.c.version + 1,
                        updated_at=now,
                    ),
                    [
                        {
                            "k_post_id": ch.current.post_id,
                            "k_account": ch.current.account,
                            "k_version": ch.current.version,
                            "v_platform": ch.draft.platform,
                            "v_hash": ch.draft.content_hash,
                            "v_payload": ch.payload,
                            "v_author": ch.draft.author,
                            "v_due": ch.draft.due,
                            "v_latest": ch.draft.latest,
                        }
                        for ch in back
                    ],
                ).rowcount,
                len(back),
            )
            steps.add(len(back))
            by_reason: dict[str, list[DraftKey]] = {}
            for ch in plan.edit:
                by_reason.setdefault(ch.reason, []).append(ch.draft.key)
            for reason, keys in by_reason.items():
                self._void(conn, keys, at=now, reason=reason)
            log += [
                self._event(
                    ch.draft.key,
                    at=now,
                    action="restore" if ch in plan.restore else "edit",
                    from_state=ch.current.state,
                    to_state=State.DRAFT,
                    content_hash=ch.draft.content_hash,
                    detail={
                        "reason": ch.reason,
                        "old_hash": ch.current.content_hash,
                        "old_due": ch.current.due.isoformat(),
                        "due": ch.draft.due.isoformat(),
                    },
                )
                for ch in back
            ]

        if plan.refresh:
            self._expect(
                conn.execute(
                    versioned.values(
                        payload=bindparam("v_payload"),
                        author=bindparam("v_author"),
                        latest=bindparam("v_latest"),
                        version=d.c.version + 1,
                        updated_at=now,
                    ),
                    [
                        {
                            "k_post_id": ch.current.post_id,
                            "k_account": ch.current.account,
                            "k_version": ch.current.version,
                            "v_payload": ch.payload,
                            "v_author": ch.draft.author,
                            "v_latest": ch.draft.latest,
                        }
                        for ch in plan.refresh
                    ],
                ).rowcount,
                len(plan.refresh),
            )

            steps.add(len(plan.refresh))

        removed = [DraftKey(campaign, c.post_id, c.account) for c in plan.remove]
        if plan.remove:
            self._expect(
                conn.execute(
                    versioned.values(
                        state=State.CANCELLED.value,
                        approved_hash=None,
                        next_attempt=None,
                        version=d.c.version + 1,
                        updated_at=now,
                    ),
                    [
                        {"k_post_id": c.post_id, "k_account": c.account, "k_version": c.version}
                        for c in plan.remove
                    ],
                ).rowcount,
                len(plan.remove),
            )
            self._void(conn, removed, at=now, reason="removed from the campaign")
            log += [
                self._event(
                    k,
                    at=now,
                    action="remove",
                    from_state=c.state,
                    to_state=State.CANCELLED,
                    content_hash=c.content_hash,
                )
                for k, c in zip(removed, plan.remove, strict=True)
            ]
        versions = [(dr, payload) for dr, payload in plan.create] + [
            (ch.draft, ch.payload) for ch in back
        ]
        if versions:
            conn.execute(
                t.versions.insert(),
                [
                    {
                        "campaign": campaign,
                        "post_id": dr.post_id,
                        "account": dr.account,
                        "content_hash": dr.content_hash,
                        "payload": payload,
                        "at": now,
                    }
                    for dr, payload in versions
                ],
            )
        self._log(conn, *log)
        requeued = self._apply_rule(conn, campaign, rule, now=now)
        write_after(conn, campaign, drafts)
        steps.add(steps.total)  # the unchanged and frozen ones: nothing to write
        return SyncReport(
            campaign=campaign,
            created=tuple(dr.key for dr, _ in plan.create),
            changed=tuple(ch.draft.key for ch in plan.edit),
            restored=tuple(ch.draft.key for ch in plan.restore),
            cancelled=tuple(removed),
            frozen=tuple(plan.frozen),
            requeued=tuple(requeued),
            unchanged=plan.unchanged,
        )

    @staticmethod
    def _expect(rowcount: int, expected: int) -> None:
        # rowcount is -1 where a driver cannot count an executemany; then trust the version
        # check of the next sync instead of failing this one.
        if 0 <= rowcount < expected:
            raise Conflict()

    def _apply_rule(
        self, conn: Connection, campaign: str, rule: ApprovalRule | None, *, now: datetime
    ) -> list[DraftKey]:
        c = t.campaigns
        stored = conn.execute(select(c.c.rule).where(c.c.id == campaign)).scalar()
        if stored is None:
            effective = rule or ApprovalRule()
            conn.execute(
                c.insert().values(id=campaign, rule=json.dumps(effective.to_json()), synced_at=now)
            )
            return []
        if rule is None or ApprovalRule.from_json(json.loads(stored)) == rule:
            return []
        conn.execute(
            update(c)
            .where(c.c.id == campaign)
            .values(rule=json.dumps(rule.to_json()), synced_at=now)
        )
        # The policy changed: count every pending or approved draft's approvals again.
        d = t.drafts
        records = self._records(
            conn,
            and_(
                d.c.campaign == campaign,
                d.c.state.in_([State.DRAFT.value, State.APPROVED.value, State.SCHEDULED.value]),
            ),
        )
        moved: list[DraftKey] = []
        for rec in records:
            met = _policy_met(rec.approvals, rec.author, rule)
            target: State | None = None
            if rec.state is State.DRAFT and met:
                target = State.APPROVED
            elif rec.state in (State.APPROVED, State.SCHEDULED) and not met:
                target = State.DRAFT
            if target is None:
                continue
            conn.execute(
                update(d)
                .where(key_where(d, rec.key))
                .values(
                    state=target.value,
                    approved_hash=rec.content_hash if target is State.APPROVED else None,
                    version=d.c.version + 1,
                    updated_at=now,
                )
            )
            self._log(
                conn,
                self._event(
                    rec.key,
                    at=now,
                    action="policy",
                    from_state=rec.state,
                    to_state=target,
                    content_hash=rec.content_hash,
                    detail={"rule": rule.to_json()},
                ),
            )
            moved.append(rec.key)
        return moved


def _policy_met(approvals: Sequence[Decision], author: str | None, rule: ApprovalRule) -> bool:
    return sum(1 for a in approvals if rule.counts(a.actor, author)) >= rule.required
