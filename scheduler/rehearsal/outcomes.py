"""What happened to each draft in the rehearsed week, and the problems that explains.

The throwaway ledger holds each draft's final state; the simulated platforms hold when each
part went out and every call they refused; the holds say when a quota held an account back
(the daemon's gate, or a platform's own 429). A draft whose last part went out more than a
minute after its time is late: a quota held it. One not published says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scheduler.approval import Policy, counted
from scheduler.campaign.schedule import zone
from scheduler.rehearsal.base import KINDS, Problem, Slot
from scheduler.rehearsal.simulate import Platforms, Refusal

LATE = timedelta(minutes=1)
UNAPPROVED = frozenset({"draft", "rejected"})
WAITING = frozenset({"approved", "scheduled", "retry_wait"})
QUOTA_FIX = "spread the account's posts out, or send fewer posts to it in that window"


@dataclass(frozen=True, slots=True)
class Hold:
    """A quota held ``account`` back from ``at`` (until ``until``, where known)."""

    account: str
    at: datetime
    until: datetime | None
    reason: str  # e.g. "its quota of 17 posts per 24 hours on the free tier is spent"

    @property
    def why(self) -> str:
        until = f" until {self.until:%a %d %b %H:%M} UTC" if self.until else ""
        return f"held back{until}: {self.reason}"


def outcomes(
    records: Iterable[Any],
    platforms: Platforms,
    holds: list[Hold],
    policy: Policy,
    care_blocks: Callable[[Any], list[str]],
    path: Path | str,
    *,
    paused: bool = False,
) -> tuple[list[Slot], list[Problem]]:
    slots: list[Slot] = []
    problems: list[Problem] = []
    rule = policy.rule()
    for record in sorted(records, key=lambda r: (r.due, r.key.post_id, r.key.account)):
        state = str(record.state)
        if state == "cancelled":
            continue
        key = record.key
        where = f"post {key.post_id} on {key.account}"
        times = platforms.sent_times(key.account, record.due)
        problem: Problem | None = None
        why = ""
        if state == "published" and times and times[-1] - record.due > LATE:
            outcome = "late"
            minutes = int((times[-1] - record.due).total_seconds() // 60)
            held = _quota_before(holds, key.account, times[-1])
            why = f"finished {minutes} min late" + (f", {held.why}" if held else "")
            if held is not None:
                problem = _problem("quota", record, f"{where}: {why}", QUOTA_FIX, held.at)
        elif state == "published":
            outcome = "published"
        elif state in UNAPPROVED:
            outcome = "not published"
            problem = _unapproved(record, state, rule, care_blocks(record), path)
            why = problem.title
        elif paused and state in WAITING:
            outcome, why = "not published", KINDS["paused"]  # the pause's own problem
        else:
            outcome = "not published"
            why = record.last_error or state
            problem = _not_published(record, state, why, platforms.refusals, holds, path)
        slots.append(
            Slot(
                post=key.post_id,
                account=key.account,
                platform=record.draft.platform,
                due=record.due,
                local=record.due.astimezone(zone(record.draft.timezone)),
                outcome=outcome,
                parts=len(record.draft.parts),
                published_at=times[0] if times else None,
                why=why,
            )
        )
        if problem is not None:
            problems.append(problem)
    return slots, problems


def _problem(kind: str, record: Any, cause: str, fix: str, at: datetime | None = None) -> Problem:
    key = record.key
    return Problem(
        kind=kind, post=key.post_id, account=key.account, at=at or record.due, cause=cause, fix=fix
    )


def _quota_before(holds: list[Hold], account: str, until: datetime) -> Hold | None:
    """The last quota hold on ``account`` up to ``until``: what the account waited for."""
    held = sorted((h for h in holds if h.account == account and h.at <= until), key=_at)
    return held[-1] if held else None


def _at(hold: Hold) -> datetime:
    return hold.at


def _unapproved(record: Any, state: str, rule: Any, blocks: list[str], path: Path | str) -> Problem:
    key = record.key
    where = f"post {key.post_id} on {key.account}"
    if blocks:
        return _problem(
            "care_block",
            record,
            f"{where}: the care lint blocks approval ({', '.join(blocks)})",
            f"change the wording (see `scheduler lint {path}`), or have a team member other "
            f"than the author record `scheduler override {path} {key.post_id} --account "
            f"{key.account} --rule RULE --reason WHY`",
        )
    if state == "rejected":
        return _problem(
            "unapproved",
            record,
            f"{where} was rejected by a reviewer and not changed since",
            f"edit it as the reviewer asked, then `scheduler review {path}`",
        )
    return _problem(
        "unapproved",
        record,
        f"{where} has {counted(record, rule)} of {rule.required} approvals it needs",
        f"ask the reviewers to approve it: `scheduler review {path}`",
    )


def _not_published(
    record: Any,
    state: str,
    why: str,
    refusals: list[Refusal],
    holds: list[Hold],
    path: Path | str,
) -> Problem | None:
    key = record.key
    where = f"post {key.post_id} on {key.account}"
    own = [r for r in refusals if r.account == key.account and r.due == record.due]
    if any(r.kind == "token" for r in own):
        return None  # the token's own problem says what to do
    # A hold in force when the post was due, or begun while it waited for its window (a
    # platform's refusal has no known end: one while the post was being tried).
    end = record.draft.latest or record.due
    held = [
        h
        for h in holds
        if h.account == key.account
        and h.at <= end
        and (h.until > record.due if h.until is not None else h.at >= record.due)
    ]
    if held:
        hold = max(held, key=_at)
        cause = f"{where}: {hold.why}, so it was not published ({state})"
        return _problem("quota", record, cause, QUOTA_FIX, hold.at)
    return _problem(
        "failed",
        record,
        f"{where} would not be published ({state}): {why}",
        f"see `scheduler check {path}`; change the post so the platform takes it",
    )
