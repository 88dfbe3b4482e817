"""Invites and sessions, kept in the ledger's database (tables ``web_invites`` and
``web_sessions``, created by the ledger's migration 0005).

The tables hold hashes of tokens, never tokens. Redeeming an invite is one conditional
UPDATE, so two browsers racing on the same link cannot both sign in.

Rows that expired more than ``PURGE_AFTER`` ago are deleted by ``purge`` (see
``scheduler.web.housekeeping`` for when). Nothing else refers to these rows: the ledger's
append-only events are about drafts, and sign-ins are not among them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from scheduler.clock import ensure_utc
from scheduler.errors import LedgerError
from scheduler.ledger import tables
from scheduler.web.base import (
    INVITE_TTL,
    PURGE_AFTER,
    SESSION_TTL,
    Invite,
    Purged,
    Session,
    SignInRefused,
)
from scheduler.web.tokens import new_token, token_hash

invites = tables.web_invites
sessions = tables.web_sessions

# Two servers on one PostgreSQL ledger purge one at a time (the other skips its turn): two
# DELETEs of overlapping rows taken in different orders could deadlock. The lock is per
# schema, like the migrations' lock, so ledgers in other schemas never wait on it.
_PURGE_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('web-purge'), hashtext(current_schema()))"


class AuthStore:
    """Invites and sessions for the review pages."""

    def __init__(self, engine: Engine) -> None:
        """``engine`` is an open ledger's (``open_ledger(...).engine``): migrated already."""
        self.engine = engine

    def _guard(self, action: Any) -> Any:
        try:
            return action()
        except SQLAlchemyError as exc:
            raise LedgerError(
                f"the sign-in tables could not be used: {type(exc).__name__}",
                hint="check that the ledger database is reachable and writable",
            ) from exc

    # --- invites ------------------------------------------------------------------------

    def create_invite(
        self, email: str, campaign: str, *, now: datetime, ttl: timedelta = INVITE_TTL
    ) -> tuple[str, Invite]:
        """A new one-time token; only its hash is stored. Returns (token, invite)."""
        now = ensure_utc(now)
        token = new_token()
        invite = Invite(email=email, campaign=campaign, expires_at=now + ttl)

        def insert() -> None:
            with self.engine.begin() as conn:
                conn.execute(
                    invites.insert().values(
                        token_hash=token_hash(token),
                        email=email,
                        campaign=campaign,
                        created_at=now,
                        expires_at=invite.expires_at,
                    )
                )

        self._guard(insert)
        return token, invite

    def peek_invite(self, token: str, *, now: datetime) -> Invite:
        """The invite behind a token if it can still be used; SignInRefused otherwise."""
        row = self._guard(lambda: self._invite_row(token))
        self._check_usable(row, ensure_utc(now))
        return Invite(email=row.email, campaign=row.campaign, expires_at=row.expires_at)

    def redeem(self, token: str, *, now: datetime) -> Invite:
        """Use an invite once. A second use, an expired or an unknown token is refused."""
        now = ensure_utc(now)
        digest = token_hash(token)

        def claim() -> int:
            with self.engine.begin() as conn:
                result = conn.execute(
                    invites.update()
                    .where(
                        invites.c.token_hash == digest,
                        invites.c.used_at.is_(None),
                        invites.c.expires_at > now,
                    )
                    .values(used_at=now)
                )
                return int(result.rowcount)

        claimed = self._guard(claim)
        row = self._guard(lambda: self._invite_row(token))
        if claimed != 1:
            self._check_usable(row, now)
            raise SignInRefused("used", "This sign-in link has already been used.")
        return Invite(email=row.email, campaign=row.campaign, expires_at=row.expires_at)

    def _invite_row(self, token: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(invites).where(invites.c.token_hash == token_hash(token))
            ).first()

    @staticmethod
    def _check_usable(row: Any, now: datetime) -> None:
        again = "Ask the campaign owner for a new link (scheduler team invite)."
        if row is None:
            raise SignInRefused("unknown", "This sign-in link is not valid.", hint=again)
        if row.used_at is not None:
            raise SignInRefused("used", "This sign-in link has already been used.", hint=again)
        if row.expires_at <= now:
            raise SignInRefused("expired", "This sign-in link has expired.", hint=again)

    # --- sessions -----------------------------------------------------------------------

    def start_session(
        self, email: str, campaign: str, *, now: datetime, ttl: timedelta = SESSION_TTL
    ) -> Session:
        now = ensure_utc(now)
        token = new_token()
        session = Session(email=email, campaign=campaign, expires_at=now + ttl, token=token)

        def insert() -> None:
            with self.engine.begin() as conn:
                conn.execute(
                    sessions.insert().values(
                        token_hash=token_hash(token),
                        email=email,
                        campaign=campaign,
                        created_at=now,
                        expires_at=session.expires_at,
                    )
                )

        self._guard(insert)
        return session

    def session(self, token: str, *, now: datetime) -> Session | None:
        """The live session behind a cookie value, or None."""
        if not token:
            return None
        now = ensure_utc(now)

        def select() -> Any:
            with self.engine.connect() as conn:
                return conn.execute(
                    sa.select(sessions).where(sessions.c.token_hash == token_hash(token))
                ).first()

        row = self._guard(select)
        if row is None or row.ended_at is not None or row.expires_at <= now:
            return None
        return Session(
            email=row.email, campaign=row.campaign, expires_at=row.expires_at, token=token
        )

    def end_session(self, token: str, *, now: datetime) -> None:
        now = ensure_utc(now)

        def update() -> None:
            with self.engine.begin() as conn:
                conn.execute(
                    sessions.update()
                    .where(
                        sessions.c.token_hash == token_hash(token), sessions.c.ended_at.is_(None)
                    )
                    .values(ended_at=now)
                )

        self._guard(update)

    # --- purging ------------------------------------------------------------------------

    def purge(self, *, now: datetime, after: timedelta = PURGE_AFTER) -> Purged:
        """Delete invites and sessions that expired at least ``after`` before ``now``.

        A row that has not expired is never deleted, whoever else is purging: the condition
        is on each row's own expiry, in one statement per table. A used invite or an ended
        session stays until it expires too, so a link's page can still say it was used.
        """
        cutoff = ensure_utc(now) - after

        def delete() -> Purged:
            with self.engine.begin() as conn:
                if (
                    conn.dialect.name == "postgresql"
                    and not conn.execute(sa.text(_PURGE_LOCK)).scalar()
                ):
                    return Purged(skipped=True)
                gone_invites = conn.execute(invites.delete().where(invites.c.expires_at <= cutoff))
                gone_sessions = conn.execute(
                    sessions.delete().where(sessions.c.expires_at <= cutoff)
                )
                return Purged(int(gone_invites.rowcount), int(gone_sessions.rowcount))

        result: Purged = self._guard(delete)
        return result
