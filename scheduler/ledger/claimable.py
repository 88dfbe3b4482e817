"""The claim condition: which drafts a worker may take now, as one SQL condition.

A draft is claimable when its current content is the approved content, its time has come,
its window is open (or it is a started thread within its completion limit), nothing pauses
its campaign or its account, everything it waits on is published, and it is approved,
waiting for a retry that is due, or publishing under a lease that ran out. ``candidates``
is the locked SELECT of such drafts that every claim starts from.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, literal_column, not_, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from scheduler.ledger import tables as t
from scheduler.ledger.after import waits_over
from scheduler.ledger.base import ALL_CAMPAIGNS
from scheduler.ledger.core import key_params
from scheduler.ledger.states import TRANSITIONS, State

# The states a claim can take a draft from (the state table's). The partial index
# ``ix_drafts_open`` (migration 0011) holds exactly the drafts in these states, by campaign
# and due time, so a claim reads the earliest open drafts in order and stops at its limit,
# instead of every draft of the campaign, published ones included, sorted at every claim.
# Changing this list needs a migration that rebuilds that index with the new list.
OPEN_STATES: tuple[State, ...] = tuple(TRANSITIONS["claim"])


def open_states_sql(column: str) -> str:
    """``column IN ('approved', ...)``: the same text in the index and in the claim, because
    SQLite uses a partial index only for a query that repeats its condition word for word
    (bound parameters would not match it)."""
    return f"{column} IN ({', '.join(repr(s.value) for s in OPEN_STATES)})"


def started() -> ColumnElement[bool]:
    """Some part of the thread is public: ``parts_done`` holds at least one recorded part.

    ``parts_done`` is JSON text, a list of objects. Every recorded part is an object, so a
    list holding one contains "{" and an empty list (however spaced, or an empty text) does
    not. This is plain LIKE, the same on SQLite and PostgreSQL: no JSON functions (which
    PostgreSQL would apply only after a cast from text that fails on any malformed row, and
    which an SQLite build may lack), and nothing that can fail for one row and so stop
    every claim.

    The pattern is written into the statement, not bound: SQLite prepares a statement again
    at every new value bound to a LIKE pattern (the value may change its plan), which cost
    each claim about 0.2 ms, eight times the claim's own work.
    """
    return t.drafts.c.parts_done.like(literal_column("'%{%'"))


def account_not_paused(now: Any) -> ColumnElement[bool]:
    """The draft's account has no pause in force: a paused account's drafts wait unclaimed
    (so waiting costs no attempt), a started thread's later parts too."""
    p, d = t.account_pauses, t.drafts
    return ~exists().where(p.c.account == d.c.account, p.c.until > now)


def not_paused() -> ColumnElement[bool]:
    """No pause is in force over the draft's campaign (nor over every campaign)."""
    d, p = t.drafts, t.campaign_pauses
    return not_(exists().where(p.c.scope.in_([d.c.campaign, ALL_CAMPAIGNS])))


def claimable(now: Any, completion_since: Any = None) -> ColumnElement[bool]:
    """The claim condition at ``now``; started threads may be finished while their window
    end is no earlier than ``completion_since`` (now less the completion limit), if given.
    Both are values or bound parameters. (A draft without a latest time has no window here: the
    daemon applies its default lateness.) Nothing of a paused campaign is claimed, not even
    an expired lease: the draft stays as it is until the pause ends; nor anything of an
    account a platform asked to wait (``account_not_paused``)."""
    d = t.drafts
    window_open = or_(d.c.latest.is_(None), d.c.latest >= now)
    if completion_since is not None:
        window_open = or_(window_open, and_(d.c.latest >= completion_since, started()))
    return and_(
        text(open_states_sql("drafts.state")),
        account_not_paused(now),
        d.c.approved_hash.is_not(None),
        d.c.approved_hash == d.c.content_hash,
        d.c.due <= now,
        not_paused(),
        waits_over(),
        or_(
            and_(
                window_open,
                or_(
                    d.c.state.in_([State.APPROVED.value, State.SCHEDULED.value]),
                    and_(
                        d.c.state == State.RETRY_WAIT.value,
                        or_(d.c.next_attempt.is_(None), d.c.next_attempt <= now),
                    ),
                ),
            ),
            # A holder died mid-publish: take over even after the window closed, because
            # part of it may be out. The taker reconciles first and decides what it became.
            and_(d.c.state == State.PUBLISHING.value, d.c.lease_until < now),
        ),
    )


@lru_cache(maxsize=8)
def candidates(completion: bool, by_key: bool, by_campaigns: bool) -> Select[Any]:
    """The drafts claimable at ``c_now``, earliest due first, at most ``c_limit``, locked
    (rows another worker locked are skipped); of the key's draft, of ``c_campaigns``, and
    with started threads until ``c_since`` as asked."""
    d = t.drafts
    at = bindparam("c_now", type_=d.c.due.type)
    since = bindparam("c_since", type_=d.c.latest.type) if completion else None
    cond = claimable(at, since)
    if by_key:
        cond = and_(cond, key_params(d))
    if by_campaigns:
        cond = and_(cond, d.c.campaign.in_(bindparam("c_campaigns", expanding=True)))
    return (
        select(d.c.campaign, d.c.post_id, d.c.account, d.c.state, d.c.attempts, d.c.version)
        .where(cond)
        .order_by(d.c.due, d.c.campaign, d.c.post_id, d.c.account)
        .limit(bindparam("c_limit"))
        .with_for_update(skip_locked=True)
    )
