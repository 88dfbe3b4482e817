"""Publishing quotas over a rolling window: when the next part may go out, and whether a
schedule fits (pure functions; the declarations live in each platform's descriptor).

The daemon counts what an account published from the ledger and asks ``next_allowed``
before each create: a burst that would spend a quota is spread out (the account waits until
the oldest counted part leaves the window), never refused. ``plan`` asks ``overflows`` of a
campaign's own schedule, so a person hears about it before the week starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from scheduler import descriptors
from scheduler.descriptors import Quota

# (instant, part index) of one published (or planned) part.
Sent = tuple[datetime, int]


def quotas_for(platform: str, settings: Mapping[str, str] | None = None) -> tuple[Quota, ...]:
    """The quotas the ledger counts for an account of ``platform`` (its ``tier`` setting
    picks X's daily cap); none for a platform no longer known."""
    descriptor = descriptors.find(platform)
    if descriptor is None:
        return ()
    tier = (settings or {}).get("tier")
    return tuple(
        q
        for q in descriptor.rate_limits.quotas
        if q.counts is not None and (q.tier is None or q.tier == tier)
    )


def counts(quota: Quota, index: int) -> bool:
    """Whether a part with this index (0 = the first of its thread) counts toward ``quota``."""
    if quota.counts == "first part":
        return index == 0
    if quota.counts == "replies":
        return index > 0
    return True


def next_allowed(quota: Quota, sent: Iterable[Sent], now: datetime) -> datetime | None:
    """When one more part may be published under ``quota``; None means now.

    The next part is counted whatever its index: the caller may not know it, and counting
    it can only make the wait longer, never break the quota.
    """
    window = quota.per
    inside = sorted(at for at, index in sent if at > now - window and counts(quota, index))
    room = max(quota.requests // quota.cost - 1, 0)  # parts that may be in the window before ours
    if len(inside) <= room:
        return None
    # The oldest parts must leave the window until only ``room`` remain.
    return inside[len(inside) - room - 1] + window


def overflows(quota: Quota, planned: Iterable[Sent]) -> list[tuple[datetime, int]]:
    """Instants where a schedule of parts spends more than ``quota`` in one window, with the
    amount it would spend there (cost included); empty when the schedule fits."""
    window = quota.per
    times = sorted(at for at, index in planned if counts(quota, index))
    found: list[tuple[datetime, int]] = []
    start = 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        spent = (end - start + 1) * quota.cost
        if spent > quota.requests:
            found.append((at, spent))
    return found
