"""Rate-limit headers, read the same way for every platform (one parser, pure functions).

The platforms say how much of a limit is left, and when it resets, in different forms:

* X: ``x-rate-limit-limit/-remaining/-reset`` (reset in Unix seconds), plus the daily caps
  ``x-user-limit-24hour-*`` and ``x-app-limit-24hour-*`` in the same form;
* Mastodon: ``X-RateLimit-Limit/-Remaining/-Reset``, the reset an ISO 8601 instant (some
  forks send Unix seconds), and no ``Retry-After``;
* Bluesky: ``RateLimit-Limit/-Remaining/-Reset`` (Unix seconds, or seconds from now in the
  IETF draft's form) and ``Retry-After`` on a 429.

``read`` turns any of them into a ``RateLimit``: the windows the answer reported, and the
platform's explicit ``Retry-After``. ``wait`` is how long a 429 asks to wait; ``spent_until``
is when a window that has nothing left opens again, so a caller can stop before the 429.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# A reset above this is an absolute Unix time; below it, seconds from now.
_EPOCH_THRESHOLD = 1_000_000_000

# (name prefix, the platform's name for the window); every prefix takes -limit/-remaining/-reset.
_FAMILIES = (
    ("x-rate-limit", "X's rate limit"),
    ("x-user-limit-24hour", "X's 24-hour limit for the user"),
    ("x-app-limit-24hour", "X's 24-hour limit for the app"),
    ("x-ratelimit", "the server's rate limit"),  # Mastodon
    ("ratelimit", "the server's rate limit"),  # Bluesky, IETF draft
)


@dataclass(frozen=True, slots=True)
class Window:
    """One limit an answer reported: how much is left and when it resets."""

    name: str
    limit: int | None
    remaining: int | None
    reset: datetime | None

    @property
    def spent(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


@dataclass(frozen=True, slots=True)
class RateLimit:
    """What one answer's headers said about the account's limits."""

    windows: tuple[Window, ...] = ()
    retry_at: datetime | None = None  # from Retry-After

    def wait(self, now: datetime) -> float | None:
        """Seconds a 429 asks to wait, if the headers say: Retry-After wins; else the latest
        reset of a spent window (a spent daily cap outlasts the 15-minute one); else any reset."""
        if self.retry_at is not None:
            return _seconds(self.retry_at, now)
        spent = [w.reset for w in self.windows if w.spent and w.reset is not None]
        if spent:
            return _seconds(max(spent), now)
        resets = [w.reset for w in self.windows if w.reset is not None]
        return _seconds(max(resets), now) if resets else None

    def spent_until(self) -> tuple[datetime, str] | None:
        """When the latest spent window opens again, and its name; None when none is spent."""
        spent = [(w.reset, w.name) for w in self.windows if w.spent and w.reset is not None]
        return max(spent) if spent else None


def read(headers: Mapping[str, str], now: datetime) -> RateLimit:
    """The rate-limit windows and Retry-After of one answer; absent or garbled values are None."""
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    windows: list[Window] = []
    for prefix, name in _FAMILIES:
        limit = _int(lower.get(f"{prefix}-limit"))
        remaining = _int(lower.get(f"{prefix}-remaining"))
        reset = reset_time(lower.get(f"{prefix}-reset"), now)
        if limit is None and remaining is None and reset is None:
            continue
        windows.append(Window(name, limit, remaining, reset))
    return RateLimit(tuple(windows), retry_after_time(lower.get("retry-after"), now))


def wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds until the platform lets the account try again, if its headers say."""
    return read(headers, now).wait(now)


def retry_after_time(value: str | None, now: datetime) -> datetime | None:
    """RFC 9110 Retry-After (delay seconds or an HTTP date) as an instant."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return now + timedelta(seconds=max(0.0, float(text)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return _aware(when)


def reset_time(value: str | None, now: datetime) -> datetime | None:
    """A reset as an instant: Unix seconds, seconds from now (small numbers), or ISO 8601."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return _aware(datetime.fromisoformat(text))
        except ValueError:
            return None
    if number >= _EPOCH_THRESHOLD:
        return datetime.fromtimestamp(number, UTC)
    return now + timedelta(seconds=max(0.0, number))


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _seconds(when: datetime, now: datetime) -> float:
    return max(0.0, (when - now).total_seconds())
