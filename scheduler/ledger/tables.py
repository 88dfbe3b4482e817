"""The ledger's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Drafts are keyed by (campaign, post_id, account) and the other tables refer to that key, so
rows can be written in bulk without first reading back generated ids. Every write to a draft
row increments ``version``; concurrent writers use it to notice that a row moved under them.

Instants are stored in UTC. SQLite has no time zone type, so ``UTCDateTime`` writes naive UTC
text of a fixed width there (which sorts and compares correctly) and always returns aware
datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"the ledger stores aware datetimes only, got {value!r}")
        instant: datetime = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return instant.replace(tzinfo=None)
        return instant

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

KEY = ("campaign", "post_id", "account")


def _key_columns() -> list[Column[Any]]:
    return [
        Column("campaign", String(200), nullable=False),
        Column("post_id", String(200), nullable=False),
        Column("account", String(200), nullable=False),
    ]


schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("applied_at", UTCDateTime(), nullable=False),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("rule", Text, nullable=False),  # ApprovalRule as JSON
    Column("synced_at", UTCDateTime(), nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("campaign", String(200), primary_key=True),
    Column("post_id", String(200), primary_key=True),
    Column("account", String(200), primary_key=True),
    Column("platform", String(50), nullable=False),
    Column("content_hash", String(100), nullable=False),
    Column("payload", Text, nullable=False),  # Draft.to_payload() as JSON
    Column("author", String(320)),
    Column("due", UTCDateTime(), nullable=False),
    Column("latest", UTCDateTime()),
    Column("state", String(30), nullable=False),
    Column("approved_hash", String(100)),
    Column("next_attempt", UTCDateTime()),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(200)),
    Column("lease_token", String(64)),
    Column("lease_until", UTCDateTime()),
    Column("parts_done", Text, nullable=False, default="[]"),  # list of PartResult as JSON
    Column("last_error", Text),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_key_columns(),
    Column("actor", String(320), nullable=False),
    Column("kind", String(20), nullable=False),  # approve | reject | comment | override
    Column("content_hash", String(100), nullable=False),
    Column("comment", Text),
    Column("rule", String(100)),
    Column("at", UTCDateTime(), nullable=False),
    Column("voided_at", UTCDateTime()),
    Column("void_reason", Text),
    ForeignKeyConstraint(list(KEY), [f"drafts.{c}" for c in KEY]),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_key_columns(),
    Column("at", UTCDateTime(), nullable=False),
    Column("action", String(30), nullable=False),
    Column("from_state", String(30)),
    Column("to_state", String(30)),
    Column("actor", String(320)),
    Column("content_hash", String(100)),
    Column("detail", Text),  # JSON
    ForeignKeyConstraint(list(KEY), [f"drafts.{c}" for c in KEY]),
)

attempts = Table(
    "attempts",
    metadata,
    *_key_columns(),
    Column("number", Integer, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("content_hash", String(100), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Column("outcome", String(30)),
    Column("error_class", String(100)),
    Column("platform_message", Text),
    ForeignKeyConstraint(list(KEY), [f"drafts.{c}" for c in KEY]),
)

# Every version of a draft's payload the ledger has held (added by migration 0003), so a
# reviewer can see what changed since the version they approved.
versions = Table(
    "versions",
    metadata,
    *_key_columns(),
    Column("content_hash", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(list(KEY), [f"drafts.{c}" for c in KEY]),
)

# Sign-in for the review pages (added by migration 0005): one-time invite links and browser
# sessions. Only SHA-256 hashes of their tokens are kept, never the tokens.
web_invites = Table(
    "web_invites",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("campaign", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("campaign", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
)

# One pause per account (added by migration 0006): the account must not be called until
# ``until``. Written on a 429, when a platform's headers say nothing is left, and when a
# publishing quota is spent; every daemon sharing the ledger honours it, across restarts.
account_pauses = Table(
    "account_pauses",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("until", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("source", String(30), nullable=False),  # rate_limited | headers | quota | auth | held
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Where each account's credential may go (added by migration 0007): the destination an
# operator confirmed, or the one its first use recorded. Keyed by account name, as the
# credential store is: an account is one credential whichever campaign names it.
account_destinations = Table(
    "account_destinations",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("platform", String(40), nullable=False),
    Column("host", String(400)),
    Column("identity", String(320)),
    Column("confirmed_at", UTCDateTime(), nullable=False),
    Column("confirmed_by", String(320), nullable=False),
)

# Pauses of publishing (added by migration 0008). ``campaign_pauses`` holds the pauses in force,
# one row per scope: a campaign id, or ALL_CAMPAIGNS for every campaign. ``campaign_events`` is the
# append-only history of pausing and resuming (who, when, why). ``schedule_shifts`` remembers,
# per draft, the due time a resume moved it to, so that a later sync of the unchanged files
# keeps the moved time (and its approvals) instead of taking the files' time as an edit.
campaign_pauses = Table(
    "campaign_pauses",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("since", UTCDateTime(), nullable=False),
    Column("actor", String(320), nullable=False),
    Column("reason", Text, nullable=False),
)

campaign_events = Table(
    "campaign_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(200), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("action", String(30), nullable=False),  # pause | resume
    Column("actor", String(320), nullable=False),
    Column("detail", Text),  # JSON
)

schedule_shifts = Table(
    "schedule_shifts",
    metadata,
    Column("campaign", String(200), primary_key=True),
    Column("post_id", String(200), primary_key=True),
    Column("account", String(200), primary_key=True),
    Column("file_due", UTCDateTime(), nullable=False),  # the time the files give
    Column("due", UTCDateTime(), nullable=False),  # the time it was moved to
    Column("at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(list(KEY), [f"drafts.{c}" for c in KEY]),
)

# Which drafts wait on which (added by migration 0010): a draft is claimed only once every
# draft it waits on is published. Rewritten for a campaign on each sync, from the drafts'
# ``after``; a waited-on draft need not exist (the claim then waits).
draft_after = Table(
    "draft_after",
    metadata,
    *_key_columns(),
    Column("after_post", String(200), nullable=False),
    Column("after_account", String(200), nullable=False),
    ForeignKeyConstraint(list(KEY), [f"drafts.{c}" for c in KEY]),
)

INITIAL_TABLES = [campaigns, drafts, decisions, events, attempts]
