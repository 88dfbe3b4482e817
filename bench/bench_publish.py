"""Publishing: 1,000 single-part posts to the Mastodon fake through the publisher, against a
bare requests loop making the same calls (same JSON body, same headers, one keep-alive
Session) in the same run. Goal: the publisher costs <= 1.2x the bare loop.

Each side gets its own fake server, started fresh, so neither pays for the other's stored
statuses; each side runs three times, interleaved, and its fastest run counts (the machine
is shared).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import requests

from bench.harness import Row
from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.platforms import build_publisher
from scheduler.platforms.base import AccountSpec, PartRequest, PlatformContext, PublishRequest
from scheduler.platforms.mastodon import clear_instance_cache
from tests.fakes.mastodon import STATUSES, FakeMastodon

TOKEN = "bench-token-0123456789"
DUE = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
GOAL_RATIO = 1.2
TEXT = (
    "Day {n}: you are not alone. Talking helps; so does listening. Samaritans: call 116 123, "
    "free, day or night. https://www.samaritans.org #MentalHealthAwarenessWeek"
)


def _requests(n: int) -> list[PublishRequest]:
    return [
        PublishRequest(
            account="bench",
            parts=(PartRequest(text=TEXT.format(n=i), idempotency_key=f"bench-{i:05d}"),),
            created_at=DUE,
            content_warning="suicide",
            language="en",
        )
        for i in range(n)
    ]


def through_publisher(n: int, state: Path) -> float:
    clear_instance_cache()
    with FakeMastodon(FixedClock(DUE), token=TOKEN) as fake:
        context = PlatformContext(
            clock=fake.clock,
            credentials=CredentialStore({env_name("bench", "access_token"): TOKEN}, None),
            state_dir=state,
            outbox=state,
            timeout=10,
        )
        publisher = build_publisher(
            AccountSpec("bench", "mastodon", {"instance": fake.base_url}), context
        )
        work = _requests(n)
        t0 = time.perf_counter()
        for request in work:
            publisher.publish(request)
        elapsed = time.perf_counter() - t0
        publisher.close()
        assert len(fake.statuses) == n
    return elapsed


class Around(Protocol):
    """What a baseline loop does before and after each request (``durable_ledger``)."""

    def before(self, i: int) -> None: ...

    def after(self, i: int, remote_id: str) -> None: ...


def bare_loop(n: int, around: Around | None = None) -> float:
    with FakeMastodon(FixedClock(DUE), token=TOKEN) as fake:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        url = fake.base_url + STATUSES
        # The publisher reads the instance limits once; so does the baseline.
        session.get(fake.base_url + "/api/v2/instance", timeout=10).json()
        t0 = time.perf_counter()
        for i in range(n):
            body = {
                "status": TEXT.format(n=i),
                "spoiler_text": "suicide",
                "sensitive": True,
                "language": "en",
            }
            if around is not None:
                around.before(i)
            response = session.post(
                url, json=body, headers={"Idempotency-Key": f"bench-{i:05d}"}, timeout=(10, 10)
            )
            if response.status_code != 200:
                raise RuntimeError(response.text)
            remote_id = response.json()["id"]
            if around is not None:
                around.after(i, remote_id)
        elapsed = time.perf_counter() - t0
        session.close()
        assert len(fake.statuses) == n
    return elapsed


def run(quick: bool) -> list[Row]:
    n = 200 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        publisher_times, bare_times = [], []
        for _ in range(3):
            bare_times.append(bare_loop(n))
            publisher_times.append(through_publisher(n, Path(tmp)))
    value, baseline = min(publisher_times), min(bare_times)
    return [
        Row(
            area="publish",
            scenario=f"{n} Mastodon posts through the publisher",
            value=value,
            unit="s",
            baseline=baseline,
            baseline_name="bare requests loop",
            goal=f"<= {GOAL_RATIO}x",
            ok=value <= GOAL_RATIO * baseline,
        ),
        Row(
            area="publish",
            scenario="per post, through the publisher",
            value=value / n * 1000,
            unit="ms",
            baseline=baseline / n * 1000,
            baseline_name="bare",
        ),
    ]
