"""The daemon's timers on the real APScheduler, with a clock a year ahead of real time (as a
rehearsal's): order, moves, removals, a stop, and one engine job however many timers.

Timers are set some tens of milliseconds ahead, so each case waits well under a second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.daemon.report import Reporter
from scheduler.daemon.timers import Timers
from scheduler.log import MemoryLog

MS = timedelta(milliseconds=1)
WAIT = 10.0  # seconds a case waits at most for what it expects (a loaded machine)


class Ahead:
    """A clock a year ahead of the real one, ticking at its pace (as a rehearsal's may)."""

    shift = timedelta(days=365)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()


class Fired:
    """What ran, in order, with the clock's time at the start of each."""

    def __init__(self, clock: Ahead) -> None:
        self.clock = clock
        self.runs: list[tuple[str, datetime]] = []
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)

    def job(self, name: str) -> Callable[[], object]:
        def run() -> None:
            with self.changed:
                self.runs.append((name, self.clock.now()))
                self.changed.notify_all()

        return run

    def names(self) -> list[str]:
        with self.lock:
            return [name for name, _ in self.runs]

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.runs) >= count, WAIT), self.runs


def _timers(threads: int = 2) -> tuple[Timers, Ahead, threading.Event]:
    clock = Ahead()
    stopping = threading.Event()
    timers = Timers(clock, Reporter(MemoryLog()), stopping)
    timers.create(threads)
    timers.begin(3600.0, lambda: None)
    return timers, clock, stopping


@pytest.fixture
def running() -> Iterator[tuple[Timers, Ahead, threading.Event]]:
    timers, clock, stopping = _timers(threads=1)  # one thread: the order of starts is seen
    yield timers, clock, stopping
    stopping.set()
    timers.shutdown(5.0)


ORDER_CASES = [
    ("same instant, by id", [("c", 80), ("a", 80), ("b", 80)], ["a", "b", "c"]),
    ("set in reverse", [("late", 150), ("mid", 100), ("early", 50)], ["early", "mid", "late"]),
    (
        "mixed",
        [("x2", 120), ("x1", 60), ("y1", 60), ("z", 30), ("x3", 120)],
        ["z", "x1", "y1", "x2", "x3"],
    ),
]


@pytest.mark.parametrize(
    ("name", "timers_ms", "order"), ORDER_CASES, ids=[c[0] for c in ORDER_CASES]
)
def test_timers_fire_in_order_of_time_then_id(
    running: tuple[Timers, Ahead, threading.Event],
    name: str,
    timers_ms: list[tuple[str, int]],
    order: list[str],
) -> None:
    timers, clock, _ = running
    fired = Fired(clock)
    start = clock.now()
    wanted = {job_id: start + ms * MS for job_id, ms in timers_ms}
    for job_id, at in wanted.items():
        timers.set(job_id, at, fired.job(job_id))
    fired.wait_for(len(order))
    assert fired.names() == order
    assert all(when >= wanted[job_id] for job_id, when in fired.runs)  # never early
    assert timers.planned == {}


def test_a_moved_timer_fires_at_its_new_time_only(
    running: tuple[Timers, Ahead, threading.Event],
) -> None:
    timers, clock, _ = running
    fired = Fired(clock)
    start = clock.now()
    timers.set("sooner", start + 400 * MS, fired.job("sooner"))
    timers.set("later", start + 40 * MS, fired.job("later"))
    timers.set("sooner", start + 80 * MS, fired.job("sooner"))  # moved earlier
    timers.set("later", start + 250 * MS, fired.job("later"))  # moved later
    assert timers.planned == {"sooner": start + 80 * MS, "later": start + 250 * MS}
    fired.wait_for(2)
    time.sleep(0.5)  # past the first "sooner": it must not fire again
    assert fired.names() == ["sooner", "later"]
    (_, sooner), (_, later) = fired.runs
    assert start + 80 * MS <= sooner < start + 400 * MS
    assert later >= start + 250 * MS


def test_replace_all_drops_moves_adds_and_keeps(
    running: tuple[Timers, Ahead, threading.Event],
) -> None:
    timers, clock, _ = running
    fired = Fired(clock)
    start = clock.now()
    timers.replace_all(
        {
            "kept": (start + 200 * MS, fired.job("kept")),
            "moved": (start + 60 * MS, fired.job("moved")),
            "dropped": (start + 100 * MS, fired.job("dropped")),
        }
    )
    timers.replace_all(
        {
            # The same time: the timer set first stays, its job with it.
            "kept": (start + 200 * MS, fired.job("kept, set again")),
            "moved": (start + 150 * MS, fired.job("moved")),
            "added": (start + 120 * MS, fired.job("added")),
        }
    )
    assert timers.planned == {
        "kept": start + 200 * MS,
        "moved": start + 150 * MS,
        "added": start + 120 * MS,
    }
    fired.wait_for(3)
    time.sleep(0.2)
    assert fired.names() == ["added", "moved", "kept"]
    assert fired.runs[1][1] >= start + 150 * MS


def test_a_removed_timer_never_fires(running: tuple[Timers, Ahead, threading.Event]) -> None:
    timers, clock, _ = running
    fired = Fired(clock)
    start = clock.now()
    timers.set("gone", start + 50 * MS, fired.job("gone"))
    timers.set("other", start + 100 * MS, fired.job("other"))
    timers.replace_all({"other": (start + 100 * MS, fired.job("other"))})
    fired.wait_for(1)
    time.sleep(0.2)
    assert fired.names() == ["other"]


def test_now_runs_at_once_and_replaces_the_timer_of_that_id(
    running: tuple[Timers, Ahead, threading.Event],
) -> None:
    timers, clock, _ = running
    fired = Fired(clock)
    timers.set("catch_up", clock.now() + 200 * MS, fired.job("timer"))
    timers.now("catch_up", fired.job("now"))
    fired.wait_for(1)
    time.sleep(0.4)
    assert fired.names() == ["now"]
    assert timers.planned == {}


def test_a_slow_step_does_not_hold_back_the_next() -> None:
    timers, clock, stopping = _timers()  # the daemon's two threads
    fired = Fired(clock)
    release = threading.Event()
    start = clock.now()
    timers.set("slow", start + 30 * MS, lambda: release.wait(WAIT))
    timers.set("next", start + 80 * MS, fired.job("next"))
    try:
        fired.wait_for(1)
        assert not release.is_set()  # it ran while the slow one was still running
        assert fired.runs[0][1] < start + 1000 * MS
    finally:
        release.set()
        stopping.set()
        timers.shutdown(5.0)


def test_a_stop_waits_for_the_step_in_flight_and_starts_nothing_else() -> None:
    timers, clock, stopping = _timers(threads=1)
    fired = Fired(clock)
    started, finished = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(0.3)
        finished.set()

    start = clock.now()
    timers.set("slow", start + 20 * MS, slow)
    timers.set("queued", start + 21 * MS, fired.job("queued"))  # behind it on the one thread
    timers.set("later", start + 400 * MS, fired.job("later"))
    assert started.wait(WAIT)
    stopping.set()
    assert timers.shutdown(5.0) == 0
    assert finished.is_set()
    timers.set("after the stop", clock.now() + 10 * MS, fired.job("after the stop"))
    time.sleep(0.6)
    assert fired.names() == []


def test_a_stop_says_how_many_are_still_running_after_the_grace() -> None:
    timers, clock, stopping = _timers()
    started, release = threading.Event(), threading.Event()

    def stuck() -> None:
        started.set()
        release.wait(WAIT)

    timers.set("stuck", clock.now() + 10 * MS, stuck)
    assert started.wait(WAIT)
    stopping.set()
    try:
        assert timers.shutdown(0.1) == 1
    finally:
        release.set()


def test_thousands_of_timers_keep_one_engine_job() -> None:
    timers, clock, stopping = _timers()
    fired = Fired(clock)
    start = clock.now()
    try:
        far = {
            f"publish:{i}": (start + timedelta(hours=1, seconds=i), fired.job("far"))
            for i in range(5000)
        }
        timers.replace_all(far)
        assert len(timers.planned) == 5000
        assert timers.engine_jobs <= 2  # the periodic job and the next timer
        for i in range(0, 5000, 2):  # half of them moved, one by one
            timers.set(f"publish:{i}", start + timedelta(hours=2, seconds=i), fired.job("far"))
        timers.set("soon", start + 50 * MS, fired.job("soon"))
        assert timers.engine_jobs <= 2
        assert len(timers._heap) <= 2 * 5001 + 256  # stale entries do not pile up
        fired.wait_for(1)
        assert fired.names() == ["soon"]
        assert len(timers.planned) == 5000 and timers.engine_jobs <= 2
    finally:
        stopping.set()
        timers.shutdown(5.0)


def test_before_create_timers_are_only_remembered() -> None:
    clock = Ahead()
    timers = Timers(clock, Reporter(MemoryLog()), threading.Event())
    fired = Fired(clock)
    at = clock.now() - MS  # already due: it would run at once on a running scheduler
    timers.replace_all({"a": (at, fired.job("a"))})
    timers.set("b", at, fired.job("b"))
    timers.now("c", fired.job("c"))
    assert timers.planned == {"a": at, "b": at}
    assert not timers.running and timers.engine_jobs == 0
    time.sleep(0.1)
    assert fired.names() == []
