"""Time, injected. Nothing else in the package calls ``datetime.now()`` or ``time.time()``.

Every instant is an aware ``datetime`` in UTC. Tests use ``FixedClock`` and move it by hand,
so retry, window and lease rules are exercised without waiting.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait; a fixed clock advances itself instead of waiting."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going backwards."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that only moves when told to. Thread-safe."""

    def __init__(self, start: datetime | str = "2026-05-11T08:00:00+00:00") -> None:
        if isinstance(start, str):
            start = datetime.fromisoformat(start)
        self._now = ensure_utc(start)
        self._origin = self._now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def monotonic(self) -> float:
        with self._lock:
            return (self._now - self._origin).total_seconds()

    def advance(self, delta: timedelta | float) -> datetime:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        if delta < timedelta(0):
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = ensure_utc(instant)

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()})"


def ensure_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; naive datetimes are refused, never guessed."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant!r}: every instant must carry a timezone")
    return instant.astimezone(UTC)


def local_time(instant: datetime | None, zone: str) -> str:
    """``instant`` as people read it in ``zone`` (the campaign's), e.g. "Mon 11 May 09:00
    BST"; in UTC when the zone is unknown, "-" for no instant."""
    if instant is None:
        return "-"
    try:
        tz: tzinfo = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = UTC
    return instant.astimezone(tz).strftime("%a %d %b %H:%M %Z")
