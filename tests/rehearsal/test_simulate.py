"""The simulated platforms answer as the real ones would: the descriptor's limits and quotas,
a 401 once the token has expired, the same part once per idempotency key, exact lookups."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from scheduler import descriptors
from scheduler.clock import FixedClock
from scheduler.platforms.base import (
    Absent,
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


def test_a_quota_answers_429_until_the_oldest_post_leaves_the_window() -> None:
    world, publisher = platforms("x")
    (quota,) = [
        q for q in descriptors.get("x").rate_limits.quotas if q.per == timedelta(minutes=15)
    ]
    for i in range(quota.requests):
        world.clock.set(T0 + timedelta(seconds=i))
        publisher.publish(request(key=f"p{i}"))
    with pytest.raises(RateLimited) as refused:
        publisher.publish(request(key="one-more"))
    assert refused.value.status == 429
    # The first post (at T0) leaves the window at T0 + 15 min; it is now T0 + 99 s.
    assert refused.value.retry_after == pytest.approx(15 * 60 - (quota.requests - 1))
    world.clock.set(T0 + quota.per)
    publisher.publish(request(key="one-more"))


def test_bluesky_points_count_what_a_created_record_costs() -> None:
    _, publisher = platforms("bluesky")
    (hourly,) = [q for q in descriptors.get("bluesky").rate_limits.quotas if q.per.seconds == 3600]
    assert hourly.cost == 3
    for i in range(hourly.requests // 3):
        publisher.publish(request(key=f"p{i}"))
    with pytest.raises(RateLimited):
        publisher.publish(request(key="one-more"))


@pytest.mark.parametrize(("settings", "allowed"), [({"tier": "free"}, 17), ({}, 100)])
def test_an_x_tier_quota_holds_only_the_accounts_on_that_tier(
    settings: dict[str, str], allowed: int
) -> None:
    world, publisher = platforms("x", **settings)
    for i in range(allowed):
        world.clock.set(T0 + timedelta(minutes=15 * i))  # clear of the 15-minute window
        publisher.publish(request(key=f"p{i}"))
    world.clock.set(T0 + timedelta(minutes=15 * allowed))
    if settings:
        with pytest.raises(RateLimited, match="per 24 hours"):
            publisher.publish(request(key="one-more"))
    else:
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
