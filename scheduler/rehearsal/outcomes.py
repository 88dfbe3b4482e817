"""What happened to each draft in the rehearsed week, and the problems that explains.

The throwaway ledger holds each draft's final state; the simulated platforms hold when each
part went out and every call they refused. A draft published more than a minute after its
time is late (a quota or a retry held it); one not published says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from scheduler.approval import Policy, counted
from scheduler.campaign.schedule import zone
from scheduler.rehearsal.base import Problem, Slot
from scheduler.rehearsal.simulate import Platforms, Refusal

LATE = timedelta(minutes=1)
UNAPPROVED = frozenset({"draft", "rejected"})
WAITING = frozenset({"approved", "scheduled", "retry_wait"})


def outcomes(
    records: Iterable[Any],
    platforms: Platforms,
    policy: Policy,
    care_blocks: Callable[[Any], list[str]],
    path: Path | str,
    *,
    paused: bool = False,
) -> tuple[list[Slot], list[Problem]]:
    slots: list[Slot] = []
    problems: list[Problem] = []
    refused: dict[tuple[str, Any], list[Refusal]] = {}
    for refusal in platforms.refusals:
        refused.setdefault((refusal.account, refusal.due), []).append(refusal)
    rule = policy.rule()
    for record in sorted(records, key=lambda r: (r.due, r.key.post_id, r.key.account)):
        state = str(record.state)
        if state == "cancelled":
            continue
        key = record.key
        draft = record.draft
        sent_at = platforms.first_sent(key.account, record.due)
        why = ""
        own = refused.get((key.account, record.due), [])
        if state == "published":
            late = sent_at is not None and sent_at - record.due > LATE
            outcome = "late" if late else "published"
            if late and sent_at is not None:
                minutes = int((sent_at - record.due).total_seconds() // 60)
                why = f"{minutes} min late" + (f": {own[0].message}" if own else "")
        else:
            outcome = "not published"
            why = record.last_error or state
            if paused and state in WAITING:
                why = "publishing is paused"
        slots.append(
            Slot(
                post=key.post_id,
                account=key.account,
                platform=draft.platform,
                due=record.due,
                local=record.due.astimezone(zone(draft.timezone)),
                outcome=outcome,
                parts=len(draft.parts),
                published_at=sent_at,
                why=why,
            )
        )
        if state in UNAPPROVED:
            problem = _unapproved(record, state, rule, care_blocks(record), path)
            problems.append(problem)
            slots[-1] = replace(slots[-1], why=problem.title)
        elif paused and state in WAITING:
            continue  # the pause's own problem says what to do
        elif outcome != "published":
            problems.extend(_platform_problems(record, state, own, sent_at, path))
    return slots, problems


def _unapproved(record: Any, state: str, rule: Any, blocks: list[str], path: Path | str) -> Problem:
    key = record.key
    where = f"post {key.post_id} on {key.account}"
    if blocks:
        return Problem(
            kind="care_block",
            post=key.post_id,
            account=key.account,
            at=record.due,
            cause=f"{where}: the care lint blocks approval ({', '.join(blocks)})",
            fix=(
                f"change the wording (see `scheduler lint {path}`), or have a team member other "
                f"than the author record `scheduler override {path} {key.post_id} --account "
                f"{key.account} --rule RULE --reason WHY`"
            ),
        )
    if state == "rejected":
        cause = f"{where} was rejected by a reviewer and not changed since"
        fix = f"edit it as the reviewer asked, then `scheduler review {path}`"
    else:
        have = counted(record, rule)
        cause = f"{where} has {have} of {rule.required} approvals it needs"
        fix = f"ask the reviewers to approve it: `scheduler review {path}`"
    return Problem(
        kind="unapproved",
        post=key.post_id,
        account=key.account,
        at=record.due,
        cause=cause,
        fix=fix,
    )


def _platform_problems(
    record: Any, state: str, refused: list[Refusal], sent_at: Any, path: Path | str
) -> list[Problem]:
    key = record.key
    where = f"post {key.post_id} on {key.account}"
    found: list[Problem] = []
    quota = [r for r in refused if r.kind == "quota"]
    if quota:
        held = (
            f"it went out {int((sent_at - record.due).total_seconds() // 60)} min late"
            if sent_at is not None
            else f"it was not published ({state})"
        )
        found.append(
            Problem(
                kind="quota",
                post=key.post_id,
                account=key.account,
                at=quota[0].at,
                cause=f"{where}: {quota[0].message}, so {held}",
                fix="spread the account's posts out, or send fewer posts to it that day",
            )
        )
    if state == "published":
        return found
    if any(r.kind == "token" for r in refused):
        return found  # the token's own problem says what to do
    if not quota:
        found.append(
            Problem(
                kind="failed",
                post=key.post_id,
                account=key.account,
                at=record.due,
                cause=f"{where} would not be published ({state}): {record.last_error or state}",
                fix=f"see `scheduler check {path}`; change the post so the platform takes it",
            )
        )
    return found
