"""Migrations: from an empty database, repeated, and refusing a ledger from a newer release."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from scheduler.ledger import MigrationError, State
from scheduler.ledger.migrations import MIGRATIONS, applied, migrate
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger_url", "open_at"]


def test_migrations_from_empty_then_again_keep_the_ledger(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    first = open_at(ledger_url)
    assert applied(first.engine) == [name for name, _ in MIGRATIONS]
    first.sync("mhaw", [make_draft()], now=T0)
    first.close()
    assert migrate(first.engine, now=T0) == []  # nothing left to do
    second = open_at(ledger_url)
    assert applied(second.engine) == [name for name, _ in MIGRATIONS]
    assert second.get(make_draft().key).state is State.DRAFT


def test_upgrade_from_the_previous_release_keeps_and_backfills(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    ledger = open_at(ledger_url)
    d = make_draft()
    ledger.sync("mhaw", [d], now=T0)
    # Turn it into a ledger as the release before 0003_versions left it.
    with ledger.engine.begin() as conn:
        conn.execute(text("DROP TABLE versions"))
        conn.execute(text("DELETE FROM schema_migrations WHERE name = '0003_versions'"))
    ledger.close()
    again = open_at(ledger_url)
    assert applied(again.engine) == [name for name, _ in MIGRATIONS]
    assert again.get(d.key).state is State.DRAFT
    assert again.version(d.key, d.content_hash) == d


def test_a_ledger_from_a_newer_release_is_refused(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    ledger = open_at(ledger_url)
    with ledger.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_future', :t)"),
            {"t": T0.replace(tzinfo=None) if ledger.dialect == "sqlite" else T0},
        )
    ledger.close()
    with pytest.raises(MigrationError, match="newer release"):
        open_at(ledger_url)


def test_sqlite_default_file_is_created_in_wal_mode(
    tmp_path: object, open_at: Callable[[str], SqlLedger]
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "deep" / "dir" / "ledger.sqlite3"
    ledger = open_at(str(path))
    assert path.exists()
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
    plain = create_engine(f"sqlite:///{path}")
    with plain.connect() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    plain.dispose()
    assert {"drafts", "decisions", "events", "attempts", "schema_migrations"} <= names


def test_events_are_append_only_in_the_database(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    ledger = open_at(ledger_url)
    ledger.sync("mhaw", [make_draft()], now=T0)
    for statement in ("UPDATE events SET action = 'x'", "DELETE FROM events"):
        with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as conn:
            conn.execute(text(statement))
    assert [e.action for e in ledger.events(make_draft().key)] == ["create"]
