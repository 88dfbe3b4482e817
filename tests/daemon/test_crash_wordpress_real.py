"""Stories on a real WordPress and the social posts that wait on them, under SIGKILL and
injected faults, with real daemon processes: each published exactly once (the first with its
featured image and alt text), the social posts with the address the site gave the story.

The site is Debian's WordPress on loopback (tests/platforms/wordpress_site.py), reached
through a relay that answers the creation of a post late, loses its answer or fails after
WordPress stored it: what a kill or a network needs to land between the site storing a story
and the ledger recording it. The dependants go to the fake Mastodon (which ignores
Idempotency-Key, so only the ledger and the lookup stand between a crash and a second copy)
and the fake Bluesky.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from scheduler.credentials import env_name
from tests.daemon.daemons import copy_image, sync_and_approve
from tests.daemon.process import (
    CHATTER,
    IMAGE,
    IMAGE_ALT,
    Stage,
    events,
    stage,
    wait_exit,
)
from tests.fakes.base import Fault
from tests.fakes.bluesky import CREATE_RECORD
from tests.fakes.mastodon import STATUSES
from tests.platforms.wordpress_site import Site, SiteRelay, missing

__all__ = ["stage"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(missing() is not None, reason=missing() or "")]

STORIES = 3
POSTS = "/wp/v2/posts"
ANY_STATUS = "publish,future,draft,pending,private"


class Week:
    """The campaign of one test: its stories' slugs and titles start with ``tag``, which
    keeps them apart from every other test's on the shared site."""

    def __init__(self, stage: Stage, site: Site, relay: SiteRelay, tag: str) -> None:
        self.stage, self.site, self.relay, self.tag = stage, site, relay, tag
        stage.env[env_name("blog", "app_password")] = site.password
        # A real site is slower than a fake: its answers get the time they need (the lost
        # ones are injected, not left to a loaded machine), and a lease outlasts a request,
        # as it does in production, so only a dead daemon's work is taken over.
        stage.env["SCHEDULER_DAEMON_HTTP_TIMEOUT"] = "3"
        stage.env["SCHEDULER_DAEMON_LEASE"] = "4"

    def slug(self, i: int) -> str:
        return f"{self.tag}-story-{i:02d}"

    def title(self, i: int) -> str:
        return f"{self.tag.capitalize()} story {i:02d}: running alongside"

    def promo(self, i: int) -> str:
        return f"Read {self.tag} story {i:02d}:"

    def prepare(self) -> None:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
        stage = self.stage
        lines = [
            "id: crash-week",
            "title: Crash test week",
            "timezone: Etc/UTC",
            "language: en",
            "accounts:",
            f'  blog: {{platform: wordpress, site: "{self.relay.url}", '
            f"username: {self.site.username}, permalinks: plain}}",
            f'  masto: {{platform: mastodon, instance: "{stage.masto.base_url}"}}',
            f'  sky: {{platform: bluesky, handle: mhaw.test, service: "{stage.sky.base_url}"}}',
            "team:",
            "  - {name: Author, email: author@example.org, roles: [writer]}",
            "  - {name: Reviewer, email: rev@example.org, roles: [reviewer]}",
            "approval: {required: 1, approvers: [reviewer]}",
            "defaults: {max_lateness: 1h}",
            "posts:",
        ]
        for i in range(STORIES):
            lines += [
                f"  - id: story-{i:02d}",
                "    kind: story",
                f"    at: {when}",
                "    author: author@example.org",
                f'    title: "{self.title(i)}"',
                f"    slug: {self.slug(i)}",
                "    body: Asking for help was the first step.",
                "    tags: [running]",
                "    categories: [Guest stories]",
                *([f"    image: {{file: images/{IMAGE}, alt: {IMAGE_ALT!r}}}"] if i == 0 else []),
                # Social posts only, on Mastodon and Bluesky, once the story is live.
                f"  - id: promo-{i:02d}",
                f"    at: {when}",
                f"    after: story-{i:02d}",
                "    author: author@example.org",
                f"    text: \"{self.promo(i)} {{{{ story('story-{i:02d}').url }}}}\"",
            ]
        copy_image(stage.campaign, IMAGE)
        (stage.campaign / "campaign.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        sync_and_approve(stage.campaign, stage.ledger_url)

    def records(self) -> dict[str, Any]:
        return {str(r.key): r for r in self.stage.records()}

    def read(self, route: str, **params: str) -> Any:
        """``route`` of the API, read straight from the site with the Application Password."""
        response = requests.get(
            f"{self.site.url}/?rest_route=/wp/v2{route}",
            params={"context": "edit", **params},
            auth=(self.site.username, self.site.password),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def held(self, slug: str) -> list[dict[str, Any]]:
        """Every post holding ``slug`` or WordPress's renamings of it, in any status."""
        posts: list[dict[str, Any]] = self.read(
            "/posts", slug=f"{slug},{slug}-2,{slug}-3", status=ANY_STATUS
        )
        return posts

    def stored(self) -> int:
        """Stories the site stored through the relay (whether or not their answer came)."""
        return sum(1 for m, r, s in list(self.relay.passed) if (m, r, s) == ("POST", POSTS, 201))

    def masto(self) -> list[Any]:
        return [s for s in list(self.stage.masto.statuses) if not s.text.startswith(CHATTER)]

    def kill_when(self, done: Callable[[], object]) -> None:
        """Start a daemon and kill it as soon as ``done()`` holds."""
        proc = self.stage.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and not done():
            time.sleep(0.02)
        self.stage.kill(proc)
        assert done(), self.stage.logs()

    def finish(self) -> None:
        proc = self.stage.start("--exit-when-done")
        assert wait_exit(proc, 150) == 0, self.stage.logs()

    def check_exactly_once(self) -> None:
        records = self.records()
        assert len(records) == 3 * STORIES, sorted(records)
        assert {str(r.state) for r in records.values()} == {"published"}, [
            (k, str(r.state), r.last_error) for k, r in records.items()
        ]
        for i in range(STORIES):
            held = self.held(self.slug(i))
            assert [p["slug"] for p in held] == [self.slug(i)], "missing, duplicated or renamed"
            post = held[0]
            assert post["status"] == "publish" and post["title"]["raw"] == self.title(i)
            if i == 0:
                media = self.read(f"/media/{post['featured_media']}")
                assert media["alt_text"] == IMAGE_ALT
            link = post["link"]
            assert link.startswith(self.site.url + "/"), link  # the site's own address
            story = records[f"crash-week/story-{i:02d}@blog"].parts_done[0]
            assert (story.remote_id, story.url) == (str(post["id"]), link)
            want = f"{self.promo(i)} {link}"
            toots = [s for s in self.masto() if s.text.startswith(self.promo(i))]
            assert [s.text for s in toots] == [want], "mastodon: missing or duplicated"
            done = records[f"crash-week/promo-{i:02d}@masto"].parts_done[0]
            assert done.remote_id == toots[0].id
            skeets = [r for r in list(self.stage.sky.records) if r.text.startswith(self.promo(i))]
            assert [r.text for r in skeets] == [want], "bluesky: missing or duplicated"
            assert records[f"crash-week/promo-{i:02d}@sky"].parts_done[0].remote_id == (
                skeets[0].uri
            )

    def found(self) -> set[str]:
        """The records settled by a lookup that found the post, not by posting again."""
        return {str(e["key"]) for e in events(self.stage, "reconciled") if e.get("found")}


@pytest.fixture
def relay(wordpress_site: Site) -> Iterator[SiteRelay]:
    made = SiteRelay(wordpress_site.url)
    try:
        yield made
    finally:
        made.stop()


def test_sigkill_around_stories_and_their_dependants_publishes_each_once(
    stage: Stage, wordpress_site: Site, relay: SiteRelay
) -> None:
    week = Week(stage, wordpress_site, relay, "kill")
    week.prepare()
    # Every story is stored at once and answered late: the kills land in between.
    relay.inject("POST", POSTS, Fault.delay(2.0), times=3 * STORIES)
    # 1. Killed after WordPress stored a story and before the ledger knew.
    week.kill_when(week.stored)
    stories = [r for k, r in week.records().items() if k.endswith("@blog")]
    assert sum(1 for r in stories if r.parts_done) < week.stored(), "the kill came too late"
    assert week.masto() == [] and stage.sky.records == []  # nothing went before its story
    # 2. On restart the stored story is found, not made again, and the dependants go: killed
    #    after Mastodon stored one and before the ledger knew.
    stage.masto.inject("POST", STATUSES, Fault.delay(2.0))
    week.kill_when(week.masto)
    toot = week.masto()[0]
    promo = next(i for i in range(STORIES) if toot.text.startswith(week.promo(i)))
    assert not week.records()[f"crash-week/promo-{promo:02d}@masto"].parts_done, "too late"
    # 3. Kills at random moments, then a daemon that runs to the end.
    stage.masto.inject("POST", STATUSES, Fault.delay(0.5), times=2 * STORIES)
    stage.sky.inject("POST", CREATE_RECORD, Fault.delay(0.5), times=2 * STORIES)
    rng = random.Random(20260511)
    for _ in range(3):
        if all(str(r.state) == "published" for r in week.records().values()):
            break
        proc = stage.start()
        time.sleep(rng.uniform(1.0, 4.0))  # a daemon takes a second or so to start
        stage.kill(proc)
    week.finish()
    week.check_exactly_once()
    found = week.found()
    assert any(k.endswith("@blog") for k in found), stage.logs()
    assert f"crash-week/promo-{promo:02d}@masto" in found, stage.logs()


def test_injected_faults_publish_each_story_and_dependant_once(
    stage: Stage, wordpress_site: Site, relay: SiteRelay
) -> None:
    week = Week(stage, wordpress_site, relay, "fault")
    week.prepare()

    def error(code: str) -> dict[str, Any]:
        return {"code": code, "message": "injected", "data": {"status": 500}}

    relay.inject(
        "POST",
        POSTS,
        Fault.status(503, error("unavailable")),  # nothing made
        Fault.drop_after(),  # made, then the connection drops
        Fault.status_after(500, error("db_error")),  # made, then an error instead
        Fault.delay(4),  # made, answered past the client's timeout
        Fault.drop_before(),  # nothing made
    )
    # A slug lookup that cannot read at first must not say "absent".
    relay.inject("GET", POSTS, Fault.passthrough(), Fault.status(502, error("bad_gateway")))
    stage.masto.inject("POST", STATUSES, Fault.drop_after(), Fault.status(503))
    stage.masto.inject("POST", STATUSES, Fault.status_after(500))
    stage.sky.inject("POST", CREATE_RECORD, Fault.drop_after())
    week.finish()
    week.check_exactly_once()
    found = week.found()
    assert any(k.endswith("@blog") for k in found), stage.logs()
    assert any(k.endswith("@masto") for k in found), stage.logs()
