"""The daemon's timers: one APScheduler job per draft step, kept in line with the plan.

APScheduler (3.x, BackgroundScheduler, in-memory job store only) runs the jobs on its thread
pool. Every job runs through a guard: nothing a timer does may take the daemon down, and a
stop waits for the jobs in flight. Before ``start`` (the daemon driven by hand, in tests) the
timers are only remembered, so a test can read what would run when.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.clock import Clock
from scheduler.daemon.report import Reporter
from scheduler.errors import SchedulerError

Job = Callable[[], object]
# Timer jobs only look at the ledger and hand due drafts to the worker pool (dispatch), so a
# few threads serve them whatever the number of workers.
TIMER_THREADS = 2


def guarded(reporter: Reporter, name: str, job: Job) -> None:
    """Run a step of the daemon; nothing it does may take the daemon down."""
    try:
        job()
    except SchedulerError as exc:
        reporter.event("step_failed", "error", step=name, error=str(exc))
    except Exception as exc:  # a bug: say so, keep publishing everything else
        reporter.event("bug", "error", step=name, error=f"{type(exc).__name__}: {exc}")
        logging.getLogger("scheduler.daemon").exception("unexpected error in %s", name)


class Timers:
    def __init__(self, clock: Clock, reporter: Reporter, stopping: threading.Event) -> None:
        self.clock = clock
        self.reporter = reporter
        self.stopping = stopping
        self._scheduler: Any = None
        self._planned: dict[str, datetime] = {}  # job id -> run time, as last scheduled
        self._lock = threading.Lock()
        self._inflight = 0
        self._inflight_cond = threading.Condition()

    @property
    def planned(self) -> dict[str, datetime]:
        """Each timer's run time, by job id (a copy)."""
        with self._lock:
            return dict(self._planned)

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def create(self, threads: int = TIMER_THREADS) -> None:
        """Create the scheduler (timers set from now on are real jobs); ``begin`` starts it."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        # APScheduler's own chatter is not our log format; the guard reports every failure.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self._scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=threads)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    def begin(self, interval: float, periodic: Job) -> None:
        """Add the periodic job and start running timers."""
        self._scheduler.add_job(
            self._guard,
            "interval",
            seconds=interval,
            args=["periodic", periodic],
            id="periodic",
            next_run_time=datetime.now(UTC) + timedelta(seconds=interval),
        )
        self._scheduler.start()

    def replace_all(self, wanted: Mapping[str, tuple[datetime, Job]]) -> None:
        """Make the timers exactly ``wanted``: drop the others, add or move the changed."""
        if self._scheduler is None:
            with self._lock:
                self._planned = {job_id: at for job_id, (at, _) in wanted.items()}
            return
        with self._lock:
            for job_id in list(self._planned):
                if job_id not in wanted:
                    with contextlib.suppress(Exception):
                        self._scheduler.remove_job(job_id)
                    del self._planned[job_id]
            for job_id, (at, job) in wanted.items():
                if self._planned.get(job_id) != at:
                    self._add(job_id, at, job)

    def set(self, job_id: str, at: datetime, job: Job) -> None:
        """Run ``job`` at ``at`` (replacing the timer of that id)."""
        with self._lock:
            if self._scheduler is None or self.stopping.is_set():
                self._planned[job_id] = at
                return
            self._add(job_id, at, job)

    def now(self, job_id: str, job: Job) -> None:
        """Run ``job`` as soon as a thread is free (replacing the timer of that id)."""
        if self._scheduler is None:
            return
        self._scheduler.add_job(
            self._guard,
            "date",
            run_date=self._run_date(self.clock.now()),
            args=[job_id, job],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
        )

    def _add(self, job_id: str, at: datetime, job: Job) -> None:
        self._planned[job_id] = at
        self._scheduler.add_job(
            self._guard,
            "date",
            run_date=self._run_date(at),
            args=[job_id, job],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
        )

    def _run_date(self, at: datetime) -> datetime:
        # APScheduler runs on the real clock; an injected clock that runs ahead or behind
        # (rehearsals) is translated into real time.
        offset = self.clock.now() - datetime.now(UTC)
        return at - offset

    def _guard(self, name: str, job: Job) -> None:
        """Run a timer's work; nothing a timer does may take the daemon down."""
        with self._lock:
            self._planned.pop(name, None)
        with self._inflight_cond:
            if self.stopping.is_set():
                return
            self._inflight += 1
        try:
            guarded(self.reporter, name, job)
        finally:
            with self._inflight_cond:
                self._inflight -= 1
                self._inflight_cond.notify_all()

    def shutdown(self, grace: float) -> int:
        """Start no more jobs; wait up to ``grace`` seconds for those running. Returns how
        many were still running."""
        if self._scheduler is not None:
            with contextlib.suppress(Exception):
                self._scheduler.shutdown(wait=False)
        deadline = self.clock.monotonic() + grace
        with self._inflight_cond:
            while self._inflight > 0:
                left = deadline - self.clock.monotonic()
                if left <= 0:
                    break
                self._inflight_cond.wait(min(left, 0.5))
            return self._inflight
