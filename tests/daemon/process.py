"""Real daemon processes (``scheduler run``) against the fake Mastodon, Bluesky and X servers.

The campaign's posts are due in the current minute (campaign times have minute precision), so
the daemon catches them up at once; the fakes answer slowly so that a kill at a random moment
lands before, during and after posts. Leases and intervals are shortened through the
daemon's ``SCHEDULER_DAEMON_*`` settings.

The X account signs with OAuth 2.0 user tokens the fake issued, and reaches the fake through
the operator's ``SCHEDULER_X_API_BASE`` (a campaign file cannot name X's host). X has no
idempotency key, so after a crash only the ledger and the timeline search stand between the
daemon and a second copy.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.clock import SystemClock
from scheduler.credentials import env_name
from scheduler.settings import X_API_BASE_VAR
from tests.daemon.daemons import Daemons, copy_image, daemon_env, sync_and_approve
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.threads import FakeThreads
from tests.fakes.x import FakeX

MASTO_TOKEN = "mastodon-token-0123456789"
SKY_PASSWORD = "app-pass-abcd-efgh-ijkl"
X_ACCESS = "x-access-token-0123456789"
X_REFRESH = "x-refresh-token-9876543210"
THREADS_TOKEN = "threads-long-lived-token-0123456789"
ACCOUNTS = ("masto", "sky", "bird")
THREADS_ACCOUNT = "thr"  # in the campaign when ``prepare`` is asked for it


CHATTER = "Chatter"  # posts the account makes through another app: not the campaign's
IMAGE = "path-to-sunrise.png"
IMAGE_ALT = "Illustration: a pale path winds across green hills towards a rising sun."


def campaign_text(
    masto_url: str,
    sky_url: str,
    x_user: str,
    posts: int,
    threads: int,
    images: bool = False,
    threads_url: str | None = None,
) -> str:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    when = now.strftime("%Y-%m-%d %H:%M")
    lines = [
        "id: crash-week",
        "title: Crash test week",
        "timezone: Etc/UTC",
        "language: en",
        "accounts:",
        f'  masto: {{platform: mastodon, instance: "{masto_url}"}}',
        f'  sky: {{platform: bluesky, handle: mhaw.test, service: "{sky_url}"}}',
        f"  bird: {{platform: x, username: {x_user}}}",
        *(
            [
                f"  {THREADS_ACCOUNT}: {{platform: threads, username: mhaw.stories, "
                f'api: "{threads_url}"}}'
            ]
            if threads_url
            else []
        ),
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
            f'    text: "Post {i:02d}: you are not alone, and talking can help."',
        ]
    for i in range(threads):
        lines += [
            f"  - id: thread-{i:02d}",
            f"    at: {when}",
            "    author: author@example.org",
            "    thread:",
            f'      - text: "Thread {i:02d} part 1: a story in three parts."',
            *_image(images),
            f'      - text: "Thread {i:02d} part 2: asking for help was the first step."',
            f'      - text: "Thread {i:02d} part 3: support is there day or night."',
            *_image(images),
        ]
    return "\n".join(lines) + "\n"


def _image(images: bool) -> list[str]:
    if not images:
        return []
    return ["        media:", f"          - {{file: images/{IMAGE}, alt: {IMAGE_ALT!r}}}"]


@dataclass
class Stage(Daemons):
    folder: Path
    ledger_url: str
    masto: FakeMastodon
    sky: FakeBluesky
    x: FakeX
    env: dict[str, str]
    threads: FakeThreads
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    with_threads: bool = False  # whether the campaign has the Threads account too
    campaign_id = "crash-week"

    @property
    def accounts(self) -> tuple[str, ...]:
        return (*ACCOUNTS, THREADS_ACCOUNT) if self.with_threads else ACCOUNTS

    def prepare(
        self, posts: int, threads: int, *, images: bool = False, with_threads: bool = False
    ) -> None:
        """The campaign; ``with_threads`` adds a Threads account (text only: the daemon here
        has no public media host for its images)."""
        assert not (images and with_threads)
        self.with_threads = with_threads
        self.campaign.mkdir(parents=True, exist_ok=True)
        if images:
            copy_image(self.campaign, IMAGE)
        (self.campaign / "campaign.yaml").write_text(
            campaign_text(
                self.masto.base_url,
                self.sky.base_url,
                self.x.username,
                posts,
                threads,
                images,
                self.threads.base_url if with_threads else None,
            ),
            encoding="utf-8",
        )
        sync_and_approve(self.campaign, self.ledger_url)


@contextlib.contextmanager
def make_stage(
    tmp_path: Path, ledger_url: str, *, honour_key: bool = False, link_headers: bool = True
) -> Iterator[Stage]:
    with (
        FakeMastodon(
            SystemClock(), honour_idempotency=honour_key, link_headers=link_headers
        ) as masto,
        FakeBluesky(SystemClock()) as sky,
        FakeX() as x,
        FakeThreads(SystemClock(), THREADS_TOKEN) as threads,
    ):
        x.issue_tokens(X_ACCESS, X_REFRESH)
        env = daemon_env(
            tmp_path / "home",
            SCHEDULER_SECRET_MASTO_ACCESS_TOKEN=MASTO_TOKEN,
            SCHEDULER_SECRET_SKY_APP_PASSWORD=SKY_PASSWORD,
            **{
                env_name(THREADS_ACCOUNT, "access_token"): THREADS_TOKEN,
                env_name("bird", "client_id"): "x-client-id",
                env_name("bird", "access_token"): X_ACCESS,
                env_name("bird", "refresh_token"): X_REFRESH,
                X_API_BASE_VAR: x.base_url,
            },
        )
        made = Stage(
            folder=tmp_path,
            ledger_url=ledger_url,
            masto=masto,
            sky=sky,
            x=x,
            env=env,
            threads=threads,
        )
        try:
            yield made
        finally:
            made.close()


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    with make_stage(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as made:
        yield made


def expected_texts(posts: int, threads: int) -> list[str]:
    texts = [f"Post {i:02d}: you are not alone, and talking can help." for i in range(posts)]
    for i in range(threads):
        texts += [
            f"Thread {i:02d} part 1: a story in three parts.",
            f"Thread {i:02d} part 2: asking for help was the first step.",
            f"Thread {i:02d} part 3: support is there day or night.",
        ]
    return sorted(texts)


def published(stage: Stage) -> int:
    """Campaign parts stored on the fakes together."""
    return len(_masto(stage)) + len(stage.sky.records) + len(_tweets(stage)) + len(_threads(stage))


def _masto(stage: Stage) -> list[Any]:
    return [s for s in list(stage.masto.statuses) if not s.text.startswith(CHATTER)]


def _tweets(stage: Stage) -> list[Any]:
    return [t for t in list(stage.x.tweets) if not t.text.startswith(CHATTER)]


def _threads(stage: Stage) -> list[Any]:
    return [p for p in list(stage.threads.posts) if not p.text.startswith(CHATTER)]


def _check_chain(platform: str, posts: list[tuple[str, str, str | None]]) -> None:
    """Every later thread part replies to the part before it: (id, text, reply_to)."""
    by_id = {pid: text for pid, text, _ in posts}
    for _, text, reply_to in posts:
        if " part 2:" in text or " part 3:" in text:
            parent = by_id.get(reply_to or "")
            assert parent is not None, f"{platform}: {text!r} replies to nothing"
            number = int(text.split(" part ")[1][0])
            assert parent.startswith(text.split(" part ")[0]), f"{platform}: {text!r}"
            assert f" part {number - 1}:" in parent, f"{platform}: {text!r}"


def _sky_parent(record: Any) -> str | None:
    reply = record.value.get("reply") or {}
    parent = reply.get("parent") or {}
    return parent.get("uri")


def check_exactly_once(stage: Stage, posts: int, threads: int) -> None:
    """Every part exists exactly once on each fake, threads chain, and the ledger agrees."""
    want = expected_texts(posts, threads)
    masto_texts = sorted(s.text for s in _masto(stage))
    assert masto_texts == want, "mastodon: missing or duplicated posts"
    sky_texts = sorted(r.text for r in stage.sky.records)
    assert sky_texts == want, "bluesky: missing or duplicated posts"
    assert sorted(t.text for t in _tweets(stage)) == want, "x: missing or duplicated posts"
    _check_chain("mastodon", [(s.id, s.text, s.in_reply_to_id) for s in _masto(stage)])
    _check_chain("x", [(t.id, t.text, t.in_reply_to) for t in _tweets(stage)])
    _check_chain("bluesky", [(r.uri, r.text, _sky_parent(r)) for r in stage.sky.records])
    if stage.with_threads:
        assert sorted(p.text for p in _threads(stage)) == want, "threads: missing or duplicated"
        _check_chain("threads", [(p.id, p.text, p.reply_to) for p in _threads(stage)])
    records = stage.records()
    assert len(records) == len(stage.accounts) * (posts + threads)
    assert {str(r.state) for r in records} == {"published"}, [
        (str(r.key), str(r.state), r.last_error) for r in records if str(r.state) != "published"
    ]
    remote = {
        "masto": {s.id for s in _masto(stage)},
        "sky": {r.uri for r in stage.sky.records},
        "bird": {t.id for t in _tweets(stage)},
        THREADS_ACCOUNT: {p.id for p in _threads(stage)},
    }
    for record in records:
        assert len(record.parts_done) == len(record.draft.parts)
        ids = [part.remote_id for part in record.parts_done]
        assert set(ids) <= remote[record.key.account], str(record.key)
        assert len(set(ids)) == len(ids), str(record.key)


def events(stage: Daemons, name: str) -> list[dict[str, Any]]:
    """The daemons' JSON log events called ``name`` (other lines are skipped)."""
    return stage.events(name)


def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
