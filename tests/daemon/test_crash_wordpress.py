"""Stories on WordPress under SIGKILL and injected faults: each one published exactly once.

Real daemon processes (``scheduler run``) publish a week of stories to the fake WordPress,
which answers slowly so that kills land between a post being stored and the ledger
recording it, and which renames a second post with a taken slug to ``slug-2`` as WordPress
does, silently: only the slug lookup before every create, and after every lost answer,
stands between a crash and a second copy.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.clock import SystemClock
from scheduler.credentials import env_name
from tests.daemon.daemons import Daemons, copy_image, daemon_env, sync_and_approve
from tests.daemon.process import IMAGE, IMAGE_ALT, events, wait_exit
from tests.fakes.base import Fault
from tests.fakes.wordpress import POSTS, FakeWordPress

pytestmark = pytest.mark.slow

USERNAME = "campaign-bot"
PASSWORD = "abcd1234EFGH5678ijkl9012"
STORIES = 8


class Stage(Daemons):
    campaign_id = "crash-stories"

    def __init__(self, folder: Path, site: FakeWordPress) -> None:
        self.folder = folder
        self.site = site
        self.ledger_url = f"sqlite:///{folder / 'ledger.sqlite3'}"
        self.procs = []
        self.env = daemon_env(folder / "home", **{env_name("blog", "app_password"): PASSWORD})

    def prepare(self) -> None:
        copy_image(self.campaign, IMAGE)
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
        lines = [
            "id: crash-stories",
            "title: Crash test stories",
            "timezone: Etc/UTC",
            "accounts:",
            f'  blog: {{platform: wordpress, site: "{self.site.base_url}", username: {USERNAME}}}',
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
                f'    title: "Story {i:02d}: running alongside"',
                "    body: Asking for help was the first step.",
                "    tags: [running, peer support]",
                "    categories: [Guest stories]",
            ]
            if i % 2 == 0:
                lines.append(f"    image: {{file: images/{IMAGE}, alt: {IMAGE_ALT!r}}}")
        (self.campaign / "campaign.yaml").write_text("\n".join(lines) + "\n")
        sync_and_approve(self.campaign, self.ledger_url)

    def check_exactly_once(self) -> None:
        posts = list(self.site.posts)
        titles = sorted(p.title for p in posts)
        want = sorted(f"Story {i:02d}: running alongside" for i in range(STORIES))
        assert titles == want, "missing or duplicated stories"
        assert not [p.slug for p in posts if p.slug.endswith("-2")], "a slug was renamed"
        assert len(self.site.terms["tags"]) == 2, self.site.terms  # made once, then reused
        for post in posts:
            assert self.site.names("tags", post.tags) == ["running", "peer support"]
            assert self.site.names("categories", post.categories) == ["Guest stories"]
        records = self.records()
        assert len(records) == STORIES
        assert {str(r.state) for r in records} == {"published"}, [
            (str(r.key), str(r.state), r.last_error) for r in records
        ]
        assert sorted(r.parts_done[0].remote_id for r in records) == sorted(
            str(p.id) for p in posts
        )
        with_image = [p for p in posts if int(p.title.split()[1][:2]) % 2 == 0]
        assert all(self.site.alts(p) == (IMAGE_ALT,) for p in with_image)


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    with FakeWordPress(SystemClock(), USERNAME, PASSWORD) as site:
        made = Stage(tmp_path, site)
        try:
            yield made
        finally:
            made.close()


def test_sigkill_at_random_moments_publishes_each_story_once(stage: Stage) -> None:
    stage.prepare()
    # Every story is stored at once but answered late: kills land between the two.
    stage.site.inject("POST", POSTS, Fault.delay(0.3), times=200)
    rng = random.Random(20260511)
    kills = 0
    for _ in range(10):
        if all(str(r.state) == "published" for r in stage.records()):
            break
        proc = stage.start()
        log = stage.folder / f"daemon-{len(stage.procs) - 1}.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and '"event":"publishing"' in log.read_text(errors="replace"):
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.6))
        if proc.poll() is not None:
            break
        proc.kill()
        proc.wait(timeout=30)
        kills += 1
    assert kills >= 3, stage.logs()
    proc = stage.start("--exit-when-done")
    assert wait_exit(proc, 120) == 0, stage.logs()
    stage.check_exactly_once()
    # Stories stored before a kill and not yet recorded were found by their slug.
    found = [e for e in events(stage, "reconciled") if e.get("found")]  # type: ignore[arg-type]
    assert found, stage.logs()


def test_injected_faults_publish_each_story_once(stage: Stage) -> None:
    stage.prepare()
    site = stage.site
    site.inject("POST", POSTS, site.refusal(429, "rest_too_many", "Slow down", 1))  # Retry-After
    site.inject("POST", POSTS, Fault.status(503, {"code": "unavailable", "message": "later"}))
    site.inject("POST", POSTS, Fault.drop_after())  # made, then the connection drops
    site.inject("POST", POSTS, Fault.status(500, {"code": "db_error", "message": "x"}))
    site.inject("POST", POSTS, Fault.delay(4))  # made, answered past the client timeout
    site.inject("POST", POSTS, Fault.drop_before())  # nothing made
    # A lookup after a lost answer that cannot read at first: it must not say "absent".
    site.inject("GET", POSTS, Fault.passthrough(), Fault.passthrough(), Fault.passthrough())
    site.inject("GET", POSTS, Fault.status(502, {"code": "bad_gateway", "message": "x"}))
    proc = stage.start("--exit-when-done")
    assert wait_exit(proc, 120) == 0, stage.logs()
    stage.check_exactly_once()
    found = [e for e in events(stage, "reconciled") if e.get("found")]  # type: ignore[arg-type]
    assert found, stage.logs()
