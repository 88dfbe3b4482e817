"""When each post goes out: campaign day or weekday plus local time, or an absolute local time,
resolved in the campaign's IANA timezone to an aware local time and a UTC instant.

A local time that does not exist (clocks go forward) or happens twice (clocks go back) is an
error naming the post, unless the post or the campaign defaults say ``dst: earlier`` or
``dst: later``: of the two UTC instants the wall-clock time could mean, take the earlier or
the later one. For a time in a spring-forward gap the two candidates are the time read with
the offset before the change and with the offset after it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from scheduler.campaign.fields import WEEKDAYS, parse_hhmm
from scheduler.campaign.model import CampaignHeader, Post

UTC = dt.UTC


class TimeProblem(Exception):
    def __init__(self, where: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.where = where  # the key the problem is about: "time", "day", "at", ...
        self.message = message
        self.hint = hint


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone, or ValueError with a suggestion."""
    try:
        if name.strip() != name or not name or name.startswith("/") or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def suggest_zone(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(available_timezones()), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "use an IANA name such as Europe/London or America/New_York"


def post_date(post: Post, header: CampaignHeader) -> tuple[str, dt.date]:
    """(the key that placed it, the local date)."""
    if post.at is not None:
        return "at", post.at.date()
    if post.date is not None:
        return "date", post.date
    start = header.week_start
    if start is None:
        key = "day" if post.day is not None else "weekday"
        raise TimeProblem(
            key,
            f"'{key}' needs the campaign's week_start",
            "add week_start: YYYY-MM-DD (day 1) to the campaign header",
        )
    if post.day is not None:
        return "day", start + dt.timedelta(days=post.day - 1)
    assert post.weekday is not None
    offset = (WEEKDAYS.index(post.weekday) - start.weekday()) % 7
    return "weekday", start + dt.timedelta(days=offset)


def post_time(post: Post, header: CampaignHeader) -> tuple[str, dt.time]:
    if post.at is not None:
        return "at", post.at.time().replace(second=0, microsecond=0)
    if post.time is not None:
        return "time", parse_hhmm(post.time)
    if header.defaults.time is not None:
        return "time", parse_hhmm(header.defaults.time)
    raise TimeProblem(
        "time",
        "a post needs a 'time' (or 'at', or defaults.time in the header)",
        "e.g. time: '08:30'",
    )


def resolve_local(
    day: dt.date, clock: dt.time, tz: ZoneInfo, dst: str | None, where: str
) -> tuple[dt.datetime, dt.datetime]:
    """(aware local time, UTC instant). Raises TimeProblem on a DST gap or overlap."""
    naive = dt.datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    u0, u1 = first.astimezone(UTC), second.astimezone(UTC)
    if u0 == u1:
        return first, u0
    exists = u0.astimezone(tz).replace(tzinfo=None) == naive
    shown = f"{clock:%H:%M} on {day.isoformat()}"
    early, late = min(u0, u1), max(u0, u1)
    if dst is None:
        if not exists:
            raise TimeProblem(
                where,
                f"{shown} does not exist in {tz.key} (the clocks go forward)",
                f"pick another time, or add dst: earlier ({_both(early, tz)}) "
                f"or dst: later ({_both(late, tz)})",
            )
        raise TimeProblem(
            where,
            f"{shown} happens twice in {tz.key} (the clocks go back)",
            f"add dst: earlier ({_both(early, tz)}) or dst: later ({_both(late, tz)})",
        )
    chosen = min(u0, u1) if dst == "earlier" else max(u0, u1)
    return chosen.astimezone(tz), chosen


def _both(instant: dt.datetime, tz: ZoneInfo) -> str:
    return f"{instant.astimezone(tz):%H:%M %Z} = {instant:%H:%M} UTC"


def resolve_post(
    post: Post, header: CampaignHeader
) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(local, due UTC, latest UTC) for one post."""
    tz = zone(header.timezone)
    dst = post.dst or header.defaults.dst
    date_key, day = post_date(post, header)
    time_key, clock = post_time(post, header)
    local, due = resolve_local(day, clock, tz, dst, time_key if time_key != "at" else date_key)
    if post.latest is not None:
        _, latest = resolve_local(
            post.latest.date(), post.latest.time().replace(second=0), tz, dst, "latest"
        )
        if latest < due:
            raise TimeProblem(
                "latest",
                f"'latest' ({post.latest:%Y-%m-%d %H:%M}) is before the post is due "
                f"({local:%Y-%m-%d %H:%M})",
                "give a later time, or remove 'latest'",
            )
    else:
        lateness = post.max_lateness if post.max_lateness is not None else None
        if lateness is None:
            lateness = header.defaults.max_lateness
        latest = due + lateness
    return local, due, latest


def dst_changes(tz: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """UTC instants in [start, end] where the zone's UTC offset changes (hour resolution)."""
    changes: list[dt.datetime] = []
    t = start.replace(minute=0, second=0, microsecond=0)
    offset = t.astimezone(tz).utcoffset()
    while t <= end:
        t += dt.timedelta(hours=1)
        now = t.astimezone(tz).utcoffset()
        if now != offset:
            changes.append(t)
            offset = now
    return changes
