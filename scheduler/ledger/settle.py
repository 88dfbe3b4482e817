"""Settling a draft by hand or by the clock: a person resolves an unknown outcome, and a
window closes on a draft that never went out. Both are transitions of the one table in
states.py, logged as events like every other change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update

from scheduler.clock import ensure_utc
from scheduler.draft import DraftKey, PartResult
from scheduler.ledger import tables as t
from scheduler.ledger.base import DraftRecord, LeaseLost, LedgerError, ResolveOutcome
from scheduler.ledger.core import key_where, parts_from_json, parts_to_json
from scheduler.ledger.endings import EndOps
from scheduler.ledger.states import State, check
from scheduler.redact import redact


class SettleOps(EndOps):
    def resolve(
        self,
        key: DraftKey,
        *,
        actor: str,
        outcome: ResolveOutcome,
        url: str | None = None,
        now: datetime,
    ) -> DraftRecord:
        """A person says what became of a post whose outcome was unknown."""
        now = ensure_utc(now)
        targets = {
            "published": State.PUBLISHED,
            "not_published": State.RETRY_WAIT,
            "give_up": State.FAILED,
        }
        if outcome not in targets:
            raise LedgerError(f"unknown outcome {outcome!r}: use {', '.join(targets)}")
        target = targets[outcome]
        d = t.drafts
        with self._write() as conn:
            row = self._lock(conn, key)
            check("resolve", key, State(row.state), target)
            values: dict[str, Any] = {}
            if target is State.PUBLISHED and url:
                parts = {p.index: p for p in parts_from_json(row.parts_done)}
                index = len(parts)
                parts[index] = PartResult(index, "", url, {"resolved_by": actor})
                values["parts_done"] = parts_to_json(parts.values())
            if target is State.RETRY_WAIT:
                values["next_attempt"] = now
            if target is State.FAILED:
                values["last_error"] = f"given up by {actor}"
            conn.execute(
                update(d)
                .where(key_where(d, key))
                .values(state=target.value, version=d.c.version + 1, updated_at=now, **values)
            )
            self._log(
                conn,
                self._event(
                    key,
                    at=now,
                    action="resolve",
                    from_state=State(row.state),
                    to_state=target,
                    actor=actor,
                    content_hash=row.content_hash,
                    detail={"outcome": outcome, "url": url},
                ),
            )
            return self._record_in(conn, key)

    def mark_missed(self, key: DraftKey, *, reason: str, now: datetime) -> None:
        """The window closed before the draft could go out; a person is told by status."""
        now = ensure_utc(now)
        with self._write() as conn:
            self._miss(conn, key, reason=reason, now=now)

    def _miss(self, conn: Connection, key: DraftKey, *, reason: str, now: datetime) -> None:
        d = t.drafts
        row = self._lock(conn, key)
        state = State(row.state)
        check("mark_missed", key, state, State.MISSED)
        if state is State.PUBLISHING and row.lease_until is not None and row.lease_until >= now:
            raise LeaseLost(
                f"{key}: {row.lease_owner} is publishing it under a lease until "
                f"{row.lease_until.isoformat()}",
                hint="let the holder finish or wait for the lease to expire",
            )
        conn.execute(
            update(d)
            .where(key_where(d, key))
            .values(
                state=State.MISSED.value,
                approved_hash=row.approved_hash,
                lease_owner=None,
                lease_token=None,
                lease_until=None,
                last_error=redact(reason),
                version=d.c.version + 1,
                updated_at=now,
            )
        )
        if state is State.PUBLISHING:
            self._end_attempt(conn, key, row.attempts, now, "missed")
        self._log(
            conn,
            self._event(
                key,
                at=now,
                action="mark_missed",
                from_state=state,
                to_state=State.MISSED,
                content_hash=row.content_hash,
                detail={"reason": redact(reason)},
            ),
        )
