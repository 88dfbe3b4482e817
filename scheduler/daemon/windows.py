"""When a draft may go out, and how long a thread already partly public may still be finished.

A draft may go out from its due time until its window ends: ``Draft.latest`` (the campaign
files always give one), or else the due time plus the daemon's maximum lateness. After that it
is missed, with one exception. A thread with at least one part public is finished late rather
than left broken, up to ``thread_completion`` seconds after its window ended: in a thread
about suicide, self-harm or eating disorders the support line is usually in the last part, and
a reader who sees only the first has nowhere to turn. Past that limit the thread is missed and
a person is told which parts are out.

The rules are pure functions, pinned by table tests; the ledger's claim condition
(``scheduler.ledger.claimable.claimable``) applies the same rule in SQL, with the same limit.
What people are told about it is in ``notices``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

# Seconds after its window ends that a started thread may still be finished (one day: long
# enough to outlast a platform outage or a night's downtime, short enough that the rest of the
# thread still belongs to the conversation the first part started).
THREAD_COMPLETION = 24 * 3600.0


def window_end(due: datetime, latest: datetime | None, max_lateness: float) -> datetime:
    """The last instant a draft may start going out."""
    if latest is not None:
        return latest
    return due + timedelta(seconds=max_lateness)


def finish_by(
    due: datetime, latest: datetime | None, *, max_lateness: float, thread_completion: float
) -> datetime:
    """The last instant a thread with a part already public may still be finished."""
    return window_end(due, latest, max_lateness) + timedelta(seconds=max(thread_completion, 0.0))


def last_chance(
    due: datetime,
    latest: datetime | None,
    *,
    started: bool,
    max_lateness: float,
    thread_completion: float,
) -> datetime:
    """The window's end, or for a started thread the end of its completion limit."""
    if started:
        return finish_by(
            due, latest, max_lateness=max_lateness, thread_completion=thread_completion
        )
    return window_end(due, latest, max_lateness)


def finishing_late(record: Any, *, now: datetime, max_lateness: float) -> bool:
    """A started, unfinished thread whose window has closed: it is being finished late."""
    parts_done = tuple(record.parts_done)
    return (
        bool(parts_done)
        and len(parts_done) < len(record.draft.parts)
        and now > window_end(record.due, record.latest, max_lateness)
    )
