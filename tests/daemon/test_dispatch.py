"""The worker pool: due drafts are claimed in batches for idle workers, ``workers`` posts are
in flight at most, catch-up uses every worker, and daemons sharing a ledger divide the work.

Real ledger (SQLite and PostgreSQL), real sandbox publisher, the dispatcher's real threads;
the clock stays where the test puts it. Waits are bounded waits for those threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from scheduler.daemon.runner import Daemon
from scheduler.platforms.base import Publisher
from tests.daemon.support import DUE2, Rig, at, rig
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]

DUE_AT_DUE2 = (("first", "masto"), ("first", "sky"), ("second", "masto"))


class InFlight:
    """Counts the posts being sent at once; each waits (briefly) for company, so that a
    pool allowed to run more at once does."""

    def __init__(self, expect: int) -> None:
        self.expect = expect
        self.now = 0
        self.most = 0
        self.calls = 0
        self._cond = threading.Condition()

    def wrap(self, account: str, publisher: Publisher) -> Publisher:
        return _Counted(publisher, self)  # type: ignore[return-value]

    def enter(self) -> None:
        with self._cond:
            self.now += 1
            self.calls += 1
            self.most = max(self.most, self.now)
            self._cond.notify_all()
            deadline = time.monotonic() + 2.0
            while self.now < self.expect and time.monotonic() < deadline:
                self._cond.wait(0.05)

    def leave(self) -> None:
        with self._cond:
            self.now -= 1


class _Counted:
    def __init__(self, inner: Publisher, counter: InFlight) -> None:
        self._inner = inner
        self._counter = counter

    def publish(self, *args: Any, **kwargs: Any) -> Any:
        self._counter.enter()
        try:
            return self._inner.publish(*args, **kwargs)
        finally:
            self._counter.leave()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _wait_published(rig: Rig, keys: tuple[tuple[str, str], ...], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(rig.state(post, account) == "published" for post, account in keys):
            return
        time.sleep(0.05)
    states = {f"{p}@{a}": rig.state(p, a) for p, a in keys}
    raise AssertionError(f"not all published in time: {states}")


@pytest.fixture
def running(rig: Rig) -> Iterator[list[Daemon]]:
    """Daemons whose worker pools run (no timers: the test says what is due)."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.stopping.set()
        daemon.dispatcher.shutdown(10.0, time.monotonic)


def _start(rig: Rig, running: list[Daemon], owner: str, workers: int) -> Daemon:
    daemon = rig.daemon(owner=owner, workers=workers)
    assert daemon.reload()
    daemon.dispatcher.start()
    running.append(daemon)
    return daemon


@pytest.mark.parametrize("workers", [1, 2])
def test_catch_up_runs_on_every_worker_and_no_more(
    rig: Rig, running: list[Daemon], workers: int
) -> None:
    counter = InFlight(expect=len(DUE_AT_DUE2))
    rig.wrap = counter.wrap
    rig.daemon().reload()
    rig.approve_all()
    at(rig.clock, DUE2, 1)  # after downtime: three drafts are due at once
    daemon = _start(rig, running, "pool", workers)
    daemon.replan()
    assert len(daemon.pending_catch_up) == len(DUE_AT_DUE2)
    daemon.run_catch_up()
    _wait_published(rig, DUE_AT_DUE2)
    assert counter.most == workers  # the setting is the number of posts in flight
    assert counter.calls == len(DUE_AT_DUE2)
    assert len(rig.outbox_posts()) == 2 and len(rig.outbox_posts("sky")) == 1


def test_a_timer_only_names_the_draft_and_the_pool_publishes_it(
    rig: Rig, running: list[Daemon]
) -> None:
    rig.daemon().reload()
    rig.approve_all()
    at(rig.clock, DUE2, 1)
    daemon = _start(rig, running, "pool", 4)
    assert daemon.fire(rig.key("second")) is None  # handed over, not published here
    _wait_published(rig, DUE_AT_DUE2)  # the claim took whatever else was due as well
    assert daemon.outcomes == {"published": len(DUE_AT_DUE2)}


def test_daemons_sharing_a_ledger_divide_the_due_drafts(rig: Rig, running: list[Daemon]) -> None:
    counter = InFlight(expect=2)
    rig.wrap = counter.wrap
    rig.daemon().reload()
    rig.approve_all()
    at(rig.clock, DUE2, 1)
    one = _start(rig, running, "one", 1)
    two = _start(rig, running, "two", 1)
    keys = [rig.key(post, account) for post, account in DUE_AT_DUE2]
    one.dispatcher.due(keys)
    two.dispatcher.due(keys)
    _wait_published(rig, DUE_AT_DUE2)
    assert counter.calls == len(DUE_AT_DUE2)  # each draft sent once, by one of them
    assert len(rig.outbox_posts()) == 2 and len(rig.outbox_posts("sky")) == 1
    assert one.outcomes.get("published", 0) + two.outcomes.get("published", 0) == 3
    assert one.outcomes.get("published", 0) >= 1 and two.outcomes.get("published", 0) >= 1


def test_a_named_draft_nobody_could_claim_is_settled(rig: Rig, running: list[Daemon]) -> None:
    rig.daemon().reload()
    rig.approve_all(skip=("second",))
    at(rig.clock, DUE2, 1)
    daemon = _start(rig, running, "pool", 2)
    # "thread" is due later: the dispatcher cannot claim it, so it gets its timer back.
    daemon.dispatcher.due([rig.key("thread")])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "publish:test-daemon/thread@masto" not in (
        daemon.timers.planned
    ):
        time.sleep(0.05)
    assert "publish:test-daemon/thread@masto" in daemon.timers.planned
    _wait_published(rig, (("first", "masto"), ("first", "sky")))
    assert rig.state("second") == "draft"
