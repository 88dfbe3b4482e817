"""The one reader of rate-limit headers, as tables: every platform's form, what a 429 asks to
wait, and when a spent window opens again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.platforms.ratelimit import read, reset_time, retry_after_time, wait

NOW = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())


def _in(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Mastodon: ISO 8601, with microseconds, any offset; no zone means UTC
        ("2026-05-11T08:05:00.000000Z", _in(300)),
        ("2026-05-11T08:05:00.123456Z", _in(300.123456)),
        ("2026-05-11T09:05:00+01:00", _in(300)),
        ("2026-05-11T08:05:00", _in(300)),
        ("2026-05-11T07:00:00Z", _in(-3600)),  # a past reset stays in the past
        # X and Bluesky: Unix seconds; small numbers are seconds from now (IETF draft)
        (str(EPOCH + 90), _in(90)),
        (f"{EPOCH + 90}.5", _in(90.5)),
        ("42", _in(42)),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_reset_time(value: str | None, expected: datetime | None) -> None:
    assert reset_time(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", _in(120)),
        ("0", NOW),
        ("-5", NOW),  # never before now
        ("Mon, 11 May 2026 08:02:00 GMT", _in(120)),
        ("next week", None),
        (None, None),
    ],
)
def test_retry_after_time(value: str | None, expected: datetime | None) -> None:
    assert retry_after_time(value, NOW) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Retry-After": "120"}, 120.0),
        ({"retry-after": "0"}, 0.0),
        ({"Retry-After": "Mon, 11 May 2026 08:05:00 GMT"}, 300.0),
        ({"Retry-After": "soon"}, None),
        # Mastodon: ISO 8601, no Retry-After; forks sending epoch seconds
        ({"X-RateLimit-Reset": "2026-05-11T08:05:00.000Z"}, 300.0),
        ({"x-ratelimit-reset": "2026-05-11T08:01:00Z"}, 60.0),
        ({"X-RateLimit-Reset": str(EPOCH + 30)}, 30.0),
        ({"X-RateLimit-Reset": "garbage"}, None),
        # Bluesky: Retry-After wins over the reset
        ({"Retry-After": "45", "RateLimit-Reset": str(EPOCH + 300)}, 45.0),
        ({"RateLimit-Reset": str(EPOCH + 300)}, 300.0),
        ({"RateLimit-Reset": "42"}, 42.0),
        # X: the later of the spent windows; a spent 24-hour cap outlasts the 15-minute one
        ({"x-rate-limit-reset": str(EPOCH + 900), "x-rate-limit-remaining": "0"}, 900.0),
        (
            {
                "x-rate-limit-reset": str(EPOCH + 900),
                "x-rate-limit-remaining": "10",
                "x-user-limit-24hour-reset": str(EPOCH + 7200),
                "x-user-limit-24hour-remaining": "0",
            },
            7200.0,
        ),
        (
            {
                "x-rate-limit-reset": str(EPOCH + 900),
                "x-rate-limit-remaining": "0",
                "x-app-limit-24hour-reset": str(EPOCH + 80_000),
                "x-app-limit-24hour-remaining": "0",
            },
            80_000.0,
        ),
        # A reset in the past means "now", never a negative wait
        ({"x-rate-limit-reset": str(EPOCH - 10)}, 0.0),
    ],
)
def test_wait(headers: dict[str, str], expected: float | None) -> None:
    got = wait(headers, NOW)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # nothing left: stop before the 429, until the reset
        (
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-05-11T08:05:00Z"},
            (_in(300), "the server's rate limit"),
        ),
        (
            {"RateLimit-Limit": "5000", "RateLimit-Remaining": "0", "RateLimit-Reset": "600"},
            (_in(600), "the server's rate limit"),
        ),
        (
            {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(EPOCH + 900)},
            (_in(900), "X's rate limit"),
        ),
        (
            {
                "x-rate-limit-remaining": "3",
                "x-rate-limit-reset": str(EPOCH + 900),
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-reset": str(EPOCH + 50_000),
            },
            (_in(50_000), "X's 24-hour limit for the user"),
        ),
        # something left, or no reset to wait for: no pause
        ({"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "2026-05-11T08:05:00Z"}, None),
        ({"X-RateLimit-Remaining": "0"}, None),
        ({"Retry-After": "30"}, None),
        ({}, None),
    ],
)
def test_spent_until(headers: dict[str, str], expected: tuple[datetime, str] | None) -> None:
    assert read(headers, NOW).spent_until() == expected


def test_read_keeps_every_window() -> None:
    limits = read(
        {
            "x-rate-limit-limit": "200",
            "x-rate-limit-remaining": "199",
            "x-rate-limit-reset": str(EPOCH + 900),
            "Retry-After": "nonsense",
        },
        NOW,
    )
    assert [(w.name, w.limit, w.remaining, w.reset) for w in limits.windows] == [
        ("X's rate limit", 200, 199, _in(900))
    ]
    assert limits.retry_at is None
