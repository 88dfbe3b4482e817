"""Before anything is posted again after a lost answer, the worker looks on the platform.

An earlier attempt may have posted the part whose answer never came. ``find`` answers Found
(the part is recorded and publishing goes on after it), Absent with the evidence that the
whole interval was seen (publishing goes on), or CannotTell: then nothing is posted, the
draft looks again later inside its window (no sooner than the platform asked, on a 429),
and a person is asked only when the window closes first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from scheduler.daemon.base import DaemonOptions
from scheduler.daemon.gate import LedgerGate
from scheduler.daemon.notices import evidence
from scheduler.daemon.reconcile import described, first_attempt
from scheduler.daemon.report import Reporter
from scheduler.daemon.retry import counted_attempts, decide
from scheduler.draft import Draft, PartResult
from scheduler.errors import LedgerError, PublishError
from scheduler.ledger.base import Claim, Ledger
from scheduler.platforms.base import (
    Absent,
    AccountPaused,
    CannotTell,
    Lookup,
    OutcomeUnknown,
    Publisher,
    PublishRequest,
    RateLimited,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from scheduler.clock import Clock


class LooksFirst:
    """The worker's steps for settling a lost answer before publishing."""

    if TYPE_CHECKING:  # what the Worker provides
        ledger: Ledger
        clock: Clock
        options: DaemonOptions
        reporter: Reporter
        gate: LedgerGate
        rand: Callable[[], float]

        def _finish_by(self, draft: Draft) -> datetime: ...

        def _finish(
            self, claim: Claim, done: tuple[PartResult, ...], *, last: PartResult | None = None
        ) -> str: ...

        def _defer(self, claim: Claim, exc: PublishError) -> str: ...

        def _notice(
            self, kind: str, draft: Draft, summary: str, *, url: str = "", detail: str = ""
        ) -> None: ...

    def _reconcile(
        self, claim: Claim, request: PublishRequest, publisher: Publisher, end: datetime
    ) -> tuple[str | None, Claim, tuple[PartResult, ...]]:
        """Look for the part an earlier attempt may have posted.

        Returns (outcome, claim, parts done); an outcome of None means: go on publishing,
        which only a found part or a proof of absence allows. Only one part can be
        unrecorded: parts go out in order and each is recorded as soon as it exists.
        """
        done = tuple(claim.parts_done)
        index = len(done)
        if index >= len(request.parts):
            return self._finish(claim, done), claim, done
        answer = publisher.find(request, index, self._first_attempt(claim, request))
        self._reported(claim, index, answer)
        if isinstance(answer, CannotTell):
            return self._cannot_tell(claim, request, answer, end), claim, done
        if isinstance(answer, Absent):
            return None, claim, done
        done = (*done, answer.part)
        if len(done) >= len(request.parts):
            return self._finish(claim, done, last=answer.part), claim, done
        claim = self.ledger.record_part(claim, answer.part, now=self.clock.now()) or claim
        return None, claim, done

    def _counted(self, claim: Claim) -> int:
        """The attempts of ``claim`` that count toward the cap (``retry.counted_attempts``):
        read from the ledger only when the attempt number alone would reach it."""
        if claim.attempt < self.options.retry.max_attempts:
            return claim.attempt
        try:
            rows = self.ledger.attempts(claim.key)
        except LedgerError:
            return claim.attempt
        earlier = (row.error_class for row in rows if row.number < claim.attempt)
        return counted_attempts(claim.attempt, earlier)

    def _reported(self, claim: Claim, index: int, answer: Lookup) -> None:
        self.reporter.event("reconciled", key=str(claim.key), part=index + 1, **described(answer))

    def _first_attempt(self, claim: Claim, request: PublishRequest) -> datetime:
        try:
            attempts = self.ledger.attempts(claim.key)
        except LedgerError:
            return request.created_at
        return first_attempt(attempts, claim.content_hash, default=request.created_at)

    def _cannot_tell(
        self, claim: Claim, request: PublishRequest, answer: CannotTell, end: datetime
    ) -> str:
        """The lookup could not decide: look again later inside the window (no sooner than
        the platform asked, on a 429), else ask a person.

        Nothing is published meanwhile: the next attempt looks first again.
        """
        now = self.clock.now()
        index = len(claim.parts_done)
        if answer.retry_after is not None and self.gate.paused(claim.key.account) is None:
            # A 429 on the lookup: every request of the account waits for the reset, in
            # every daemon. The gate paused the account already when the 429's headers said
            # until when, or refused the read because a pause was in force: no second write.
            self.gate.pause(
                claim.key.account,
                now + timedelta(seconds=answer.retry_after),
                reason=f"a lookup was rate limited: {answer.reason}",
                source="rate_limited",
            )
            if self.gate.sent().requests == 0:
                # The gate refused the lookup's first request: nothing was sent, so this was
                # no attempt; the draft waits for the pause and looks first then.
                return self._defer(
                    claim, AccountPaused(answer.reason, retry_after=answer.retry_after)
                )
        asked: PublishError = (
            RateLimited(answer.reason, retry_after=answer.retry_after)
            if answer.retry_after is not None
            else OutcomeUnknown(answer.reason)
        )
        decision = decide(
            asked,
            attempts=claim.attempt,
            now=now,
            latest=end,
            policy=self.options.retry,
            rand=self.rand(),
            finish_by=self._finish_by(claim.draft) if claim.parts_done else None,
            # A 429 (``asked`` is RateLimited) is bounded by the window, not by a count.
            counted=self._counted(claim),
        )
        if decision.action == "retry" and decision.at is not None:
            error = OutcomeUnknown(
                f"could not yet tell whether part {index + 1} was posted: {answer.reason}",
                status=answer.status,
            )
            self.ledger.retry_later(claim, next_attempt=decision.at, error=error, now=now)
            self.reporter.event(
                "reconcile_later",
                "warning",
                key=str(claim.key),
                next_attempt=decision.at,
                error=answer.reason,
                retry_after=answer.retry_after,
            )
            return "retry_wait"
        reason = (
            f"part {index + 1} of {len(request.parts)} may or may not have been posted "
            f"and the platform cannot tell: {answer.reason}"
        )
        self.ledger.give_up(claim, state="outcome_unknown", reason=reason, now=now)
        self._notice("outcome_unknown", claim.draft, reason, detail=evidence(claim, request, index))
        return "outcome_unknown"
