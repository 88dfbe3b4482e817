"""The retry rules, as tables: backoff steps and the decision after each error (the headers'
rules are in tests/platforms/test_ratelimit.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.daemon.retry import (
    Decision,
    RetryPolicy,
    backoff,
    counted_attempts,
    decide,
    what_was_sent,
)
from scheduler.platforms.base import (
    AccountPaused,
    AuthFailed,
    Duplicate,
    Invalid,
    OutcomeUnknown,
    PublishError,
    RateLimited,
    Transient,
)

NOW = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
POLICY = RetryPolicy(base=30, factor=2, cap=3600, jitter=0.25, max_attempts=10, reset_spread=2)


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (1, 0.0, 30.0),  # first retry: the base
        (2, 0.0, 60.0),
        (3, 0.0, 120.0),
        (7, 0.0, 1920.0),
        (8, 0.0, 3600.0),  # capped
        (50, 0.0, 3600.0),
        (5000, 0.0, 3600.0),  # no overflow
        (1, 1.0, 22.5),  # jitter removes up to a quarter
        (1, 0.5, 26.25),
        (8, 0.999, 3600.0 * (1 - 0.25 * 0.999)),
        (0, 0.0, 30.0),  # nonsense attempt numbers are treated as the first
        (1, 7.0, 22.5),  # rand outside [0, 1] is clamped
    ],
)
def test_backoff(attempt: int, rand: float, expected: float) -> None:
    assert backoff(attempt, POLICY, rand) == pytest.approx(expected)


def _at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


LATE = NOW + timedelta(hours=6)

CASES: list[tuple[str, PublishError, int, datetime | None, float, Decision]] = [
    (
        "transient: backoff",
        Transient("server error", status=503),
        1,
        LATE,
        0.0,
        Decision("retry", _at(30), "server error (HTTP 503)"),
    ),
    (
        "transient: third attempt",
        Transient("timeout"),
        3,
        LATE,
        0.0,
        Decision("retry", _at(120), "timeout"),
    ),
    (
        "outcome unknown: retried, the next attempt reconciles",
        OutcomeUnknown("connection dropped after sending"),
        1,
        LATE,
        0.0,
        Decision("retry", _at(30), "connection dropped after sending"),
    ),
    (
        "rate limited with retry-after: honoured exactly, account paused",
        RateLimited("rate limited", retry_after=900),
        1,
        LATE,
        0.0,
        Decision("retry", _at(900), "rate limited", pause_account_until=_at(900)),
    ),
    (
        "rate limited: spread added on top of the reset",
        RateLimited("rate limited", retry_after=900),
        1,
        LATE,
        0.5,
        Decision("retry", _at(901), "rate limited", pause_account_until=_at(900)),
    ),
    (
        "rate limited without a time: backoff, account paused as long",
        RateLimited("rate limited"),
        2,
        LATE,
        0.0,
        Decision("retry", _at(60), "rate limited", pause_account_until=_at(60)),
    ),
    (
        "permanent: stops at once with the platform's words",
        Invalid("rejected", platform_message="Text character limit of 500 exceeded", status=422),
        1,
        LATE,
        0.0,
        Decision("failed", None, "rejected: Text character limit of 500 exceeded (HTTP 422)"),
    ),
    (
        "auth failed: stops at once",
        AuthFailed("The access token is invalid", status=401),
        1,
        LATE,
        0.0,
        Decision("failed", None, "The access token is invalid (HTTP 401)"),
    ),
    (
        "duplicate: permanent",
        Duplicate("duplicate content"),
        2,
        LATE,
        0.0,
        Decision("failed", None, "duplicate content"),
    ),
    (
        "too many attempts",
        Transient("bad gateway"),
        10,
        LATE,
        0.0,
        Decision("failed", None, "gave up after 10 attempts: bad gateway"),
    ),
    (
        "next attempt after the window: missed",
        Transient("overloaded"),
        4,
        _at(200),
        0.0,
        Decision(
            "missed",
            None,
            "window closed: the next attempt (2026-05-11T08:04:00+00:00) would be after the "
            "latest time 2026-05-11T08:03:20+00:00; last error: overloaded",
        ),
    ),
    (
        "reset after the window: missed",
        RateLimited("rate limited", retry_after=3600),
        1,
        _at(600),
        0.0,
        Decision(
            "missed",
            None,
            "window closed: the next attempt (2026-05-11T09:00:00+00:00) would be after the "
            "latest time 2026-05-11T08:10:00+00:00; last error: rate limited",
            pause_account_until=_at(3600),
        ),
    ),
    (
        "no window: retry",
        Transient("timeout"),
        1,
        None,
        0.0,
        Decision("retry", _at(30), "timeout"),
    ),
]


@pytest.mark.parametrize(
    ("name", "error", "attempts", "latest", "rand", "expected"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_decide(
    name: str,
    error: PublishError,
    attempts: int,
    latest: datetime | None,
    rand: float,
    expected: Decision,
) -> None:
    got = decide(error, attempts=attempts, now=NOW, latest=latest, policy=POLICY, rand=rand)
    assert got == expected


# A thread with a part already public: retries may run past the window, up to finish_by.
WINDOW = _at(200)
FINISH = WINDOW + timedelta(hours=24)

# The 25th attempt's backoff is the cap: an hour after NOW.
LATE_25 = (NOW + timedelta(seconds=backoff(25, POLICY, 0.0))).isoformat(timespec="seconds")

STARTED_CASES: list[tuple[str, PublishError, int, datetime, float, Decision]] = [
    (
        "inside the window: an ordinary retry",
        Transient("server error", status=503),
        1,
        FINISH,
        0.0,
        Decision("retry", _at(30), "server error (HTTP 503)"),
    ),
    (
        "next attempt after the window: retried late, not missed",
        Transient("overloaded"),
        4,
        FINISH,
        0.0,
        Decision("retry", _at(240), "overloaded", late=True),
    ),
    (
        "a reset after the window: honoured, finished late",
        RateLimited("rate limited", retry_after=3600),
        1,
        FINISH,
        0.0,
        Decision("retry", _at(3600), "rate limited", pause_account_until=_at(3600), late=True),
    ),
    (
        "unknown outcome after the window: looked for again late",
        OutcomeUnknown("connection dropped"),
        4,
        FINISH,
        0.0,
        Decision("retry", _at(240), "connection dropped", late=True),
    ),
    (
        "next attempt after the completion limit: missed",
        Transient("overloaded"),
        4,
        _at(230),
        0.0,
        Decision(
            "missed",
            None,
            "thread unfinished: the next attempt (2026-05-11T08:04:00+00:00) would be after "
            "2026-05-11T08:03:50+00:00, the limit for finishing a started thread after its "
            "window closed at 2026-05-11T08:03:20+00:00; last error: overloaded",
        ),
    ),
    (
        "exactly at the completion limit: still retried",
        Transient("overloaded"),
        4,
        _at(240),
        0.0,
        Decision("retry", _at(240), "overloaded", late=True),
    ),
    (
        "permanent errors still stop at once",
        Invalid("rejected", status=422),
        1,
        FINISH,
        0.0,
        Decision("failed", None, "rejected (HTTP 422)"),
    ),
    (
        "no cap on attempts: the completion limit bounds them",
        Transient("bad gateway"),
        10,
        FINISH,
        0.0,
        Decision(
            "retry", NOW + timedelta(seconds=backoff(10, POLICY, 0.0)), "bad gateway", late=True
        ),
    ),
    (
        "no cap on attempts, but never past the completion limit",
        Transient("bad gateway"),
        25,
        _at(230),
        0.0,
        Decision(
            "missed",
            None,
            f"thread unfinished: the next attempt ({LATE_25}) would be "
            "after 2026-05-11T08:03:50+00:00, the limit for finishing a started thread after "
            "its window closed at 2026-05-11T08:03:20+00:00; last error: bad gateway",
        ),
    ),
]


@pytest.mark.parametrize(
    ("name", "error", "attempts", "finish_by", "rand", "expected"),
    STARTED_CASES,
    ids=[c[0] for c in STARTED_CASES],
)
def test_decide_for_a_started_thread(
    name: str,
    error: PublishError,
    attempts: int,
    finish_by: datetime,
    rand: float,
    expected: Decision,
) -> None:
    got = decide(
        error,
        attempts=attempts,
        now=NOW,
        latest=WINDOW,
        policy=POLICY,
        rand=rand,
        finish_by=finish_by,
    )
    assert got == expected


PAUSED = AccountPaused("account paused until 08:15", retry_after=900)


@pytest.mark.parametrize(
    ("case", "error", "requests", "creates", "recorded", "expected"),
    [
        ("refused before anything was sent: no attempt", PAUSED, 0, 0, 0, "nothing"),
        ("a lookup refused before it was sent", PAUSED, 0, 0, 0, "nothing"),
        ("uploads went out, then the create was refused", PAUSED, 2, 0, 0, "attempt"),
        ("part 1 out and recorded, part 2 refused", PAUSED, 3, 1, 1, "attempt"),
        ("a create went out unanswered, its lookup refused", PAUSED, 2, 1, 0, "unknown"),
        ("two parts out, the second's answer lost", PAUSED, 4, 2, 1, "unknown"),
        ("a real 429 was sent: an attempt", RateLimited("429", retry_after=60), 1, 1, 0, "attempt"),
        ("a 503 after a request", Transient("503"), 1, 1, 0, "attempt"),
        ("a refusal of our own with nothing sent", Invalid("too long"), 0, 0, 0, "attempt"),
    ],
)
def test_what_was_sent(
    case: str,
    error: PublishError,
    requests: int,
    creates: int,
    recorded: int,
    expected: str,
) -> None:
    got = what_was_sent(error, requests=requests, creates=creates, recorded=recorded)
    assert got == expected, case


def test_a_rate_limited_lookup_is_bounded_by_the_window_not_the_count() -> None:
    """After ``max_attempts`` a lookup the platform rate limited is looked at again at its
    reset while the window is open (a person would otherwise be asked about a post a later
    look settles); a lookup that cannot tell for another reason is still capped."""
    limited = RateLimited("lookup rate limited", retry_after=60)
    late = POLICY.max_attempts + 5
    kw = {"now": NOW, "latest": NOW + timedelta(hours=1), "policy": POLICY, "rand": 0.0}
    got = decide(limited, attempts=late, **kw)  # type: ignore[arg-type]
    assert got.action == "retry" and got.at == NOW + timedelta(seconds=60)
    unknown = OutcomeUnknown("cannot tell: page 3 failed")
    assert decide(unknown, attempts=late, **kw).action == "failed"  # type: ignore[arg-type]
    closing = {**kw, "latest": NOW + timedelta(seconds=30)}
    assert decide(limited, attempts=late, **closing).action == "missed"  # type: ignore[arg-type]


UPLOAD_429 = RateLimited("mastodon: rate limited during uploading sunrise.png", retry_after=60)
GATE_HELD = AccountPaused("account paused until 08:01", retry_after=60)
WIDE = NOW + timedelta(hours=2)

# (case, error, attempt number, error classes of the earlier attempts, window end, action)
CAP_CASES: list[tuple[str, PublishError, int, list[str | None], datetime, str]] = [
    (
        "a 429 on the 40th attempt: waits, not capped",
        UPLOAD_429,
        40,
        ["RateLimited"] * 39,
        WIDE,
        "retry",
    ),
    (
        "a 429 with earlier 503s past the cap: still waits",
        UPLOAD_429,
        12,
        ["Transient"] * 11,
        WIDE,
        "retry",
    ),
    (
        "the gate held back the rest of an attempt: waits",
        GATE_HELD,
        15,
        ["Transient"] * 14,
        WIDE,
        "retry",
    ),
    (
        "a 429 whose reset is after the window: missed, not failed",
        UPLOAD_429,
        40,
        [],
        _at(30),
        "missed",
    ),
    (
        "a 503 after 39 refused uploads: the 1st counted attempt",
        Transient("503"),
        40,
        ["RateLimited"] * 39,
        WIDE,
        "retry",
    ),
    (
        "a 503 after 5 refusals and 4 failures: the 5th counted",
        Transient("503"),
        10,
        ["RateLimited", "Transient"] * 4 + ["AccountPaused"],
        WIDE,
        "retry",
    ),
    (
        "a 503 after 9 counted failures: the 10th, capped",
        Transient("503"),
        12,
        ["Transient"] * 9 + ["RateLimited"] * 2,
        WIDE,
        "failed",
    ),
    (
        "lost answers and expired leases count",
        Transient("503"),
        10,
        ["OutcomeUnknown", None] * 4 + ["Transient"],
        WIDE,
        "failed",
    ),
    (
        "a permanent refusal stops whatever the count",
        Invalid("too long"),
        3,
        ["RateLimited"] * 2,
        WIDE,
        "failed",
    ),
]


@pytest.mark.parametrize(
    ("case", "error", "attempt", "earlier", "latest", "action"),
    CAP_CASES,
    ids=[c[0] for c in CAP_CASES],
)
def test_the_cap_counts_requests_that_were_sent_not_rate_limits(
    case: str,
    error: PublishError,
    attempt: int,
    earlier: list[str | None],
    latest: datetime,
    action: str,
) -> None:
    counted = counted_attempts(attempt, earlier)
    got = decide(
        error,
        attempts=attempt,
        counted=counted,
        now=NOW,
        latest=latest,
        policy=POLICY,
        rand=0.0,
    )
    assert got.action == action, case
    if action == "failed" and not isinstance(error, Invalid):
        assert got.reason.startswith(f"gave up after {counted} attempts"), got.reason


@pytest.mark.parametrize(
    ("attempt", "earlier", "expected"),
    [
        (1, [], 1),
        (5, ["Transient", "OutcomeUnknown", None, "Transient"], 5),
        (5, ["RateLimited", "AccountPaused", "RateLimited", "RateLimited"], 1),
        (6, ["RateLimited", "Transient", "AccountPaused", "Transient", "RateLimited"], 3),
    ],
)
def test_counted_attempts(attempt: int, earlier: list[str | None], expected: int) -> None:
    assert counted_attempts(attempt, earlier) == expected
