"""A person pauses a running daemon (a real ``scheduler run`` process with posts due, against
the fake Mastodon, Bluesky and X): nothing more reaches the fakes within 2 seconds, a
restarted daemon keeps the pause, and after the resume every post goes out exactly once. On
PostgreSQL, two daemons sharing the ledger both stop."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler import pausing
from scheduler.clock import SystemClock
from scheduler.ledger import open_ledger
from tests.daemon.process import (
    Stage,
    check_exactly_once,
    events,
    make_stage,
    published,
    stage,
    wait_exit,
)
from tests.fakes.base import Fault
from tests.fakes.mastodon import STATUSES
from tests.fakes.x import CREATE as TWEETS
from tests.ledger.support import PgSchema, postgres_problem

__all__ = ["stage"]

CREATE = "/xrpc/com.atproto.repo.createRecord"
TAKES_EFFECT = 2.0  # seconds: the promise made to the person who pauses
POSTS, THREADS = 10, 2


def _slow(stage: Stage) -> None:
    """Every post is answered after 0.2 s, so that the week is still going out when paused."""
    for fake, path in ((stage.masto, STATUSES), (stage.sky, CREATE), (stage.x, TWEETS)):
        fake.inject("POST", path, Fault.delay(0.2), times=200)


def _settled(stage: Stage, seconds: float) -> tuple[int, float]:
    """Watch the fakes for ``seconds``: (parts stored at the end, when the count last grew,
    measured from the start of the watch)."""
    start = time.monotonic()
    count, last = published(stage), 0.0
    while time.monotonic() - start < seconds:
        now = published(stage)
        if now != count:
            count, last = now, time.monotonic() - start
        time.sleep(0.01)
    return count, last


def test_a_pause_stops_a_running_daemon_within_two_seconds_and_holds(stage: Stage) -> None:
    stage.prepare(POSTS, THREADS)
    _slow(stage)
    total = 3 * (POSTS + 3 * THREADS)
    first = stage.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and published(stage) < 4:
        time.sleep(0.01)
    assert published(stage) >= 4, stage.logs()

    ledger = open_ledger(stage.ledger_url, clock=SystemClock())
    try:
        ledger.pause(
            "crash-week", actor="lead@example.org", reason="crisis", now=SystemClock().now()
        )
        at_pause = published(stage)
        count, last_growth = _settled(stage, TAKES_EFFECT + 3.0)
        # What was on the wire when the pause came may land; nothing after 2 seconds.
        assert last_growth <= TAKES_EFFECT, (at_pause, count, last_growth)
        assert count < total, "the pause came too late to show anything"

        # A restart keeps the pause.
        first.send_signal(signal.SIGTERM)
        assert wait_exit(first, 60) == 0, stage.logs()
        second = stage.start("--exit-when-done")
        again, _ = _settled(stage, 3.0)
        assert again == count and second.poll() is None
        assert events(stage, "campaign_paused"), stage.logs()

        pausing.resume(
            ledger, "crash-week", actor="lead@example.org", choice="missed", now=SystemClock().now()
        )
    finally:
        ledger.close()
    assert wait_exit(second, 120) == 0, stage.logs()
    check_exactly_once(stage, POSTS, THREADS)


@pytest.fixture
def pg_stage(tmp_path: Path) -> Iterator[Stage]:
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    schema = PgSchema()
    try:
        with make_stage(tmp_path, schema.url) as made:
            yield made
    finally:
        schema.drop()


@pytest.mark.postgres
def test_every_daemon_sharing_the_ledger_stops(pg_stage: Stage) -> None:
    pg_stage.prepare(POSTS, THREADS)
    _slow(pg_stage)
    one = pg_stage.start("--exit-when-done", owner="daemon-one")
    two = pg_stage.start("--exit-when-done", owner="daemon-two")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and published(pg_stage) < 4:
        time.sleep(0.01)
    ledger = open_ledger(pg_stage.ledger_url, clock=SystemClock())
    try:
        ledger.pause(
            "crash-week", actor="lead@example.org", reason="crisis", now=SystemClock().now()
        )
        count, last_growth = _settled(pg_stage, TAKES_EFFECT + 3.0)
        assert last_growth <= TAKES_EFFECT, (count, last_growth)
        assert count < 3 * (POSTS + 3 * THREADS)
        assert one.poll() is None and two.poll() is None  # waiting, not done
        pausing.resume(
            ledger, "crash-week", actor="lead@example.org", choice="shift", now=SystemClock().now()
        )
    finally:
        ledger.close()
    assert wait_exit(one, 120) == 0, pg_stage.logs()
    assert wait_exit(two, 120) == 0, pg_stage.logs()
    check_exactly_once(pg_stage, POSTS, THREADS)
