"""Crashes where the scheduler has to look for its own posts.

Real daemon processes are killed with SIGKILL while they publish threads with images, while
the account keeps posting through another app (so every lookup has more newer posts than any
page budget would read) and while lookups are rate limited half way. Two Mastodon servers:
one that honours Idempotency-Key and sends ``Link`` headers, and one that ignores the key
and pages only by ``max_id``. X has no key at all. Every campaign part must end on every
platform exactly once, replying to the right parent, with its images.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon.process import (
    CHATTER,
    Stage,
    check_exactly_once,
    events,
    make_stage,
    published,
    wait_exit,
)
from tests.fakes.base import Fault
from tests.fakes.mastodon import ACCOUNT_STATUSES, STATUSES
from tests.fakes.x import CREATE as TWEETS
from tests.fakes.x import TIMELINE

pytestmark = pytest.mark.slow

CREATE = "/xrpc/com.atproto.repo.createRecord"
POSTS, THREADS = 4, 2
CHATTER_EVERY = 0.02  # seconds between posts the account makes elsewhere: 50 a second
# A request may leave before the answer that paused its account has been read: it was in
# flight, not sent during the reset. This long after the answer, none may leave.
IN_FLIGHT = 0.15


@pytest.fixture(
    params=[
        pytest.param((True, True), id="key-honoured-link-headers"),
        pytest.param((False, False), id="key-ignored-no-link-headers"),
    ]
)
def stage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stage]:
    honour_key, link_headers = request.param
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with make_stage(tmp_path, url, honour_key=honour_key, link_headers=link_headers) as made:
        yield made


class Chatter:
    """The account posting through another app all along: newer posts pile up between a
    lost answer and the lookup that settles it."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.stop = threading.Event()
        self.count = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Chatter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stop.wait(CHATTER_EVERY):
            self.count += 1
            self.stage.masto.post_elsewhere(f"{CHATTER} {self.count}: lunch was good")
            self.stage.x.post_elsewhere(f"{CHATTER} {self.count}: lunch was good")


def _lookup_faults(stage: Stage) -> None:
    """Lookups get a 429 (reset in 1 s) half way: after two pages read, again and again."""
    m, x = stage.masto, stage.x
    for _ in range(6):
        m.inject("GET", ACCOUNT_STATUSES, Fault.passthrough(), Fault.passthrough())
        m.inject("GET", ACCOUNT_STATUSES, Fault.later(lambda: m.rate_limit_fault(seconds=1)))
    for _ in range(4):
        x.inject("GET", TIMELINE, Fault.passthrough())
        x.inject("GET", TIMELINE, Fault.later(lambda: x.rate_limit_fault(reset_in=1)))


def _create_faults(stage: Stage) -> None:
    """Creates that are stored and whose answer is lost, or answered late; and among the late
    ones a 429 while other posts and thread parts are under way on the same account, whose
    next requests must then wait for the reset too."""
    m, x, sky = stage.masto, stage.x, stage.sky
    for _ in range(3):
        m.inject("POST", STATUSES, Fault.passthrough(), Fault.drop_after())
        x.inject("POST", TWEETS, Fault.passthrough(), Fault.drop_after())
        sky.inject("POST", CREATE, Fault.passthrough(), Fault.drop_after())
    for fake, path in ((m, STATUSES), (x, TWEETS), (sky, CREATE)):
        fake.inject("POST", path, Fault.delay(0.3), times=2)
    m.inject("POST", STATUSES, Fault.later(lambda: m.rate_limit_fault(2)))
    x.inject("POST", TWEETS, Fault.later(lambda: x.rate_limit_fault(reset_in=2)))
    sky.inject("POST", CREATE, Fault.later(lambda: sky.rate_limit_fault(2)))
    for fake, path in ((m, STATUSES), (x, TWEETS), (sky, CREATE)):
        fake.inject("POST", path, Fault.delay(0.3), times=200)


def test_kills_and_rate_limited_lookups_past_any_page_budget_post_each_part_once(
    stage: Stage,
) -> None:
    stage.prepare(POSTS, THREADS, images=True)
    want = 3 * (POSTS + 3 * THREADS)
    rng = random.Random(20261207)
    kills = 0
    with Chatter(stage) as chatter:
        _lookup_faults(stage)
        _create_faults(stage)
        for _ in range(8):
            if published(stage) >= want:
                break
            proc = stage.start()
            log = stage.folder / f"daemon-{len(stage.procs) - 1}.log"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and proc.poll() is None:
                if log.exists() and '"event":"publishing"' in log.read_text(errors="replace"):
                    break
                time.sleep(0.02)
            time.sleep(rng.uniform(0.1, 0.8))
            if proc.poll() is not None:
                break
            stage.kill(proc)
            kills += 1
        proc = stage.start("--exit-when-done")
        assert wait_exit(proc, 180) == 0, stage.logs()
    assert kills >= 3, stage.logs()
    check_exactly_once(stage, POSTS, THREADS)
    # Every reset a server announced was honoured by every daemon, restarted ones too.
    for fake in (stage.masto, stage.sky, stage.x):
        assert fake.announced, type(fake).__name__
        early = fake.during_resets(grace=IN_FLIGHT)
        assert not early, (type(fake).__name__, early, fake.announced)
    # Lookups had more to read than the old page budget (3 pages of 40) ever would.
    assert chatter.count > 3 * 40, chatter.count
    lookups = events(stage, "reconciled")
    assert lookups, stage.logs()
    assert any(e.get("answer") == "found" for e in lookups), stage.logs()
    # A lookup rate limited half way waited and looked again; it never posted instead.
    later = events(stage, "reconcile_later")
    assert later and all(e.get("retry_after") is not None for e in later), stage.logs()
    # Threads carry their images on every platform, part 1 and part 3.
    with_images = [s for s in stage.masto.statuses if s.media]
    assert len(with_images) == 2 * THREADS
    assert all(s.media[0]["description"] for s in with_images)
    assert sum(1 for r in stage.sky.records if (r.value.get("embed") or {})) == 2 * THREADS
    assert sum(1 for t in stage.x.tweets if t.media_ids) == 2 * THREADS
