"""The words a person is told about a thread finished late or left unfinished, as tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scheduler.daemon.notices import finished_late, late_parts, published_parts, unfinished
from scheduler.draft import PartResult

END = datetime(2026, 5, 11, 8, 30, tzinfo=UTC)  # 09:30 BST
M = timedelta(minutes=1)


@dataclass
class E:
    action: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def _part(index: int, at: datetime) -> E:
    return E("record_part", at, {"index": index, "url": f"https://m.example/{index + 1}"})


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], []),
        ([_part(0, END - M), _part(1, END - M)], []),  # all in time
        ([_part(0, END - M), _part(1, END + M), _part(2, END + 2 * M)], [1, 2]),
        ([_part(1, END)], []),  # the window's last instant is inside it
        ([_part(0, END + M)], []),  # part 1 recorded late: a reconciliation, not a late post
        ([_part(1, END + M), _part(1, END + 2 * M)], [1]),  # recorded twice: once
        ([E("claim", END + M), E("record_part", END + M, {"index": "x"})], []),
        ([_part(2, END + 2 * M), _part(1, END + M)], [1, 2]),  # in part order
    ],
)
def test_late_parts(events: list[E], expected: list[int]) -> None:
    assert [index for index, _, _ in late_parts(events, END)] == expected


def test_finished_late_says_which_parts_and_when() -> None:
    late = [(1, "https://m.example/2", END + 30 * M), (2, "", END + 31 * M)]
    summary, detail = finished_late(late, total=3, end=END, zone="Europe/London")
    assert summary == (
        "finished late: parts 2 and 3 of 3 went out after its window closed at "
        "Mon 11 May 09:30 BST, so that the thread is not left broken"
    )
    assert detail == (
        "part 2 at Mon 11 May 10:00 BST (2026-05-11T09:00:00+00:00) https://m.example/2; "
        "part 3 at Mon 11 May 10:01 BST (2026-05-11T09:01:00+00:00)"
    )
    one, _ = finished_late(late[:1], total=2, end=END, zone="Etc/UTC")
    assert one.startswith("finished late: part 2 of 2 went out after its window closed at")


@pytest.mark.parametrize(
    ("limit", "words"),
    [(timedelta(hours=24), "24 h"), (timedelta(minutes=90), "1.5 h"), (30 * M, "30 min")],
)
def test_unfinished_names_the_limit_and_the_parts(limit: timedelta, words: str) -> None:
    done = (PartResult(0, "id-1", "https://m.example/1"),)
    reason, detail = unfinished(done, total=3, end=END, finish=END + limit, zone="Etc/UTC")
    assert reason.startswith(
        "only 1 of 3 parts were published: its window closed at Mon 11 May 08:30 UTC and the "
        f"rest could not be published within {words} after that"
    )
    assert detail == "published parts: 1: https://m.example/1"


def test_published_parts() -> None:
    assert published_parts(()) == ""
    parts = (PartResult(0, "id-1", "https://a/1"), PartResult(1, "at://x/2", ""))
    assert published_parts(parts) == "published parts: 1: https://a/1 2: at://x/2"
