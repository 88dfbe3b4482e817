"""The daemon as a process: start it, run it until a signal (or until done), the periodic
job between timers, a clean stop with a grace period, and what the run came to (the summary
and exit code of ``run --exit-when-done``).

A part of ``Daemon`` (``runner.py``), kept apart: the runner decides what each draft needs,
this runs it as a long-lived process.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from scheduler.clock import Clock
from scheduler.daemon.base import CampaignSource, DaemonError, DaemonOptions, Loaded
from scheduler.daemon.dispatch import Dispatcher
from scheduler.daemon.leases import too_long, warning
from scheduler.daemon.reconcile import UNAPPROVED, WAITING
from scheduler.daemon.report import Reporter
from scheduler.daemon.timers import Timers
from scheduler.errors import LedgerError

ACTIVE = WAITING | {"publishing"}
# What a person must look at: ``run --exit-when-done`` exits 1 when any draft ends so.
NOT_PUBLISHED = ("failed", "missed", "outcome_unknown")


class Lifecycle:
    """Starting, running and stopping the daemon, and its outcome."""

    if TYPE_CHECKING:  # what the Daemon provides
        ledger: Any
        source: CampaignSource
        clock: Clock
        options: DaemonOptions
        reporter: Reporter
        timers: Timers
        dispatcher: Dispatcher
        campaigns: dict[str, Loaded]
        outcomes: dict[str, int]
        paused_scopes: dict[str, Any]
        stopping: threading.Event
        _reload_requested: threading.Event
        _stop_requested: threading.Event

        def reload(self) -> bool: ...
        def sweep(self) -> int: ...
        def records(self) -> list[Any]: ...
        def warn_expiring(self) -> None: ...
        def renew_tokens(self) -> None: ...
        def _last_chance(self, record: Any) -> datetime: ...

    def summary(self) -> dict[str, int]:
        """How many drafts of the loaded campaigns are in each state, from the ledger (so
        drafts closed as missed at start, or by another daemon, are counted too)."""
        counts: dict[str, int] = {}
        try:
            records = self.records()
        except LedgerError:
            return counts
        for record in records:
            state = str(record.state)
            counts[state] = counts.get(state, 0) + 1
        return dict(sorted(counts.items()))

    def exit_code(self) -> int:
        """0, or 1 when any draft failed, was missed or has an unknown outcome."""
        counts = self.summary()
        return 1 if any(counts.get(state, 0) for state in NOT_PUBLISHED) else 0

    def is_done(self) -> bool:
        """Nothing left to publish, to retry or to wait for approval within its window."""
        now = self.clock.now()
        for record in self.records():
            state = str(record.state)
            if state in ACTIVE:
                return False
            if state in UNAPPROVED and now <= self._last_chance(record):
                return False
        return True

    def watch_pauses(self) -> None:
        """Say when a person paused or resumed publishing (one small read per sweep).

        The pause itself needs nothing from here: the ledger refuses claims of a paused
        campaign, and a thread being published stops between its parts."""
        now = {p.scope: p for p in self.ledger.pauses()}
        for scope, pause in now.items():
            if scope not in self.paused_scopes:
                self.reporter.event(
                    "campaign_paused",
                    "warning",
                    scope=scope,
                    since=pause.since,
                    by=pause.actor,
                    reason=pause.reason,
                )
        for scope in set(self.paused_scopes) - set(now):
            self.reporter.event("campaign_resumed", scope=scope)
        self.paused_scopes = now

    def _periodic(self) -> None:
        self.watch_pauses()
        if self._reload_requested.is_set() or self.source.changed():
            self._reload_requested.clear()
            self.reporter.event("reload")
            self.reload()
        if self.dispatcher.running:
            self.dispatcher.wake()
        else:
            self.sweep()
        self.renew_tokens()
        self.warn_expiring()
        if self.options.exit_when_done and self.is_done():
            self.reporter.event("done", outcomes=dict(sorted(self.outcomes.items())))
            self._stop_requested.set()

    def start(self) -> None:
        self.timers.create()
        self.dispatcher.start()
        self.reporter.event(
            "starting",
            owner=self.options.owner,
            ledger=getattr(self.ledger, "url", ""),
            lease=self.options.lease,
        )
        if not self.reload() and not self.campaigns:
            raise DaemonError(
                "no campaign could be loaded, so nothing can be published",
                hint="fix the problems above (`scheduler check PATH`), then start again",
            )
        self.warn_short_lease()
        self.watch_pauses()
        interval = min(self.options.sweep_interval, self.options.reload_interval)
        self.timers.begin(interval, self._periodic)
        self.reporter.event(
            "running", timers=len(self.timers.planned), campaigns=len(self.campaigns)
        )

    def warn_short_lease(self) -> None:
        """One warning when a step of publishing can outlast the claim lease (``leases``)."""
        accounts = {
            name: spec
            for loaded in self.campaigns.values()
            for name, spec in loaded.accounts.items()
        }
        lease, timeout = self.options.lease, self.options.http_timeout
        over = too_long(lease, timeout, accounts.values())
        if over:
            self.reporter.event("lease_too_short", "warning", **warning(lease, timeout, over))

    def stop(self) -> None:
        """Start nothing new; let in-flight posts finish (threads release between parts)."""
        self.stopping.set()
        start = self.clock.monotonic()
        remaining = self.timers.shutdown(self.options.grace)
        left = max(0.0, self.options.grace - (self.clock.monotonic() - start))
        remaining += self.dispatcher.shutdown(left, self.clock.monotonic)
        if remaining:
            self.reporter.event(
                "stopping_with_work_in_flight",
                "warning",
                posts=remaining,
                note="their leases expire and the next daemon reconciles them",
            )
        self.reporter.event("stopped", outcomes=dict(sorted(self.outcomes.items())))
        if self.options.exit_when_done:
            counts = self.summary()
            bad = sum(counts.get(state, 0) for state in NOT_PUBLISHED)
            self.reporter.event(
                "summary",
                "error" if bad else "info",
                drafts=counts,
                not_published=bad,
                **{state: counts.get(state, 0) for state in NOT_PUBLISHED},
            )
        self.reporter.close(timeout=5.0)

    def run(self) -> int:
        """Run until SIGTERM/SIGINT (or until done with ``exit_when_done``); returns 0, or with
        ``exit_when_done`` 1 when any draft failed, was missed or has an unknown outcome."""
        previous: dict[int, Any] = {}

        def on_stop(signum: int, frame: FrameType | None) -> None:
            self.reporter.event("signal", name=signal.Signals(signum).name)
            self._stop_requested.set()

        def on_hup(signum: int, frame: FrameType | None) -> None:
            self.reporter.event("signal", name="SIGHUP")
            self._reload_requested.set()

        handlers: list[tuple[int, Callable[[int, FrameType | None], None]]] = [
            (signal.SIGTERM, on_stop),
            (signal.SIGINT, on_stop),
        ]
        if hasattr(signal, "SIGHUP"):
            handlers.append((signal.SIGHUP, on_hup))
        if threading.current_thread() is threading.main_thread():
            for signum, handler in handlers:
                previous[signum] = signal.signal(signum, handler)
        try:
            self.start()
            while not self._stop_requested.wait(0.2):
                pass
        finally:
            self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return self.exit_code() if self.options.exit_when_done else 0
