"""PostgreSQL connections are checked before use only after sitting idle (core.IDLE_PING_S).

A pooled connection whose server process is gone (a database restart, an idle timeout) must
not fail a ledger operation when it has sat idle: it is pinged and replaced. One in use a
moment ago is taken as it is, so a post costs no ping; if that one dies all the same, the
operation fails as LedgerUnavailable (retryable) and the next gets a fresh connection.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from scheduler.ledger import core
from scheduler.ledger.base import LedgerUnavailable
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import _libpq, clock, open_at, postgres_url

__all__ = ["clock", "open_at", "postgres_url"]

pytestmark = pytest.mark.postgres


def _kill_pooled_connection(ledger: SqlLedger) -> None:
    with ledger.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with psycopg.connect(_libpq(ledger.url), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_an_idle_connection_that_died_is_replaced_before_use(
    postgres_url: str, open_at: Callable[[str], SqlLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = open_at(postgres_url)
    assert ledger.campaigns() == []
    _kill_pooled_connection(ledger)
    monkeypatch.setattr(core, "IDLE_PING_S", 0.0)  # every connection has sat idle long enough
    assert ledger.campaigns() == []


def test_a_connection_used_a_moment_ago_is_not_pinged(
    postgres_url: str, open_at: Callable[[str], SqlLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = open_at(postgres_url)
    assert ledger.campaigns() == []
    _kill_pooled_connection(ledger)
    monkeypatch.setattr(core, "IDLE_PING_S", 3600.0)
    with pytest.raises(LedgerUnavailable):
        ledger.campaigns()
    assert ledger.campaigns() == []  # a fresh connection
