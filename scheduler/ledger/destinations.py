"""Where each account's credential may go: the destination bound to it, and holds.

A credential is made for one host. The ledger records, per account, the destination (platform
and origin) it is bound to: the first use of an account records where it went (``accounts
check`` or the daemon's first publish, whichever comes first), and after that only an
operator moves it (``scheduler accounts confirm``). A campaign edit that points an account at
another host leaves the binding alone: the account is held, and nothing is sent there, until
the new host is confirmed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from scheduler.clock import ensure_utc
from scheduler.destination import Destination
from scheduler.ledger import tables as t
from scheduler.ledger.base import Binding, BoundDestination
from scheduler.ledger.core import LedgerCore

FIRST_USE = "first use"


class DestinationOps(LedgerCore):
    def bound_destination(self, account: str) -> BoundDestination | None:
        with self._read() as conn:
            return self._bound(conn, account)

    def bound_destinations(self) -> list[BoundDestination]:
        a = t.account_destinations
        with self._read() as conn:
            rows = conn.execute(select(a).order_by(a.c.account)).all()
        return [_from_row(r) for r in rows]

    def bind_destination(self, account: str, destination: Destination, *, now: datetime) -> Binding:
        """Where ``account`` may send its credential now; records ``destination`` on first use.

        A destination without a host (the local outbox) is never bound nor held.
        """
        if destination.host is None:
            return Binding(account, destination, None, recorded=False)
        # Bound already (every publish after the first): a read, no write lock.
        bound = self.bound_destination(account)
        if bound is not None:
            return Binding(account, destination, bound, recorded=False)
        now = ensure_utc(now)
        for _ in range(2):
            try:
                with self._write() as conn:
                    bound = self._bound(conn, account)
                    if bound is not None:
                        return Binding(account, destination, bound, recorded=False)
                    bound = BoundDestination(account, destination, now, FIRST_USE)
                    conn.execute(t.account_destinations.insert().values(**_values(bound)))
                    return Binding(account, destination, bound, recorded=True)
            except IntegrityError:
                continue  # another process recorded it first: read theirs
        bound = self.bound_destination(account)
        return Binding(account, destination, bound, recorded=False)

    def confirm_destination(
        self, account: str, destination: Destination, *, actor: str, now: datetime
    ) -> BoundDestination | None:
        """Bind ``account`` to ``destination``; returns the binding it replaces, if any."""
        now = ensure_utc(now)
        new = BoundDestination(account, destination, now, actor)
        a = t.account_destinations
        with self._write() as conn:
            old = self._bound(conn, account)
            if old is None:
                conn.execute(a.insert().values(**_values(new)))
            else:
                conn.execute(update(a).where(a.c.account == account).values(**_values(new)))
        return old

    @staticmethod
    def _bound(conn: Connection, account: str) -> BoundDestination | None:
        a = t.account_destinations
        row = conn.execute(select(a).where(a.c.account == account)).first()
        return None if row is None else _from_row(row)


def _values(bound: BoundDestination) -> dict[str, object]:
    d = bound.destination
    return {
        "account": bound.account,
        "platform": d.platform,
        "host": d.host,
        "identity": d.identity,
        "confirmed_at": bound.at,
        "confirmed_by": bound.by,
    }


def _from_row(row: object) -> BoundDestination:
    destination = Destination(row.platform, row.host, row.identity)  # type: ignore[attr-defined]
    return BoundDestination(
        row.account,  # type: ignore[attr-defined]
        destination,
        row.confirmed_at,  # type: ignore[attr-defined]
        row.confirmed_by,  # type: ignore[attr-defined]
    )
