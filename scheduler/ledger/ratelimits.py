"""Account pauses and what an account published: the ledger's side of rate limits and quotas
(a platform asking us to wait; a person pausing a campaign is ``pausing``).

One row per account says until when it must not be called, why, and what said so. A pause
only ever grows: writing an earlier ``until`` than the one stored leaves the stored one
(two daemons told different resets keep the later), unless the stored one has passed. The
write is a single upsert, atomic on SQLite and PostgreSQL alike. Claims skip the drafts of a
paused account (``claimable.claimable``).

Quotas are counted from the events: every part recorded (``record_part``) is one published
part, at the time it was recorded, whichever daemon recorded it.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, String, bindparam, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from scheduler.clock import ensure_utc
from scheduler.ledger import tables as t
from scheduler.ledger.base import ALL_CAMPAIGNS, AccountPause
from scheduler.ledger.core import LedgerCore
from scheduler.redact import redact

SOURCES = ("rate_limited", "headers", "quota", "auth", "held")


class RateLimitOps(LedgerCore):
    def pause_account(
        self, account: str, *, until: datetime, reason: str, source: str, now: datetime
    ) -> AccountPause:
        """Pause ``account`` until ``until`` (or later, if a later pause is already stored);
        returns the pause now in force."""
        if source not in SOURCES:
            raise ValueError(f"unknown pause source {source!r}")
        until, now = ensure_utc(until), ensure_utc(now)
        p = t.account_pauses
        values = {
            "account": account,
            "until": until,
            # A platform's answer may quote what it was sent: the reason is kept redacted.
            "reason": redact(reason),
            "source": source,
            "updated_at": now,
        }
        with self._write() as conn:
            insert = postgresql.insert(p) if self.dialect == "postgresql" else sqlite.insert(p)
            excluded = insert.excluded
            conn.execute(
                insert.values(**values).on_conflict_do_update(
                    index_elements=[p.c.account],
                    set_={
                        "until": excluded.until,
                        "reason": excluded.reason,
                        "source": excluded.source,
                        "updated_at": excluded.updated_at,
                    },
                    # Keep the later pause; a pause that has passed is simply replaced.
                    where=(p.c.until < excluded.until) | (p.c.until <= now),
                )
            )
            found = self._pause_in(conn, account)
        assert found is not None  # written just now, in this transaction
        return found

    def account_pause(self, account: str, *, now: datetime) -> AccountPause | None:
        """The pause in force for ``account`` at ``now``, if any."""
        with self._read(one=True) as conn:
            found = self._pause_in(conn, account)
        return found if found is not None and found.until > ensure_utc(now) else None

    def account_pauses(self, *, now: datetime) -> builtins.list[AccountPause]:
        """Every pause in force at ``now``, soonest end first."""
        p = t.account_pauses
        with self._read() as conn:
            rows = conn.execute(
                select(p).where(p.c.until > ensure_utc(now)).order_by(p.c.until, p.c.account)
            ).all()
        return [_pause(row) for row in rows]

    def published_parts(
        self, account: str, *, since: datetime
    ) -> builtins.list[tuple[datetime, int]]:
        """(time, part index) of each part ``account`` published after ``since``, oldest first,
        across every campaign and daemon sharing the ledger."""
        e = t.events
        with self._read() as conn:
            rows = conn.execute(
                select(e.c.at, e.c.detail)
                .where(
                    e.c.account == account,
                    e.c.action == "record_part",
                    e.c.at > ensure_utc(since),
                )
                .order_by(e.c.at, e.c.id)
            ).all()
        return [(row.at, _index(row.detail)) for row in rows]

    def count_published(self, account: str, *, since: datetime) -> int:
        """How many parts ``account`` published after ``since`` (one indexed count)."""
        with self._read(one=True) as conn:
            found = conn.execute(
                _COUNT_PUBLISHED, {"k_account": account, "k_since": ensure_utc(since)}
            ).scalar()
        return int(found or 0)

    def account_gate(
        self, account: str, *, now: datetime, since: Sequence[datetime] = ()
    ) -> tuple[AccountPause | None, tuple[int, ...]]:
        """The pause in force for ``account`` at ``now`` and how many parts it published after
        each instant of ``since`` (as ``count_published``): one statement, so one round trip
        for what the gate reads before every post."""
        pause, counts, _ = self._gate(account, now=now, since=since, campaign=None)
        return pause, counts

    def gate_with_campaign(
        self, account: str, campaign: str, *, now: datetime, since: Sequence[datetime] = ()
    ) -> tuple[AccountPause | None, tuple[int, ...], bool]:
        """``account_gate`` and whether ``campaign`` is paused (as ``paused``), in the same
        statement: the daemon asks both just before a post's first request."""
        return self._gate(account, now=now, since=since, campaign=campaign)

    def _gate(
        self, account: str, *, now: datetime, since: Sequence[datetime], campaign: str | None
    ) -> tuple[AccountPause | None, tuple[int, ...], bool]:
        params: dict[str, Any] = {"k_account": account}
        params.update({f"k_since{i}": ensure_utc(at) for i, at in enumerate(since)})
        if campaign is not None:
            params["k_campaign"] = campaign
        with self._read(one=True) as conn:
            row = conn.execute(_gate_statement(len(since), campaign is not None), params).one()
        counts = tuple(int(row._mapping[f"n{i}"] or 0) for i in range(len(since)))
        campaign_paused = campaign is not None and bool(row.campaign_paused)
        if row.until is None or row.until <= ensure_utc(now):
            return None, counts, campaign_paused
        return _pause(row), counts, campaign_paused

    @staticmethod
    def _pause_in(conn: Connection, account: str) -> AccountPause | None:
        row = conn.execute(_PAUSE_OF, {"k_account": account}).first()
        return None if row is None else _pause(row)


# Read before every request to an account, and around every post: built once (see
# core.key_params).
_PAUSE_OF = select(t.account_pauses).where(t.account_pauses.c.account == bindparam("k_account"))
_COUNT_PUBLISHED = (
    select(func.count())
    .select_from(t.events)
    .where(
        t.events.c.account == bindparam("k_account"),
        t.events.c.action == "record_part",
        t.events.c.at > bindparam("k_since"),
    )
)


@lru_cache(maxsize=16)
def _gate_statement(windows: int, campaign: bool) -> Select[Any]:
    """The account's pause row (all NULL when there is none) beside one count per window
    (parameters ``k_account``, ``k_since0``...) and, with ``campaign``, whether the campaign
    ``k_campaign`` is paused (by its own pause or one over every campaign)."""
    p, e = t.account_pauses, t.events
    one = select(bindparam("k_account", type_=String).label("account")).subquery("one")
    counts = [
        select(func.count())
        .select_from(e)
        .where(
            e.c.account == one.c.account,
            e.c.action == "record_part",
            e.c.at > bindparam(f"k_since{i}", type_=e.c.at.type),
        )
        .scalar_subquery()
        .label(f"n{i}")
        for i in range(windows)
    ]
    if campaign:
        c = t.campaign_pauses
        over = or_(c.c.scope == bindparam("k_campaign", type_=String), c.c.scope == ALL_CAMPAIGNS)
        counts.append(exists().where(over).label("campaign_paused"))
    return select(
        one.c.account, p.c.until, p.c.reason, p.c.source, p.c.updated_at, *counts
    ).select_from(one.outerjoin(p, p.c.account == one.c.account))


def _pause(row: Any) -> AccountPause:
    return AccountPause(row.account, row.until, row.reason, row.source, row.updated_at)


def _index(detail: str | None) -> int:
    try:
        value = json.loads(detail or "{}").get("index", 0)
    except (ValueError, AttributeError):
        return 0
    return value if isinstance(value, int) else 0
