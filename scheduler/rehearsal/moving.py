"""Moving a campaign's week: each post keeps its weekday offset and its local wall-clock time.

A post at 08:30 on day 3 is at 08:30 local time on day 3 of the moved week, whatever the UTC
offset is then; a local time that does not exist, or happens twice, in the moved week is
settled as the post's ``dst`` setting says (and reported when it says nothing). The clock
changes inside the moved week are reported too: a week that rehearses cleanly in May may
not in October.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from scheduler.campaign.schedule import TimeProblem, dst_changes, resolve_local, zone
from scheduler.draft import Draft
from scheduler.rehearsal.base import Problem, RehearsalError


def first_day(campaign: Any) -> date:
    """Day 1 of the campaign: its ``week_start``, else the local date of its first post."""
    if campaign.week_start is not None:
        start: date = campaign.week_start
        return start
    dates: list[date] = [p.local.date() for p in campaign.posts if p.local is not None]
    if not dates:
        raise RehearsalError(
            f"campaign {campaign.id} has no posts to rehearse",
            hint="add posts to the campaign files, then rehearse again",
        )
    return min(dates)


def default_start(campaign: Any, now: datetime) -> date:
    """The next date after today (in the campaign's timezone) on the weekday of day 1."""
    today = now.astimezone(zone(campaign.timezone)).date()
    ahead = (first_day(campaign).weekday() - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def move(campaign: Any, drafts: list[Draft], start: date) -> tuple[list[Draft], list[Problem]]:
    """The drafts moved so that day 1 is ``start``, and the problems the move shows."""
    tz = zone(campaign.timezone)
    shift = start - first_day(campaign)
    posts = {p.id: p for p in campaign.posts}
    moved: list[Draft] = []
    problems: dict[str, Problem] = {}
    for draft in drafts:
        post = posts[draft.post_id]
        assert post.local is not None
        day = post.local.date() + shift
        wall = post.local.time().replace(tzinfo=None)
        setting = post.dst or campaign.defaults.dst
        try:
            _, due = resolve_local(day, wall, tz, setting, "time")
        except TimeProblem as exc:
            # The real files would be refused for this week; the rehearsal goes on with the
            # later reading so the rest of the week is still shown.
            _, due = resolve_local(day, wall, tz, "later", "time")
            problems.setdefault(
                post.id,
                Problem(
                    kind="dst",
                    post=post.id,
                    at=due,
                    cause=f"post {post.id} ({post.source}): {exc.message}",
                    fix=exc.hint or "pick another time for this post",
                ),
            )
        latest = None if draft.latest is None else due + (draft.latest - draft.due)
        moved.append(replace(draft, due=due, latest=latest))
    return moved, list(problems.values())


def clock_changes(campaign: Any, drafts: list[Draft]) -> list[Problem]:
    """A problem for each clock change between the moved week's first and last post."""
    if not drafts:
        return []
    tz = zone(campaign.timezone)
    first = min(d.due for d in drafts)
    last = max(d.due for d in drafts)
    found: list[Problem] = []
    for change in dst_changes(tz, first, last):
        before = (change - timedelta(hours=1)).astimezone(tz)
        after = change.astimezone(tz)
        direction = (
            "forward"
            if (after.utcoffset() or timedelta(0)) > (before.utcoffset() or timedelta(0))
            else "back"
        )
        later = sorted({d.post_id for d in drafts if d.due >= change})
        found.append(
            Problem(
                kind="dst",
                at=change,
                cause=(
                    f"the clocks go {direction} in {campaign.timezone} at "
                    f"{change:%H:%M} UTC on {after:%A %d %B %Y} ({before:%Z} to {after:%Z}); "
                    f"{len(later)} post(s) after it keep their local times, so they go out "
                    f"at a different UTC time than the ones before it"
                ),
                fix=(
                    "check that the local times still suit the audience after the change "
                    "(people abroad see them move by the difference); change a post's time "
                    "in the campaign files if not"
                ),
            )
        )
    return found


def too_close(campaign: Any, drafts: list[Draft]) -> list[Problem]:
    """Posts of one account closer together than the campaign's ``defaults.min_gap``."""
    gap = campaign.defaults.min_gap
    found: list[Problem] = []
    last: dict[str, Draft] = {}
    for draft in sorted(drafts, key=lambda d: (d.due, d.post_id)):
        before = last.get(draft.account)
        if before is not None and draft.due - before.due < gap:
            minutes = int((draft.due - before.due).total_seconds() // 60)
            found.append(
                Problem(
                    kind="too_close",
                    post=draft.post_id,
                    account=draft.account,
                    at=draft.due,
                    cause=(
                        f"{draft.post_id} goes out {minutes} min after {before.post_id} on "
                        f"{draft.account}; the campaign asks for at least "
                        f"{int(gap.total_seconds() // 60)} min between posts"
                    ),
                    fix="move one of the two posts, or lower defaults.min_gap if this is meant",
                )
            )
        last[draft.account] = draft
    return found
