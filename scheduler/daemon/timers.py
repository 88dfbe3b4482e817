"""The daemon's timers: every draft step's run time, kept in line with the plan.

APScheduler (3.x, BackgroundScheduler, in-memory job store only) is the timing engine, but
it holds one date job, not one per step: the steps' run times are a heap here, and the one
job is armed for the earliest. A job each was about 1 KB and a signature inspection per
draft (21 MB of resident memory and seconds of start-up for 10,000 drafts); a heap entry is
a tuple. When the job fires, the steps now due are handed, in time order, to a small pool
of threads of their own, and the job is armed again for the next.

Every step runs through a guard: nothing a timer does may take the daemon down, and a stop
waits for the steps in flight. Before ``create`` (the daemon driven by hand, in tests) the
timers are only remembered, so a test can read what would run when.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.clock import Clock
from scheduler.daemon.report import Reporter
from scheduler.errors import SchedulerError

Job = Callable[[], object]
# Timer steps only look at the ledger and hand due drafts to the worker pool (dispatch), so a
# few threads serve them whatever the number of workers.
TIMER_THREADS = 2
# APScheduler's own threads run the periodic job (a reload can take seconds) and the firing
# of due steps, which only hands them on: one each, so a reload never delays a firing.
ENGINE_THREADS = 2
NEXT_ID = "next-timer"  # the one APScheduler job for every step (draft steps are "action:key")
# Moved and removed timers leave their old heap entries behind (skipped when reached); past
# this many beyond the live ones the heap is rebuilt.
SLACK = 256


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
        self._steps: ThreadPoolExecutor | None = None
        self._pending: dict[str, tuple[datetime, Job]] = {}  # job id -> (run time, job)
        # (run time, job id); an entry whose time no longer matches _pending is stale.
        self._heap: list[tuple[datetime, str]] = []
        self._armed: datetime | None = None  # the run time the APScheduler job is set for
        self._closed = False
        self._lock = threading.Lock()
        self._inflight = 0
        self._inflight_cond = threading.Condition()

    @property
    def planned(self) -> dict[str, datetime]:
        """Each timer's run time, by job id (a copy)."""
        with self._lock:
            return {job_id: at for job_id, (at, _) in self._pending.items()}

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    @property
    def engine_jobs(self) -> int:
        """How many APScheduler jobs exist: at most the periodic one and the next timer."""
        return 0 if self._scheduler is None else len(self._scheduler.get_jobs())

    def create(self, threads: int = TIMER_THREADS) -> None:
        """Create the scheduler (timers set from now on are armed); ``begin`` starts it."""
        from apscheduler.executors.pool import ThreadPoolExecutor as EnginePool
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        # APScheduler's own chatter is not our log format; the guard reports every failure.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self._scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": EnginePool(max_workers=ENGINE_THREADS)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        # Steps run apart from the firing so that a slow one (a reminder or a close waiting
        # for the ledger's writer) holds one thread, never the firing of the steps after it:
        # with two, the next due step starts at its time even while one is stuck.
        self._steps = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="timer")
        with self._lock:
            self._armed = None
            self._arm_earliest()

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
        with self._lock:
            for job_id in [j for j in self._pending if j not in wanted]:
                del self._pending[job_id]
            for job_id, (at, job) in wanted.items():
                old = self._pending.get(job_id)
                if old is None or old[0] != at:
                    self._put(job_id, at, job)
            self._compact()
            self._arm_earliest()

    def set(self, job_id: str, at: datetime, job: Job) -> None:
        """Run ``job`` at ``at`` (replacing the timer of that id)."""
        with self._lock:
            self._put(job_id, at, job)
            self._compact()
            if self._armed is None or at < self._armed:
                self._arm(at)

    def now(self, job_id: str, job: Job) -> None:
        """Run ``job`` as soon as a thread is free (replacing the timer of that id)."""
        if self._scheduler is None:
            return
        with self._lock:
            self._pending.pop(job_id, None)
        self._start([(job_id, job)])

    def _put(self, job_id: str, at: datetime, job: Job) -> None:
        self._pending[job_id] = (at, job)
        heapq.heappush(self._heap, (at, job_id))

    def _run_date(self, at: datetime) -> datetime:
        # APScheduler runs on the real clock; an injected clock that runs ahead or behind
        # (rehearsals) is translated into real time. Which steps are due is then asked of
        # the injected clock, so the order is the plan's to the microsecond.
        offset = self.clock.now() - datetime.now(UTC)
        return at - offset

    def _live(self, at: datetime, job_id: str) -> bool:
        entry = self._pending.get(job_id)
        return entry is not None and entry[0] == at

    def _compact(self) -> None:
        if len(self._heap) > 2 * len(self._pending) + SLACK:
            self._heap = [(at, job_id) for job_id, (at, _) in self._pending.items()]
            heapq.heapify(self._heap)

    def _arm_earliest(self) -> None:
        """Set the APScheduler job for the earliest live timer (under the lock)."""
        while self._heap and not self._live(*self._heap[0]):
            heapq.heappop(self._heap)
        if self._heap and self._heap[0][0] != self._armed:
            self._arm(self._heap[0][0])

    def _arm(self, at: datetime) -> None:
        if self._scheduler is None or self._closed or self.stopping.is_set():
            return
        self._armed = at
        # A firing only pops due entries under the lock, so two at once are harmless; one
        # refused for "maximum instances" would leave the timers unarmed.
        self._scheduler.add_job(
            self._fire,
            "date",
            run_date=self._run_date(at),
            id=NEXT_ID,
            replace_existing=True,
            misfire_grace_time=None,
            max_instances=ENGINE_THREADS,
        )

    def _fire(self) -> None:
        """The APScheduler job: start every step now due, in time order, then re-arm.

        APScheduler removes a fired date job before this can run (its lock is held until
        then), so arming again here cannot be undone by that removal."""
        due: list[tuple[str, Job]] = []
        with self._lock:
            self._armed = None
            now = self.clock.now()
            while self._heap and self._heap[0][0] <= now:
                at, job_id = heapq.heappop(self._heap)
                if self._live(at, job_id):
                    due.append((job_id, self._pending.pop(job_id)[1]))
            self._arm_earliest()
        self._start(due)

    def _start(self, steps: list[tuple[str, Job]]) -> None:
        if self._steps is None:
            return
        for job_id, job in steps:
            try:
                self._steps.submit(self._guard, job_id, job)
            except RuntimeError:  # shut down: a stop starts nothing new
                return

    def _guard(self, name: str, job: Job) -> None:
        """Run a timer's work; nothing a timer does may take the daemon down."""
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
            # The next timer goes first: APScheduler marks itself stopped before taking its
            # lock, and a date job it is firing at that moment is then not found for removal
            # (an error in its thread). Removing it takes that lock, so a firing completes.
            with self._lock:
                self._closed = True
                with contextlib.suppress(Exception):
                    self._scheduler.remove_job(NEXT_ID)
            with contextlib.suppress(Exception):
                self._scheduler.shutdown(wait=False)
        if self._steps is not None:
            self._steps.shutdown(wait=False, cancel_futures=True)
        deadline = self.clock.monotonic() + grace
        with self._inflight_cond:
            while self._inflight > 0:
                left = deadline - self.clock.monotonic()
                if left <= 0:
                    break
                self._inflight_cond.wait(min(left, 0.5))
            return self._inflight
