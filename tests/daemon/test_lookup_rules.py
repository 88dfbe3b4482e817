"""From where a lookup must cover, and how its answer is logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.daemon.reconcile import described, first_attempt
from scheduler.draft import PartResult
from scheduler.platforms.base import Absent, CannotTell, Coverage, Found

DUE = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)


@dataclass
class A:
    started_at: datetime
    content_hash: str


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        ([], DUE),  # nothing tried yet: the due time
        ([A(DUE + H, "h1")], DUE + H),
        ([A(DUE + 3 * H, "h1"), A(DUE + 2 * H, "h1")], DUE + 2 * H),  # the earliest
        ([A(DUE + 72 * H, "h1")], DUE + 72 * H),  # due days ago, first tried after downtime
        ([A(DUE - H, "old"), A(DUE + H, "h1")], DUE + H),  # other content is not ours
        ([A(DUE - H, "old")], DUE),
    ],
)
def test_first_attempt(attempts: list[A], expected: datetime) -> None:
    assert first_attempt(attempts, "h1", default=DUE) == expected


def test_described_carries_the_evidence() -> None:
    part = PartResult(index=0, remote_id="1", url="https://example.org/1")
    assert described(Found(part)) == {
        "found": True,
        "answer": "found",
        "url": part.url,
        "evidence": "",
    }
    absent = described(Absent(Coverage.listing_ended(DUE, 4)))
    assert absent["answer"] == "absent" and "4 page(s)" in absent["evidence"]
    unsure = described(CannotTell("reading page 3: rate limited", retry_after=60))
    assert unsure["answer"] == "cannot_tell" and unsure["evidence"].startswith("reading page 3")
