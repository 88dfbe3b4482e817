"""The daemon's side of the ledger: claims under a lease, and what happened to each attempt.

A claim is one conditional UPDATE (the condition is ``ledger.claimable``): it succeeds only
for a draft whose current content hash is the approved hash, whose time has come and whose
window is open, that is approved (or waiting for a retry that is due, or publishing under a
lease that has expired). A thread with a part already public may also be claimed after its
window, within the completion limit the caller gives (``thread_completion``), so that it is
finished rather than left broken. On PostgreSQL candidates are first locked with FOR UPDATE
SKIP LOCKED, so workers sharing a ledger never wait for nor take each other's rows; SQLite
serialises writers (BEGIN IMMEDIATE), so a row read under the claim condition stays so until
the claim commits.

Each claim carries a token. Everything a worker does afterwards names the token, and fails
with LeaseLost once another worker has claimed the draft. A published part is stored even
then (it exists on the platform whatever the lease says), and LeaseLost follows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    update,
)

from scheduler.clock import ensure_utc
from scheduler.draft import Draft, DraftKey, PartResult
from scheduler.ledger import tables as t
from scheduler.ledger.base import Claim, LeaseLost, LedgerError
from scheduler.ledger.claimable import candidates as claimable_rows
from scheduler.ledger.core import (
    LedgerCore,
    key_binds,
    key_of,
    key_params,
    key_where,
    parts_from_json,
    parts_to_json,
)
from scheduler.ledger.states import State, check

Lease = timedelta | float


def _lease(lease: Lease) -> timedelta:
    value = lease if isinstance(lease, timedelta) else timedelta(seconds=lease)
    if value <= timedelta(0):
        raise ValueError("a lease must be positive")
    return value


def _span(value: Lease) -> timedelta:
    span = value if isinstance(value, timedelta) else timedelta(seconds=value)
    return max(span, timedelta(0))


# --- the statements of every post, built once (see core.key_params) ---------------------------

_d, _a = t.drafts, t.attempts
# The row was read under the claim condition in this transaction and is locked (FOR UPDATE;
# on SQLite the transaction holds the write lock): an unchanged version is the condition
# still holding, and far cheaper to state than the condition again.
_CLAIM = (
    update(_d)
    .where(key_params(_d), _d.c.version == bindparam("k_version"))
    .values(
        state=State.PUBLISHING.value,
        lease_owner=bindparam("v_owner"),
        lease_token=bindparam("v_token"),
        lease_until=bindparam("v_until"),
        next_attempt=None,
        attempts=_d.c.attempts + 1,
        version=_d.c.version + 1,
        updated_at=bindparam("v_now"),
    )
    .returning(_d)
)
_INSERT_ATTEMPT = _a.insert()
_END_ATTEMPT = (
    update(_a)
    .where(key_params(_a), _a.c.number == bindparam("k_number"), _a.c.ended_at.is_(None))
    .values(
        ended_at=bindparam("v_now"),
        outcome=bindparam("v_outcome"),
        error_class=bindparam("v_error_class"),
        platform_message=bindparam("v_platform_message"),
    )
)
RECORD_PART = (
    update(_d)
    .where(key_params(_d))
    .values(
        parts_done=bindparam("v_parts"),
        version=_d.c.version + 1,
        updated_at=bindparam("v_now"),
    )
)


def _attempt_row(claim: Claim) -> dict[str, Any]:
    """The attempt row a claim begins (inserted with the rest of its batch)."""
    key = claim.key
    return {
        "campaign": key.campaign,
        "post_id": key.post_id,
        "account": key.account,
        "number": claim.attempt,
        "owner": claim.owner,
        "content_hash": claim.content_hash,
        "started_at": claim.claimed_at,
    }


def _claim_event(claim: Claim) -> dict[str, Any]:
    return LedgerCore._event(
        claim.key,
        at=claim.claimed_at,
        action="claim",
        from_state=claim.previous_state,
        to_state=State.PUBLISHING,
        actor=claim.owner,
        content_hash=claim.content_hash,
        detail={"attempt": claim.attempt, "lease_until": claim.lease_until.isoformat()},
    )


class ClaimOps(LedgerCore):
    # --- claiming ---------------------------------------------------------------------------

    def claim(
        self,
        key: DraftKey,
        *,
        owner: str,
        now: datetime,
        lease: Lease,
        thread_completion: Lease = 0.0,
    ) -> Claim | None:
        """Claim one draft if it may be published now; None if it may not (or is taken)."""
        found = self._claim(
            owner,
            ensure_utc(now),
            _lease(lease),
            key=key,
            limit=1,
            thread_completion=thread_completion,
        )
        return found[0] if found else None

    def claim_due(
        self,
        *,
        owner: str,
        now: datetime,
        lease: Lease,
        limit: int = 10,
        campaigns: Sequence[str] | None = None,
        thread_completion: Lease = 0.0,
    ) -> list[Claim]:
        """Claim up to ``limit`` drafts that may be published now, earliest due first.

        With ``campaigns``, only drafts of those campaigns (a daemon claims only the work of
        the campaigns it has loaded; other daemons on the same ledger may serve others).
        """
        return self._claim(
            owner,
            ensure_utc(now),
            _lease(lease),
            key=None,
            limit=limit,
            campaigns=campaigns,
            thread_completion=thread_completion,
        )

    def _claim(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        key: DraftKey | None,
        limit: int,
        campaigns: Sequence[str] | None = None,
        thread_completion: Lease = 0.0,
    ) -> list[Claim]:
        completion = _span(thread_completion)
        params: dict[str, Any] = {"c_now": now, "c_limit": limit}
        if completion > timedelta(0):
            params["c_since"] = now - completion
        if key is not None:
            params.update(key_binds(key))
        if campaigns is not None:
            params["c_campaigns"] = list(campaigns)
        statement = claimable_rows(
            completion > timedelta(0), key is not None, campaigns is not None
        )
        claims: list[Claim] = []
        attempts: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        with self._write() as conn:
            candidates = conn.execute(statement, params).all()
            for cand in candidates:
                claim = self._claim_row(
                    conn, key_of(cand), State(cand.state), cand.version, owner, now, lease
                )
                if claim is not None:
                    claims.append(claim)
                    attempts.append(_attempt_row(claim))
                    events.append(_claim_event(claim))
            # A batch's attempt and event rows go in one statement each.
            if attempts:
                conn.execute(_INSERT_ATTEMPT, attempts)
                self._log(conn, *events)
        return claims

    def _claim_row(
        self,
        conn: Connection,
        key: DraftKey,
        previous: State,
        version: int,
        owner: str,
        now: datetime,
        lease: timedelta,
    ) -> Claim | None:
        check("claim", key, previous, State.PUBLISHING)
        token = uuid.uuid4().hex
        row = conn.execute(
            _CLAIM,
            {
                **key_binds(key),
                "k_version": version,
                "v_owner": owner,
                "v_token": token,
                "v_until": now + lease,
                "v_now": now,
            },
        ).first()
        if row is None:
            return None  # taken between the look and the claim
        takeover = previous is State.PUBLISHING
        if takeover:
            self._end_attempt(conn, key, row.attempts - 1, now, "lease_expired")
        return Claim(
            key=key,
            owner=owner,
            token=token,
            draft=Draft.from_payload(json.loads(row.payload)),
            content_hash=row.content_hash,
            attempt=row.attempts,
            claimed_at=now,
            lease_until=now + lease,
            parts_done=parts_from_json(row.parts_done),
            takeover=takeover,
            previous_state=previous,
        )

    @staticmethod
    def _end_attempt(
        conn: Connection,
        key: DraftKey,
        number: int,
        now: datetime,
        outcome: str,
        error_class: str | None = None,
        platform_message: str | None = None,
    ) -> None:
        conn.execute(
            _END_ATTEMPT,
            {
                **key_binds(key),
                "k_number": number,
                "v_now": now,
                "v_outcome": outcome,
                "v_error_class": error_class,
                "v_platform_message": platform_message,
            },
        )

    def _held(self, conn: Connection, claim: Claim, action: str) -> Any:
        """The draft row, locked, if ``claim`` still holds it; LeaseLost otherwise."""
        row = self._lock(conn, claim.key)
        if row.lease_token != claim.token or row.state != State.PUBLISHING.value:
            raise self._lost(claim, row, action)
        return row

    @staticmethod
    def _lost(claim: Claim, row: Any, action: str) -> LeaseLost:
        holder = row.lease_owner or "nobody"
        return LeaseLost(
            f"{claim.key}: cannot {action}: the claim of {claim.owner} was replaced "
            f"(state {row.state}, held by {holder})",
            hint="stop working on this draft; the current holder reconciles it",
        )

    # --- while publishing -------------------------------------------------------------------

    def renew(self, claim: Claim, *, now: datetime, lease: Lease) -> Claim:
        now = ensure_utc(now)
        until = now + _lease(lease)
        d = t.drafts
        with self._write() as conn:
            self._held(conn, claim, "renew")
            conn.execute(
                update(d)
                .where(key_where(d, claim.key))
                .values(lease_until=until, version=d.c.version + 1, updated_at=now)
            )
        return replace(claim, lease_until=until)

    def record_part(self, claim: Claim, part: PartResult, *, now: datetime) -> Claim:
        """Store a published part at once; a crash after this never posts it again."""
        now = ensure_utc(now)
        with self._write() as conn:
            row, parts, lost = self._add_part(conn, claim, part, now)
            if parts is not None:
                conn.execute(
                    RECORD_PART,
                    {**key_binds(claim.key), "v_parts": parts_to_json(parts), "v_now": now},
                )
        if lost is not None:
            raise lost
        done = parts if parts is not None else parts_from_json(row.parts_done)
        return replace(claim, parts_done=tuple(sorted(done, key=lambda p: p.index)))

    def _add_part(
        self,
        conn: Connection,
        claim: Claim,
        part: PartResult,
        now: datetime,
        events: list[dict[str, Any]] | None = None,
    ) -> tuple[Any, list[PartResult] | None, LeaseLost | None]:
        """Lock the draft and log ``part`` as recorded: (the row, every part with this one, or
        None when it was recorded already, and LeaseLost when another worker holds the draft
        now). The part is stored even then: it exists on the platform whatever the lease says.
        The caller writes the parts; with ``events``, it logs the event too (in one statement
        with its own)."""
        row = self._lock(conn, claim.key)
        if row.content_hash != claim.content_hash:
            raise LedgerError(
                f"{claim.key}: part {part.index} belongs to version {claim.content_hash}, "
                f"but the draft is now {row.content_hash}"
            )
        lost = None
        if row.lease_token != claim.token:
            lost = LeaseLost(
                f"{claim.key}: part {part.index} was stored, but another worker "
                f"({row.lease_owner or 'nobody'}) holds the draft now"
            )
        parts = {p.index: p for p in parts_from_json(row.parts_done)}
        if part.index in parts:
            return row, None, lost
        parts[part.index] = part
        event = self._event(
            claim.key,
            at=now,
            action="record_part",
            from_state=State(row.state),
            to_state=State(row.state),
            actor=claim.owner,
            content_hash=row.content_hash,
            detail={"index": part.index, "remote_id": part.remote_id, "url": part.url},
        )
        if events is None:
            self._log(conn, event)
        else:
            events.append(event)
        return row, sorted(parts.values(), key=lambda p: p.index), lost
