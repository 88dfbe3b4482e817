"""Simulated time for the real daemon: its timers run in order as a FixedClock is moved on.

The daemon sets its timers through ``Timers``; here they are kept in memory and run one after
the other, the clock set to each one's time first, so a week passes in as long as the work
takes. After every step the daemon sweeps, as its periodic job would, for work no timer
started (a retry's new time, a draft approved late).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from scheduler.clock import FixedClock
from scheduler.daemon.report import Reporter
from scheduler.daemon.runner import Daemon
from scheduler.daemon.timers import TIMER_THREADS, Job, Timers
from scheduler.rehearsal.base import RehearsalError


class SimulatedTimers(Timers):
    """Timers that run when ``Clockwork`` reaches them, never on the wall clock."""

    def __init__(self, clock: FixedClock, reporter: Reporter, stopping: threading.Event) -> None:
        super().__init__(clock, reporter, stopping)
        self.jobs: dict[str, tuple[datetime, Job]] = {}

    @property
    def running(self) -> bool:
        return True

    @property
    def planned(self) -> dict[str, datetime]:
        return {job_id: at for job_id, (at, _) in self.jobs.items()}

    def create(self, threads: int = TIMER_THREADS) -> None:
        pass

    def begin(self, interval: float, periodic: Job) -> None:
        pass

    def replace_all(self, wanted: Mapping[str, tuple[datetime, Job]]) -> None:
        self.jobs = dict(wanted)

    def set(self, job_id: str, at: datetime, job: Job) -> None:
        self.jobs[job_id] = (at, job)

    def now(self, job_id: str, job: Job) -> None:
        self.jobs[job_id] = (self.clock.now(), job)

    def shutdown(self, grace: float) -> int:
        self.jobs.clear()
        return 0

    def pop_next(self) -> tuple[str, datetime, Job] | None:
        if not self.jobs:
            return None
        job_id = min(self.jobs, key=lambda j: (self.jobs[j][0], j))
        at, job = self.jobs.pop(job_id)
        return job_id, at, job


class Clockwork:
    """Runs a daemon's timers in simulated time until none is left before ``until``."""

    def __init__(self, daemon: Daemon, clock: FixedClock) -> None:
        self.daemon = daemon
        self.clock = clock
        self.timers = SimulatedTimers(clock, daemon.reporter, daemon.stopping)
        # The daemon builds its own timers; a rehearsal swaps in the simulated ones.
        daemon.timers = self.timers
        self.steps = 0

    def run(
        self,
        until: datetime,
        *,
        limit: int,
        on_step: Callable[[datetime], None] | None = None,
    ) -> None:
        """Run every timer due up to ``until``; at most ``limit`` of them, a bound that only a
        daemon setting a timer again and again for the same instant could reach.
        ``on_step`` hears the simulated time after each step (a progress display's hook)."""
        self.daemon.reload()
        self.daemon.watch_pauses()
        self.daemon.sweep()
        while True:
            step = self.timers.pop_next()
            if step is None:
                break
            job_id, at, job = step
            if at > until:
                break
            if self.steps >= limit:
                raise RehearsalError(
                    f"the rehearsal did not settle after {limit} steps (the last: {job_id})",
                    hint="this is a bug in the scheduler: please report it",
                )
            if at > self.clock.now():
                self.clock.set(at)
            self.timers._guard(job_id, job)
            self.daemon.sweep()
            self.steps += 1
            if on_step is not None:
                on_step(self.clock.now())
