"""A daemon driven by hand: real ledger (SQLite or PostgreSQL), real sandbox publisher, a
campaign in a temporary folder and a FixedClock. Tests move the clock and call ``reload``,
``fire`` and ``sweep`` as the timers would."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.accounts import AccountSpec
from scheduler.approval import approve
from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore
from scheduler.daemon.base import DaemonOptions
from scheduler.daemon.report import Reporter
from scheduler.daemon.retry import RetryPolicy
from scheduler.daemon.runner import Daemon
from scheduler.daemon.source import CampaignFiles
from scheduler.draft import Draft, DraftKey
from scheduler.ledger import open_ledger
from scheduler.log import MemoryLog
from scheduler.notify.base import Notice
from scheduler.platforms import build_publisher
from scheduler.platforms.base import PlatformContext, Publisher

T_START = datetime.fromisoformat("2026-05-11T07:00:00+00:00")
DUE1 = datetime.fromisoformat("2026-05-11T08:00:00+00:00")
DUE2 = datetime.fromisoformat("2026-05-11T08:10:00+00:00")
DUE3 = datetime.fromisoformat("2026-05-11T09:00:00+00:00")
REVIEWER = "rev@example.org"
AUTHOR = "author@example.org"

CAMPAIGN = """\
id: test-daemon
title: Daemon test week
timezone: Etc/UTC
language: en
week_start: 2026-05-11
accounts:
  masto: {platform: sandbox, as_platform: mastodon}
  sky: {platform: sandbox, as_platform: bluesky}
team:
  - {name: Author, email: author@example.org, roles: [writer]}
  - {name: Reviewer, email: rev@example.org, roles: [reviewer]}
approval: {required: 1, approvers: [reviewer]}
defaults:
  max_lateness: 30m
posts:
  - id: first
    day: 1
    time: "08:00"
    author: author@example.org
    text: You are not alone. Talking to someone can help.
  - id: second
    day: 1
    time: "08:10"
    author: author@example.org
    accounts: [masto]
    text: Anxiety is common and treatable.
  - id: thread
    day: 1
    time: "09:00"
    author: author@example.org
    accounts: [masto]
    thread:
      - text: "A story in three parts. 1/3"
      - text: "Asking for help was the first step. 2/3"
      - text: "Support is there day or night. 3/3"
"""


class CollectingNotifier:
    name = "collect"

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self._lock = threading.Lock()

    def send(self, notice: Notice) -> None:
        with self._lock:
            self.notices.append(notice)

    def kinds(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(n.kind, n.draft) for n in self.notices]


@dataclass
class Rig:
    root: Path
    outbox: Path
    ledger: Any
    clock: FixedClock
    log: MemoryLog
    notifier: CollectingNotifier
    faults: dict[str, dict[str, str]] = field(default_factory=dict)
    wrap: Callable[[str, Publisher], Publisher] | None = None
    options: DaemonOptions = field(
        default_factory=lambda: DaemonOptions(
            owner="test-daemon",
            lease=60,
            retry=RetryPolicy(base=30, factor=2, cap=600, jitter=0.0, max_attempts=6),
        )
    )
    daemons: list[Daemon] = field(default_factory=list)

    def key(self, post: str, account: str = "masto") -> DraftKey:
        return DraftKey("test-daemon", post, account)

    def publisher_for(self, draft: Draft) -> Publisher:
        account = self.daemons[-1].campaigns[draft.campaign].accounts[draft.account]
        spec = AccountSpec(
            account.name, "sandbox", {**account.settings, **self.faults.get(draft.account, {})}
        )
        context = PlatformContext(
            clock=self.clock,
            credentials=CredentialStore({}, None),
            state_dir=self.root / "state",
            outbox=self.outbox,
        )
        publisher = build_publisher(spec, context)
        return self.wrap(draft.account, publisher) if self.wrap else publisher

    def daemon(self, **options: Any) -> Daemon:
        """A new daemon process, as after a restart (same ledger, fresh memory)."""
        reporter = Reporter(self.log, self.notifier, notify_published=True)
        daemon = Daemon(
            self.ledger,
            CampaignFiles([self.root / "campaign"]),
            self.publisher_for,
            clock=self.clock,
            options=replace(self.options, **options),
            reporter=reporter,
            rand=lambda: 0.0,
        )
        self.daemons.append(daemon)
        return daemon

    def approve_all(self, *, skip: tuple[str, ...] = ()) -> None:
        from scheduler.approval import Policy
        from scheduler.campaign import load_campaign

        policy = Policy.from_campaign(load_campaign(self.root / "campaign"))
        for record in self.ledger.list("test-daemon"):
            if record.key.post_id in skip or str(record.state) != "draft":
                continue
            approve(
                self.ledger, record.key, REVIEWER, record.content_hash, policy=policy, now=T_START
            )

    def state(self, post: str, account: str = "masto") -> str:
        return str(self.ledger.get(self.key(post, account)).state)

    def outbox_posts(self, account: str = "masto") -> list[dict[str, Any]]:
        folder = self.outbox / account
        if not folder.exists():
            return []
        docs = [json.loads(p.read_text()) for p in folder.glob("*.json")]
        return sorted(docs, key=lambda d: (d["written_at"], d["part_index"]))

    def flush(self) -> None:
        for daemon in self.daemons:
            daemon.reporter.flush()


@pytest.fixture
def rig(ledger_url: str, tmp_path: Path) -> Iterator[Rig]:
    clock = FixedClock(T_START)
    folder = tmp_path / "campaign"
    folder.mkdir()
    (folder / "campaign.yaml").write_text(CAMPAIGN, encoding="utf-8")
    ledger = open_ledger(ledger_url, clock=clock)
    made = Rig(
        root=tmp_path,
        outbox=tmp_path / "outbox",
        ledger=ledger,
        clock=clock,
        log=MemoryLog(),
        notifier=CollectingNotifier(),
    )
    try:
        yield made
    finally:
        for daemon in made.daemons:
            daemon.reporter.close(timeout=2)
        ledger.close()


def at(clock: FixedClock, instant: datetime, plus: float = 0.0) -> None:
    clock.set(instant + timedelta(seconds=plus))
