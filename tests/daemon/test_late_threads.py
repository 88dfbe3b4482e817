"""A thread cut off after its first part is finished late, not left broken (injected time).

The daemon publishes to the fake Mastodon on loopback (real HTTP, a 503 injected on part 2)
with a real ledger (SQLite and PostgreSQL) and a FixedClock moved by hand. The support line
is in the last part, as in the campaigns this serves: a reader who sees only part 1 of a
thread about suicide has nowhere to turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.approval import Policy, approve
from scheduler.campaign import load_campaign
from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.daemon.base import DaemonOptions
from scheduler.daemon.report import Reporter
from scheduler.daemon.request import build_request
from scheduler.daemon.retry import RetryPolicy
from scheduler.daemon.runner import Daemon
from scheduler.daemon.source import CampaignFiles
from scheduler.daemon.status import build, render
from scheduler.draft import Draft, DraftKey
from scheduler.errors import ConfigError
from scheduler.ledger import open_ledger
from scheduler.log import MemoryLog
from scheduler.platforms import build_publisher
from scheduler.platforms.base import PlatformContext, Publisher
from scheduler.platforms.mastodon import clear_instance_cache
from tests.daemon.support import CollectingNotifier
from tests.fakes.base import Fault
from tests.fakes.mastodon import STATUSES, FakeMastodon
from tests.ledger.support import ledger_url

__all__ = ["ledger_url"]

TOKEN = "mastodon-token-0123456789"
T_START = datetime.fromisoformat("2026-05-11T07:00:00+00:00")
DUE = datetime.fromisoformat("2026-05-11T09:00:00+00:00")
WINDOW_END = DUE + timedelta(minutes=30)  # max_lateness: 30m
LIMIT = WINDOW_END + timedelta(hours=24)  # the default thread completion limit
KEY = DraftKey("late-threads", "story", "masto")
PART3 = "If you are struggling, Samaritans are there day or night: call 116 123. 3/3"


def campaign_text(instance: str) -> str:
    return f"""\
id: late-threads
title: Late threads
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  masto: {{platform: mastodon, instance: "{instance}"}}
team:
  - {{name: Author, email: author@example.org, roles: [writer]}}
  - {{name: Reviewer, email: rev@example.org, roles: [reviewer]}}
approval: {{required: 1, approvers: [reviewer]}}
defaults:
  max_lateness: 30m
posts:
  - id: story
    day: 1
    time: "10:00"
    author: author@example.org
    cw: suicide
    thread:
      - text: "Sam's story, in three parts: living through suicidal thoughts. 1/3"
      - text: "What helped Sam was telling one person how bad it had got. 2/3"
      - text: "{PART3}"
"""


@dataclass
class Stage:
    root: Path
    ledger: Any
    clock: FixedClock
    fake: FakeMastodon
    log: MemoryLog
    notifier: CollectingNotifier
    options: DaemonOptions
    daemons: list[Daemon]

    def publisher_for(self, draft: Draft) -> Publisher:
        spec = self.daemons[-1].campaigns[draft.campaign].accounts[draft.account]
        context = PlatformContext(
            clock=self.clock,
            credentials=CredentialStore({env_name("masto", "access_token"): TOKEN}, None),
            state_dir=self.root / "state",
            outbox=self.root / "outbox",
        )
        return build_publisher(spec, context)

    def daemon(self, **options: Any) -> Daemon:
        """A daemon process as after a (re)start: same ledger, fresh memory."""
        daemon = Daemon(
            self.ledger,
            CampaignFiles([self.root / "campaign"]),
            self.publisher_for,
            clock=self.clock,
            options=replace(self.options, **options),
            reporter=Reporter(self.log, self.notifier, notify_published=True),
            rand=lambda: 0.0,
        )
        self.daemons.append(daemon)
        return daemon

    def approve(self) -> None:
        policy = Policy.from_campaign(load_campaign(self.root / "campaign"))
        record = self.ledger.get(KEY)
        approve(
            self.ledger, KEY, "rev@example.org", record.content_hash, policy=policy, now=T_START
        )

    def record(self) -> Any:
        return self.ledger.get(KEY)

    def notices(self, kind: str) -> list[Any]:
        for daemon in self.daemons:
            daemon.reporter.flush()
        return [n for n in self.notifier.notices if n.kind == kind]

    def part_one_then_a_503(self) -> Daemon:
        """Part 1 goes out at its time; part 2 meets a server error; the retry (an hour's
        backoff) falls after the window."""
        daemon = self.daemon()
        assert daemon.reload()
        self.approve()
        self.fake.inject("POST", STATUSES, Fault.passthrough(), Fault.status(503))
        self.clock.set(DUE)
        assert daemon.fire(KEY) == "retry_wait"
        record = self.record()
        assert len(record.parts_done) == 1 and len(self.fake.statuses) == 1
        assert record.next_attempt == DUE + timedelta(hours=1)
        assert record.next_attempt > WINDOW_END
        return daemon


@pytest.fixture
def stage(ledger_url: str, tmp_path: Path) -> Iterator[Stage]:
    clear_instance_cache()
    clock = FixedClock(T_START)
    fake = FakeMastodon(clock, token=TOKEN).start()
    folder = tmp_path / "campaign"
    folder.mkdir()
    (folder / "campaign.yaml").write_text(campaign_text(fake.base_url), encoding="utf-8")
    ledger = open_ledger(ledger_url, clock=clock)
    made = Stage(
        root=tmp_path,
        ledger=ledger,
        clock=clock,
        fake=fake,
        log=MemoryLog(),
        notifier=CollectingNotifier(),
        options=DaemonOptions(
            owner="late-test",
            lease=60,
            retry=RetryPolicy(base=3600, factor=2, cap=4 * 3600, jitter=0.0, max_attempts=6),
        ),
        daemons=[],
    )
    try:
        yield made
    finally:
        for daemon in made.daemons:
            daemon.reporter.close(timeout=2)
        ledger.close()
        fake.stop()
        clear_instance_cache()


def _publish_part_one(stage: Stage, claim: Any) -> Any:
    """Part 1 posted through the real publisher and recorded under ``claim``."""
    request = build_request(claim.draft, stage.root / "campaign", approved_hash=claim.content_hash)
    publisher = stage.publisher_for(claim.draft)
    part = publisher.publish(replace(request, parts=request.parts[:1])).parts[0]
    return stage.ledger.record_part(claim, part, now=DUE)


def _thread_is_whole(fake: FakeMastodon) -> None:
    posted = fake.statuses
    assert len(posted) == 3, [p.text for p in posted]
    assert posted[0].in_reply_to_id is None
    assert posted[1].in_reply_to_id == posted[0].id
    assert posted[2].in_reply_to_id == posted[1].id
    assert posted[2].text == PART3


def test_a_retry_after_the_window_finishes_the_thread_replying_to_the_right_parent(
    stage: Stage,
) -> None:
    stage.part_one_then_a_503()
    # The window closes meanwhile; a restart must not call the thread missed.
    stage.clock.set(WINDOW_END + timedelta(minutes=15))
    daemon = stage.daemon()
    assert daemon.reload()
    assert str(stage.record().state) == "retry_wait"
    assert daemon.timers.planned[f"publish:{KEY}"] == DUE + timedelta(hours=1)
    assert stage.notices("missed") == []
    # `scheduler status` says what is happening, not "missed".
    report = build(stage.ledger.list("late-threads"), now=stage.clock.now(), max_lateness=6 * 3600)
    [item] = report["waiting_to_retry"]
    assert item["late"].startswith("finishing a started thread late: 1 of 3 parts are out")
    assert item["finish_by"] == LIMIT.isoformat()
    assert report["problems"] == []
    text = "\n".join(render(report))
    assert "finishing a started thread late" in text and "missed" not in text

    stage.clock.set(DUE + timedelta(hours=1))
    assert daemon.fire(KEY) == "published"
    _thread_is_whole(stage.fake)
    record = stage.record()
    assert str(record.state) == "published"
    assert [p.remote_id for p in record.parts_done] == [s.id for s in stage.fake.statuses]
    [late] = stage.notices("finished_late")
    assert late.summary.startswith("finished late: parts 2 and 3 of 3 went out after its window")
    assert "part 2 at Mon 11 May 11:00 BST (2026-05-11T10:00:00+00:00)" in late.detail
    assert stage.fake.statuses[2].entity["url"] in late.detail
    assert late.title().endswith("FINISHED LATE: late-threads/story@masto")
    assert stage.log.of("finishing_late")[0]["parts_done"] == 1


def test_a_retry_that_would_pass_the_completion_limit_ends_missed_with_the_parts(
    stage: Stage,
) -> None:
    stage.options = replace(stage.options, thread_completion=3600)  # one hour after the window
    stage.part_one_then_a_503()
    stage.fake.inject("POST", STATUSES, Fault.status(503))
    stage.clock.set(DUE + timedelta(hours=1))
    # Late, inside the limit: tried. Fails again; the next try (2 h on) is past the limit.
    assert stage.daemons[-1].fire(KEY) == "missed"
    assert len(stage.fake.statuses) == 1
    record = stage.record()
    assert str(record.state) == "missed"
    assert (record.last_error or "").startswith("thread unfinished: the next attempt")
    [missed] = stage.notices("missed")
    assert f"published parts: 1: {stage.fake.statuses[0].entity['url']}" in missed.detail
    [problem] = build(
        stage.ledger.list("late-threads"), now=stage.clock.now(), max_lateness=6 * 3600
    )["problems"]
    assert "published parts: 1: " in problem["problem"]


def test_down_past_the_completion_limit_the_thread_is_missed_and_its_parts_listed(
    stage: Stage,
) -> None:
    stage.part_one_then_a_503()
    stage.clock.set(LIMIT + timedelta(minutes=1))  # down for a day and more
    daemon = stage.daemon()
    assert daemon.reload()
    assert daemon.sweep() == 0
    record = stage.record()
    assert str(record.state) == "missed"
    assert (record.last_error or "").startswith(
        "only 1 of 3 parts were published: its window closed at Mon 11 May 10:30 BST and the "
        "rest could not be published within 24 h after that (by Tue 12 May 10:30 BST)"
    )
    [missed] = stage.notices("missed")
    assert missed.detail == f"published parts: 1: {stage.fake.statuses[0].entity['url']}"
    assert len(stage.fake.statuses) == 1


def test_a_thread_released_between_parts_is_finished_by_the_next_sweep_after_its_window(
    stage: Stage,
) -> None:
    daemon = stage.daemon()
    daemon.reload()
    stage.approve()
    # SIGTERM while part 1 is out: released between parts.
    claim = stage.ledger.claim(KEY, owner="stopped", now=DUE, lease=60)
    claim = _publish_part_one(stage, claim)
    stage.ledger.release(claim, now=DUE)
    # Down until after the window: the sweep claims it (the ledger's own condition).
    stage.clock.set(WINDOW_END + timedelta(hours=3))
    again = stage.daemon()
    again.reload()
    assert again.pending_catch_up and again.pending_catch_up[0].reason.startswith("finishing")
    assert again.sweep() == 1
    _thread_is_whole(stage.fake)
    assert str(stage.record().state) == "published"
    [late] = stage.notices("finished_late")
    assert "parts 2 and 3 of 3" in late.summary


def test_refused_credentials_on_part_two_wait_for_a_reconnect_past_the_window(
    stage: Stage,
) -> None:
    daemon = stage.daemon()
    daemon.reload()
    stage.approve()
    stage.fake.inject(
        "POST", STATUSES, Fault.passthrough(), Fault.status(401, {"error": "token revoked"})
    )
    stage.clock.set(DUE)
    assert daemon.fire(KEY) == "retry_wait"  # the reconnect retry (1 h) is after the window
    assert stage.notices("needs_reconnect")
    stage.clock.set(stage.record().next_attempt)
    assert daemon.fire(KEY) == "published"
    _thread_is_whole(stage.fake)


@pytest.mark.parametrize(
    "fault",
    [Fault.status(401, {"error": "token revoked"}), Fault.status(503, {"error": "busy"})],
    ids=["reconnect", "server error"],
)
def test_the_attempt_cap_does_not_cut_a_started_thread_short(stage: Stage, fault: Fault) -> None:
    # One attempt allowed: an unstarted post would fail here; a started thread carries on
    # until its completion limit.
    stage.options = replace(stage.options, retry=replace(stage.options.retry, max_attempts=1))
    daemon = stage.daemon()
    daemon.reload()
    stage.approve()
    stage.fake.inject("POST", STATUSES, Fault.passthrough(), fault)
    stage.clock.set(DUE)
    assert daemon.fire(KEY) == "retry_wait"
    stage.clock.set(stage.record().next_attempt)
    assert daemon.fire(KEY) == "published"
    _thread_is_whole(stage.fake)


def _dead_holder_after_part_one(stage: Stage) -> None:
    """A daemon claimed the thread, published and recorded part 1, then died (SIGKILL)."""
    daemon = stage.daemon()
    daemon.reload()
    stage.approve()
    claim = stage.ledger.claim(KEY, owner="dead", now=DUE, lease=60)
    _publish_part_one(stage, claim)


def test_a_dead_daemons_thread_is_taken_over_and_finished_after_the_window(
    stage: Stage,
) -> None:
    _dead_holder_after_part_one(stage)
    stage.clock.set(WINDOW_END + timedelta(hours=5))
    survivor = stage.daemon()
    survivor.reload()
    assert survivor.sweep() == 1
    _thread_is_whole(stage.fake)
    assert stage.log.of("reconciled")[0]["found"] is False  # part 2 looked for first


def test_a_dead_daemons_thread_past_the_completion_limit_is_missed_not_continued(
    stage: Stage,
) -> None:
    _dead_holder_after_part_one(stage)
    stage.clock.set(LIMIT + timedelta(seconds=1))
    survivor = stage.daemon()
    survivor.reload()
    assert survivor.sweep() == 1  # taken over, reconciled, and settled as missed
    assert len(stage.fake.statuses) == 1
    record = stage.record()
    assert str(record.state) == "missed" and record.lease_owner is None
    assert (record.last_error or "").startswith("only 1 of 3 parts were published")
    [missed] = stage.notices("missed")
    assert missed.detail.startswith("published parts: 1: ")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, 86400.0),
        ({"SCHEDULER_DAEMON_THREAD_COMPLETION": "3600"}, 3600.0),
        ({"SCHEDULER_DAEMON_THREAD_COMPLETION": "0"}, 0.0),  # never finish a thread late
        ({"SCHEDULER_DAEMON_THREAD_COMPLETION": "-1"}, "out of range"),
        ({"SCHEDULER_DAEMON_THREAD_COMPLETION": "nan"}, "out of range"),
        ({"SCHEDULER_DAEMON_THREAD_COMPLETION": "inf"}, "out of range"),
        ({"SCHEDULER_DAEMON_THREAD_COMPLETION": "a day"}, "is not a number"),
    ],
)
def test_the_completion_limit_is_set_like_max_lateness(
    env: dict[str, str], expected: float | str
) -> None:
    if isinstance(expected, float):
        assert DaemonOptions.from_env(env).thread_completion == expected
        return
    with pytest.raises(ConfigError, match=expected):
        DaemonOptions.from_env(env)
