"""The ledger: sync, reads and decisions (claims are in claims.py, engines in core.py)."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from scheduler.clock import ensure_utc
from scheduler.draft import Draft, DraftKey
from scheduler.ledger import tables as t
from scheduler.ledger.base import (
    ApprovalRule,
    Attempt,
    Decision,
    DecisionKind,
    DraftRecord,
    Event,
    LedgerError,
    LedgerUnavailable,
    PolicyError,
    StaleHash,
    SyncReport,
)
from scheduler.ledger.claims import ClaimOps
from scheduler.ledger.core import Conflict, decision_from_row, key_of, key_where, short
from scheduler.ledger.states import State, check
from scheduler.ledger.sync import Current, plan_sync

SYNC_RETRIES = 5


class SqlLedger(ClaimOps):
    def get(self, key: DraftKey) -> DraftRecord:
        with self._read() as conn:
            return self._record_in(conn, key)

    def list(
        self, campaign: str | None = None, states: Iterable[State | str] | None = None
    ) -> list[DraftRecord]:
        d = t.drafts
        conds: list[ColumnElement[bool]] = []
        if campaign is not None:
            conds.append(d.c.campaign == campaign)
        if states is not None:
            conds.append(d.c.state.in_([State(s).value for s in states]))
        with self._read() as conn:
            return self._records(conn, and_(*conds) if conds else None)

    def campaigns(self) -> builtins.list[str]:
        with self._read() as conn:
            rows = conn.execute(select(t.drafts.c.campaign).distinct().order_by("campaign"))
            return [r[0] for r in rows]

    def rule(self, campaign: str) -> ApprovalRule:
        with self._read() as conn:
            return self._rule_in(conn, campaign)

    def events(self, key: DraftKey) -> builtins.list[Event]:
        e = t.events
        with self._read() as conn:
            rows = conn.execute(select(e).where(key_where(e, key)).order_by(e.c.id)).all()
        return [
            Event(
                key=key_of(r),
                at=r.at,
                action=r.action,
                from_state=None if r.from_state is None else State(r.from_state),
                to_state=None if r.to_state is None else State(r.to_state),
                actor=r.actor,
                content_hash=r.content_hash,
                detail=json.loads(r.detail or "{}"),
                id=r.id,
            )
            for r in rows
        ]

    def approvals(self, key: DraftKey) -> builtins.list[Decision]:
        dec = t.decisions
        with self._read() as conn:
            rows = conn.execute(select(dec).where(key_where(dec, key)).order_by(dec.c.id)).all()
        return [decision_from_row(r) for r in rows]

    def version(
        self, key: DraftKey, content_hash: str, *, at: datetime | None = None
    ) -> Draft | None:
        """The draft as it stood under ``content_hash`` (the latest such, as of ``at``)."""
        v = t.versions
        q = select(v.c.payload).where(key_where(v, key), v.c.content_hash == content_hash)
        if at is not None:
            q = q.where(v.c.at <= ensure_utc(at))
        with self._read() as conn:
            payload = conn.execute(q.order_by(v.c.at.desc()).limit(1)).scalar()
        return None if payload is None else Draft.from_payload(json.loads(payload))

    def attempts(self, key: DraftKey) -> builtins.list[Attempt]:
        a = t.attempts
        with self._read() as conn:
            rows = conn.execute(select(a).where(key_where(a, key)).order_by(a.c.number)).all()
        return [
            Attempt(
                key=key_of(r),
                number=r.number,
                owner=r.owner,
                started_at=r.started_at,
                content_hash=r.content_hash,
                ended_at=r.ended_at,
                outcome=r.outcome,
                error_class=r.error_class,
                platform_message=r.platform_message,
            )
            for r in rows
        ]

    # --- sync -------------------------------------------------------------------------------

    def sync(
        self,
        campaign_id: str,
        drafts: Sequence[Draft],
        *,
        now: datetime,
        rule: ApprovalRule | None = None,
    ) -> SyncReport:
        now = ensure_utc(now)
        seen: set[DraftKey] = set()
        for draft in drafts:
            if draft.campaign != campaign_id:
                raise LedgerError(f"draft {draft.key} does not belong to campaign {campaign_id!r}")
            if draft.key in seen:
                raise LedgerError(f"draft {draft.key} appears twice in one sync")
            seen.add(draft.key)
        for _ in range(SYNC_RETRIES):
            try:
                with self._write() as conn:
                    return self._sync_once(conn, campaign_id, drafts, now=now, rule=rule)
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
        plan = plan_sync(campaign, current, drafts)
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
    ) -> builtins.list[DraftKey]:
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

    # --- decisions --------------------------------------------------------------------------

    def decide(
        self,
        key: DraftKey,
        *,
        kind: DecisionKind,
        actor: str,
        content_hash: str,
        now: datetime,
        comment: str | None = None,
        rule_id: str | None = None,
        rule: ApprovalRule | None = None,
    ) -> DraftRecord:
        now = ensure_utc(now)
        actor = actor.strip().lower()
        if kind in ("reject", "override") and not (comment or "").strip():
            raise PolicyError(
                f"{key}: a {'rejection' if kind == 'reject' else 'override'} needs a reason",
                hint="say what must change (--reason)",
            )
        try:
            with self._write() as conn:
                return self._decide(
                    conn, key, kind, actor, content_hash, now, comment, rule_id, rule
                )
        except IntegrityError as exc:
            raise PolicyError(f"{key}: {actor} has already approved this version") from exc

    def _decide(
        self,
        conn: Connection,
        key: DraftKey,
        kind: DecisionKind,
        actor: str,
        content_hash: str,
        now: datetime,
        comment: str | None,
        rule_id: str | None,
        rule: ApprovalRule | None,
    ) -> DraftRecord:
        d = t.drafts
        row = self._lock(conn, key)
        state = State(row.state)
        if kind != "comment" and content_hash != row.content_hash:
            raise StaleHash(
                f"{key}: you reviewed version {short(content_hash)}, but the draft changed "
                f"to {short(row.content_hash)} since; nothing was recorded",
                hint="review the draft again and decide on what it says now",
            )
        rule = rule or self._rule_in(conn, key.campaign)
        current = [a for a in self._records(conn, key_where(d, key))[0].approvals]
        if kind == "approve":
            check("approve", key, state)
            if row.author and actor == row.author.lower():
                raise PolicyError(
                    f"{key}: {actor} wrote this post and cannot approve it",
                    hint="ask another team member to approve it",
                )
            if not rule.counts(actor, row.author):
                raise PolicyError(f"{key}: {actor} may not approve posts of this campaign")
            if any(a.actor == actor for a in current):
                raise PolicyError(f"{key}: {actor} has already approved this version")
        else:
            check(kind, key, state)
        if kind == "reject":
            self._void(conn, [key], at=now, reason=f"rejected by {actor}")
        conn.execute(
            t.decisions.insert().values(
                campaign=key.campaign,
                post_id=key.post_id,
                account=key.account,
                actor=actor,
                kind=kind,
                content_hash=row.content_hash if kind != "comment" else content_hash,
                comment=comment,
                rule=rule_id,
                at=now,
            )
        )
        target = state
        detail: dict[str, Any] = {}
        if kind == "approve":
            count = sum(1 for a in current if rule.counts(a.actor, row.author)) + 1
            detail = {"approvals": count, "required": rule.required}
            if state is State.DRAFT and count >= rule.required:
                target = State.APPROVED
            check("approve", key, state, target)
        elif kind == "reject":
            target = State.REJECTED
            check("reject", key, state, target)
            detail = {"reason": comment}
        elif kind == "override":
            detail = {"rule": rule_id, "reason": comment}
        else:
            detail = {"comment": comment}
        if kind != "comment":
            conn.execute(
                update(d)
                .where(key_where(d, key))
                .values(
                    state=target.value,
                    approved_hash=(
                        row.content_hash if target in (State.APPROVED, State.SCHEDULED) else None
                    ),
                    version=d.c.version + 1,
                    updated_at=now,
                )
            )
        self._log(
            conn,
            self._event(
                key,
                at=now,
                action=kind,
                from_state=state,
                to_state=target,
                actor=actor,
                content_hash=row.content_hash,
                detail=detail,
            ),
        )
        return self._record_in(conn, key)


def _policy_met(approvals: Sequence[Decision], author: str | None, rule: ApprovalRule) -> bool:
    return sum(1 for a in approvals if rule.counts(a.actor, author)) >= rule.required
