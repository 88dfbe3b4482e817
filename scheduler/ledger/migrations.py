"""Named, ordered migrations, each recorded in ``schema_migrations`` when applied.

Opening a ledger applies whatever is missing, in order, each in its own transaction, so an
upgrade never loses a ledger and running the migrations twice does nothing. A ledger that
records a migration this release does not know was written by a newer release: it is
refused rather than guessed at.

Rules for adding one: append to MIGRATIONS, never edit or reorder an applied one, and write
it so that it is correct on a ledger created by any earlier release.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine, select, text

from scheduler.ledger import tables
from scheduler.ledger.base import MigrationError


def _initial(conn: Connection) -> None:
    tables.metadata.create_all(conn, tables=tables.INITIAL_TABLES, checkfirst=True)


_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_drafts_claimable ON drafts (state, due)",
    "CREATE INDEX IF NOT EXISTS ix_decisions_key ON decisions (campaign, post_id, account)",
    "CREATE INDEX IF NOT EXISTS ix_events_key ON events (campaign, post_id, account, id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_attempts_key_number"
    " ON attempts (campaign, post_id, account, number)",
    # One valid approval per person per hash, whatever races between two terminals.
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_decisions_one_approval"
    " ON decisions (campaign, post_id, account, actor, content_hash)"
    " WHERE kind = 'approve' AND voided_at IS NULL",
]


def _indexes(conn: Connection) -> None:
    for statement in _INDEXES:
        conn.execute(text(statement))


def _versions(conn: Connection) -> None:
    tables.versions.create(conn, checkfirst=True)
    conn.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_versions_key"
            " ON versions (campaign, post_id, account, content_hash)"
        )
    )
    # Ledgers from before this migration: their current payloads are the first versions.
    conn.execute(
        text(
            "INSERT INTO versions (campaign, post_id, account, content_hash, payload, at)"
            " SELECT campaign, post_id, account, content_hash, payload, updated_at FROM drafts"
        )
    )


def _append_only(conn: Connection) -> None:
    """History is evidence: the database itself refuses to change or delete an event."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION ledger_events_append_only() RETURNS trigger"
                " AS $$ BEGIN RAISE EXCEPTION 'ledger events are append-only'; END $$"
                " LANGUAGE plpgsql"
            )
        )
        conn.execute(text("DROP TRIGGER IF EXISTS events_append_only ON events"))
        conn.execute(
            text(
                "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events"
                " FOR EACH ROW EXECUTE FUNCTION ledger_events_append_only()"
            )
        )
        return
    for verb in ("UPDATE", "DELETE"):
        conn.execute(
            text(
                f"CREATE TRIGGER IF NOT EXISTS events_no_{verb.lower()} BEFORE {verb} ON events"
                " BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END"
            )
        )


def _web_sign_in(conn: Connection) -> None:
    tables.web_invites.create(conn, checkfirst=True)
    tables.web_sessions.create(conn, checkfirst=True)


def _account_pauses(conn: Connection) -> None:
    tables.account_pauses.create(conn, checkfirst=True)
    # Quotas count an account's published parts in a rolling window from the events.
    conn.execute(
        text("CREATE INDEX IF NOT EXISTS ix_events_account ON events (account, action, at)")
    )


def _destinations(conn: Connection) -> None:
    tables.account_destinations.create(conn, checkfirst=True)


def _campaign_pause(conn: Connection) -> None:
    for table in (tables.campaign_pauses, tables.campaign_events, tables.schedule_shifts):
        table.create(conn, checkfirst=True)
    # The history of pausing is evidence, like the draft events.
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER IF EXISTS campaign_events_append_only ON campaign_events"))
        conn.execute(
            text(
                "CREATE TRIGGER campaign_events_append_only BEFORE UPDATE OR DELETE"
                " ON campaign_events FOR EACH ROW EXECUTE FUNCTION ledger_events_append_only()"
            )
        )
        return
    for verb in ("UPDATE", "DELETE"):
        conn.execute(
            text(
                f"CREATE TRIGGER IF NOT EXISTS campaign_events_no_{verb.lower()} BEFORE {verb}"
                " ON campaign_events BEGIN SELECT RAISE(ABORT, 'ledger events are append-only');"
                " END"
            )
        )


def _dependencies(conn: Connection) -> None:
    tables.draft_after.create(conn, checkfirst=True)
    conn.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_draft_after_key"
            " ON draft_after (campaign, post_id, account)"
        )
    )
    conn.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_draft_after_target"
            " ON draft_after (campaign, after_post, after_account)"
        )
    )


def _open_drafts(conn: Connection) -> None:
    # Imported here: the claim's condition and this index must agree (see OPEN_STATES).
    from scheduler.ledger.claimable import open_states_sql

    conn.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_drafts_open ON drafts (campaign, due, post_id, account)"
            f" WHERE {open_states_sql('state')}"
        )
    )


Migration = tuple[str, Callable[[Connection], None]]

MIGRATIONS: list[Migration] = [
    ("0001_initial", _initial),
    ("0002_indexes", _indexes),
    ("0003_versions", _versions),
    ("0004_append_only_events", _append_only),
    ("0005_web_sign_in", _web_sign_in),
    ("0006_account_pauses", _account_pauses),
    ("0007_destinations", _destinations),
    ("0008_campaign_pause", _campaign_pause),
    ("0010_dependencies", _dependencies),
    ("0011_open_drafts", _open_drafts),
]


def _lock(conn: Connection) -> None:
    # Two processes opening a new ledger at once: one migrates, the other waits. (SQLite
    # transactions here begin IMMEDIATE, which serialises them already.)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema()))"))


def applied(engine: Engine) -> list[str]:
    with engine.begin() as conn:
        _lock(conn)
        tables.schema_migrations.create(conn, checkfirst=True)
        rows = conn.execute(
            select(tables.schema_migrations.c.name).order_by(tables.schema_migrations.c.name)
        )
        return [row[0] for row in rows]


def migrate(engine: Engine, *, now: datetime) -> list[str]:
    """Apply the missing migrations; return the names applied now."""
    known = [name for name, _ in MIGRATIONS]
    done: list[str] = []
    with engine.begin() as conn:
        _lock(conn)
        tables.schema_migrations.create(conn, checkfirst=True)
    for name, apply in MIGRATIONS:
        with engine.begin() as conn:
            _lock(conn)
            present = {row[0] for row in conn.execute(select(tables.schema_migrations.c.name))}
            unknown = sorted(present - set(known))
            if unknown:
                raise MigrationError(
                    f"this ledger was written by a newer release (migrations {', '.join(unknown)})",
                    hint="upgrade the scheduler before using this ledger",
                )
            if name in present:
                continue
            apply(conn)
            conn.execute(tables.schema_migrations.insert().values(name=name, applied_at=now))
            done.append(name)
    return done
