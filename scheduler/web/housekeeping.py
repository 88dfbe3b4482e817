"""When expired invites and sessions are purged: as the server starts, then at most once per
``PURGE_EVERY`` when a request or a sign-in checks a session.

The pages need no timer thread for this: a request that comes after the interval purges
(one DELETE per table, usually of nothing), and concurrent requests skip rather than wait.
Several servers on one ledger each keep their own interval; ``AuthStore.purge`` is safe to
run from all of them at once.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from scheduler.clock import Clock
from scheduler.errors import LedgerError
from scheduler.log import EventSink, NullLog
from scheduler.web.base import PURGE_EVERY, Purged
from scheduler.web.store import AuthStore


class Housekeeping:
    def __init__(
        self,
        auth: AuthStore,
        clock: Clock,
        *,
        every: timedelta = PURGE_EVERY,
        log: EventSink | None = None,
    ) -> None:
        self.auth = auth
        self.clock = clock
        self.every = every.total_seconds()
        self.log: EventSink = log or NullLog()
        self._next: float | None = None  # monotonic seconds; None: at the first chance
        self._lock = threading.Lock()

    def now(self) -> Purged | None:
        """Purge now (as the server starts), whatever the interval says."""
        with self._lock:
            return self._purge()

    def maybe(self) -> Purged | None:
        """Purge if the interval has passed since the last purge; None when it has not, or
        when another request is purging at this moment."""
        due = self._next
        if due is not None and self.clock.monotonic() < due:
            return None
        if not self._lock.acquire(blocking=False):
            return None
        try:
            due = self._next
            if due is not None and self.clock.monotonic() < due:
                return None
            return self._purge()
        finally:
            self._lock.release()

    def _purge(self) -> Purged | None:
        # The next turn is set first: a ledger that cannot be reached is not asked again on
        # every request; the pages report that on their own.
        self._next = self.clock.monotonic() + self.every
        try:
            done = self.auth.purge(now=self.clock.now())
        except LedgerError as exc:
            self.log.event("web_purge_failed", level="warning", error=exc.message)
            return None
        if done.invites or done.sessions:
            self.log.event("web_purged", invites=done.invites, sessions=done.sessions)
        return done
