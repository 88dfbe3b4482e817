"""What a sync must write: a pure comparison of the stored drafts with the rendered ones.

The store reads every current row of a campaign in one query, asks ``plan_sync`` what
changed, and writes only that. Keeping the decision here, free of SQL, lets the rules be
tested as a table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scheduler.draft import Draft, DraftKey
from scheduler.ledger.states import FROZEN, TRANSITIONS, State


@dataclass(frozen=True, slots=True)
class Current:
    """The columns of a stored draft that a sync compares."""

    post_id: str
    account: str
    content_hash: str
    due: datetime
    latest: datetime | None
    state: State
    payload: str
    version: int
    parts_started: bool  # some part of the thread is already out


@dataclass(frozen=True, slots=True)
class Change:
    current: Current
    draft: Draft
    payload: str
    reason: str  # "edited", "rescheduled", "edited and rescheduled", "restored", "refreshed"


@dataclass
class Plan:
    create: list[tuple[Draft, str]] = field(default_factory=list)
    edit: list[Change] = field(default_factory=list)  # back to review, approvals voided
    restore: list[Change] = field(default_factory=list)  # cancelled -> draft
    refresh: list[Change] = field(default_factory=list)  # payload only (source line, author)
    remove: list[Current] = field(default_factory=list)  # -> cancelled
    frozen: list[DraftKey] = field(default_factory=list)  # changes refused: may be out already
    unchanged: int = 0


def payload_json(draft: Draft) -> str:
    return json.dumps(draft.to_payload(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def plan_sync(
    campaign: str,
    current: Sequence[Current],
    drafts: Sequence[Draft],
    compared: Callable[[], None] | None = None,
) -> Plan:
    """What a sync changes; ``compared`` hears each draft once it is compared."""
    plan = Plan()
    stored = {(c.post_id, c.account): c for c in current}
    seen: set[tuple[str, str]] = set()
    for draft in drafts:
        ident = (draft.post_id, draft.account)
        seen.add(ident)
        payload = payload_json(draft)
        if compared is not None:
            compared()
        cur = stored.get(ident)
        if cur is None:
            plan.create.append((draft, payload))
            continue
        edited = cur.content_hash != draft.content_hash
        moved = cur.due != draft.due
        if cur.state is State.CANCELLED:
            plan.restore.append(Change(cur, draft, payload, "restored"))
        elif edited or moved:
            if cur.state in FROZEN or cur.parts_started or cur.state not in TRANSITIONS["edit"]:
                plan.frozen.append(draft.key)
            else:
                reason = (
                    "edited and rescheduled"
                    if edited and moved
                    else ("edited" if edited else "rescheduled")
                )
                plan.edit.append(Change(cur, draft, payload, reason))
        elif payload != cur.payload or cur.latest != draft.latest:
            if cur.state in FROZEN:
                plan.unchanged += 1  # keep the payload that went out
            else:
                plan.refresh.append(Change(cur, draft, payload, "refreshed"))
        else:
            plan.unchanged += 1
    for ident, cur in stored.items():
        if ident in seen or cur.state is State.CANCELLED:
            continue
        if cur.state in TRANSITIONS["remove"]:
            plan.remove.append(cur)
        elif cur.state is not State.PUBLISHED:
            plan.frozen.append(DraftKey(campaign, cur.post_id, cur.account))
    return plan
