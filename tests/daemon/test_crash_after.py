"""Kill -9 between a story and the posts that wait on it, with real daemon processes.

The story goes to the fake Mastodon (which here ignores Idempotency-Key, so only the ledger
and the lookup stand between a crash and a second copy); the promotion waits on it and goes
to the fake Bluesky and the fake X (no idempotency key at all: a lost answer is settled by
reading the timeline, which finds the post only if the resumed attempt has the same text).
One kill lands after Mastodon stored the story and before the ledger recorded it, another
after X stored the promotion and before the ledger recorded that. Each ends posted once,
the promotion with the story's real address.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.daemon.daemons import sync_and_approve
from tests.daemon.process import CHATTER, Stage, events, stage, wait_exit
from tests.fakes.base import Fault
from tests.fakes.mastodon import STATUSES
from tests.fakes.x import CREATE as TWEETS

__all__ = ["stage"]

pytestmark = pytest.mark.slow

STORY = "Lou on running and recovery: our first guest story."
PROMO = "Read Lou's story:"


def _prepare(stage: Stage) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    stage.campaign.mkdir(parents=True, exist_ok=True)
    text = f"""\
id: crash-week
title: Crash test week
timezone: Etc/UTC
language: en
accounts:
  masto: {{platform: mastodon, instance: "{stage.masto.base_url}"}}
  sky: {{platform: bluesky, handle: mhaw.test, service: "{stage.sky.base_url}"}}
  bird: {{platform: x, username: {stage.x.username}}}
team:
  - {{name: Author, email: author@example.org, roles: [writer]}}
  - {{name: Reviewer, email: rev@example.org, roles: [reviewer]}}
approval: {{required: 1, approvers: [reviewer]}}
defaults:
  max_lateness: 1h
posts:
  - id: story
    at: {when}
    accounts: [masto]
    author: author@example.org
    text: "{STORY}"
  - id: promo
    at: {when}
    after: story
    accounts: [sky, bird]
    author: author@example.org
    text: "{PROMO} {{{{ story('story').url }}}}"
"""
    (stage.campaign / "campaign.yaml").write_text(text, encoding="utf-8")
    sync_and_approve(stage.campaign, stage.ledger_url)


def _kill_once(stage: Stage, stored: Callable[[], object]) -> None:
    """Start a daemon and kill it as soon as ``stored()`` says the slow post exists."""
    proc = stage.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None and not stored():
        time.sleep(0.01)
    stage.kill(proc)
    assert stored(), stage.logs()


def test_kills_around_a_story_and_its_dependants_post_each_once_with_the_address(
    stage: Stage,
) -> None:
    _prepare(stage)
    by_key = {str(r.key): r for r in stage.records()}
    assert by_key["crash-week/promo@bird"].draft.after  # it waits on the story
    # 1. Mastodon stores the story and answers late: killed before the ledger knows.
    stage.masto.inject("POST", STATUSES, Fault.delay(1.0))
    _kill_once(stage, lambda: stage.masto.statuses)
    story = {str(r.key): r for r in stage.records()}["crash-week/story@masto"]
    assert not story.parts_done, "the kill came too late"
    assert stage.x.tweets == [] and stage.sky.records == []  # nothing went before the story
    # 2. On restart the story is found, not posted again, and the promotion goes: X stores
    #    it and answers late; killed before the ledger records it.
    stage.x.inject("POST", TWEETS, Fault.delay(1.0))
    _kill_once(stage, lambda: stage.x.tweets)
    promo = {str(r.key): r for r in stage.records()}["crash-week/promo@bird"]
    assert not promo.parts_done, "the kill came too late"
    # 3. The last daemon runs to the end.
    proc = stage.start("--exit-when-done")
    assert wait_exit(proc, 90) == 0, stage.logs()
    records = {str(r.key): r for r in stage.records()}
    assert {str(r.state) for r in records.values()} == {"published"}, stage.logs()
    story_url = records["crash-week/story@masto"].parts_done[0].url
    assert story_url.startswith(stage.masto.base_url)
    statuses = [s for s in stage.masto.statuses if not s.text.startswith(CHATTER)]
    assert [s.text for s in statuses] == [STORY]
    tweets = [t for t in stage.x.tweets if t.text.startswith(PROMO)]
    assert len(tweets) == 1, [t.text for t in stage.x.tweets]
    assert tweets[0].text == f"{PROMO} {story_url}"
    assert records["crash-week/promo@bird"].parts_done[0].remote_id == tweets[0].id
    skeets = [r for r in stage.sky.records if r.text.startswith(PROMO)]
    assert [r.text for r in skeets] == [f"{PROMO} {story_url}"]
    assert records["crash-week/promo@sky"].parts_done[0].remote_id == skeets[0].uri
    # The story and the tweet were settled by looking, not by posting again.
    found = {e["key"] for e in events(stage, "reconciled") if e.get("found")}
    assert {"crash-week/story@masto", "crash-week/promo@bird"} <= found, stage.logs()
