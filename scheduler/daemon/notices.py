"""What a person is told about a draft's publishing, in words built from ledger facts.

The worker, the runner and ``scheduler status`` use the same words: which parts of a thread
readers can see, which went out after the window and when, why a thread stayed unfinished,
and what evidence there is when nobody can tell whether a part was posted. Nothing here
carries a secret: only keys, texts, times, URLs and the platform's words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.clock import local_time
from scheduler.draft import Draft
from scheduler.platforms.base import PublishRequest


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:g} h" if hours >= 1 else f"{round(seconds / 60)} min"


def late_parts(events: Iterable[Any], end: datetime) -> list[tuple[int, str, datetime]]:
    """(index, url, when) of each part recorded after the window ended, from ledger events.

    Part 1 never starts going out after the window (a thread not started is missed instead),
    so a late record of it can only be a reconciliation of a post made in time: left out.
    """
    found: dict[int, tuple[int, str, datetime]] = {}
    for event in events:
        if str(getattr(event, "action", "")) != "record_part" or event.at <= end:
            continue
        detail = getattr(event, "detail", None) or {}
        index = detail.get("index")
        if isinstance(index, int) and index > 0 and index not in found:
            found[index] = (index, str(detail.get("url") or ""), event.at)
    return [found[i] for i in sorted(found)]


def _numbers(indexes: Sequence[int]) -> str:
    shown = [str(i + 1) for i in indexes]
    if len(shown) == 1:
        return f"part {shown[0]}"
    return f"parts {', '.join(shown[:-1])} and {shown[-1]}"


def finished_late(
    late: Sequence[tuple[int, str, datetime]], *, total: int, end: datetime, zone: str
) -> tuple[str, str]:
    """(summary, detail) of the notice for a thread finished after its window closed."""
    numbers = _numbers([index for index, _, _ in late])
    summary = (
        f"finished late: {numbers} of {total} went out after its window closed at "
        f"{local_time(end, zone)}, so that the thread is not left broken"
    )
    detail = "; ".join(
        f"part {index + 1} at {local_time(when, zone)} ({when.isoformat(timespec='seconds')})"
        + (f" {url}" if url else "")
        for index, url, when in late
    )
    return summary, detail


def unfinished(
    done: Sequence[Any], *, total: int, end: datetime, finish: datetime, zone: str
) -> tuple[str, str]:
    """(reason, detail) for a started thread that could not be finished by its limit."""
    limit = _hours((finish - end).total_seconds())
    reason = (
        f"only {len(done)} of {total} parts were published: its window closed at "
        f"{local_time(end, zone)} and the rest could not be published within {limit} after "
        f"that (by {local_time(finish, zone)})"
    )
    return reason, published_parts(done)


def published_parts(done: Sequence[Any]) -> str:
    """The parts a reader can see now, with their addresses."""
    if not done:
        return ""
    return "published parts: " + " ".join(
        f"{p.index + 1}: {p.url or p.remote_id or '(no address recorded)'}" for p in done
    )


def due_local(draft: Draft) -> str:
    """The due time in the campaign's zone, with the year, for a notice."""
    try:
        local = draft.due.astimezone(ZoneInfo(draft.timezone))
    except (KeyError, ValueError):
        return draft.due.isoformat()
    return local.strftime("%a %d %b %Y %H:%M %Z")


def evidence(claim: Any, request: PublishRequest, index: int) -> str:
    """What a person needs to check by hand whether part ``index`` was posted."""
    text = request.parts[index].text
    short = text if len(text) <= 120 else text[:119] + "…"
    return (
        f"attempt {claim.attempt}; looked for part {index + 1} with idempotency key "
        f"{request.parts[index].idempotency_key}; text: {short!r}. "
        "Check the account, then run `scheduler resolve` with --published URL, "
        "--not-published or --give-up."
    )
