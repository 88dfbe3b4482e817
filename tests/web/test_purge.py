"""Expired invites and sessions are purged: as the server starts and then at most hourly, on
SQLite and PostgreSQL, by two servers at once, and never one that has not expired."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.clock import FixedClock
from scheduler.ledger.store import SqlLedger
from scheduler.log import MemoryLog
from scheduler.web.base import PURGE_AFTER, Purged, SignInRefused
from scheduler.web.housekeeping import Housekeeping
from scheduler.web.store import AuthStore
from tests.ledger.support import T0, clock, ledger_url, make_draft, open_at, postgres_url
from tests.web.conftest import Web

__all__ = ["clock", "ledger_url", "open_at", "postgres_url"]  # SQLite, PostgreSQL schemas

HOUR = timedelta(hours=1)


def rows(store: AuthStore) -> tuple[int, int]:
    with store.engine.connect() as conn:
        invites = conn.execute(sa.text("SELECT count(*) FROM web_invites")).scalar_one()
        sessions = conn.execute(sa.text("SELECT count(*) FROM web_sessions")).scalar_one()
    return int(invites), int(sessions)


@pytest.fixture
def ledger(ledger_url: str, open_at: Callable[[str], SqlLedger]) -> SqlLedger:
    return open_at(ledger_url)


def test_only_rows_a_day_past_their_expiry_go(ledger: SqlLedger) -> None:
    store = AuthStore(ledger.engine)
    short, _ = store.create_invite("ana@example.org", "mhaw", now=T0, ttl=HOUR)
    used, _ = store.create_invite("ana@example.org", "mhaw", now=T0, ttl=HOUR)
    store.redeem(used, now=T0)
    live, _ = store.create_invite("ana@example.org", "mhaw", now=T0)  # 72 hours
    brief = store.start_session("ana@example.org", "mhaw", now=T0, ttl=HOUR)
    week = store.start_session("ana@example.org", "mhaw", now=T0)  # 7 days
    ended = store.start_session("ana@example.org", "mhaw", now=T0)
    store.end_session(ended.token, now=T0)
    assert rows(store) == (3, 3)

    # Expired, but not yet a day ago: still there, and still refused as expired.
    almost = T0 + HOUR + PURGE_AFTER - timedelta(microseconds=1)
    assert store.purge(now=almost) == Purged(0, 0)
    with pytest.raises(SignInRefused) as refused:
        store.peek_invite(short, now=almost)
    assert refused.value.reason == "expired"

    assert store.purge(now=T0 + HOUR + PURGE_AFTER) == Purged(invites=2, sessions=1)
    assert rows(store) == (1, 2)  # the live invite; the live and the ended session
    later = T0 + HOUR + PURGE_AFTER
    assert store.peek_invite(live, now=later).email == "ana@example.org"
    assert store.session(week.token, now=later) is not None
    assert store.session(brief.token, now=later) is None
    with pytest.raises(SignInRefused) as gone:
        store.peek_invite(short, now=later)
    assert gone.value.reason == "unknown"
    assert store.purge(now=later) == Purged(0, 0)


@pytest.mark.parametrize("before", [timedelta(microseconds=1), HOUR, timedelta(days=6)])
def test_nothing_unexpired_is_deleted_even_without_the_grace(
    ledger: SqlLedger, before: timedelta
) -> None:
    store = AuthStore(ledger.engine)
    token, invite = store.create_invite("ana@example.org", "mhaw", now=T0)
    session = store.start_session("ana@example.org", "mhaw", now=T0)
    now = invite.expires_at - before
    assert store.purge(now=now, after=timedelta(0)) == Purged(0, 0)
    assert store.peek_invite(token, now=now).email == "ana@example.org"
    at_expiry = store.purge(now=session.expires_at, after=timedelta(0))
    assert at_expiry == Purged(invites=1, sessions=1)


def test_purging_leaves_the_ledgers_history_alone(ledger: SqlLedger) -> None:
    ledger.sync("mhaw", [make_draft()], now=T0)
    store = AuthStore(ledger.engine)
    store.create_invite("ana@example.org", "mhaw", now=T0, ttl=HOUR)
    before = ledger.events(make_draft().key)
    assert store.purge(now=T0 + timedelta(days=30)).invites == 1
    assert ledger.events(make_draft().key) == before
    with pytest.raises(sa.exc.DBAPIError), ledger.engine.begin() as conn:  # still append-only
        conn.execute(sa.text("DELETE FROM events"))


def test_two_servers_purging_at_once(ledger_url: str, open_at: Callable[[str], SqlLedger]) -> None:
    """Two servers on one ledger purge together: each expired row goes once, no live row
    goes, and neither fails (on PostgreSQL one may skip its turn while the other purges)."""
    first, second = AuthStore(open_at(ledger_url).engine), AuthStore(open_at(ledger_url).engine)
    for n in range(120):
        first.create_invite(f"p{n}@example.org", "mhaw", now=T0, ttl=HOUR)
        first.start_session(f"p{n}@example.org", "mhaw", now=T0, ttl=HOUR)
    live = [first.start_session("ana@example.org", "mhaw", now=T0) for _ in range(5)]
    now = T0 + HOUR + PURGE_AFTER
    start = threading.Barrier(2)
    results: list[Purged] = []
    errors: list[BaseException] = []

    def purge(store: AuthStore) -> None:
        start.wait()
        try:
            results.append(store.purge(now=now))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=purge, args=(s,)) for s in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and len(results) == 2
    assert sum(r.invites for r in results) == 120 and sum(r.sessions for r in results) == 120
    assert rows(first) == (0, 5)
    assert all(first.session(s.token, now=now) is not None for s in live)


@pytest.mark.postgres
def test_a_server_skips_its_turn_while_another_purges_on_postgresql(
    postgres_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    from scheduler.web.store import _PURGE_LOCK

    store = AuthStore(open_at(postgres_url).engine)
    store.create_invite("ana@example.org", "mhaw", now=T0, ttl=HOUR)
    later = T0 + timedelta(days=3)
    other = open_at(postgres_url).engine
    with other.begin() as conn:  # the other server, mid-purge
        assert conn.execute(sa.text(_PURGE_LOCK)).scalar() is True
        assert store.purge(now=later) == Purged(skipped=True)
        assert rows(store) == (1, 0)
    assert store.purge(now=later) == Purged(invites=1)


def test_at_most_one_purge_an_hour(tmp_path: Path) -> None:
    from scheduler.ledger import open_ledger

    clock = FixedClock(T0)
    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", clock=clock)
    try:
        store, log = AuthStore(ledger.engine), MemoryLog()
        chores = Housekeeping(store, clock, log=log)
        store.create_invite("ana@example.org", "mhaw", now=T0 - timedelta(days=5), ttl=HOUR)
        assert chores.maybe() == Purged(invites=1)  # the first chance
        assert log.of("web_purged") == [{"invites": 1, "sessions": 0}]
        store.create_invite("ana@example.org", "mhaw", now=T0 - timedelta(days=5), ttl=HOUR)
        assert chores.maybe() is None
        clock.advance(HOUR - timedelta(seconds=1))
        assert chores.maybe() is None and rows(store) == (1, 0)
        clock.advance(timedelta(seconds=1))
        assert chores.maybe() == Purged(invites=1)
        assert chores.maybe() is None
        assert chores.now() == Purged(0, 0)  # as a server starts, whatever the interval
        assert len(log.of("web_purged")) == 2  # nothing to say when nothing went
    finally:
        ledger.close()


def test_a_ledger_that_cannot_be_reached_is_logged_not_raised(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    unreachable = sa.create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'ledger.sqlite3'}")
    log = MemoryLog()
    chores = Housekeeping(AuthStore(unreachable), clock, log=log)
    assert chores.maybe() is None
    assert log.names() == ["web_purge_failed"]
    assert chores.maybe() is None and log.names() == ["web_purge_failed"]  # not every request
    clock.advance(HOUR)
    chores.maybe()
    assert log.names() == ["web_purge_failed", "web_purge_failed"]


def test_the_server_purges_as_it_starts_and_hourly_on_requests(web: Web) -> None:
    from starlette.testclient import TestClient

    old = web.clock.now() - timedelta(days=5)
    web.auth.create_invite("rui@example.org", "mhaw-test", now=old, ttl=HOUR)
    web.auth.start_session("rui@example.org", "mhaw-test", now=old, ttl=HOUR)
    with TestClient(web.app, base_url="http://127.0.0.1"):
        assert rows(web.auth) == (0, 0)  # purged as the server started

    rui = web.signed_in("rui@example.org")  # an invite (used) and a session now
    web.auth.create_invite("sam@example.org", "mhaw-test", now=web.clock.now(), ttl=HOUR)
    web.clock.advance(HOUR + PURGE_AFTER - timedelta(minutes=1))
    assert rui.get("/c/mhaw-test").status_code == 200
    assert rows(web.auth) == (2, 1)  # nothing a day past its expiry yet
    web.clock.advance(timedelta(minutes=2))
    assert rui.get("/c/mhaw-test").status_code == 200
    assert rows(web.auth) == (2, 1)  # within the hour: not looked at again
    web.clock.advance(HOUR)
    assert web.client().get("/c/mhaw-test").status_code == 401  # any request will do
    assert rows(web.auth) == (1, 1)  # sam's unused invite went; rui's live rows stay
    assert rui.get("/c/mhaw-test").status_code == 200
