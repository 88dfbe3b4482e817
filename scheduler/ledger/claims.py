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
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Update,
    bindparam,
    delete,
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
from scheduler.redact import redact, redact_optional

Lease = timedelta | float

GIVE_UP_STATES = (State.FAILED, State.MISSED, State.OUTCOME_UNKNOWN)


def _lease(lease: Lease) -> timedelta:
    value = lease if isinstance(lease, timedelta) else timedelta(seconds=lease)
    if value <= timedelta(0):
        raise ValueError("a lease must be positive")
    return value


def describe_error(error: BaseException | str) -> tuple[str, str | None, str | None]:
    """(message for people, error class, the platform's own words) of a failure.

    Both texts pass the one redaction on their way into the ledger: they quote servers, and
    whatever is stored is shown by ``status``, the pages and notices.
    """
    if isinstance(error, BaseException):
        message = str(error) or type(error).__name__
        platform_message = getattr(error, "platform_message", None)
        return redact(message), type(error).__name__, redact_optional(platform_message)
    return redact(error), None, None


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
_RECORD_PART = (
    update(_d)
    .where(key_params(_d))
    .values(
        parts_done=bindparam("v_parts"),
        version=_d.c.version + 1,
        updated_at=bindparam("v_now"),
    )
)


@lru_cache(maxsize=8)
def _end_statement(extra: tuple[str, ...]) -> Update:
    """The UPDATE that ends an attempt, setting also the columns named in ``extra`` (from
    parameters ``v_<column>``)."""
    return (
        update(_d)
        .where(key_params(_d))
        .values(
            state=bindparam("v_state"),
            lease_owner=None,
            lease_token=None,
            lease_until=None,
            last_error=bindparam("v_last_error"),
            version=_d.c.version + 1,
            updated_at=bindparam("v_now"),
            **{column: bindparam(f"v_{column}") for column in extra},
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
                    _RECORD_PART,
                    {**key_binds(claim.key), "v_parts": parts_to_json(parts), "v_now": now},
                )
        if lost is not None:
            raise lost
        done = parts if parts is not None else parts_from_json(row.parts_done)
        return replace(claim, parts_done=tuple(sorted(done, key=lambda p: p.index)))

    def _add_part(
        self, conn: Connection, claim: Claim, part: PartResult, now: datetime
    ) -> tuple[Any, list[PartResult] | None, LeaseLost | None]:
        """Lock the draft and log ``part`` as recorded: (the row, every part with this one, or
        None when it was recorded already, and LeaseLost when another worker holds the draft
        now). The part is stored even then: it exists on the platform whatever the lease says.
        The caller writes the parts."""
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
        self._log(
            conn,
            self._event(
                claim.key,
                at=now,
                action="record_part",
                from_state=State(row.state),
                to_state=State(row.state),
                actor=claim.owner,
                content_hash=row.content_hash,
                detail={"index": part.index, "remote_id": part.remote_id, "url": part.url},
            ),
        )
        return row, sorted(parts.values(), key=lambda p: p.index), lost

    # --- ending an attempt ------------------------------------------------------------------

    def _end(
        self,
        claim: Claim,
        *,
        action: str,
        target: State,
        now: datetime,
        outcome: str,
        error: BaseException | str | None = None,
        values: dict[str, Any] | None = None,
        part: PartResult | None = None,
    ) -> None:
        now = ensure_utc(now)
        message, error_class, platform_message = (
            describe_error(error) if error is not None else (None, None, None)
        )
        values = dict(values or {})
        lost: LedgerError | None = None
        with self._write() as conn:
            if part is None:
                row = self._held(conn, claim, action)
                done = len(parts_from_json(row.parts_done))
            else:
                # The last part and the end in one transaction: the part is stored whatever
                # follows (a lost lease, too few parts), the end only when all is well.
                row, parts, lost = self._add_part(conn, claim, part, now)
                if parts is not None:
                    values["parts_done"] = parts_to_json(parts)
                done = len(parts) if parts is not None else len(parts_from_json(row.parts_done))
                if lost is None and row.state != State.PUBLISHING.value:
                    lost = self._lost(claim, row, action)
            total = len(claim.draft.parts)
            short = target is State.PUBLISHED and done < total
            if lost is not None or short:
                if "parts_done" in values:
                    conn.execute(
                        _RECORD_PART,
                        {**key_binds(claim.key), "v_parts": values["parts_done"], "v_now": now},
                    )
                if lost is None:
                    # Committed with the part it stores (a raise here would roll it back).
                    lost = LedgerError(
                        f"{claim.key}: cannot finish with {done} of {total} parts recorded",
                        hint="record each part (record_part) as soon as it is published",
                    )
            else:
                check(action, claim.key, State(row.state), target)
                extra = tuple(sorted(values))
                conn.execute(
                    _end_statement(extra),
                    {
                        **key_binds(claim.key),
                        "v_state": target.value,
                        "v_last_error": message,
                        "v_now": now,
                        **{f"v_{column}": value for column, value in values.items()},
                    },
                )
                self._end_attempt(
                    conn, claim.key, claim.attempt, now, outcome, error_class, platform_message
                )
                detail: dict[str, Any] = {"attempt": claim.attempt}
                if message:
                    detail["error"] = message
                if values.get("next_attempt") is not None:
                    detail["next_attempt"] = values["next_attempt"].isoformat()
                self._log(
                    conn,
                    self._event(
                        claim.key,
                        at=now,
                        action=action,
                        from_state=State.PUBLISHING,
                        to_state=target,
                        actor=claim.owner,
                        content_hash=row.content_hash,
                        detail=detail,
                    ),
                )
        if lost is not None:
            raise lost

    def finish(self, claim: Claim, *, now: datetime, part: PartResult | None = None) -> None:
        """Mark the draft published. With ``part`` (the last one), record it in the same
        transaction: stored whatever happens, as ``record_part`` would, then finished when
        the claim still holds and every part is recorded."""
        self._end(
            claim, action="finish", target=State.PUBLISHED, now=now, outcome="published", part=part
        )

    def retry_later(
        self, claim: Claim, *, next_attempt: datetime, error: BaseException | str, now: datetime
    ) -> None:
        self._end(
            claim,
            action="retry_later",
            target=State.RETRY_WAIT,
            now=now,
            outcome="retry",
            error=error,
            values={"next_attempt": ensure_utc(next_attempt)},
        )

    def defer(self, claim: Claim, *, until: datetime, reason: str, now: datetime) -> None:
        """Give the draft back to wait until ``until`` without counting an attempt: the account
        turned out to be paused before this attempt sent anything. The attempt row goes (it
        sent nothing), the attempt count goes back, and an event says why."""
        now, until = ensure_utc(now), ensure_utc(until)
        d, a = t.drafts, t.attempts
        with self._write() as conn:
            row = self._held(conn, claim, "defer")
            check("defer", claim.key, State(row.state), State.RETRY_WAIT)
            conn.execute(
                update(d)
                .where(key_where(d, claim.key))
                .values(
                    state=State.RETRY_WAIT.value,
                    next_attempt=until,
                    attempts=d.c.attempts - 1,
                    lease_owner=None,
                    lease_token=None,
                    lease_until=None,
                    version=d.c.version + 1,
                    updated_at=now,
                )
            )
            conn.execute(delete(a).where(key_where(a, claim.key), a.c.number == claim.attempt))
            self._log(
                conn,
                self._event(
                    claim.key,
                    at=now,
                    action="defer",
                    from_state=State.PUBLISHING,
                    to_state=State.RETRY_WAIT,
                    actor=claim.owner,
                    content_hash=row.content_hash,
                    detail={"until": until.isoformat(), "reason": reason},
                ),
            )

    def give_up(
        self, claim: Claim, *, state: State | str, reason: BaseException | str, now: datetime
    ) -> None:
        target = State(state)
        if target not in GIVE_UP_STATES:
            raise LedgerError(
                f"{claim.key}: give_up leads to failed, missed or outcome_unknown, not {target}"
            )
        self._end(
            claim, action="give_up", target=target, now=now, outcome=target.value, error=reason
        )

    def release(self, claim: Claim, *, now: datetime) -> None:
        self._end(claim, action="release", target=State.SCHEDULED, now=now, outcome="released")
