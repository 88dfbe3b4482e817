"""Crash safety for Instagram with real processes: SIGKILL at random moments and injected
faults, against the fake Graph API, the images served by a real S3-compatible host on
loopback (moto) that the fake fetches from, as Instagram does.

Instagram has no idempotency key and no text-only posts: each post is a container (made from
the image's public URL) that is staged in the ledger before ``media_publish``. After a kill or
a lost answer only the staged container's status and the account's media listing stand
between the daemon and a second copy. The week mixes one-image posts and two-image carousels.
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
from tests.daemon.process import wait_exit
from tests.fakes.base import Fault
from tests.fakes.instagram import CONTAINERS, NODE, PUBLISH, FakeInstagram, graph_error
from tests.fakes.s3 import MotoS3

pytestmark = pytest.mark.slow

TOKEN = "IGAA-instagram-token-for-the-crash-week-0123"
USER_ID = "17841400008460056"
ACCOUNT = "insta"
WEEK = "ig-week"
IMAGES = {
    "circle-of-friends.jpg": "Drawing: five friends sit in a circle on the grass, talking.",
    "two-speech-bubbles.jpg": "Drawing: two speech bubbles overlap, one blue, one green.",
}


def _text(i: int) -> str:
    return f"Post {i:02d}: you are not alone, and talking can help."


def _images(i: int) -> list[str]:
    """Every third post is a carousel of both images; the rest have one."""
    names = list(IMAGES)
    return names if i % 3 == 2 else [names[i % 2]]


def campaign_text(api: str, posts: int) -> str:
    when = datetime.now(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"id: {WEEK}",
        "title: Crash test week on Instagram",
        "timezone: Etc/UTC",
        "language: en",
        "accounts:",
        f'  {ACCOUNT}: {{platform: instagram, user_id: "{USER_ID}", username: mhaw, api: "{api}"}}',
        "team:",
        "  - {name: Author, email: author@example.org, roles: [writer]}",
        "  - {name: Reviewer, email: rev@example.org, roles: [reviewer]}",
        "approval: {required: 1, approvers: [reviewer]}",
        "defaults:",
        "  max_lateness: 1h",
        "posts:",
    ]
    for i in range(posts):
        lines += [
            f"  - id: post-{i:02d}",
            f"    at: {when}",
            "    author: author@example.org",
            f'    text: "{_text(i)}"',
            "    media:",
            *[f"      - {{file: images/{name}, alt: {IMAGES[name]!r}}}" for name in _images(i)],
        ]
    return "\n".join(lines) + "\n"


@dataclass
class InstaStage(Daemons):
    folder: Path
    fake: FakeInstagram
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    campaign_id = WEEK

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.folder / 'ledger.sqlite3'}"

    def prepare(self, posts: int) -> None:
        for name in IMAGES:
            copy_image(self.campaign, name)
        (self.campaign / "campaign.yaml").write_text(
            campaign_text(self.fake.base_url, posts), encoding="utf-8"
        )
        sync_and_approve(self.campaign, self.ledger_url)


@pytest.fixture
def insta(tmp_path: Path, moto_s3: MotoS3) -> Iterator[InstaStage]:
    bucket = moto_s3.bucket()
    with FakeInstagram(SystemClock(), token=TOKEN, user_id=USER_ID) as fake:
        env = daemon_env(
            tmp_path / "home",
            **{
                env_name(ACCOUNT, "access_token"): TOKEN,
                # The public media host the fake fetches the images from.
                "SCHEDULER_MEDIA_HOST": "s3",
                "SCHEDULER_MEDIA_S3_BUCKET": bucket,
                "SCHEDULER_MEDIA_S3_ENDPOINT": moto_s3.endpoint,
                "SCHEDULER_MEDIA_S3_REGION": "us-east-1",
                "SCHEDULER_MEDIA_S3_PATH_STYLE": "1",
                env_name("media-s3", "access_key_id"): moto_s3.keys.access_key_id,
                env_name("media-s3", "secret_access_key"): moto_s3.keys.secret_access_key,
            },
        )
        stage = InstaStage(tmp_path, fake, env)
        try:
            yield stage
        finally:
            stage.close()


def check_exactly_once(stage: InstaStage, posts: int) -> None:
    """Every post is on the account once, with its images (fetched from the media host) and
    their alt text, and the ledger records each as published under the id Instagram gave."""
    with stage.fake.lock:
        held = list(stage.fake.media)
        containers = list(stage.fake.containers.values())
    assert sorted(m.caption for m in held) == sorted(_text(i) for i in range(posts))
    for media in held:
        i = int(media.caption[5:7])
        assert media.alts == tuple(IMAGES[name] for name in _images(i)), media.caption
    assert any(len(m.alts) == 2 for m in held) and any(len(m.alts) == 1 for m in held)
    # Every image was fetched from the media host: the fake makes a container whose fetch
    # fails ERROR, and an ERROR container is never published.
    host = stage.env["SCHEDULER_MEDIA_S3_ENDPOINT"] + "/" + stage.env["SCHEDULER_MEDIA_S3_BUCKET"]
    urls = [c.fields["image_url"] for c in containers if "image_url" in c.fields]
    assert urls and all(url.startswith(host + "/") for url in urls), urls
    records = stage.records()
    assert len(records) == posts
    assert {str(r.state) for r in records} == {"published"}, [
        (str(r.key), str(r.state), r.last_error) for r in records if str(r.state) != "published"
    ]
    ids = [part.remote_id for r in records for part in r.parts_done]
    assert sorted(ids) == sorted(m.id for m in held)


def _media_recorded(stage: InstaStage) -> int:
    return sum(len(r.parts_done) for r in stage.records())


def test_sigkill_at_random_moments_never_loses_or_duplicates_an_instagram_post(
    insta: InstaStage,
) -> None:
    posts = 6
    insta.prepare(posts)
    stuck = _kill_while_a_container_is_stuck(insta)
    # One kill surely after Instagram published a container and before the ledger knew:
    # every publish answers a second late, and the kill comes as soon as one is stored.
    before = len(insta.fake.media)
    insta.fake.inject("POST", PUBLISH, Fault.delay(1.0), times=posts)
    proc = insta.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None and len(insta.fake.media) == before:
        time.sleep(0.01)
    insta.kill(proc)
    insta.fake.clear_faults()
    assert _media_recorded(insta) < len(insta.fake.media), insta.logs()
    # Then containers and publishes answer late, so kills land between making and recording.
    # One worker, and a post slower than the longest wait before a kill: each daemon is
    # killed with work left, however fast it has become, instead of finishing the week
    # before the kill comes.
    insta.fake.inject("POST", PUBLISH, Fault.delay(0.4), times=200)
    insta.fake.inject("POST", CONTAINERS, Fault.delay(0.25), times=200)
    insta.env["SCHEDULER_DAEMON_WORKERS"] = "1"
    rng = random.Random(20260511)
    kills = 1
    for _ in range(6):
        if len(insta.fake.media) >= posts:
            break
        proc = insta.start()
        log = insta.folder / f"daemon-{len(insta.procs) - 1}.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and '"event":"publishing"' in log.read_text(errors="replace"):
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.6))
        if proc.poll() is None:
            kills += 1
        insta.kill(proc)
    assert kills >= 3, insta.logs()
    del insta.env["SCHEDULER_DAEMON_WORKERS"]
    proc = insta.start("--exit-when-done")
    assert wait_exit(proc, 120) == 0, insta.logs()
    check_exactly_once(insta, posts)
    # The kill after the publish was settled by the staged container, not by publishing again.
    found = [e for e in insta.events("reconciled") if e.get("found")]
    assert found, insta.logs()
    # The container that never finished was given up, not published.
    assert insta.fake.containers[stuck].status == "EXPIRED"


def _kill_while_a_container_is_stuck(stage: InstaStage) -> str:
    """Kill a daemon while it waits for a container that stays IN_PROGRESS, then let that
    container expire (as Instagram's do after a day): the next daemon reads its status from
    the ledger's staged id and builds a new one. Returns the stuck container's id."""
    stage.fake.hold(None)
    proc = stage.start()
    deadline = time.monotonic() + 30
    polled: list[str] = []
    while time.monotonic() < deadline and proc.poll() is None and not polled:
        with stage.fake.lock:
            held = {c.id for c in stage.fake.containers.values() if c.polls_left is None}
            polled = [
                r.path.rsplit("/", 1)[-1]
                for r in stage.fake.requests
                if r.method == "GET" and r.path.rsplit("/", 1)[-1] in held
            ]
        time.sleep(0.02)
    stage.kill(proc)
    # The other posts went on meanwhile: one stuck container holds up only its own post.
    assert polled, stage.logs()
    stuck = polled[0]
    with stage.fake.lock:
        assert stage.fake.containers[stuck].status == "IN_PROGRESS"
        stage.fake.containers[stuck].status = "EXPIRED"
    return stuck


def test_injected_faults_end_published_once(insta: InstaStage) -> None:
    posts = 6
    insta.prepare(posts)
    fake = insta.fake
    # The account's business use case spent, then a plain 429 with Meta's app usage header.
    fake.inject("POST", PUBLISH, fake.throttled(0))
    spent = {"X-App-Usage": '{"call_count": 100, "total_cputime": 20, "total_time": 25}'}
    fake.inject("POST", PUBLISH, Fault("status", graph_error(429, 4, "Request limit", **spent)))
    fake.inject("POST", PUBLISH, Fault.status(503, graph_error(503, 2, "unavailable").body))
    fake.inject("POST", PUBLISH, Fault.drop_after())  # published, the answer lost
    fake.inject("POST", PUBLISH, Fault.delay(4))  # published, answered past the client timeout
    fake.inject("POST", PUBLISH, Fault.drop_before())
    fake.inject("POST", CONTAINERS, Fault.status(500, graph_error(500, 1, "unknown").body))
    fake.inject("POST", CONTAINERS, Fault.passthrough(), Fault.drop_after())  # an orphan
    fake.inject("GET", NODE, Fault.delay(4))  # a status read times out
    # Containers slow to fetch their image, one that expires and one that fails to build:
    # the next attempt makes a new one.
    fake.doom("EXPIRED")
    fake.doom("ERROR")
    for polls in (0, 0, 1, 2):  # the first two are doomed; the fake pops both per container
        fake.hold(polls)
    proc = insta.start("--exit-when-done")
    assert wait_exit(proc, 150) == 0, insta.logs()
    check_exactly_once(insta, posts)
    log = insta.logs()
    assert '"event":"retry_wait"' in log
    assert any(e.get("account") == ACCOUNT for e in insta.events("account_paused")), log
    found = [e for e in insta.events("reconciled") if e.get("found")]
    assert len(found) >= 2, log
    with fake.lock:
        states = [c.status for c in fake.containers.values()]
    assert "EXPIRED" in states and "ERROR" in states, states
    # Each post published from exactly one container.
    assert states.count("PUBLISHED") == posts, states
