"""Quotas as tables: which quotas an account has, when the next part may go out, and where a
planned schedule spends more than a quota."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.platforms.base import Quota
from scheduler.platforms.quota import next_allowed, overflows, quotas_for
from scheduler.platforms.rules import RULES

NOW = datetime(2026, 5, 11, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
TWO_AN_HOUR = Quota("posts per hour", 2, 3600)
POINTS = Quota("write points per hour", 9, 3600, cost=3)  # room for three posts
FIRSTS = Quota("posts per hour", 1, 3600, counts="first part")
REPLIES = Quota("replies per hour", 1, 3600, counts="replies")


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
        (Quota("tiny", 1, 3600, cost=3), [(NOW - 30 * M, 0)], NOW + 30 * M),
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
        ("x", {}, ["posts per 3 hours"]),
        ("x", {"tier": "free"}, ["posts per 3 hours", "posts per 24 hours on the free tier"]),
        ("x", {"tier": "basic"}, ["posts per 3 hours", "posts per 24 hours on the basic tier"]),
        ("x", {"tier": "pro"}, ["posts per 3 hours"]),
        ("mastodon", {}, ["posts per 3 hours"]),
        ("bluesky", {}, ["write points per hour", "write points per day"]),
        ("sandbox", {}, []),
        ("nowhere", {}, []),
    ],
)
def test_quotas_for(platform: str, settings: dict[str, str], expected: list[str]) -> None:
    assert [q.name for q in quotas_for(platform, settings)] == expected


def test_every_quota_is_declared_sanely() -> None:
    for rules in RULES.values():
        for quota in rules.quotas:
            assert quota.limit >= quota.cost >= 1 and quota.window > 0, quota
            assert quota.counts in ("every part", "first part", "replies"), quota
