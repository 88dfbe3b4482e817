"""Invites and sessions, kept in the ledger's database in two tables of their own.

The tables hold hashes of tokens, never tokens. Redeeming an invite is one conditional
UPDATE, so two browsers racing on the same link cannot both sign in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from scheduler.clock import ensure_utc
from scheduler.errors import LedgerError
from scheduler.web.base import INVITE_TTL, SESSION_TTL, Invite, Session, SignInRefused
from scheduler.web.tokens import new_token, token_hash

metadata = sa.MetaData()

invites = sa.Table(
    "web_invites",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("campaign", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
)

sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("campaign", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
)


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored here was UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def engine_for(url: str) -> Engine:
    """An engine for the ledger's database URL (SQLite path URLs or PostgreSQL)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    return sa.create_engine(url, **kwargs)


class AuthStore:
    """Invites and sessions for the review pages."""

    def __init__(self, engine: Engine, *, create: bool = True) -> None:
        self.engine = engine
        if create:
            self._guard(lambda: metadata.create_all(engine, checkfirst=True))

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
        return Invite(email=row.email, campaign=row.campaign, expires_at=_utc(row.expires_at))

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
        return Invite(email=row.email, campaign=row.campaign, expires_at=_utc(row.expires_at))

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
        if _utc(row.expires_at) <= now:
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
        if row is None or row.ended_at is not None or _utc(row.expires_at) <= now:
            return None
        return Session(
            email=row.email, campaign=row.campaign, expires_at=_utc(row.expires_at), token=token
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

    def close(self) -> None:
        self.engine.dispose()
