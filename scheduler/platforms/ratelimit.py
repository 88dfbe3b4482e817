"""Rate-limit headers, read the same way for every platform (one parser, pure functions).

The platforms say how much of a limit is left, and when it resets, under header prefixes
each descriptor names (``RateLimits.windows``: X's ``x-rate-limit-*`` and daily caps,
Mastodon's ``X-RateLimit-*``, Bluesky's ``RateLimit-*``), each taking ``-limit``,
``-remaining`` and ``-reset``. A reset comes as Unix seconds, seconds from now or an ISO 8601
instant (Mastodon; some of its forks send Unix seconds), so every form is read wherever it
comes; ``Retry-After`` is HTTP's own and read for every platform.

Meta's Graph APIs say it differently: a JSON header of percentages used (``X-App-Usage``,
``X-Business-Use-Case-Usage``) and, once a limit is reached, the minutes until access
returns; ``usage`` reads those, and a window at 100% is spent like any other.

``read`` turns any of them into a ``RateLimit``: the windows the answer reported, and the
platform's explicit ``Retry-After``. ``wait`` is how long a 429 asks to wait; ``spent_until``
is when a window that has nothing left opens again, so a caller can stop before the 429.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler import descriptors
from scheduler.descriptors import RateLimits

# A reset above this is an absolute Unix time; below it, seconds from now.
_EPOCH_THRESHOLD = 1_000_000_000


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


def windows_of(limits: RateLimits | None) -> tuple[tuple[str, str], ...]:
    """The (header prefix, name) pairs to read: the platform's own, or every known
    platform's when the caller cannot say which platform answered."""
    if limits is not None:
        return limits.windows
    found: dict[str, str] = {}
    for descriptor in descriptors.descriptors():
        for prefix, name in descriptor.rate_limits.windows:
            found.setdefault(prefix.lower(), name)
    return tuple(found.items())


def read(headers: Mapping[str, str], now: datetime, limits: RateLimits | None = None) -> RateLimit:
    """The rate-limit windows and Retry-After of one answer (``limits``: the answering
    platform's header facts); absent or garbled values are None."""
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    windows: list[Window] = []
    for prefix, name in windows_of(limits):
        key = prefix.lower()
        limit = _int(lower.get(f"{key}-limit"))
        remaining = _int(lower.get(f"{key}-remaining"))
        reset = reset_time(lower.get(f"{key}-reset"), now)
        if limit is None and remaining is None and reset is None:
            continue
        windows.append(Window(name, limit, remaining, reset))
    for header, name in usage_headers_of(limits):
        value = lower.get(header.lower())
        read_usage = usage(value) if value else None
        if read_usage is not None:
            percent, minutes = read_usage
            reset = None if minutes is None else now + timedelta(minutes=minutes)
            windows.append(Window(name, 100, max(0, 100 - int(percent)), reset))
    return RateLimit(tuple(windows), retry_after_time(lower.get("retry-after"), now))


def usage_headers_of(limits: RateLimits | None) -> tuple[tuple[str, str], ...]:
    """The (header, name) pairs of usage headers to read, as ``windows_of`` does."""
    if limits is not None:
        return limits.usage
    found: dict[str, str] = {}
    for descriptor in descriptors.descriptors():
        for header, name in descriptor.rate_limits.usage:
            found.setdefault(header.lower(), name)
    return tuple(found.items())


def wait(
    headers: Mapping[str, str], now: datetime, limits: RateLimits | None = None
) -> float | None:
    """Seconds until the platform lets the account try again, if its headers say."""
    return read(headers, now, limits).wait(now)


def usage(value: str) -> tuple[float, float | None] | None:
    """One usage header (``X-App-Usage``, ``X-Business-Use-Case-Usage`` and their kin) as
    (the highest percentage used, minutes until access returns if it says); None if it is
    not JSON of that shape."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    entries: list[dict[str, Any]] = []
    if isinstance(data, dict) and any(isinstance(v, list) for v in data.values()):
        # Business use case usage: {business id: [{type, call_count, ...}, ...]}
        for items in data.values():
            if isinstance(items, list):
                entries.extend(i for i in items if isinstance(i, dict))
    elif isinstance(data, dict):
        entries.append(data)
    percents: list[float] = []
    regain: list[float] = []
    for entry in entries:
        for field_name, number in entry.items():
            if not isinstance(number, int | float) or isinstance(number, bool):
                continue
            if field_name == "estimated_time_to_regain_access":
                regain.append(float(number))
            elif field_name in ("call_count", "total_time", "total_cputime") or field_name.endswith(
                "_pct"
            ):
                percents.append(float(number))
    if not percents and not regain:
        return None
    return (max(percents, default=0.0), max(regain) if regain and max(regain) > 0 else None)


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
