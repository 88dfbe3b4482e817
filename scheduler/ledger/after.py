"""Drafts that wait on others: what a draft waits on, in what state, at what address, and
who waits on a draft. ``sync`` writes the table (``draft_after``); the claim condition reads
it (``claims.waits_over``); the daemon and ``status`` read it through these."""

from __future__ import annotations

from sqlalchemy import and_, select

from scheduler.draft import DraftKey
from scheduler.ledger import tables as t
from scheduler.ledger.base import Wait
from scheduler.ledger.core import LedgerCore, key_where, parts_from_json
from scheduler.ledger.states import State


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
        a = t.draft_after
        query = (
            select(a.c.campaign, a.c.post_id, a.c.account)
            .where(
                a.c.campaign == key.campaign,
                a.c.after_post == key.post_id,
                a.c.after_account == key.account,
            )
            .order_by(a.c.post_id, a.c.account)
        )
        with self._read() as conn:
            return [DraftKey(r.campaign, r.post_id, r.account) for r in conn.execute(query)]
