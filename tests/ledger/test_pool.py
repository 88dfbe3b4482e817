"""The ledger keeps a connection for each thread that uses it at once.

A pool keeps a fixed number of connections and closes any opened beyond them when they are
given back. A daemon whose workers outnumbered SQLAlchemy's default pool of five opened and
closed a connection for nearly every post (on PostgreSQL a server process each time), and
past fifteen at once its workers queued for one. Opened with ``connections``, the ledger
keeps that many; these tests count the connections the database really opens while that many
threads read at the same moment, round after round, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event

from scheduler.clock import FixedClock
from scheduler.daemon.base import DaemonOptions
from scheduler.ledger import open_ledger
from tests.ledger.support import clock, ledger_url

__all__ = ["clock", "ledger_url"]

THREADS = 12
ROUNDS = 3


def _churn(url: str, clock: FixedClock, connections: int | None) -> tuple[int, int]:
    """(connections opened, connections closed) while THREADS threads hold two each at once
    (a read of their own and the ledger's read inside it), ROUNDS times."""
    ledger = open_ledger(url, clock=clock, connections=connections)
    opened: list[Any] = []
    closed: list[Any] = []
    event.listen(ledger.engine, "connect", lambda conn, _record: opened.append(conn))
    event.listen(ledger.engine, "close", lambda conn, _record: closed.append(conn))
    together = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(ROUNDS):
                with ledger._read() as conn:  # a connection from the pool, held...
                    together.wait(timeout=30)  # ...until every thread holds one
                    ledger.pauses()  # and the ledger used meanwhile, as a worker would
                    conn.exec_driver_sql("SELECT 1")
                    together.wait(timeout=30)
        except BaseException as exc:
            failures.append(exc)
            together.abort()

    threads = [threading.Thread(target=reader) for _ in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not failures, failures
        return len(opened), len(closed)
    finally:
        ledger.close()


def test_a_pool_sized_for_its_users_opens_each_connection_once(
    ledger_url: str, clock: FixedClock
) -> None:
    opened, closed = _churn(ledger_url, clock, connections=2 * THREADS)
    assert opened <= 2 * THREADS and closed == 0
    # The default pool keeps five: the others are closed when given back, and opened again
    # in the next round.
    opened, closed = _churn(ledger_url, clock, connections=None)
    assert closed > 0 and opened > 5


def test_the_daemon_keeps_a_connection_for_each_worker_and_its_other_threads() -> None:
    assert DaemonOptions(workers=4).ledger_connections == 6
    assert DaemonOptions(workers=16).ledger_connections == 18
