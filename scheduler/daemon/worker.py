"""Publishing one claimed draft: check, reconcile, publish part by part, record the outcome.

The worker holds a claim (a lease on one draft). It publishes only when the claimed content
is exactly the approved content (the hash is taken again over what will be sent, and every
media file is read back and compared with the digest that was approved). Each thread part is
recorded in the ledger as soon as it exists, so a crash resumes at the next part, replying to
the right parent. Every way out of ``process`` leaves the draft in a state a person can see:
published, retry_wait (with the next attempt), failed, missed or outcome_unknown.

A thread with a part already public is finished after its window if need be, up to the
thread completion limit (``windows``): retries, reconnects and reconciliation all run to that
limit instead of the window's end, and a person is told which parts went out late and when.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from scheduler.clock import Clock
from scheduler.daemon.after import WaitingOn, fill
from scheduler.daemon.base import DaemonOptions, PublisherFor
from scheduler.daemon.gate import LedgerGate
from scheduler.daemon.lookups import LooksFirst
from scheduler.daemon.notices import (
    due_local,
    finished_late,
    late_parts,
    published_parts,
    unfinished,
)
from scheduler.daemon.reconcile import needs_reconcile
from scheduler.daemon.report import Reporter
from scheduler.daemon.request import NotPublishable, build_request
from scheduler.daemon.retry import Decision, decide, error_reason, what_was_sent
from scheduler.daemon.waits import WaitsForPeople
from scheduler.daemon.windows import finish_by, window_end
from scheduler.draft import Draft, PartResult
from scheduler.errors import (
    ConfigError,
    DestinationHeld,
    LedgerError,
    PublishError,
    SchedulerError,
)
from scheduler.ledger.base import Claim, Ledger
from scheduler.notify.base import Notice
from scheduler.platforms.base import (
    AuthFailed,
    CannotTell,
    Found,
    OutcomeUnknown,
    Publisher,
    PublishRequest,
)


class _Stopping(Exception):
    """Raised between thread parts when the daemon is asked to stop or the campaign was
    paused: the part being sent is out and recorded, the rest waits."""


class Worker(LooksFirst, WaitsForPeople):
    """Processes claims. Thread-safe: one Worker serves every executor thread."""

    def __init__(
        self,
        ledger: Ledger,
        publisher_for: PublisherFor,
        *,
        clock: Clock,
        options: DaemonOptions,
        reporter: Reporter,
        gate: LedgerGate,
        roots: Mapping[str, Path],
        stopping: threading.Event,
        rand: Callable[[], float] = random.random,
        bind_destinations: bool = True,
    ) -> None:
        self.ledger = ledger
        self.publisher_for = publisher_for
        self.clock = clock
        self.options = options
        self.reporter = reporter
        self.gate = gate
        self.roots = roots
        self.stopping = stopping
        self.rand = rand
        self.bind_destinations = bind_destinations
        # account -> (platform, host) it may post to, and when the ledger said so.
        self._bound: dict[str, tuple[tuple[str, str | None], datetime]] = {}

    # --- the one entry point --------------------------------------------------------------

    def process(self, claim: Claim) -> str:
        """Publish the claimed draft; returns the outcome (published, retry_wait, ...)."""
        key = claim.key
        self.gate.begin()
        try:
            return self._process(claim)
        except LedgerError as exc:
            # The lease will run out and this draft will be reconciled by whoever claims it.
            self.reporter.event("ledger_error", "error", key=str(key), error=str(exc))
            return "ledger_error"

    def _process(self, claim: Claim) -> str:
        draft: Draft = claim.draft
        now = self.clock.now()
        if claim.takeover:
            self.reporter.event(
                "lease_taken_over", "warning", key=str(claim.key), attempt=claim.attempt
            )
        # The ledger grants a claim only while the approved hash is the current hash, in the
        # same atomic update (and nothing can change either while the draft is publishing);
        # here the hash is taken again over exactly what will be sent, media bytes included.
        approved = claim.content_hash
        record = draft  # due and latest, as stored with the claimed content
        try:
            request = build_request(
                draft,
                self.roots.get(draft.campaign),
                approved_hash=approved,
                done=tuple(claim.parts_done),
            )
            request = fill(self.ledger, draft, request)
        except WaitingOn as exc:
            self.ledger.release(claim, now=now)
            self.reporter.event("released", key=str(claim.key), reason=str(exc))
            return "released"
        except NotPublishable as exc:
            return self._refuse(claim, exc.message, hint=exc.hint or "")
        if claim.takeover or claim.attempt > 1:
            # Containers an earlier attempt staged: the publisher asks about them first.
            request = replace(request, staged=self.ledger.staged(claim.key, claim.content_hash))
        try:
            self._check_destination(draft, now)
            publisher = self.publisher_for(draft)
        except DestinationHeld as exc:
            return self._held(claim, record, exc)
        except ConfigError as exc:
            return self._needs_reconnect(claim, record, exc)
        except SchedulerError as exc:  # e.g. a platform this build does not know
            return self._refuse(claim, f"cannot publish to account {draft.account}: {exc}")

        end = window_end(record.due, record.latest, self.options.max_lateness)
        finish = self._finish_by(record)
        done = tuple(claim.parts_done)
        try:
            # A first attempt that is not a takeover has nothing to reconcile: skip the reads.
            if (claim.takeover or claim.attempt > 1) and needs_reconcile(
                claim, self.ledger.attempts(claim.key), self.ledger.events(claim.key)
            ):
                claim = self._keep(claim)
                outcome, claim, done = self._reconcile(claim, request, publisher, end)
                if outcome is not None:
                    return outcome
                request = replace(request, done=done)
        except PublishError as exc:
            if self._sent(exc) == "nothing":
                return self._defer(claim, exc)
            # A lookup answers CannotTell rather than raise; this is a publisher's bug.
            return self._cannot_tell(claim, request, CannotTell(error_reason(exc)), end)

        if not done and now > end:
            reason = (
                f"its window closed at {end.isoformat(timespec='seconds')} before it "
                "could be published"
            )
            self.ledger.give_up(claim, state="missed", reason=reason, now=now)
            self._notice("missed", draft, reason)
            return "missed"
        if done and now > finish:
            reason, detail = unfinished(
                done, total=len(request.parts), end=end, finish=finish, zone=draft.timezone
            )
            self.ledger.give_up(claim, state="missed", reason=reason, now=now)
            self._notice("missed", draft, reason, detail=detail)
            return "missed"
        if done and now > end:
            self.reporter.event(
                "finishing_late",
                "warning",
                key=str(claim.key),
                parts_done=len(done),
                parts=len(request.parts),
                window_end=end,
                finish_by=finish,
            )
        if self._paused(draft):
            # Paused between the claim and the first request: nothing goes out.
            self.ledger.release(claim, now=now)
            self.reporter.event(
                "released", key=str(claim.key), parts_done=len(done), reason="paused"
            )
            return "released"
        return self._publish(self._keep(claim), record, request, publisher, end)

    def _paused(self, draft: Draft) -> bool:
        """A person paused the campaign (read from the ledger, so it holds for every daemon).
        Read by the gate, with what the account's next request needs in the same statement."""
        return self.gate.campaign_paused(draft.campaign, draft.account, draft.platform)

    def _finish_by(self, draft: Draft) -> datetime:
        return finish_by(
            draft.due,
            draft.latest,
            max_lateness=self.options.max_lateness,
            thread_completion=self.options.thread_completion,
        )

    def _keep(self, claim: Claim) -> Claim:
        """Renew the lease if half of it is gone; LeaseLost if another worker holds it now.

        Called before every network step: a worker whose lease ran out must not post,
        because whoever took the draft over may be posting it at the same moment.
        """
        now = self.clock.now()
        if (claim.lease_until - now).total_seconds() < self.options.lease / 2:
            return self.ledger.renew(claim, now=now, lease=self.options.lease_delta)
        return claim

    # --- steps ----------------------------------------------------------------------------

    def _publish(
        self,
        claim: Claim,
        record: Draft,
        request: PublishRequest,
        publisher: Publisher,
        end: datetime,
    ) -> str:
        holder = [claim]
        draft: Draft = claim.draft
        done = list(request.done)
        total = len(request.parts)
        finished = [False]

        def on_part(part: PartResult) -> None:
            now = self.clock.now()
            if len(done) + 1 == total:
                # The last part is recorded and the draft finished in one transaction.
                self.ledger.finish(holder[0], now=now, part=part)
                finished[0] = True
            else:
                holder[0] = self.ledger.record_part(holder[0], part, now=now) or holder[0]
            done.append(part)
            self.reporter.event(
                "part_published", key=str(claim.key), part=f"{part.index + 1}/{total}", url=part.url
            )
            if len(done) < total:
                if self.stopping.is_set():
                    raise _Stopping
                if self._paused(draft):
                    raise _Stopping("paused")
                holder[0] = self._keep(holder[0])

        def before_create(index: int) -> None:
            # Uploads can take minutes: post only while the lease is still ours (LeaseLost
            # otherwise, and whoever took the draft over reconciles before posting).
            holder[0] = self._keep(holder[0])

        def on_staged(index: int, staged_id: str) -> None:
            # Stored before the call that makes it public, by the lease holder only.
            holder[0] = self._keep(holder[0])
            self.ledger.record_staged(holder[0], index, staged_id, now=self.clock.now())

        self.reporter.event(
            "publishing",
            key=str(claim.key),
            attempt=claim.attempt,
            parts=total,
            resume_at=len(done) + 1 if done else None,
            late=round((self.clock.now() - record.due).total_seconds(), 3),
        )
        try:
            result = publisher.publish(request, on_part, before_create, on_staged)
        except _Stopping as why:
            self.ledger.release(holder[0], now=self.clock.now())
            self.reporter.event(
                "released", key=str(claim.key), parts_done=len(done), reason=str(why) or "stopping"
            )
            return "released"
        except ConfigError as exc:
            # Raised before a request left (a public media host that is not usable as
            # configured): nothing was sent, so it waits for a person like refused credentials.
            return self._needs_reconnect(holder[0], record, exc)
        except PublishError as exc:
            if finished[0]:
                return self._finished(holder[0], tuple(done))  # it failed after the last part
            sent = self._sent(exc, recorded=len(done) - len(request.done))
            if sent == "nothing":
                return self._defer(holder[0], exc)
            if sent == "unknown":
                exc = OutcomeUnknown(
                    f"{exc.message}, after a post whose answer was not seen; it may exist",
                    part_index=len(done),
                )
            return self._failed_attempt(holder[0], record, exc, end, request, publisher)
        except LedgerError:
            raise
        except Exception as exc:
            # A bug in a publisher: it may have posted before failing, so treat the outcome
            # as unknown (reconciled before any new attempt) and keep the traceback.
            logging.getLogger("scheduler.daemon").exception("publisher bug on %s", claim.key)
            if finished[0]:
                return self._finished(holder[0], tuple(done))
            unknown = OutcomeUnknown(
                f"unexpected error in the {draft_platform(claim)} publisher: "
                f"{type(exc).__name__}: {exc}"
            )
            self.reporter.event("bug", "error", key=str(claim.key), error=unknown.message)
            return self._failed_attempt(holder[0], record, unknown, end, request, publisher)
        if finished[0]:
            return self._finished(holder[0], tuple(done), result.notes)
        return self._finish(holder[0], tuple(done), notes=result.notes)

    def _finish(
        self,
        claim: Claim,
        done: tuple[PartResult, ...],
        *,
        last: PartResult | None = None,
        notes: tuple[str, ...] = (),
    ) -> str:
        """Finish the draft in the ledger (recording ``last``, its last part, with it)."""
        self.ledger.finish(claim, now=self.clock.now(), part=last)
        return self._finished(claim, done, notes)

    def _finished(
        self, claim: Claim, done: tuple[PartResult, ...], notes: tuple[str, ...] = ()
    ) -> str:
        """What follows a finish: the notice (a warning when something the post should carry
        did not go out with it), and a word when parts went out late."""
        now = self.clock.now()
        url = done[0].url if done else ""
        if notes:
            self._notice(
                "published_incomplete",
                claim.draft,
                f"published ({len(done)} part(s)), but " + "; ".join(notes),
                url=url,
                detail="add what is missing by hand on the platform; it is not tried again",
            )
        else:
            self._notice("published", claim.draft, f"published ({len(done)} part(s))", url=url)
        draft: Draft = claim.draft
        end = window_end(draft.due, draft.latest, self.options.max_lateness)
        if now > end:
            self._tell_late(claim, end)
        return "published"

    def _tell_late(self, claim: Claim, end: datetime) -> None:
        """Parts went out after the window: say which and when (from the ledger's events,
        so parts finished by an earlier attempt or another daemon are counted too)."""
        try:
            late = late_parts(self.ledger.events(claim.key), end)
        except LedgerError:
            return
        if not late:
            return  # e.g. only reconciled: every part had gone out in time
        draft: Draft = claim.draft
        summary, detail = finished_late(late, total=len(draft.parts), end=end, zone=draft.timezone)
        self._notice("finished_late", draft, summary, url=late[0][1], detail=detail)

    def _failed_attempt(
        self,
        claim: Claim,
        record: Draft,
        exc: PublishError,
        end: datetime,
        request: PublishRequest | None = None,
        publisher: Publisher | None = None,
    ) -> str:
        now = self.clock.now()
        draft: Draft = claim.draft
        if isinstance(exc, OutcomeUnknown) and request is not None and publisher is not None:
            # The platform may have stored it: look now, while we hold the claim.
            settled = self._settle_unknown(claim, request, publisher, exc)
            if settled is not None:
                return settled
        if isinstance(exc, AuthFailed):
            return self._needs_reconnect(claim, record, exc)
        decision = decide(
            exc,
            attempts=claim.attempt,
            now=now,
            latest=end,
            policy=self.options.retry,
            rand=self.rand(),
            finish_by=self._finish_by(draft) if claim.parts_done else None,
            counted=self._counted(claim),
        )
        if decision.pause_account_until is not None:
            self.gate.pause(
                draft.account,
                decision.pause_account_until,
                reason=error_reason(exc),
                source="rate_limited",
            )
        return self._apply(claim, decision, exc)

    def _sent(self, exc: PublishError, recorded: int = 0) -> str:
        """What this attempt sent before ``exc`` (see ``retry.what_was_sent``)."""
        sent = self.gate.sent()
        return what_was_sent(exc, requests=sent.requests, creates=sent.creates, recorded=recorded)

    def _defer(self, claim: Claim, exc: PublishError) -> str:
        """The account is paused and nothing was sent: wait for the pause, without counting
        an attempt."""
        now = self.clock.now()
        pause = self.gate.paused(claim.key.account)
        wait = getattr(exc, "retry_after", None)
        until = pause.until if pause is not None else now + _seconds(float(wait or 0.0))
        self.ledger.defer(claim, until=until, reason=error_reason(exc), now=now)
        self.reporter.event("deferred", key=str(claim.key), until=until, reason=error_reason(exc))
        return "deferred"

    def _settle_unknown(
        self, claim: Claim, request: PublishRequest, publisher: Publisher, exc: PublishError
    ) -> str | None:
        try:
            current = self.ledger.get(claim.key)
        except LedgerError:
            return None
        done = tuple(current.parts_done)
        index = len(done)
        if index >= len(request.parts):
            return self._finish(claim, done)
        try:
            answer = publisher.find(request, index, self._first_attempt(claim, request))
        except PublishError:
            return None  # the next attempt looks first
        self._reported(claim, index, answer)
        if not isinstance(answer, Found):
            return None  # absent or cannot tell: the next attempt looks first again
        if index + 1 >= len(request.parts):
            return self._finish(claim, (*done, answer.part), last=answer.part)
        self.ledger.record_part(claim, answer.part, now=self.clock.now())
        return None

    def _apply(self, claim: Claim, decision: Decision, exc: PublishError) -> str:
        now = self.clock.now()
        draft: Draft = claim.draft
        if decision.action == "retry":
            assert decision.at is not None
            self.ledger.retry_later(claim, next_attempt=decision.at, error=exc, now=now)
            self.reporter.event(
                "retry_wait",
                "warning",
                key=str(claim.key),
                attempt=claim.attempt,
                next_attempt=decision.at,
                error=decision.reason,
                **({"finishing_late": True} if decision.late else {}),
            )
            return "retry_wait"
        # A thread cut off part way: the person needs to know what readers can see.
        detail = published_parts(claim.parts_done)
        if isinstance(exc, OutcomeUnknown):
            # Out of time or attempts, and it may be out there: a person must decide.
            self.ledger.give_up(claim, state="outcome_unknown", reason=decision.reason, now=now)
            self._notice("outcome_unknown", draft, decision.reason, detail=detail)
            return "outcome_unknown"
        state = "missed" if decision.action == "missed" else "failed"
        self.ledger.give_up(claim, state=state, reason=decision.reason, now=now)
        self._notice(state, draft, decision.reason, detail=detail)
        return state

    def _refuse(self, claim: Claim, reason: str, hint: str = "") -> str:
        now = self.clock.now()
        self.ledger.give_up(claim, state="failed", reason=reason, now=now)
        self._notice("failed", claim.draft, reason, detail=hint)
        return "failed"

    def _notice(
        self, kind: str, draft: Draft, summary: str, *, url: str = "", detail: str = ""
    ) -> None:
        self.reporter.notice(
            Notice(
                kind=kind,
                draft=str(draft.key),
                summary=summary,
                when=self.clock.now(),
                url=url,
                detail=detail,
                local_time=due_local(draft),
            )
        )


def draft_platform(claim: Claim) -> str:
    return claim.draft.platform


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
