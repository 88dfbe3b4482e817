"""Handing due drafts to the worker pool: claims in batches, only as many as workers are free.

Timers, catch-up and the periodic sweep do not publish; they say "something may be due" and
the dispatcher claims, in one ledger transaction, as many due drafts (earliest first) as it
has idle workers, and gives each to one of them at once. So ``workers`` posts are in flight
at most, however many drafts fall due together, and several daemons on one ledger divide the
due drafts between them (PostgreSQL's SKIP LOCKED) instead of each trying every draft.

A claim is taken only for a worker that starts on it straight away: a claim taken in a batch
that then waited its turn could see its lease expire before its first request, and another
daemon take it over and post it as well.

Drafts a timer named that no claim picked up (claimed by another daemon, paused, waiting for a
later attempt, or past their window) are handed back to ``settle`` once nothing more can be
claimed, so the daemon can set their next timer or close them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from scheduler.daemon.report import Reporter
from scheduler.draft import DraftKey
from scheduler.errors import LedgerError

ClaimDue = Callable[[int], list[Any]]
Job = Callable[[Any], object]


class Dispatcher:
    """A pool of ``workers`` threads fed by batch claims from one dispatching thread."""

    def __init__(
        self,
        workers: int,
        *,
        claim_due: ClaimDue,
        process: Job,
        release: Job,
        settle: Callable[[list[DraftKey]], object],
        guard: Callable[[str, Callable[[], object]], None],
        reporter: Reporter,
        stopping: threading.Event,
        interval: float,
    ) -> None:
        if workers < 1:
            raise ValueError("a daemon needs at least one worker")
        self.workers = workers
        self._claim_due = claim_due
        self._process = process
        self._release = release
        self._settle = settle
        self._guard = guard
        self.reporter = reporter
        self.stopping = stopping
        self.interval = interval
        self._wake = threading.Event()
        self._lock = threading.Condition()
        self._busy = 0  # claims handed to a worker and not finished
        self._named: set[DraftKey] = set()  # drafts a timer or catch-up said are due
        self._work: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._dispatcher: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return bool(self._threads)

    @property
    def busy(self) -> int:
        with self._lock:
            return self._busy

    def start(self) -> None:
        for n in range(self.workers):
            thread = threading.Thread(target=self._work_loop, name=f"worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name="dispatch", daemon=True
        )
        self._dispatcher.start()
        self._threads.append(self._dispatcher)

    def due(self, keys: Iterable[DraftKey]) -> None:
        """These drafts' time has come: claim them (or whatever is due before them)."""
        with self._lock:
            self._named.update(keys)
        self._wake.set()

    def wake(self) -> None:
        """Look for due work now (a periodic sweep: late approvals, expired leases)."""
        self._wake.set()

    def shutdown(self, grace: float, monotonic: Callable[[], float]) -> int:
        """Claim nothing more; wait up to ``grace`` seconds for the posts in flight.
        Returns how many were still in flight."""
        self._wake.set()
        deadline = monotonic() + grace
        # A claim being taken as the stop came is handed over or given back before this
        # returns: the process may end right after, and must leave nothing claimed.
        if self._dispatcher is not None:
            self._dispatcher.join(max(0.0, deadline - monotonic()))
        with self._lock:
            while self._busy > 0:
                left = deadline - monotonic()
                if left <= 0:
                    break
                self._lock.wait(min(left, 0.5))
            busy = self._busy
        for _ in range(self.workers):
            self._work.put(None)
        return busy

    # --- the dispatching thread -----------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while not self.stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self.stopping.is_set():
                break
            self._guard("dispatch", self._round)

    def _round(self) -> None:
        """Claim for every idle worker until nothing more is due, then settle the rest."""
        while not self.stopping.is_set():
            with self._lock:
                idle = self.workers - self._busy
            if idle <= 0:
                return  # a worker that finishes wakes the dispatcher again
            try:
                claims = self._claim_due(idle)
            except LedgerError as exc:
                self.reporter.event("ledger_error", "error", step="claim", error=str(exc))
                return  # the next wake or sweep tries again
            for claim in claims:
                if self.stopping.is_set():
                    self._guard(f"release:{claim.key}", partial(self._release, claim))
                    continue
                with self._lock:
                    self._named.discard(claim.key)
                    self._busy += 1
                self._work.put(claim)
            if len(claims) < idle:
                break
        with self._lock:
            if self._busy >= self.workers:
                return  # more may be claimable once a worker is free
            left, self._named = sorted(self._named, key=str), set()
        if left and not self.stopping.is_set():
            self._settle(left)

    # --- the workers ----------------------------------------------------------------------

    def _work_loop(self) -> None:
        while True:
            claim = self._work.get()
            if claim is None:
                return
            try:
                self._guard(f"publish:{claim.key}", partial(self._process, claim))
            finally:
                with self._lock:
                    self._busy -= 1
                    self._lock.notify_all()
                self._wake.set()
