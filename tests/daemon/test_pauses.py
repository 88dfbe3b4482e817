"""Account pauses and quotas end to end: the daemon with injected time, a real ledger (SQLite
and PostgreSQL) and a real Mastodon publisher against the loopback fake, whose requests are
counted to show that nothing goes to an account while its reset is pending: not new posts,
not later thread parts, not lookups, not after a restart. Waiting is never an attempt."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from scheduler.accounts import AccountSpec
from scheduler.approval import Policy, approve
from scheduler.campaign import load_campaign
from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.daemon.base import DaemonOptions
from scheduler.daemon.gate import NEAR_QUOTA, LedgerGate, platform_quotas
from scheduler.daemon.report import Reporter
from scheduler.daemon.retry import RetryPolicy
from scheduler.daemon.runner import Daemon
from scheduler.daemon.source import CampaignFiles
from scheduler.descriptors import Quota
from scheduler.draft import Draft, DraftKey
from scheduler.ledger import open_ledger
from scheduler.log import MemoryLog
from scheduler.platforms import build_publisher
from scheduler.platforms.base import PlatformContext, Publisher
from scheduler.platforms.mastodon import clear_instance_cache
from tests.daemon.support import CollectingNotifier
from tests.fakes.base import Fault
from tests.fakes.mastodon import ACCOUNT_STATUSES, STATUSES, FakeMastodon
from tests.ledger.support import ledger_url

__all__ = ["ledger_url"]

T0 = datetime.fromisoformat("2026-05-11T07:00:00+00:00")
DUE = datetime.fromisoformat("2026-05-11T08:00:00+00:00")
M = timedelta(minutes=1)
TOKEN = "mastodon-token-0123456789"
# The campaign's header: one Mastodon account on the fake, a reviewer, three hours' window.
HEADER = """\
id: limits
title: Rate limits
timezone: Etc/UTC
language: en
week_start: 2026-05-11
accounts:
  masto: {{platform: mastodon, instance: "{instance}"}}
team:
  - {{name: Author, email: author@example.org, roles: [writer]}}
  - {{name: Reviewer, email: rev@example.org, roles: [reviewer]}}
approval: {{required: 1, approvers: [reviewer]}}
defaults:
  max_lateness: 3h
"""
CAMPAIGN = (
    HEADER
    + """\
posts:
  - {{id: first, day: 1, time: "08:00", author: author@example.org, text: "You are not alone."}}
  - {{id: second, day: 1, time: "08:01", author: author@example.org, text: "Help is near."}}
  - {{id: third, day: 1, time: "08:02", author: author@example.org, text: "Reach out today."}}
  - id: thread
    day: 1
    time: "08:03"
    author: author@example.org
    thread:
      - text: "A story in three parts. 1/3"
      - text: "Asking for help was the first step. 2/3"
      - text: "Support is there day or night. 3/3"
"""
)


@dataclass
class Stage:
    root: Path
    clock: FixedClock
    fake: FakeMastodon
    ledger_url: str
    ledgers: list[Any] = field(default_factory=list)
    daemons: list[Daemon] = field(default_factory=list)
    quotas: Callable[[str, str], tuple[Quota, ...]] = platform_quotas
    # Runs before each publish, as another daemon acting at that instant would.
    before_publish: Callable[[], None] | None = None

    @property
    def ledger(self) -> Any:
        return self.ledgers[0]

    def key(self, post: str) -> DraftKey:
        return DraftKey("limits", post, "masto")

    def daemon(self) -> Daemon:
        """A daemon process of its own (its own ledger connection, fresh memory)."""
        ledger = open_ledger(self.ledger_url, clock=self.clock)
        self.ledgers.append(ledger)
        reporter = Reporter(MemoryLog(), CollectingNotifier())
        gate = LedgerGate(ledger, self.clock, quotas=self.quotas, reporter=reporter)
        context = PlatformContext(
            clock=self.clock,
            credentials=CredentialStore({env_name("masto", "access_token"): TOKEN}, None),
            state_dir=self.root / "state",
            outbox=self.root / "outbox",
            gate=gate,
        )
        publishers: dict[str, Publisher] = {}

        def publisher_for(draft: Draft) -> Publisher:
            if draft.account not in publishers:
                spec = AccountSpec("masto", "mastodon", {"instance": self.fake.base_url})
                publishers[draft.account] = build_publisher(spec, context)
            if self.before_publish is not None:
                self.before_publish()
            return publishers[draft.account]

        daemon = Daemon(
            ledger,
            CampaignFiles([self.root / "campaign"]),
            publisher_for,
            clock=self.clock,
            options=DaemonOptions(
                owner=f"daemon-{len(self.daemons) + 1}",
                lease=60,
                retry=RetryPolicy(base=30, factor=2, cap=600, jitter=0.0, max_attempts=3),
            ),
            reporter=reporter,
            rand=lambda: 0.0,
            gate=gate,
        )
        daemon.reload()
        self.daemons.append(daemon)
        return daemon

    def approve_all(self) -> None:
        policy = Policy.from_campaign(load_campaign(self.root / "campaign"))
        for record in self.ledger.list("limits"):
            if str(record.state) == "draft":
                approve(
                    self.ledger,
                    record.key,
                    "rev@example.org",
                    record.content_hash,
                    policy=policy,
                    now=T0,
                )

    def requests(self) -> int:
        return len(list(self.fake.iter_requests()))

    def posted(self) -> list[str]:
        return self.fake.texts()

    def state(self, post: str) -> str:
        return str(self.ledger.get(self.key(post)).state)

    def attempts(self, post: str) -> int:
        return int(self.ledger.get(self.key(post)).attempts)


@pytest.fixture
def stage(ledger_url: str, tmp_path: Path) -> Iterator[Stage]:
    clear_instance_cache()
    clock = FixedClock(T0)
    with FakeMastodon(clock, token=TOKEN) as fake:
        folder = tmp_path / "campaign"
        folder.mkdir()
        text = CAMPAIGN.format(instance=fake.base_url)
        (folder / "campaign.yaml").write_text(text, encoding="utf-8")
        made = Stage(tmp_path, clock, fake, ledger_url)
        try:
            yield made
        finally:
            for daemon in made.daemons:
                daemon.reporter.close(timeout=2)
            for ledger in made.ledgers:
                ledger.close()


def _pause(stage: Stage) -> Any:
    return stage.ledger.account_pause("masto", now=stage.clock.now())


def test_a_429_holds_every_request_to_the_account_until_its_reset_across_a_restart(
    stage: Stage,
) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    stage.clock.set(DUE)
    stage.fake.inject("POST", STATUSES, stage.fake.rate_limit_fault(seconds=900))
    assert daemon.fire(stage.key("first")) == "retry_wait"
    reset = DUE + 15 * M
    pause = _pause(stage)
    assert pause is not None and pause.until == reset and pause.source == "rate_limited"
    sent = stage.requests()
    # Every minute until the reset: due posts are not claimed, nothing reaches the server.
    for minute in range(1, 15):
        stage.clock.set(DUE + minute * M)
        for post in ("first", "second", "third", "thread"):
            assert daemon.fire(stage.key(post)) is None
        assert daemon.sweep() == 0
    assert stage.requests() == sent
    # A restarted daemon (fresh memory, same ledger) knows the pause too.
    restarted = stage.daemon()
    assert restarted.sweep() == 0
    assert restarted.fire(stage.key("second")) is None
    assert restarted.timers.planned["publish:limits/second@masto"] == reset
    assert stage.requests() == sent
    assert [stage.attempts(p) for p in ("first", "second", "third", "thread")] == [1, 0, 0, 0]
    stage.clock.set(reset)
    assert restarted.sweep() == 4
    assert all(stage.state(p) == "published" for p in ("first", "second", "third", "thread"))
    assert len(stage.posted()) == 6  # three posts and a thread of three, each once
    assert [stage.attempts(p) for p in ("first", "second", "third", "thread")] == [2, 1, 1, 1]


def test_a_second_daemon_sharing_the_ledger_honours_the_pause(stage: Stage) -> None:
    one = stage.daemon()
    two = stage.daemon()
    stage.approve_all()
    stage.clock.set(DUE)
    stage.fake.inject("POST", STATUSES, stage.fake.rate_limit_fault(seconds=600))
    assert one.fire(stage.key("first")) == "retry_wait"
    sent = stage.requests()
    stage.clock.set(DUE + 5 * M)
    assert two.sweep() == 0
    assert two.fire(stage.key("second")) is None
    assert stage.requests() == sent
    stage.clock.set(DUE + 10 * M)
    assert two.sweep() == 4
    assert len(stage.posted()) == 6


def test_later_thread_parts_wait_for_the_reset_and_the_thread_ends_published(
    stage: Stage,
) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    # Part 1 goes out; part 2 is answered 429 with a reset in ten minutes.
    stage.clock.set(DUE + 3 * M)
    stage.fake.inject(
        "POST", STATUSES, Fault.passthrough(), stage.fake.rate_limit_fault(seconds=600)
    )
    assert daemon.fire(stage.key("thread")) == "retry_wait"
    record = stage.ledger.get(stage.key("thread"))
    assert len(record.parts_done) == 1  # the public first part is recorded
    sent = stage.requests()
    for minute in range(4, 13):
        stage.clock.set(DUE + minute * M)
        assert daemon.fire(stage.key("thread")) is None
        assert daemon.sweep() == 0
    assert stage.requests() == sent
    stage.clock.set(DUE + 13 * M)
    assert daemon.fire(stage.key("thread")) == "published"
    parts = [p for p in stage.fake.statuses if "/3" in p.text]
    assert [p.text[-3:] for p in parts] == ["1/3", "2/3", "3/3"]  # each once, in order
    assert [p.in_reply_to_id for p in parts] == [None, parts[0].id, parts[1].id]


def test_nothing_left_in_the_headers_pauses_before_any_429(stage: Stage) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    stage.fake.remaining = 1  # the first post spends the last request of the window
    stage.clock.set(DUE)
    assert daemon.fire(stage.key("first")) == "published"
    pause = _pause(stage)
    assert pause is not None and pause.source == "headers"
    assert pause.until == DUE + 5 * M  # the fake's X-RateLimit-Reset
    sent = stage.requests()
    stage.clock.set(DUE + 2 * M)
    assert daemon.sweep() == 0
    assert stage.requests() == sent
    stage.fake.remaining = 300
    stage.clock.set(DUE + 5 * M)
    assert daemon.sweep() == 3
    assert all(stage.state(p) == "published" for p in ("first", "second", "third", "thread"))


def test_lookups_after_a_lost_answer_honour_the_pause(stage: Stage) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    # The post is stored but its answer lost; the lookup that follows is answered 429.
    stage.fake.inject("POST", STATUSES, Fault.drop_after())
    stage.clock.set(DUE)
    stage.fake.inject("GET", ACCOUNT_STATUSES, stage.fake.rate_limit_fault(seconds=600))
    assert daemon.fire(stage.key("first")) == "retry_wait"
    assert _pause(stage) is not None
    lookups = len(stage.fake.calls("GET", "/api/v1/accounts/"))
    sent = stage.requests()
    for minute in range(1, 10):
        stage.clock.set(DUE + minute * M)
        assert daemon.fire(stage.key("first")) is None
        assert daemon.sweep() == 0
    assert stage.requests() == sent
    stage.clock.set(DUE + 10 * M)
    assert daemon.fire(stage.key("first")) == "published"
    assert len(stage.fake.calls("GET", "/api/v1/accounts/")) > lookups  # it looked, then
    assert stage.posted().count("You are not alone.") == 1  # found, never posted again


def test_waiting_for_a_pause_is_never_an_attempt(stage: Stage) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    stage.clock.set(DUE)
    assert daemon.fire(stage.key("first")) == "published"  # the instance limits are cached
    sent = stage.requests()
    # Another daemon pauses the account between each claim and its first request, five
    # times: more than the attempt cap (3). Each claim gives the draft back unsent.
    count = [0]

    def another_daemon_pauses() -> None:
        if count[0] < 5:
            count[0] += 1
            now = stage.clock.now()
            stage.ledger.pause_account(
                "masto", until=now + M, reason="429 elsewhere", source="rate_limited", now=now
            )

    stage.before_publish = another_daemon_pauses
    for minute in range(1, 6):
        stage.clock.set(DUE + minute * M)
        assert daemon.fire(stage.key("second")) == "deferred"
        assert stage.attempts("second") == 0
        assert stage.state("second") == "retry_wait"
    assert stage.requests() == sent
    stage.clock.set(DUE + 6 * M)
    assert daemon.fire(stage.key("second")) == "published"
    assert stage.attempts("second") == 1
    actions = [e.action for e in stage.ledger.events(stage.key("second"))]
    assert actions.count("defer") == 5


def test_a_quota_spreads_a_burst_instead_of_refusing_it(stage: Stage) -> None:
    # Two posts an hour: the third of a burst waits until the first leaves the window.
    stage.quotas = lambda account, platform: (Quota(2, timedelta(hours=1), "account"),)
    daemon = stage.daemon()
    stage.approve_all()
    stage.clock.set(DUE)
    assert daemon.fire(stage.key("first")) == "published"
    stage.clock.set(DUE + M)
    assert daemon.fire(stage.key("second")) == "published"
    pause = _pause(stage)
    assert pause is not None and pause.source == "quota"
    assert pause.until == DUE + 60 * M
    posts = len(stage.fake.calls("POST", STATUSES))
    stage.clock.set(DUE + 2 * M)
    assert daemon.fire(stage.key("third")) is None
    assert daemon.timers.planned["publish:limits/third@masto"] == DUE + 60 * M
    stage.clock.set(DUE + 59 * M)
    assert daemon.sweep() == 0
    assert len(stage.fake.calls("POST", STATUSES)) == posts
    stage.clock.set(DUE + 60 * M)
    assert daemon.fire(stage.key("third")) == "published"
    assert stage.attempts("third") == 1


def _counts(stage: Stage) -> list[int]:
    """For each quota count the last ledger sends to its database from now on, how many
    posts the fake platform had received when it was sent."""
    seen: list[int] = []

    def look(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "count(" in statement.lower() and "events" in statement:
            seen.append(len(stage.fake.calls("POST", STATUSES)))

    event.listen(stage.ledgers[-1].engine, "before_cursor_execute", look)
    return seen


def test_a_post_is_counted_again_after_it_only_near_its_quota(stage: Stage) -> None:
    # Counted before every post, whatever the room; after it only when little is left.
    stage.quotas = lambda account, platform: (Quota(NEAR_QUOTA + 1, timedelta(hours=1), "account"),)
    daemon = stage.daemon()
    stage.approve_all()
    counts = _counts(stage)
    stage.clock.set(DUE)
    assert daemon.fire(stage.key("first")) == "published"
    assert counts and set(counts) == {0}  # room for NEAR_QUOTA more after it: none after
    counts.clear()
    stage.clock.set(DUE + M)
    assert daemon.fire(stage.key("second")) == "published"
    # Room for fewer after it: counted before and after.
    assert counts == [1, 2]
    assert _pause(stage) is None


def test_a_spent_window_stops_a_thread_between_parts_without_sending_the_next(
    stage: Stage,
) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    stage.clock.set(DUE + 3 * M)
    stage.fake.remaining = 1  # part 1 spends the window's last request
    assert daemon.fire(stage.key("thread")) == "retry_wait"
    record = stage.ledger.get(stage.key("thread"))
    assert [p.index for p in record.parts_done] == [0]  # the public part is recorded
    assert record.next_attempt == DUE + 8 * M  # the window's reset
    assert len(stage.fake.calls("POST", STATUSES)) == 1  # part 2 was never sent
    sent = stage.requests()
    stage.clock.set(DUE + 7 * M)
    assert daemon.fire(stage.key("thread")) is None and daemon.sweep() == 0
    assert stage.requests() == sent
    stage.fake.remaining = 300
    stage.clock.set(DUE + 8 * M)
    assert daemon.fire(stage.key("thread")) == "published"
    parts = [p for p in stage.fake.statuses if "/3" in p.text]
    assert [p.in_reply_to_id for p in parts] == [None, parts[0].id, parts[1].id]
