"""Ending an attempt: finished, to be retried, deferred, given up or released.

Each end is one transaction on the draft a claim still holds (``ClaimOps._held``): the
attempt row gets its outcome, the draft its next state through ``states.check``, and the
event log a row. ``finish`` may store the last part in the same transaction; the part is
stored whatever follows, the end only when the lease and the parts are in order.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Update, bindparam, delete, update

from scheduler.clock import ensure_utc
from scheduler.draft import PartResult
from scheduler.ledger import tables as t
from scheduler.ledger.base import Claim, LedgerError
from scheduler.ledger.claims import RECORD_PART, ClaimOps
from scheduler.ledger.core import key_binds, key_params, key_where, parts_from_json, parts_to_json
from scheduler.ledger.states import State, check
from scheduler.redact import redact, redact_optional

GIVE_UP_STATES = (State.FAILED, State.MISSED, State.OUTCOME_UNKNOWN)

_d = t.drafts


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


class EndOps(ClaimOps):
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
        events: list[dict[str, Any]] = []  # logged in one statement, whatever the way out
        with self._write() as conn:
            if part is None:
                row = self._held(conn, claim, action)
                done = len(parts_from_json(row.parts_done))
            else:
                # The last part and the end in one transaction: the part is stored whatever
                # follows (a lost lease, too few parts), the end only when all is well.
                row, parts, lost = self._add_part(conn, claim, part, now, events)
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
                        RECORD_PART,
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
                events.append(
                    self._event(
                        claim.key,
                        at=now,
                        action=action,
                        from_state=State.PUBLISHING,
                        to_state=target,
                        actor=claim.owner,
                        content_hash=row.content_hash,
                        detail=detail,
                    )
                )
            self._log(conn, *events)
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
