"""Posts that wait on another (``after:``) end to end: the daemon with injected time, a real
ledger (SQLite and PostgreSQL), real Mastodon and Bluesky publishers against the loopback
fakes, and the sandbox for a story whose address is long.

A dependant is not claimed before what it waits on is published; then it goes out with the
address the ledger recorded for it; when what it waits on fails, it waits and a person is
told, naming both; one that would no longer fit with the real address is held, not cut.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.accounts import AccountSpec
from scheduler.approval import Policy, approve
from scheduler.campaign import load_campaign
from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.daemon import status
from scheduler.daemon.base import DaemonOptions
from scheduler.daemon.gate import LedgerGate
from scheduler.daemon.report import Reporter
from scheduler.daemon.retry import RetryPolicy
from scheduler.daemon.runner import Daemon
from scheduler.daemon.source import CampaignFiles
from scheduler.draft import Draft, DraftKey
from scheduler.ledger import open_ledger
from scheduler.log import MemoryLog
from scheduler.platforms import build_publisher
from scheduler.platforms.base import PlatformContext, Publisher
from scheduler.platforms.mastodon import clear_instance_cache
from tests.daemon.support import CollectingNotifier
from tests.fakes.base import Fault
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import STATUSES, FakeMastodon
from tests.fakes.wordpress import FakeWordPress
from tests.ledger.support import ledger_url

__all__ = ["ledger_url"]

T0 = datetime.fromisoformat("2026-05-11T07:00:00+00:00")
STORY_DUE = datetime.fromisoformat("2026-05-11T08:00:00+00:00")
PROMO_DUE = datetime.fromisoformat("2026-05-11T08:10:00+00:00")
M = timedelta(minutes=1)
TOKEN = "mastodon-token-0123456789"
SKY_PASSWORD = "app-pass-abcd-efgh-ijkl"
WP_USER = "campaign-bot"
WP_PASSWORD = "abcd1234EFGH5678ijkl9012"
# A Bluesky post of 300 graphemes with a 40-character stand-in: a longer address cannot fit.
FILLER = "x" * (300 - len("Read it: ") - 40 - 1)
CAMPAIGN = """\
id: deps
title: Dependencies
timezone: Etc/UTC
language: en
week_start: 2026-05-11
accounts:
  masto: {{platform: mastodon, instance: "{instance}"}}
  sky: {{platform: bluesky, handle: mhaw.test, service: "{service}"}}
  box: {{platform: sandbox, as_platform: mastodon}}
  blog: {{platform: wordpress, site: "{site}", username: {wp_user}}}
team:
  - {{name: Author, email: author@example.org, roles: [writer]}}
  - {{name: Reviewer, email: rev@example.org, roles: [reviewer]}}
approval: {{required: 1, approvers: [reviewer]}}
defaults:
  max_lateness: 1h
posts:
  - id: story
    day: 1
    time: "08:00"
    accounts: [masto]
    author: author@example.org
    text: "Lou on running and recovery: our first guest story."
  - id: promo
    day: 1
    time: "08:10"
    after: story
    accounts: [sky, masto]
    author: author@example.org
    text: "Read Lou's story: {{{{ story('story').url }}}}"
  - id: boxed
    day: 1
    time: "08:00"
    accounts: [box]
    author: author@example.org
    text: "A story whose address is a long file path."
  - id: tight
    day: 1
    time: "08:10"
    after: boxed
    url_max: 40
    accounts: [sky]
    author: author@example.org
    text: "{filler} Read it: {{{{ story('boxed').url }}}}"
  - id: lou
    kind: story
    day: 1
    time: "08:00"
    accounts: [blog]
    author: author@example.org
    title: "Running alongside: Lou's story"
    body: For me, running is maintenance.
  - id: lou-share
    day: 1
    time: "08:10"
    after: lou
    accounts: [sky]
    author: author@example.org
    text: "Lou's story is on our blog: {{{{ story('lou').url }}}}"
"""


@dataclass
class Stage:
    root: Path
    clock: FixedClock
    masto: FakeMastodon
    sky: FakeBluesky
    ledger: Any
    site: FakeWordPress
    notifier: CollectingNotifier = field(default_factory=CollectingNotifier)
    daemons: list[Daemon] = field(default_factory=list)

    def key(self, post: str, account: str) -> DraftKey:
        return DraftKey("deps", post, account)

    def daemon(self) -> Daemon:
        reporter = Reporter(MemoryLog(), self.notifier)
        gate = LedgerGate(self.ledger, self.clock, reporter=reporter)
        context = PlatformContext(
            clock=self.clock,
            credentials=CredentialStore(
                {
                    env_name("masto", "access_token"): TOKEN,
                    env_name("sky", "app_password"): SKY_PASSWORD,
                    env_name("blog", "app_password"): WP_PASSWORD,
                },
                None,
            ),
            state_dir=self.root / "state",
            outbox=self.root / "outbox",
            gate=gate,
        )
        publishers: dict[str, Publisher] = {}
        daemon: Daemon

        def publisher_for(draft: Draft) -> Publisher:
            if draft.account not in publishers:
                account = daemon.campaigns["deps"].accounts[draft.account]
                spec = AccountSpec(draft.account, account.platform, dict(account.settings))
                publishers[draft.account] = build_publisher(spec, context)
            return publishers[draft.account]

        daemon = Daemon(
            self.ledger,
            CampaignFiles([self.root / "campaign"]),
            publisher_for,
            clock=self.clock,
            options=DaemonOptions(
                owner="daemon-1",
                lease=60,
                retry=RetryPolicy(base=60, factor=2, cap=600, jitter=0.0, max_attempts=3),
            ),
            reporter=reporter,
            rand=lambda: 0.0,
            gate=gate,
        )
        assert daemon.reload()
        self.daemons.append(daemon)
        return daemon

    def approve_all(self) -> None:
        policy = Policy.from_campaign(load_campaign(self.root / "campaign"))
        for record in self.ledger.list("deps"):
            if str(record.state) == "draft":
                approve(
                    self.ledger,
                    record.key,
                    "rev@example.org",
                    record.content_hash,
                    policy=policy,
                    now=T0,
                )

    def state(self, post: str, account: str) -> str:
        return str(self.ledger.get(self.key(post, account)).state)

    def url(self, post: str, account: str) -> str:
        return str(self.ledger.get(self.key(post, account)).parts_done[0].url)

    def notices(self, kind: str) -> list[Any]:
        for daemon in self.daemons:
            daemon.reporter.flush()
        return [n for n in self.notifier.notices if n.kind == kind]


@pytest.fixture
def stage(ledger_url: str, tmp_path: Path) -> Iterator[Stage]:
    clear_instance_cache()
    clock = FixedClock(T0)
    with (
        FakeMastodon(clock, token=TOKEN) as masto,
        FakeBluesky(clock) as sky,
        FakeWordPress(clock, WP_USER, WP_PASSWORD) as site,
    ):
        folder = tmp_path / "campaign"
        folder.mkdir()
        text = CAMPAIGN.format(
            instance=masto.base_url,
            service=sky.base_url,
            site=site.base_url,
            wp_user=WP_USER,
            filler=FILLER,
        )
        (folder / "campaign.yaml").write_text(text, encoding="utf-8")
        ledger = open_ledger(ledger_url, clock=clock)
        made = Stage(tmp_path, clock, masto, sky, ledger, site)
        try:
            yield made
        finally:
            for daemon in made.daemons:
                daemon.reporter.close(timeout=2)
            ledger.close()


def test_a_dependant_waits_for_the_story_then_goes_out_with_its_real_address(
    stage: Stage,
) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    approved = stage.ledger.get(stage.key("promo", "sky")).approved_hash
    # The story is late (its timer has not fired): the promotion, due, is not claimed.
    stage.clock.set(PROMO_DUE)
    assert daemon.fire(stage.key("promo", "sky")) is None
    assert daemon.fire(stage.key("promo", "masto")) is None
    assert stage.state("promo", "sky") == "approved" and stage.sky.records == []
    assert stage.masto.texts() == []
    assert stage.ledger.get(stage.key("promo", "sky")).attempts == 0  # waiting is no attempt
    # The story goes out; publishing it wakes what waits on it.
    assert daemon.fire(stage.key("story", "masto")) == "published"
    story_url = stage.url("story", "masto")
    assert story_url.startswith(stage.masto.base_url)
    assert stage.state("promo", "sky") == "published"
    assert stage.state("promo", "masto") == "published"
    sky_text = stage.sky.records[0].text
    assert sky_text == f"Read Lou's story: {story_url}"
    # Bluesky's link facet points at the real address, at its real byte offsets.
    facet = stage.sky.records[0].value["facets"][0]
    start = len(b"Read Lou's story: ")
    assert facet["index"] == {"byteStart": start, "byteEnd": start + len(story_url)}
    assert facet["features"][0]["uri"] == story_url
    assert f"Read Lou's story: {story_url}" in stage.masto.texts()
    # Nothing was sent twice, and the approval that let it go was the one given before.
    assert len(stage.sky.records) == 1 and len(stage.masto.texts()) == 2
    assert stage.ledger.get(stage.key("promo", "sky")).approved_hash == approved
    daemon.sweep()  # the rest of the campaign: nothing more of these
    assert len([r for r in stage.sky.records if r.text.startswith("Read Lou's")]) == 1
    assert len(stage.masto.texts()) == 2


def test_a_sweep_takes_the_story_and_then_what_waits_on_it(stage: Stage) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    stage.clock.set(PROMO_DUE)
    # The sweep claims due work (the stories); each one published wakes its dependants.
    daemon.sweep()
    assert stage.state("promo", "sky") == "published"
    assert stage.state("promo", "masto") == "published"
    assert stage.state("lou-share", "sky") == "published"
    texts = sorted(r.text for r in stage.sky.records)
    assert texts == [
        f"Lou's story is on our blog: {stage.url('lou', 'blog')}",
        f"Read Lou's story: {stage.url('story', 'masto')}",
    ]


def test_a_failed_story_keeps_its_dependants_waiting_and_a_person_is_told(stage: Stage) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    refusal = {"error": "Validation failed: Text contains a forbidden word"}
    stage.masto.inject("POST", STATUSES, Fault.status(422, refusal))
    stage.clock.set(STORY_DUE)
    assert daemon.fire(stage.key("story", "masto")) == "failed"
    stage.clock.set(PROMO_DUE)
    assert daemon.fire(stage.key("promo", "sky")) is None
    assert stage.state("promo", "sky") == "approved" and stage.sky.records == []
    told = stage.notices("waiting_on")
    assert {n.draft for n in told} >= {"deps/promo@sky"}
    assert all("deps/story@masto" in n.summary and "failed" in n.summary for n in told)
    # Told once, however often it is looked at.
    daemon.fire(stage.key("promo", "sky"))
    assert len([n for n in stage.notices("waiting_on") if n.draft == "deps/promo@sky"]) == 1
    # `scheduler status` says what it waits on.
    records = stage.ledger.list("deps")
    waits = {r.key: stage.ledger.waits(r.key) for r in records if r.draft.after}
    report = status.build(records, now=stage.clock.now(), max_lateness=3600, waits=waits)
    promo = next(i for i in report["problems"] if i["key"] == "deps/promo@sky")
    assert promo["waiting_on"] == [{"key": "deps/story@masto", "state": "failed", "url": None}]
    assert "waiting on deps/story@masto (failed)" in promo["problem"]
    # Its own window closes: missed, saying what it waited on.
    stage.clock.set(PROMO_DUE + 61 * M)
    daemon.fire(stage.key("promo", "sky"))
    assert stage.state("promo", "sky") == "missed"
    assert "waited on deps/story@masto" in (
        stage.ledger.get(stage.key("promo", "sky")).last_error or ""
    )
    assert stage.sky.records == []


def test_a_story_published_late_takes_its_dependants_with_it_inside_their_window(
    stage: Stage,
) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    stage.masto.inject("POST", STATUSES, Fault.status(503, {"error": "try again"}))
    stage.clock.set(PROMO_DUE)
    assert daemon.fire(stage.key("story", "masto")) == "retry_wait"
    assert daemon.fire(stage.key("promo", "sky")) is None
    retry = stage.ledger.get(stage.key("story", "masto")).next_attempt
    assert retry is not None
    stage.clock.set(retry)
    assert daemon.fire(stage.key("story", "masto")) == "published"
    assert stage.state("promo", "sky") == "published"
    assert stage.sky.records[0].text.endswith(stage.url("story", "masto"))
    # A retry is not a dependency a person must settle: nobody was told to.
    assert stage.notices("waiting_on") == []


def test_an_address_longer_than_the_room_kept_holds_the_post_rather_than_cutting_it(
    stage: Stage,
) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    stage.clock.set(PROMO_DUE)
    assert daemon.fire(stage.key("boxed", "box")) == "published"
    assert len(stage.url("boxed", "box")) > 40
    assert stage.state("tight", "sky") == "failed"
    assert stage.sky.records == []
    record = stage.ledger.get(stage.key("tight", "sky"))
    assert "held, not sent" in (record.last_error or "")
    told = [n for n in stage.notices("failed") if n.draft == "deps/tight@sky"]
    assert told and "too long for Bluesky" in told[0].summary
    assert "url_max" in told[0].detail


def test_a_story_on_a_paused_account_holds_its_dependants_and_says_why(stage: Stage) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    until = PROMO_DUE + 30 * M
    stage.ledger.pause_account(
        "masto", until=until, reason="rate limited", source="rate_limited", now=T0
    )
    stage.clock.set(PROMO_DUE)
    assert daemon.fire(stage.key("story", "masto")) is None  # waits for the pause
    assert daemon.fire(stage.key("promo", "sky")) is None
    told = [n for n in stage.notices("waiting_on") if n.draft == "deps/promo@sky"]
    assert len(told) == 1 and "deps/story@masto" in told[0].summary
    assert "its account is paused or held" in told[0].summary
    # The pause ends inside the promotion's window: both go out then, the story first.
    stage.clock.set(until + M)
    assert daemon.fire(stage.key("story", "masto")) == "published"
    assert stage.state("promo", "sky") == "published"
    assert stage.sky.records[0].text.endswith(stage.url("story", "masto"))


def test_a_post_waiting_on_a_wordpress_story_goes_out_with_its_link(stage: Stage) -> None:
    daemon = stage.daemon()
    stage.approve_all()
    stage.clock.set(PROMO_DUE)
    assert daemon.fire(stage.key("lou-share", "sky")) is None
    assert stage.site.posts == []
    assert daemon.fire(stage.key("lou", "blog")) == "published"
    link = stage.url("lou", "blog")
    assert link.startswith(stage.site.base_url) and len(stage.site.posts) == 1
    assert stage.state("lou-share", "sky") == "published"
    shared = [r.text for r in stage.sky.records if r.text.startswith("Lou's story")]
    assert shared == [f"Lou's story is on our blog: {link}"]
