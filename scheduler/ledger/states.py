"""The draft state machine: every allowed state change, in one table.

The ledger enforces this table on every write (it is the only writer of states), and
``scheduler.approval`` re-exports it for people and pages. It lives here, below approval,
because the layers import downward only and the ledger must consult it.

An action may lead to more than one state from the same place (``give_up`` chooses failed,
missed or outcome_unknown); an action that is absent for a state is refused with a
TransitionError naming the draft, its state and the actions that state allows.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.draft import DraftKey


class State(StrEnum):
    DRAFT = "draft"  # awaiting review (also: changed since an approval)
    APPROVED = "approved"  # the current hash meets the campaign's approval policy
    SCHEDULED = "scheduled"  # approved, and a daemon gave its lease back before its time
    PUBLISHING = "publishing"  # claimed by a daemon under a lease
    PUBLISHED = "published"
    REJECTED = "rejected"  # a reviewer asked for a change; an edit returns it to review
    RETRY_WAIT = "retry_wait"  # a retryable failure; next_attempt says when
    OUTCOME_UNKNOWN = "outcome_unknown"  # may have been posted; reconcile or ask a person
    FAILED = "failed"  # the platform refused it for good
    MISSED = "missed"  # its window closed before it could go out
    CANCELLED = "cancelled"  # removed from the campaign files; history kept


S = State

# action -> {from state: allowed target states}
TRANSITIONS: dict[str, dict[State, frozenset[State]]] = {
    # sync: the campaign files changed
    "edit": {  # the content hash or the due time changed: back to review
        s: frozenset({S.DRAFT})
        for s in (S.DRAFT, S.APPROVED, S.SCHEDULED, S.REJECTED, S.RETRY_WAIT, S.FAILED, S.MISSED)
    },
    "remove": {  # the post left the files: cancelled, never deleted
        s: frozenset({S.CANCELLED})
        for s in (S.DRAFT, S.APPROVED, S.SCHEDULED, S.REJECTED, S.RETRY_WAIT, S.FAILED, S.MISSED)
    },
    "restore": {S.CANCELLED: frozenset({S.DRAFT})},
    "policy": {  # the approval policy changed: approvals are counted again
        S.DRAFT: frozenset({S.APPROVED}),
        S.APPROVED: frozenset({S.DRAFT}),
        S.SCHEDULED: frozenset({S.DRAFT}),
    },
    # reviewers
    "approve": {  # an approval short of the required number leaves the draft in review
        S.DRAFT: frozenset({S.DRAFT, S.APPROVED}),
        S.APPROVED: frozenset({S.APPROVED}),
        S.SCHEDULED: frozenset({S.SCHEDULED}),
    },
    "reject": {
        s: frozenset({S.REJECTED})
        for s in (S.DRAFT, S.APPROVED, S.SCHEDULED, S.RETRY_WAIT, S.REJECTED)
    },
    "override": {  # a reasoned override of a care finding, bound to the hash
        s: frozenset({s}) for s in (S.DRAFT, S.APPROVED, S.SCHEDULED, S.REJECTED)
    },
    "comment": {s: frozenset({s}) for s in State},
    # the daemon
    "claim": {
        s: frozenset({S.PUBLISHING})
        for s in (S.APPROVED, S.SCHEDULED, S.RETRY_WAIT, S.PUBLISHING)  # publishing: lease expired
    },
    "renew": {S.PUBLISHING: frozenset({S.PUBLISHING})},
    "record_part": {S.PUBLISHING: frozenset({S.PUBLISHING})},
    "finish": {S.PUBLISHING: frozenset({S.PUBLISHED})},
    "retry_later": {S.PUBLISHING: frozenset({S.RETRY_WAIT})},
    # The account turned out to be paused before anything was sent: not an attempt.
    "defer": {S.PUBLISHING: frozenset({S.RETRY_WAIT})},
    "give_up": {S.PUBLISHING: frozenset({S.FAILED, S.MISSED, S.OUTCOME_UNKNOWN})},
    "release": {S.PUBLISHING: frozenset({S.SCHEDULED})},
    "mark_missed": {
        s: frozenset({S.MISSED})
        for s in (S.DRAFT, S.REJECTED, S.APPROVED, S.SCHEDULED, S.RETRY_WAIT, S.PUBLISHING)
    },
    # a person resumes a paused campaign and moves the rest of its schedule by the pause
    "shift": {
        s: frozenset({s}) for s in (S.DRAFT, S.APPROVED, S.SCHEDULED, S.REJECTED, S.RETRY_WAIT)
    },
    # a person settles a post that may or may not have gone out
    "resolve": {S.OUTCOME_UNKNOWN: frozenset({S.PUBLISHED, S.RETRY_WAIT, S.FAILED})},
}

# States whose stored content must not be replaced by an edit: it may already be out.
FROZEN = frozenset({S.PUBLISHING, S.PUBLISHED, S.OUTCOME_UNKNOWN})


def allowed_actions(state: State) -> list[str]:
    return [action for action, table in TRANSITIONS.items() if state in table]


def can(action: str, state: State, target: State | None = None) -> bool:
    targets = TRANSITIONS.get(action, {}).get(state)
    if targets is None:
        return False
    return target is None or target in targets


def check(action: str, key: DraftKey | str, state: State, target: State | None = None) -> None:
    """Raise TransitionError unless ``action`` may move a draft in ``state`` to ``target``."""
    if can(action, state, target):
        return
    from scheduler.ledger.base import TransitionError

    raise TransitionError(key, state, action, target)
