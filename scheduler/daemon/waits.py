"""A draft that waits for a person: its account's host changed and must be confirmed, or its
credentials are missing or refused and must be reconnected.

Either way nothing is sent: the account is paused in the ledger until the next look, a
person is told once, and the draft is tried again inside its window (or its thread's
completion limit) and given up only when that closes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.daemon.base import DaemonOptions
from scheduler.daemon.gate import LedgerGate
from scheduler.daemon.report import Reporter
from scheduler.daemon.retry import backoff, error_reason
from scheduler.daemon.windows import window_end
from scheduler.draft import Draft
from scheduler.errors import ConfigError, DestinationHeld, SchedulerError
from scheduler.ledger.base import Binding, Claim, Ledger
from scheduler.notify.base import Notice
from scheduler.platforms.base import AuthFailed

if TYPE_CHECKING:
    from scheduler.clock import Clock

# How long a binding read from the ledger is trusted before it is read again: an operator's
# confirmation of another host reaches a running daemon within this time.
BOUND_FOR = timedelta(seconds=60)


class WaitsForPeople:
    """The worker's steps for drafts that wait for a person."""

    if TYPE_CHECKING:  # what the Worker provides
        ledger: Ledger
        clock: Clock
        options: DaemonOptions
        reporter: Reporter
        gate: LedgerGate
        roots: Mapping[str, Path]
        stopping: threading.Event
        rand: Callable[[], float]
        bind_destinations: bool
        _bound: dict[str, tuple[tuple[str, str | None], datetime]]

        def _finish_by(self, draft: Draft) -> datetime: ...

        def _notice(
            self, kind: str, draft: Draft, summary: str, *, url: str = "", detail: str = ""
        ) -> None: ...

    def _check_destination(self, draft: Draft, now: datetime) -> None:
        """DestinationHeld unless the draft's destination is the one its account is bound to.

        The first publish of an account with nothing bound records where it goes.
        """
        if not self.bind_destinations or draft.destination is None:
            return
        wanted = (draft.destination.platform, draft.destination.host)
        seen = self._bound.get(draft.account)
        if seen is not None and seen[0] == wanted and now - seen[1] < BOUND_FOR:
            return  # read from the ledger a moment ago: no database round trip per post
        binding = self.ledger.bind_destination(draft.account, draft.destination, now=now)
        self.remember(binding, now)
        if binding.recorded:
            self.reporter.event(
                "destination_recorded",
                account=draft.account,
                destination=draft.destination.describe(),
            )
        if binding.held:
            where = self.roots.get(draft.campaign)
            command = binding.command(str(where) if where else "CAMPAIGN")
            raise DestinationHeld(binding.reason(), account=draft.account, hint=f"run `{command}`")

    def remember(self, binding: Binding, now: datetime) -> None:
        """Keep a binding that lets the account post, for ``BOUND_FOR``; forget any other."""
        if binding.held or binding.bound is None:
            self._bound.pop(binding.account, None)
            return
        d = binding.bound.destination
        self._bound[binding.account] = ((d.platform, d.host), now)

    def _held(self, claim: Claim, record: Draft, exc: DestinationHeld) -> str:
        """Wait (inside the window) for an operator to confirm the account's new host."""
        now = self.clock.now()
        draft: Draft = claim.draft
        end = window_end(record.due, record.latest, self.options.max_lateness)
        if claim.parts_done:
            end = self._finish_by(draft)
        self.reporter.notice(
            Notice(
                kind="destination_held",
                draft=str(claim.key),
                summary=exc.message,
                when=now,
                detail=exc.hint or "",
            ),
            once_key=f"{draft.account}->{draft.destination.host if draft.destination else ''}",
        )
        retry_at = now + timedelta(seconds=backoff(claim.attempt, self.options.retry, self.rand()))
        if retry_at > end:
            reason = f"{exc.message}; its window closed before the new host was confirmed"
            self.ledger.give_up(claim, state="missed", reason=reason, now=now)
            self._notice("missed", draft, reason)
            return "missed"
        self.gate.pause(draft.account, retry_at, reason=exc.message, source="held")
        self.ledger.retry_later(claim, next_attempt=retry_at, error=exc, now=now)
        return "retry_wait"

    def _needs_reconnect(self, claim: Claim, record: Draft, exc: SchedulerError) -> str:
        """Credentials missing or refused: wait (inside the window) for a person to reconnect."""
        now = self.clock.now()
        draft: Draft = claim.draft
        end = window_end(record.due, record.latest, self.options.max_lateness)
        if claim.parts_done:
            end = self._finish_by(draft)  # a started thread: reconnecting can still finish it
        delay = backoff(claim.attempt, self.options.retry, self.rand())
        retry_at = now + timedelta(seconds=delay)
        reason = f"account {draft.account} needs reconnecting: {error_reason(exc)}"
        self.reporter.notice(
            Notice(
                kind="needs_reconnect",
                draft=str(claim.key),
                summary=reason,
                when=now,
                detail="run `scheduler accounts check` after fixing the credentials",
            ),
            once_key=draft.account,
        )
        # A started thread is bounded by its completion limit, not by the attempt cap.
        out_of_attempts = claim.attempt >= self.options.retry.max_attempts and not claim.parts_done
        if retry_at > end or out_of_attempts:
            self.ledger.give_up(claim, state="failed", reason=reason, now=now)
            self._notice("failed", draft, reason)
            return "failed"
        self.gate.pause(draft.account, retry_at, reason=reason, source="auth")
        # The stored error says "needs reconnecting", so status shows it as a problem.
        stored: SchedulerError = (
            AuthFailed(reason, status=getattr(exc, "status", None))
            if isinstance(exc, AuthFailed)
            else ConfigError(reason)
        )
        self.ledger.retry_later(claim, next_attempt=retry_at, error=stored, now=now)
        return "retry_wait"
