"""The campaign week as a calendar in the campaign's timezone: weeks of seven days, each day
listing its posts in time order with the state and care mark of every account's draft.

A draft awaiting approval says how far it has come ("1 of 2 approvals"); one whose window has
closed without it going out says so; days show their year when it is not the current one
(all as of the injected clock's ``now``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler import descriptors
from scheduler.draft import Draft, DraftKey
from scheduler.web.marks import NO_MARK, SHORT, CareMark, Status, worst


@dataclass(frozen=True, slots=True)
class Slot:
    """One account's draft of a post."""

    account: str
    platform_label: str
    state: str
    care: CareMark = NO_MARK
    approvals: tuple[int, int] | None = None  # (counted, required) while awaiting approval
    closed: bool = False  # its window has closed and it never went out

    @property
    def progress(self) -> str:
        if self.approvals is None or self.state != "draft":
            return ""
        done, required = self.approvals
        return f"{done} of {required} approval{'s' if required != 1 else ''}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One post at one local time, with its drafts."""

    post_id: str
    local_time: datetime
    slots: tuple[Slot, ...]
    first_line: str
    care: Status = "none"  # the most pressing care status among the post's drafts

    @property
    def care_text(self) -> str:
        return SHORT[self.care]


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Week:
    days: tuple[Day, ...]
    show_year: bool = False  # the week is not in the current year

    def label(self, day: date) -> str:
        return day.strftime("%a %d %b %Y" if self.show_year else "%a %d %b")


# Unsent drafts in these states say "window closed" once their window is over.
WAITING_STATES = frozenset({"draft", "rejected", "approved", "scheduled", "retry_wait"})


def build(
    items: Iterable[tuple[Draft, str]],
    timezone: str,
    *,
    start: date | None = None,
    marks: Mapping[DraftKey, CareMark] | None = None,
    approvals: Mapping[DraftKey, tuple[int, int]] | None = None,
    now: datetime | None = None,
) -> tuple[Week, ...]:
    """Weeks from ``start`` (default: the first post's local day) to the last post's day;
    ``marks`` are the drafts' care marks (none when left out), ``approvals`` each draft's
    (counted, required) approvals, ``now`` the time the page is shown."""
    marks = marks or {}
    approvals = approvals or {}
    tz = ZoneInfo(timezone)
    by_post: dict[tuple[str, datetime], list[tuple[Draft, str]]] = defaultdict(list)
    for draft, state in items:
        by_post[(draft.post_id, draft.due)].append((draft, state))
    if not by_post:
        return ()
    entries: dict[date, list[Entry]] = defaultdict(list)
    for (post_id, due), drafts in by_post.items():
        local = due.astimezone(tz)
        drafts.sort(key=lambda ds: ds[0].account)
        first = drafts[0][0].parts[0].text.strip().splitlines() if drafts[0][0].parts else []
        slots = tuple(
            Slot(
                d.account,
                descriptors.label_of(d.platform),
                s,
                marks.get(d.key, NO_MARK),
                approvals.get(d.key),
                closed=now is not None
                and s in WAITING_STATES
                and d.latest is not None
                and d.latest < now,
            )
            for d, s in drafts
        )
        entries[local.date()].append(
            Entry(
                post_id=post_id,
                local_time=local,
                slots=slots,
                first_line=first[0] if first else "",
                care=worst(s.care for s in slots),
            )
        )
    first_day = min(entries) if start is None else min(start, min(entries))
    last_day = max(entries)
    weeks: list[Week] = []
    this_year = None if now is None else now.astimezone(tz).year
    day = first_day
    while day <= last_day:
        days = []
        for offset in range(7):
            current = day + timedelta(days=offset)
            listed = sorted(entries.get(current, []), key=lambda e: (e.local_time, e.post_id))
            days.append(Day(current, tuple(listed)))
        years = {d.day.year for d in days}
        weeks.append(Week(tuple(days), show_year=this_year is not None and years != {this_year}))
        day += timedelta(days=7)
    return tuple(weeks)
