"""Pausing a campaign and resuming it: what a person asks, what the ledger records.

After distressing news, safe-messaging practice is to stop scheduled posts at once. A pause
lives in the ledger (``scheduler.ledger.pausing``): every daemon sharing it stops claiming,
and a restart keeps it. Who may pause on the review pages is the campaign's ``pause_by``
roles; on the command line, whoever runs the command (as with ``resolve``).

On resume the person chooses what becomes of the drafts the pause held back:

* ``missed``: a draft whose window closed during the pause is missed, and listed; the rest
  go out at their times (a draft whose window is still open goes out now).
* ``shift``: every draft still waiting when the pause began moves later by the pause's
  length, on the wall clock of the campaign's timezone (a 09:00 post stays at 09:00 after a
  pause of a whole day, whatever the clocks did). A moved time that falls into a clock
  change is resolved (a gap: the first time after it; twice: the first) and noted, and two
  posts of one account closer than the campaign's ``min_gap`` are noted too. Quotas are not
  known to this release; ``shift_checks`` is where a check of them belongs.

The plan is pure (``plan_resume``), pinned by table tests with an injected clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.campaign.model import Defaults
from scheduler.campaign.schedule import zone
from scheduler.draft import DraftKey
from scheduler.ledger import ALL_CAMPAIGNS, Pause, PauseError, Shift, State
from scheduler.notify.base import Notice

# Drafts that are still waiting to go out (nothing of them is public).
WAITING = frozenset(
    {State.DRAFT, State.REJECTED, State.APPROVED, State.SCHEDULED, State.RETRY_WAIT}
)
# When the campaign is not at hand (a pause named by id, or of every campaign): its defaults.
DEFAULT_MIN_GAP: timedelta = Defaults().min_gap
# A draft without a window end (the campaign files always give one) gets the daemon's
# default lateness; the command line passes the daemon's configured value.
DEFAULT_LATENESS = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class ResumePlan:
    choice: str
    paused_for: timedelta
    missed: tuple[tuple[DraftKey, str], ...] = ()
    shifts: tuple[Shift, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resumed:
    pause: Pause
    plan: ResumePlan
    campaigns: tuple[str, ...] = field(default=())


def window_end(record: Any, max_lateness: float) -> datetime:
    end: datetime = record.latest or record.due + timedelta(seconds=max_lateness)
    return end


def shift_wall_clock(instant: datetime, by: timedelta, tz_name: str) -> tuple[datetime, str | None]:
    """``instant`` moved ``by`` on the wall clock of ``tz_name``; a note when a clock change
    made the moved local time not exist (moved past the gap) or happen twice (the first)."""
    tz = zone(tz_name)
    naive = instant.astimezone(tz).replace(tzinfo=None) + by
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    u0, u1 = first.astimezone(UTC), second.astimezone(UTC)
    if u0 == u1:
        return u0, None
    shown = f"{naive:%Y-%m-%d %H:%M}"
    if u0.astimezone(tz).replace(tzinfo=None) != naive:
        # In a spring-forward gap: the wall clock jumps over it, so does the post.
        moved = max(u0, u1)
        local = moved.astimezone(tz)
        return moved, f"{shown} does not exist in {tz_name} (clocks go forward): {local:%H:%M %Z}"
    moved = min(u0, u1)
    first_local = moved.astimezone(tz)
    return moved, f"{shown} happens twice in {tz_name} (clocks go back): {first_local:%H:%M %Z}"


def plan_resume(
    records: Iterable[Any],
    *,
    since: datetime,
    now: datetime,
    choice: str,
    min_gap: Callable[[str], timedelta] = lambda _campaign: DEFAULT_MIN_GAP,
    max_lateness: float = DEFAULT_LATENESS,
) -> ResumePlan:
    """What a resume at ``now`` of a pause that began at ``since`` does to ``records``."""
    paused_for = max(now - since, timedelta(0))
    waiting = [r for r in records if State(r.state) in WAITING and not r.parts_done]
    if choice == "missed":
        missed = tuple(
            (
                r.key,
                f"its window closed at {window_end(r, max_lateness).isoformat(timespec='seconds')}"
                " while publishing was paused",
            )
            for r in sorted(waiting, key=lambda r: (r.due, str(r.key)))
            if window_end(r, max_lateness) < now
        )
        return ResumePlan(choice, paused_for, missed=missed)
    if choice != "shift":
        raise PauseError(f"unknown resume choice {choice!r}: use missed or shift")
    shifts: list[Shift] = []
    for r in sorted(waiting, key=lambda r: (r.due, str(r.key))):
        if window_end(r, max_lateness) < since:
            continue  # it was already late when the pause began: not the pause's doing
        due, note = shift_wall_clock(r.due, paused_for, r.draft.timezone)
        latest = None if r.latest is None else r.latest + (due - r.due)
        shifts.append(Shift(r.key, r.due, due, latest, note))
    notes = [f"{s.key}: {s.note}" for s in shifts if s.note]
    notes += shift_checks(shifts, records, min_gap)
    return ResumePlan(choice, paused_for, shifts=tuple(shifts), notes=tuple(notes))


def shift_checks(
    shifts: Sequence[Shift], records: Iterable[Any], min_gap: Callable[[str], timedelta]
) -> list[str]:
    """What a person should look at after a shift: posts of one account closer than the
    campaign's minimum gap (moved ones against each other and against the rest). Checks of
    platform quotas belong here too, once the ledger knows them."""
    moved = {s.key: s.due for s in shifts}
    times: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    for r in records:
        if State(r.state) in (State.CANCELLED, State.FAILED, State.MISSED):
            continue
        at = moved.get(r.key, r.due)
        times.setdefault((r.key.campaign, r.key.account), []).append((at, r.key.post_id))
    notes: list[str] = []
    for (campaign, account), posts in sorted(times.items()):
        posts.sort()
        gap = min_gap(campaign)
        for (a, first), (b, second) in itertools.pairwise(posts):
            touched = DraftKey(campaign, first, account) in moved or (
                DraftKey(campaign, second, account) in moved
            )
            if touched and b - a < gap:
                minutes = int((b - a).total_seconds() // 60)
                notes.append(
                    f"{campaign}/{second}@{account}: {minutes} min after {first} "
                    f"(closer than {int(gap.total_seconds() // 60)} min)"
                )
    return notes


def resume(
    ledger: Any,
    scope: str,
    *,
    actor: str,
    choice: str,
    now: datetime,
    min_gap: Callable[[str], timedelta] = lambda _campaign: DEFAULT_MIN_GAP,
    max_lateness: float = DEFAULT_LATENESS,
) -> Resumed:
    """Plan the resume of ``scope`` (a campaign id or ALL_CAMPAIGNS) and apply it."""
    pauses = {p.scope: p for p in ledger.pauses()}
    if scope not in pauses:
        if scope != ALL_CAMPAIGNS and ALL_CAMPAIGNS in pauses:
            every = pauses[ALL_CAMPAIGNS]
            raise PauseError(
                f"every campaign is paused (since {every.since.isoformat(timespec='minutes')} "
                f"by {every.actor}: {every.reason})",
                hint="resume them all with `scheduler resume --all`",
            )
        raise PauseError(
            f"{'nothing' if scope == ALL_CAMPAIGNS else 'campaign ' + scope} is not paused",
            hint="`scheduler status` shows the pauses in force",
        )
    pause = pauses[scope]
    campaigns = ledger.campaigns() if scope == ALL_CAMPAIGNS else [scope]
    missed: list[tuple[DraftKey, str]] = []
    shifts: list[Shift] = []
    notes: list[str] = []
    for campaign in campaigns:
        # Another pause still over this campaign: its drafts wait for that one's resume.
        others = [p for s, p in pauses.items() if s != scope and p.covers(campaign)]
        if others:
            continue
        plan = plan_resume(
            ledger.list(campaign),
            since=pause.since,
            now=now,
            choice=choice,
            min_gap=min_gap,
            max_lateness=max_lateness,
        )
        missed += plan.missed
        shifts += plan.shifts
        notes += plan.notes
    ended = ledger.resume(scope, actor=actor, now=now, choice=choice, missed=missed, shifts=shifts)
    total = ResumePlan(choice, now - ended.since, tuple(missed), tuple(shifts), tuple(notes))
    return Resumed(ended, total, tuple(campaigns))


def scope_label(scope: str) -> str:
    return "every campaign" if scope == ALL_CAMPAIGNS else scope


def paused_notice(pause: Pause) -> Notice:
    return Notice(
        kind="paused",
        draft=scope_label(pause.scope),
        summary=f"publishing paused by {pause.actor}: {pause.reason}",
        when=pause.since,
        detail="nothing new is sent until someone runs `scheduler resume` (or resumes it on "
        "the review pages)",
    )


def resumed_notice(resumed: Resumed, actor: str, now: datetime) -> Notice:
    plan = resumed.plan
    hours = plan.paused_for.total_seconds() / 3600
    if plan.choice == "missed":
        summary = (
            f"publishing resumed by {actor} after {hours:.1f} h; "
            f"{len(plan.missed)} draft(s) missed while paused"
        )
        lines = [f"missed: {key}" for key, _ in plan.missed]
    else:
        summary = (
            f"publishing resumed by {actor} after {hours:.1f} h; "
            f"{len(plan.shifts)} draft(s) moved {hours:.1f} h later"
        )
        lines = list(plan.notes)
    return Notice(
        kind="resumed",
        draft=scope_label(resumed.pause.scope),
        summary=summary,
        when=now,
        detail="\n".join(lines),
    )
