"""The three answers of a lookup, and the only evidence that makes "absent"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.platforms.base import (
    Absent,
    CannotTell,
    Coverage,
    OutcomeUnknown,
    RateLimited,
    Transient,
    page_coverage,
)

SINCE = datetime(2026, 5, 11, 7, 50, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

# (what the last page showed, pages read) -> covered? A page count is never evidence.
PAGE_CASES = [
    # oldest post of the latest page, the page was empty, pages, covered
    (SINCE - MINUTE, False, 1, True),  # reached back past the first attempt
    (SINCE, False, 1, False),  # exactly at it: something as old may be on the next page
    (SINCE + MINUTE, False, 1, False),
    (SINCE + MINUTE, False, 500, False),  # however many pages were read
    (None, False, 3, False),  # a page without readable times proves nothing
    (None, True, 1, True),  # the listing ended
    (None, True, 40, True),
]


@pytest.mark.parametrize(("oldest", "empty", "pages", "covered"), PAGE_CASES)
def test_page_coverage(oldest: datetime | None, empty: bool, pages: int, covered: bool) -> None:
    result = page_coverage(since=SINCE, oldest=oldest, empty=empty, pages=pages)
    assert (result is not None) == covered
    if result is not None:
        assert result.pages == pages and result.how


def test_coverage_is_made_only_from_evidence() -> None:
    with pytest.raises(TypeError):
        Coverage("I read three pages", 3)
    with pytest.raises(TypeError):
        Absent("nothing found")  # type: ignore[arg-type]
    assert Coverage.reached(SINCE, SINCE, 2) is None
    assert Absent(Coverage.record_key("3kabc")).coverage.how.endswith("3kabc")


@pytest.mark.parametrize(
    ("error", "retry_after", "status"),
    [
        (RateLimited("slow down", retry_after=120.0, status=429), 120.0, 429),
        (Transient("bad gateway", status=502), None, 502),
        (OutcomeUnknown("timed out"), None, None),
    ],
)
def test_cannot_tell_keeps_what_the_platform_said(
    error: Exception, retry_after: float | None, status: int | None
) -> None:
    assert isinstance(error, Transient | RateLimited | OutcomeUnknown)
    answer = CannotTell.because(error, "reading page 3")
    assert answer.reason.startswith("reading page 3: ")
    assert (answer.retry_after, answer.status) == (retry_after, status)


def test_a_429_wrapped_by_the_publisher_still_says_when() -> None:
    limited = RateLimited("rate limited", retry_after=30.0, status=429)
    try:
        raise OutcomeUnknown("cannot tell whether part 1 exists") from limited
    except OutcomeUnknown as wrapped:
        answer = CannotTell.because(wrapped, "reading record 3k")
    assert answer.retry_after == 30.0 and answer.status == 429
