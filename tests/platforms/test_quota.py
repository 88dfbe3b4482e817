"""Quotas as tables: which quotas an account has, when the next part may go out, and where a
planned schedule spends more than a quota."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler import descriptors
from scheduler.descriptors import Quota
from scheduler.platforms.quota import counts, next_allowed, overflows, quotas_for

NOW = datetime(2026, 5, 11, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
X = ["posts per 15 minutes", "posts and reposts per 3 hours"]  # every tier's
TWO_AN_HOUR = Quota(2, H, "account")
POINTS = Quota(9, H, "account", "write points", cost=3)  # room for three posts
FIRSTS = Quota(1, H, "account", counts="first part")
REPLIES = Quota(1, H, "account", "replies", counts="replies")


@pytest.mark.parametrize(
    ("quota", "sent", "expected"),
    [
        (TWO_AN_HOUR, [], None),
        (TWO_AN_HOUR, [(NOW - 10 * M, 0)], None),
        # two in the window: the next waits until the older leaves it
        (TWO_AN_HOUR, [(NOW - 50 * M, 0), (NOW - 10 * M, 0)], NOW + 10 * M),
        (TWO_AN_HOUR, [(NOW - 10 * M, 0), (NOW - 50 * M, 0)], NOW + 10 * M),  # any order
        # parts older than the window do not count; one exactly at its edge has left it
        (TWO_AN_HOUR, [(NOW - 2 * H, 0), (NOW - H, 0), (NOW - M, 0)], None),
        # three in the window (another daemon raced): wait for the two oldest to leave
        (TWO_AN_HOUR, [(NOW - 50 * M, 0), (NOW - 40 * M, 0), (NOW - 1 * M, 0)], NOW + 20 * M),
        # write points: 3 a post, 9 an hour -> three posts
        (POINTS, [(NOW - 30 * M, 0), (NOW - 20 * M, 1)], None),
        (POINTS, [(NOW - 30 * M, 0), (NOW - 20 * M, 1), (NOW - 5 * M, 2)], NOW + 30 * M),
        # which parts count
        (FIRSTS, [(NOW - 30 * M, 1), (NOW - 20 * M, 2)], None),
        (FIRSTS, [(NOW - 30 * M, 0)], NOW + 30 * M),
        (REPLIES, [(NOW - 30 * M, 0)], None),
        (REPLIES, [(NOW - 30 * M, 1)], NOW + 30 * M),
        # a quota smaller than one post's cost never blocks for ever: it waits for an empty window
        (Quota(1, H, "account", cost=3), [(NOW - 30 * M, 0)], NOW + 30 * M),
    ],
)
def test_next_allowed(
    quota: Quota, sent: list[tuple[datetime, int]], expected: datetime | None
) -> None:
    assert next_allowed(quota, sent, NOW) == expected


@pytest.mark.parametrize(
    ("quota", "planned", "expected"),
    [
        (TWO_AN_HOUR, [], []),
        (TWO_AN_HOUR, [(NOW, 0), (NOW + 30 * M, 0), (NOW + H, 0)], []),  # the edge is outside
        (TWO_AN_HOUR, [(NOW, 0), (NOW + 30 * M, 0), (NOW + 59 * M, 0)], [(NOW + 59 * M, 3)]),
        (
            TWO_AN_HOUR,
            [(NOW, 0), (NOW, 1), (NOW, 2), (NOW + 10 * M, 0)],
            [(NOW, 3), (NOW + 10 * M, 4)],
        ),
        (POINTS, [(NOW, 0), (NOW + M, 1), (NOW + 2 * M, 2)], []),
        (POINTS, [(NOW, 0), (NOW + M, 1), (NOW + 2 * M, 2), (NOW + 3 * M, 0)], [(NOW + 3 * M, 12)]),
        (FIRSTS, [(NOW, 0), (NOW, 1), (NOW, 2)], []),
    ],
)
def test_overflows(
    quota: Quota, planned: list[tuple[datetime, int]], expected: list[tuple[datetime, int]]
) -> None:
    assert overflows(quota, planned) == expected


@pytest.mark.parametrize(
    ("platform", "settings", "expected"),
    [
        ("x", {}, X),
        ("x", {"tier": "free"}, [*X, "posts per 24 hours on the free tier"]),
        ("x", {"tier": "basic"}, [*X, "posts per 24 hours on the basic tier"]),
        ("x", {"tier": "pro"}, X),
        # requests of every kind and uploads are the headers' to report, not counted here
        ("mastodon", {}, ["statuses per 3 hours"]),
        ("bluesky", {}, ["write points per hour", "write points per 24 hours"]),
        ("threads", {}, ["posts per 24 hours", "replies per 24 hours"]),
        ("sandbox", {}, []),
        ("nowhere", {}, []),
    ],
)
def test_quotas_for(platform: str, settings: dict[str, str], expected: list[str]) -> None:
    assert [q.name for q in quotas_for(platform, settings)] == expected


def test_every_quota_is_declared_sanely() -> None:
    for descriptor in descriptors.descriptors():
        for quota in descriptor.rate_limits.quotas:
            assert quota.requests >= quota.cost >= 1 and quota.per > timedelta(0), quota
            assert quota.counts in ("every part", "first part", "replies", None), quota
            # an app's total is every account's: one account's ledger cannot count it
            assert quota.scope != "app" or quota.counts is None, quota


def test_threads_counts_posts_and_replies_apart() -> None:
    posts, replies = quotas_for("threads")
    assert (posts.requests, replies.requests) == (250, 1000)
    thread = [(NOW, 0), (NOW, 1), (NOW, 2)]
    assert [counts(posts, i) for _, i in thread] == [True, False, False]
    assert [counts(replies, i) for _, i in thread] == [False, True, True]
    # 250 threads of three parts in a day spend the posts, and 500 of the replies.
    day = [(NOW + timedelta(minutes=n), i) for n in range(250) for i in range(3)]
    assert overflows(posts, day) == [] and overflows(replies, day) == []
    assert overflows(posts, [*day, (NOW + timedelta(hours=5), 0)])
