"""Pausing publishing: a person stops a campaign (or every campaign) at once, and resumes it.

A pause is a row of ``campaign_pauses``; the claim condition (``claimable.claimable``) refuses
every draft of a paused campaign in the same SQL that grants claims, so every daemon sharing
the ledger stops with its next claim and a restart changes nothing. Pausing and resuming are
written to ``campaign_events``, append-only like the draft events.

On resume the person chooses what becomes of the drafts the pause held back (the choice is
computed above the ledger, in ``scheduler.pausing``): they are marked missed, or moved by
``shifts``. Both are applied in the resume's own transaction, so no daemon sees the campaign
running with the old schedule. A moved draft keeps its approvals (a person chose the move;
the content is the same) and ``schedule_shifts`` remembers the move for later syncs.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from scheduler.clock import ensure_utc
from scheduler.draft import DraftKey
from scheduler.ledger import tables as t
from scheduler.ledger.base import ALL_CAMPAIGNS, CampaignEvent, Pause, PauseError, Shift
from scheduler.ledger.core import key_where
from scheduler.ledger.settle import SettleOps
from scheduler.ledger.states import State, check
from scheduler.redact import redact

CHOICES = ("missed", "shift")


# Read before every post (see core.key_params): built once.
_PAUSE_OVER = (
    select(t.campaign_pauses)
    .where(
        or_(
            t.campaign_pauses.c.scope == bindparam("k_campaign"),
            t.campaign_pauses.c.scope == ALL_CAMPAIGNS,
        )
    )
    .order_by(t.campaign_pauses.c.since)
    .limit(1)
)


def _pause_of(row: Any) -> Pause:
    return Pause(scope=row.scope, since=row.since, actor=row.actor, reason=row.reason)


def _scope_name(scope: str) -> str:
    return "every campaign" if scope == ALL_CAMPAIGNS else f"campaign {scope}"


class PauseOps(SettleOps):
    def pause(self, scope: str, *, actor: str, reason: str, now: datetime) -> Pause:
        """Stop claiming drafts of ``scope`` (a campaign id, or ALL_CAMPAIGNS) from now on."""
        now = ensure_utc(now)
        actor = actor.strip().lower()
        # Typed by a person and kept for ever: a pasted credential must not stay in it.
        reason = redact(reason.strip())
        if not reason:
            raise PauseError(
                "a pause needs a reason", hint="say why, for the team and the record (--reason)"
            )
        p = t.campaign_pauses
        for _ in range(2):
            try:
                with self._write() as conn:
                    existing = conn.execute(select(p).where(p.c.scope == scope)).first()
                    if existing is not None:
                        raise PauseError(
                            f"{_scope_name(scope)} is already paused (since "
                            f"{existing.since.isoformat(timespec='seconds')} by "
                            f"{existing.actor}: {existing.reason})",
                            hint="nothing changed; resume it with `scheduler resume`",
                        )
                    conn.execute(
                        p.insert().values(scope=scope, since=now, actor=actor, reason=reason)
                    )
                    self._log_campaign(conn, scope, now, "pause", actor, {"reason": reason})
                return Pause(scope=scope, since=now, actor=actor, reason=reason)
            except IntegrityError:
                # Two people paused at the same moment: look again, and say who was first.
                continue
        raise PauseError(f"{_scope_name(scope)} is being paused by someone else; try again")

    def pauses(self) -> builtins.list[Pause]:
        p = t.campaign_pauses
        with self._read() as conn:
            rows = conn.execute(select(p).order_by(p.c.since, p.c.scope)).all()
        return [_pause_of(r) for r in rows]

    def paused(self, campaign: str) -> Pause | None:
        """The pause in force over ``campaign`` (the earliest, if it is paused twice over)."""
        with self._read(one=True) as conn:
            row = conn.execute(_PAUSE_OVER, {"k_campaign": campaign}).first()
        return None if row is None else _pause_of(row)

    def pause_history(self, scope: str | None = None) -> builtins.list[CampaignEvent]:
        e = t.campaign_events
        q = select(e).order_by(e.c.id)
        if scope is not None:
            q = q.where(e.c.scope.in_([scope, ALL_CAMPAIGNS]))
        with self._read() as conn:
            rows = conn.execute(q).all()
        return [
            CampaignEvent(
                scope=r.scope,
                at=r.at,
                action=r.action,
                actor=r.actor,
                detail=json.loads(r.detail or "{}"),
                id=r.id,
            )
            for r in rows
        ]

    def resume(
        self,
        scope: str,
        *,
        actor: str,
        now: datetime,
        choice: str,
        missed: Sequence[tuple[DraftKey, str]] = (),
        shifts: Sequence[Shift] = (),
    ) -> Pause:
        """End the pause of ``scope``; mark ``missed`` drafts missed and move ``shifts``.

        A draft that changed since the plan was made (another state, another due time) is
        left as it is: the daemon's own rules then apply to it.
        """
        now = ensure_utc(now)
        actor = actor.strip().lower()
        if choice not in CHOICES:
            raise PauseError(f"unknown resume choice {choice!r}: use {' or '.join(CHOICES)}")
        p = t.campaign_pauses
        with self._write() as conn:
            row = conn.execute(select(p).where(p.c.scope == scope).with_for_update()).first()
            if row is None:
                raise PauseError(
                    f"{_scope_name(scope)} is not paused",
                    hint="`scheduler status` shows the pauses in force",
                )
            conn.execute(delete(p).where(p.c.scope == scope))
            marked = 0
            for key, reason in missed:
                state = self._state_in(conn, key)
                if state is not None and state in _MISSABLE:
                    self._miss(conn, key, reason=reason, now=now)
                    marked += 1
            moved = sum(self._shift(conn, shift, actor, now) for shift in shifts)
            self._log_campaign(
                conn,
                scope,
                now,
                "resume",
                actor,
                {
                    "choice": choice,
                    "paused_since": row.since.isoformat(),
                    "paused_by": row.actor,
                    "missed": marked,
                    "shifted": moved,
                },
            )
        return _pause_of(row)

    # --- inside a resume --------------------------------------------------------------------

    @staticmethod
    def _state_in(conn: Connection, key: DraftKey) -> State | None:
        d = t.drafts
        value = conn.execute(select(d.c.state).where(key_where(d, key))).scalar()
        return None if value is None else State(value)

    def _shift(self, conn: Connection, shift: Shift, actor: str, now: datetime) -> int:
        d = t.drafts
        row = self._lock(conn, shift.key)
        state = State(row.state)
        if row.due != shift.old_due or row.parts_done not in ("", "[]"):
            return 0
        check("shift", shift.key, state, state)
        payload = json.loads(row.payload)
        payload["due"] = shift.due.isoformat()
        payload["latest"] = None if shift.latest is None else shift.latest.isoformat()
        conn.execute(
            update(d)
            .where(key_where(d, shift.key))
            .values(
                due=shift.due,
                latest=shift.latest,
                payload=json.dumps(payload, sort_keys=True),
                version=d.c.version + 1,
                updated_at=now,
            )
        )
        s = t.schedule_shifts
        file_due = conn.execute(select(s.c.file_due).where(key_where(s, shift.key))).scalar()
        conn.execute(delete(s).where(key_where(s, shift.key)))
        conn.execute(
            s.insert().values(
                campaign=shift.key.campaign,
                post_id=shift.key.post_id,
                account=shift.key.account,
                file_due=file_due if file_due is not None else shift.old_due,
                due=shift.due,
                at=now,
            )
        )
        detail: dict[str, Any] = {
            "old_due": shift.old_due.isoformat(),
            "due": shift.due.isoformat(),
        }
        if shift.note:
            detail["note"] = shift.note
        self._log(
            conn,
            self._event(
                shift.key,
                at=now,
                action="shift",
                from_state=state,
                to_state=state,
                actor=actor,
                content_hash=row.content_hash,
                detail=detail,
            ),
        )
        return 1

    def _log_campaign(
        self,
        conn: Connection,
        scope: str,
        at: datetime,
        action: str,
        actor: str,
        detail: dict[str, Any],
    ) -> None:
        conn.execute(
            t.campaign_events.insert().values(
                scope=scope,
                at=at,
                action=action,
                actor=actor,
                detail=json.dumps(detail, sort_keys=True),
            )
        )


_MISSABLE = frozenset(
    {State.DRAFT, State.REJECTED, State.APPROVED, State.SCHEDULED, State.RETRY_WAIT}
)
