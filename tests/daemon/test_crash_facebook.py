"""Crash safety for a Facebook Page with real processes: SIGKILL at random moments and
injected faults, against the fake Graph API.

Facebook has no idempotency key, so after a kill or a lost answer only the ledger and the
lookup of the Page's published posts stand between the daemon and a second copy. The week
mixes text posts, a one-photo post (the photo's bytes sent with the post) and a post of two
photos (uploaded unpublished, then attached).
"""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.clock import SystemClock
from scheduler.credentials import env_name
from tests.daemon.daemons import Daemons, copy_image, daemon_env, sync_and_approve
from tests.daemon.process import IMAGE, IMAGE_ALT, wait_exit
from tests.fakes.base import Fault
from tests.fakes.facebook import FEED, PHOTOS, FakeFacebook, graph_error, graph_fault

pytestmark = pytest.mark.slow

TOKEN = "EAAGuser-long-lived-token-for-the-crash-week"
PAGE = "104233215612345"
ACCOUNT = "page"
WEEK = "fb-week"


def _text(i: int) -> str:
    return f"Post {i:02d}: you are not alone, and talking can help."


def campaign_text(api: str, posts: int) -> str:
    when = datetime.now(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"id: {WEEK}",
        "title: Crash test week on a Page",
        "timezone: Etc/UTC",
        "language: en",
        "accounts:",
        f'  {ACCOUNT}: {{platform: facebook, page: "{PAGE}", api: "{api}"}}',
        "team:",
        "  - {name: Author, email: author@example.org, roles: [writer]}",
        "  - {name: Reviewer, email: rev@example.org, roles: [reviewer]}",
        "approval: {required: 1, approvers: [reviewer]}",
        "defaults:",
        "  max_lateness: 1h",
        "posts:",
    ]
    image = f"      - {{file: images/{IMAGE}, alt: {IMAGE_ALT!r}}}"
    for i in range(posts):
        lines += [
            f"  - id: post-{i:02d}",
            f"    at: {when}",
            "    author: author@example.org",
            f'    text: "{_text(i)}"',
        ]
        photos = 1 if i % 4 == 1 else 2 if i % 4 == 3 else 0
        if photos:
            lines += ["    media:", *[image] * photos]
    return "\n".join(lines) + "\n"


@dataclass
class PageStage(Daemons):
    folder: Path
    fake: FakeFacebook
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    campaign_id = WEEK

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.folder / 'ledger.sqlite3'}"

    def prepare(self, posts: int) -> None:
        copy_image(self.campaign, IMAGE)
        (self.campaign / "campaign.yaml").write_text(
            campaign_text(self.fake.base_url, posts), encoding="utf-8"
        )
        sync_and_approve(self.campaign, self.ledger_url)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[PageStage]:
    with FakeFacebook(SystemClock(), user_token=TOKEN, page=PAGE) as fake:
        env = daemon_env(tmp_path / "home", **{env_name(ACCOUNT, "access_token"): TOKEN})
        stage = PageStage(tmp_path, fake, env)
        try:
            yield stage
        finally:
            stage.close()


def check_exactly_once(stage: PageStage, posts: int) -> None:
    """Every post is on the Page once, with its photos and their alt text, and the ledger
    records each as published under the id the Page gave it."""
    with stage.fake.lock:
        held = list(stage.fake.posts)
    assert sorted(p.message for p in held) == sorted(_text(i) for i in range(posts))
    for post in held:
        i = int(post.message[5:7])
        want = 1 if i % 4 == 1 else 2 if i % 4 == 3 else 0
        assert stage.fake.alts(post) == (IMAGE_ALT,) * want, post.message
    records = stage.records()
    assert len(records) == posts
    assert {str(r.state) for r in records} == {"published"}, [
        (str(r.key), str(r.state), r.last_error) for r in records if str(r.state) != "published"
    ]
    ids = [part.remote_id for r in records for part in r.parts_done]
    assert sorted(ids) == sorted(p.id for p in held)


def test_sigkill_at_random_moments_never_loses_or_duplicates_a_page_post(
    page: PageStage,
) -> None:
    posts = 8
    page.prepare(posts)
    # One kill surely after the Page stored a post and before the ledger recorded it.
    page.fake.inject("POST", FEED, Fault.delay(1.0))
    proc = page.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None and not page.fake.posts:
        time.sleep(0.01)
    page.kill(proc)
    recorded = sum(len(r.parts_done) for r in page.records())
    assert page.fake.posts and recorded < len(page.fake.posts), page.logs()
    # Then every create answers late, so kills land between storing and answering.
    page.fake.inject("POST", FEED, Fault.delay(0.12), times=200)
    page.fake.inject("POST", PHOTOS, Fault.delay(0.12), times=200)
    rng = random.Random(20260511)
    for _ in range(6):
        if len(page.fake.posts) >= posts:
            break
        proc = page.start()
        log = page.folder / f"daemon-{len(page.procs) - 1}.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and '"event":"publishing"' in log.read_text(errors="replace"):
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.5))
        page.kill(proc)
    proc = page.start("--exit-when-done")
    assert wait_exit(proc, 120) == 0, page.logs()
    check_exactly_once(page, posts)
    # The kill after the Page stored a post was settled by reading the Page, not by posting.
    found = [e for e in page.events("reconciled") if e.get("found")]
    assert found, page.logs()


def test_injected_faults_end_published_once(page: PageStage) -> None:
    posts = 8
    page.prepare(posts)
    fake = page.fake
    spent = {"X-App-Usage": '{"call_count": 100, "total_cputime": 20, "total_time": 25}'}
    fake.inject("POST", FEED, graph_fault(4, "Application request limit reached", headers=spent))
    fake.inject("POST", FEED, Fault.status(500, graph_error(1, "An unknown error occurred")))
    fake.inject("POST", FEED, Fault.drop_after())  # posted, the answer lost: found on the Page
    fake.inject("POST", FEED, Fault.delay(4))  # posted, answered past the client timeout
    fake.inject("POST", FEED, Fault.drop_before())
    fake.inject("POST", PHOTOS, Fault.status(503, {"error": {"message": "try again"}}))
    fake.inject("POST", PHOTOS, graph_fault(613, "Calls to this api have exceeded the rate limit"))
    proc = page.start("--exit-when-done")
    assert wait_exit(proc, 150) == 0, page.logs()
    check_exactly_once(page, posts)
    assert '"event":"retry_wait"' in page.logs()
    found = [e for e in page.events("reconciled") if e.get("found")]
    assert len(found) >= 2, page.logs()
