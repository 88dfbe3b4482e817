"""Several daemons sharing one PostgreSQL ledger: each post goes out once, and when one
daemon is killed another takes its work over after the lease."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon.process import Stage, check_exactly_once, make_stage, wait_exit
from tests.fakes.base import Fault
from tests.fakes.mastodon import STATUSES
from tests.fakes.x import CREATE as TWEETS
from tests.ledger.support import PgSchema, postgres_problem

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CREATE = "/xrpc/com.atproto.repo.createRecord"


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


def test_two_daemons_publish_each_post_once(pg_stage: Stage) -> None:
    posts, threads = 10, 2
    pg_stage.prepare(posts, threads)
    # Slow enough that the second daemon is up before the first could do everything alone.
    pg_stage.masto.inject("POST", STATUSES, Fault.delay(0.15), times=100)
    pg_stage.sky.inject("POST", CREATE, Fault.delay(0.15), times=100)
    pg_stage.x.inject("POST", TWEETS, Fault.delay(0.15), times=100)
    one = pg_stage.start("--exit-when-done", owner="daemon-one")
    two = pg_stage.start("--exit-when-done", owner="daemon-two")
    assert wait_exit(one, 120) == 0, pg_stage.logs()
    assert wait_exit(two, 120) == 0, pg_stage.logs()
    check_exactly_once(pg_stage, posts, threads)
    logs = [p.read_text() for p in sorted(pg_stage.folder.glob("daemon-*.log"))]
    assert all('"event":"publishing"' in log for log in logs), "both daemons did work"


def test_a_killed_daemons_work_is_taken_over_after_its_lease(pg_stage: Stage) -> None:
    posts, threads = 6, 2
    pg_stage.prepare(posts, threads)
    # Slow answers, so the victim dies holding claims (and with posts stored, unrecorded).
    pg_stage.masto.inject("POST", STATUSES, Fault.delay(0.4), times=100)
    pg_stage.sky.inject("POST", CREATE, Fault.delay(0.4), times=100)
    pg_stage.x.inject("POST", TWEETS, Fault.delay(0.4), times=100)
    victim = pg_stage.start(owner="victim")

    def stored() -> int:
        return len(pg_stage.masto.statuses) + len(pg_stage.sky.records) + len(pg_stage.x.tweets)

    # Killed while an answer is on its way: a post is stored and the victim has not heard.
    # (A fixed pause after "publishing" can end before a loaded machine sends anything.)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stored():
        time.sleep(0.01)
    assert stored(), pg_stage.logs()
    pg_stage.kill(victim)
    survivor = pg_stage.start("--exit-when-done", owner="survivor")
    assert wait_exit(survivor, 120) == 0, pg_stage.logs()
    check_exactly_once(pg_stage, posts, threads)
    survivor_log = sorted(pg_stage.folder.glob("daemon-*.log"))[-1].read_text()
    assert '"event":"reconciled"' in survivor_log  # it took over the victim's claims
