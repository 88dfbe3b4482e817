"""The simulated platforms answer as the real ones would: the descriptor's limits, the gate
before every create (the daemon's quotas), the limits only the platform counts,
a 401 once the token has expired, the same part once per idempotency key, exact lookups."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import pytest

from scheduler.clock import FixedClock
from scheduler.platforms.base import (
    CREATE,
    Absent,
    AccountPaused,
    AccountSpec,
    AuthFailed,
    CannotTell,
    Found,
    Invalid,
    PartRequest,
    PublishRequest,
    RateLimited,
)
from scheduler.rehearsal.simulate import Platforms, SimulatedPublisher

T0 = datetime.fromisoformat("2027-01-04T09:00:00+00:00")


def request(text: str = "You are not alone.", key: str = "k0", parts: int = 1) -> PublishRequest:
    return PublishRequest(
        account="acct",
        parts=tuple(PartRequest(text=text, idempotency_key=f"{key}-{i}") for i in range(parts)),
        created_at=T0,
    )


def platforms(platform: str = "mastodon", **settings: str) -> tuple[Platforms, SimulatedPublisher]:
    world = Platforms(FixedClock(T0))
    return world, world.publisher(AccountSpec("acct", platform, settings))


@pytest.mark.parametrize(
    ("platform", "settings", "length", "fits"),
    [
        ("x", {}, 280, True),
        ("x", {}, 281, False),
        ("mastodon", {}, 500, True),
        ("mastodon", {}, 501, False),
        ("mastodon", {"max_chars": "1000"}, 1000, True),
        ("bluesky", {}, 300, True),
        ("bluesky", {}, 301, False),
        ("sandbox", {"as_platform": "bluesky"}, 301, False),
    ],
)
def test_the_text_limit_is_the_descriptors(
    platform: str, settings: dict[str, str], length: int, fits: bool
) -> None:
    world, publisher = platforms(platform, **settings)
    if fits:
        assert publisher.publish(request("a" * length)).parts[0].index == 0
    else:
        with pytest.raises(Invalid, match=f"{length} characters"):
            publisher.publish(request("a" * length))
        assert [r.kind for r in world.refusals] == ["invalid"]


class Gate:
    """A request gate that records what it was asked and refuses while ``closed``."""

    def __init__(self) -> None:
        self.closed = False
        self.asked: list[tuple[str, str, str]] = []
        self.told: list[tuple[str, int]] = []

    def before(self, account: str, platform: str, kind: str) -> None:
        self.asked.append((account, platform, kind))
        if self.closed:
            raise AccountPaused("paused for a quota; nothing was sent", platform=platform)

    def after(
        self, account: str, platform: str, kind: str, status: int, headers: Mapping[str, str]
    ) -> None:
        self.told.append((kind, status))


def test_every_create_passes_the_gate_first_and_a_closed_gate_sends_nothing() -> None:
    gate = Gate()
    world = Platforms(FixedClock(T0), gate)
    publisher = world.publisher(AccountSpec("acct", "x", {"tier": "free"}))
    publisher.publish(request(parts=2))
    assert gate.asked == [("acct", "x", CREATE)] * 2 and gate.told == [(CREATE, 200)] * 2
    gate.closed = True
    with pytest.raises(AccountPaused):
        publisher.publish(request(key="held"))
    assert len(world.sent["acct"]) == 2 and world.refusals == []


def test_the_quotas_the_ledger_counts_are_left_to_the_gate() -> None:
    # X's free tier (17 a day) is the daemon's gate's to hold, as in the daemon: the
    # simulated platform does not count it a second time, in a way that could differ.
    world, publisher = platforms("x", tier="free")
    assert all(q.counts is None for q in publisher.quotas)
    for i in range(18):
        world.clock.set(T0 + timedelta(minutes=20 * i))
        publisher.publish(request(key=f"p{i}"))
    assert world.refusals == []


def test_a_limit_only_the_platform_counts_answers_429_until_the_window_has_room() -> None:
    world, publisher = platforms("mastodon")
    (requests,) = [q for q in publisher.quotas if q.what == "requests"]
    for i in range(requests.requests):
        world.clock.set(T0 + timedelta(milliseconds=i))
        publisher.publish(request(key=f"p{i}"))
    with pytest.raises(RateLimited) as refused:
        publisher.publish(request(key="one-more"))
    assert refused.value.status == 429
    assert refused.value.retry_after == pytest.approx(requests.per.total_seconds(), abs=1)
    assert [r.kind for r in world.refusals] == ["quota"]
    world.clock.set(T0 + requests.per + timedelta(seconds=1))
    publisher.publish(request(key="one-more"))


def test_an_expired_token_is_a_401_and_a_lookup_cannot_tell() -> None:
    world, publisher = platforms("mastodon")
    world.expiry["acct"] = T0 + timedelta(hours=1)
    publisher.publish(request(key="before"))
    world.clock.set(T0 + timedelta(hours=1))
    with pytest.raises(AuthFailed) as refused:
        publisher.publish(request(key="after"))
    assert refused.value.status == 401
    assert isinstance(publisher.find(request(key="before"), 0), CannotTell)
    with pytest.raises(AuthFailed):
        publisher.verify()


def test_a_part_is_made_once_per_key_and_found_exactly() -> None:
    world, publisher = platforms("mastodon")
    first = publisher.publish(request(parts=3))
    again = publisher.publish(request(parts=3))
    assert first == again
    assert len(world.sent["acct"]) == 3
    assert world.sent_times("acct", T0) == [T0, T0, T0]
    found = publisher.find(request(parts=3), 2)
    assert isinstance(found, Found) and found.part == first.parts[2]
    assert isinstance(publisher.find(request(key="never"), 0), Absent)
