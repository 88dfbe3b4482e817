"""Drafts that wait on others (``after:``), in the ledger: the table of who waits on whom
(``draft_after``, rewritten for a campaign on every sync: ``write_after``), the claim
condition that holds a draft back until all it waits on is published (``waits_over``), and
the reads the daemon and ``status`` make: what a draft waits on, in what state, at what
address (``waits``), and who waits on a draft (``dependants``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, and_, bindparam, delete, exists, select
from sqlalchemy.sql.elements import ColumnElement

from scheduler.draft import Draft, DraftKey
from scheduler.ledger import tables as t
from scheduler.ledger.base import Wait
from scheduler.ledger.core import LedgerCore, key_binds, key_where, parts_from_json
from scheduler.ledger.states import State


def waits_over() -> ColumnElement[bool]:
    """Every draft this one waits on (``draft_after``) is published. A draft waiting on one
    that failed, was missed or is held stays unclaimed (the daemon tells a person); one
    that was never synced (a waited-on post removed) keeps it waiting too."""
    d, a = t.drafts, t.draft_after
    dep = t.drafts.alias("dependency")
    published = exists().where(
        dep.c.campaign == a.c.campaign,
        dep.c.post_id == a.c.after_post,
        dep.c.account == a.c.after_account,
        dep.c.state == State.PUBLISHED.value,
    )
    return ~exists().where(
        a.c.campaign == d.c.campaign,
        a.c.post_id == d.c.post_id,
        a.c.account == d.c.account,
        ~published,
    )


def write_after(conn: Connection, campaign: str, drafts: Sequence[Draft]) -> None:
    """Which draft waits on which, as the campaign now says (part of its sync)."""
    a = t.draft_after
    conn.execute(delete(a).where(a.c.campaign == campaign))
    rows = [
        {
            "campaign": campaign,
            "post_id": dr.post_id,
            "account": dr.account,
            "after_post": dep.post_id,
            "after_account": dep.account,
        }
        for dr in drafts
        for dep in dr.after
    ]
    if rows:
        conn.execute(a.insert(), rows)


class AfterOps(LedgerCore):
    def waits(self, key: DraftKey) -> list[Wait]:
        """Each draft ``key`` waits on, with its state (None: not in the ledger) and, once
        it is published, the address the platform gave its first part."""
        a, d = t.draft_after, t.drafts
        on = and_(
            d.c.campaign == a.c.campaign,
            d.c.post_id == a.c.after_post,
            d.c.account == a.c.after_account,
        )
        query = (
            select(a.c.campaign, a.c.after_post, a.c.after_account, d.c.state, d.c.parts_done)
            .select_from(a.outerjoin(d, on))
            .where(key_where(a, key))
            .order_by(a.c.after_post, a.c.after_account)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        out: list[Wait] = []
        for r in rows:
            state = None if r.state is None else State(r.state)
            parts = parts_from_json(r.parts_done) if state is State.PUBLISHED else ()
            out.append(
                Wait(
                    DraftKey(r.campaign, r.after_post, r.after_account),
                    state,
                    parts[0].url if parts else None,
                )
            )
        return out

    def dependants(self, key: DraftKey) -> list[DraftKey]:
        """The drafts that wait on ``key``."""
        with self._read(one=True) as conn:
            rows = conn.execute(_DEPENDANTS, key_binds(key))
            return [DraftKey(r.campaign, r.post_id, r.account) for r in rows]


# Read after every post (see core.key_params): built once.
_DEPENDANTS = (
    select(t.draft_after.c.campaign, t.draft_after.c.post_id, t.draft_after.c.account)
    .where(
        t.draft_after.c.campaign == bindparam("k_campaign"),
        t.draft_after.c.after_post == bindparam("k_post_id"),
        t.draft_after.c.after_account == bindparam("k_account"),
    )
    .order_by(t.draft_after.c.post_id, t.draft_after.c.account)
)
