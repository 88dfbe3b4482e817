"""The ledger as one object: reads and decisions here; sync writes in syncing.py, the
claim API in claims.py, resolving and missing in settle.py, pausing in pausing.py, engine and
transactions in core.py."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from scheduler.clock import ensure_utc
from scheduler.draft import Draft, DraftKey
from scheduler.ledger import tables as t
from scheduler.ledger.after import AfterOps
from scheduler.ledger.base import (
    ApprovalRule,
    Attempt,
    Decision,
    DecisionKind,
    DraftRecord,
    Event,
    Ledger,
    PolicyError,
    StaleHash,
)
from scheduler.ledger.core import decision_from_row, key_of, key_where, short, standing_decisions
from scheduler.ledger.destinations import DestinationOps
from scheduler.ledger.health import HealthOps
from scheduler.ledger.pausing import PauseOps
from scheduler.ledger.ratelimits import RateLimitOps
from scheduler.ledger.staging import StagingOps
from scheduler.ledger.states import State, check
from scheduler.ledger.syncing import SyncOps

SYNC_RETRIES = 5


class SqlLedger(SyncOps, PauseOps, RateLimitOps, StagingOps, HealthOps, DestinationOps, AfterOps):
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

    def overrides(self, campaign: str) -> builtins.list[Decision]:
        """The standing overrides of every draft's current version in a campaign, in one read
        (a calendar needs them for thousands of drafts; ``approvals`` reads one draft's)."""
        dec = t.decisions
        q = standing_decisions("override").where(dec.c.campaign == campaign).order_by(dec.c.id)
        with self._read() as conn:
            return [decision_from_row(r) for r in conn.execute(q)]

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


def _conforms(ledger: SqlLedger) -> Ledger:
    """mypy checks here that SqlLedger implements the Ledger protocol, signature by signature."""
    return ledger
