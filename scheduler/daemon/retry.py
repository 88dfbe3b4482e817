"""When to try again: capped exponential backoff with jitter, honouring what the platform said.

Everything here is a pure function of its arguments (the random draw is passed in), so the
rules are pinned by table tests and the daemon stores the answer in the ledger: a restarted
daemon continues the same schedule instead of starting it over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.errors import PublishError, SchedulerError
from scheduler.platforms.base import AccountPaused, OutcomeUnknown, Permanent, RateLimited


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = 30.0  # seconds before the first retry
    factor: float = 2.0
    cap: float = 3600.0  # no backoff step is longer than this (the platform may ask longer)
    jitter: float = 0.25  # up to this fraction of each step is removed at random
    max_attempts: int = 10  # attempts after which a draft fails even inside its window
    # Several daemons told the same reset time should not all return in the same instant.
    reset_spread: float = 2.0


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a draft after a failed attempt."""

    action: str  # "retry" | "failed" | "missed"
    at: datetime | None  # the next attempt, for "retry"
    reason: str
    pause_account_until: datetime | None = None  # a 429: the account's other posts wait too
    late: bool = False  # a retry after the window: a started thread being finished late


def backoff(attempt: int, policy: RetryPolicy, rand: float) -> float:
    """Seconds to wait after the ``attempt``-th failure (1 = the first); ``rand`` in [0, 1)."""
    if attempt < 1:
        attempt = 1
    # Exponent bounded first: factor ** 2000 would overflow a float.
    exponent = min(attempt - 1, 64)
    step = min(policy.cap, policy.base * policy.factor**exponent)
    return step * (1.0 - policy.jitter * min(max(rand, 0.0), 1.0))


def what_was_sent(error: PublishError, *, requests: int, creates: int, recorded: int) -> str:
    """What an attempt that ended with ``error`` counts as, from what it sent: ``requests``
    let through by the account's gate, ``creates`` among them, and the parts it recorded.

    * ``"nothing"``: the gate refused (the account is paused) before anything was sent:
      not an attempt; the draft waits for the pause.
    * ``"unknown"``: the gate refused after a create whose part was never recorded (say, the
      lookup after a lost answer): that part may exist, so it is looked for first.
    * ``"attempt"``: anything else: an attempt like any other, counted.
    """
    if not isinstance(error, AccountPaused):
        return "attempt"
    if requests == 0:
        return "nothing"
    if creates > recorded:
        return "unknown"
    return "attempt"


# The classes (as the ledger stores them) of the errors that end an attempt in a rate limit:
# the platform's 429 or throttle, or the gate holding back the rest of an attempt.
RATE_LIMITED = frozenset({RateLimited.__name__, AccountPaused.__name__})


def counted_attempts(attempt: int, earlier: Iterable[str | None]) -> int:
    """How many of the attempts up to the ``attempt``-th count toward ``max_attempts``, from
    the error classes that ended the ``earlier`` ones (the ledger's attempt rows).

    An attempt that ended in a rate limit is not counted: the request the platform refused
    for its rate did nothing there (and one the gate held back was never sent), the account
    is paused meanwhile so nothing is hammered, and the draft's window bounds the waiting
    instead. Waiting is not an attempt.
    """
    refused = sum(1 for error_class in earlier if error_class in RATE_LIMITED)
    return max(attempt - refused, 1)


def error_reason(error: BaseException) -> str:
    """A person-readable reason, with the platform's own words when it gave any."""
    platform_message = getattr(error, "platform_message", None)
    status = getattr(error, "status", None)
    base = error.message if isinstance(error, SchedulerError) else str(error)
    if platform_message and platform_message not in base:
        base = f"{base}: {platform_message}"
    if status and str(status) not in base:
        base = f"{base} (HTTP {status})"
    return base or type(error).__name__


def decide(
    error: PublishError,
    *,
    attempts: int,
    now: datetime,
    latest: datetime | None,
    policy: RetryPolicy,
    rand: float,
    finish_by: datetime | None = None,
    counted: int | None = None,
) -> Decision:
    """The next step after ``error`` on the ``attempts``-th attempt (1 = the first).

    Permanent errors stop at once with the platform's message. Anything retryable is tried
    again after the backoff, or later if the platform asked for more; a retry that would fall
    after the post's window (``latest``) makes the post missed instead. OutcomeUnknown is
    retried like a transient error: the next attempt reconciles before publishing anything.

    ``finish_by`` is given for a thread with a part already public: a retry after the window
    is allowed up to that time (``late`` says so), because a thread cut off after its first
    part may leave readers without the support line in its last. For the same reason such a
    thread is not given up after ``max_attempts``: ``finish_by`` bounds it instead (with the
    capped backoff, a day of outage is a few dozen attempts).

    ``max_attempts`` bounds ``counted`` (by default ``attempts``): the attempts that sent
    something the platform did not refuse for its rate (``counted_attempts``). An attempt
    ending in a rate limit is never capped: the account waits for its reset and the window
    bounds the retries, so a post whose uploads meet 429 after 429 is published once the
    limit lets it, not failed for having waited. ``attempts`` still sets the backoff.
    A lookup the platform rate limited is held to the window the same way (giving up there
    would ask a person about a post that a later look settles).
    """
    reason = error_reason(error)
    if isinstance(error, Permanent):
        return Decision("failed", None, reason)
    if not (error.retryable or isinstance(error, OutcomeUnknown)):
        return Decision("failed", None, reason)
    spent = attempts if counted is None else counted
    limited = isinstance(error, RateLimited)
    if not limited and spent >= policy.max_attempts and finish_by is None:
        return Decision("failed", None, f"gave up after {spent} attempts: {reason}")
    delay = backoff(attempts, policy, rand)
    pause: datetime | None = None
    if isinstance(error, RateLimited) and error.retry_after is not None:
        asked = max(float(error.retry_after), 0.0)
        # Honour the platform's time exactly, plus a little spread so daemons do not collide.
        delay = asked + policy.reset_spread * rand
        pause = now + timedelta(seconds=asked)
    elif isinstance(error, RateLimited):
        pause = now + timedelta(seconds=delay)
    at = now + timedelta(seconds=delay)
    if latest is not None and at > latest:
        if finish_by is not None and at <= finish_by:
            return Decision("retry", at, reason, pause_account_until=pause, late=True)
        if finish_by is not None:
            return Decision(
                "missed",
                None,
                f"thread unfinished: the next attempt ({at.isoformat(timespec='seconds')}) would "
                f"be after {finish_by.isoformat(timespec='seconds')}, the limit for finishing a "
                f"started thread after its window closed at "
                f"{latest.isoformat(timespec='seconds')}; last error: {reason}",
                pause_account_until=pause,
            )
        return Decision(
            "missed",
            None,
            f"window closed: the next attempt ({at.isoformat(timespec='seconds')}) would be "
            f"after the latest time {latest.isoformat(timespec='seconds')}; last error: {reason}",
            pause_account_until=pause,
        )
    return Decision("retry", at, reason, pause_account_until=pause)
