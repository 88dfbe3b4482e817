"""Invites and sessions: one-time, expiring, hashed at rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.clock import FixedClock
from scheduler.ledger.store import SqlLedger
from scheduler.web.base import SignInRefused
from scheduler.web.store import AuthStore
from scheduler.web.tokens import csrf_for, same, token_hash
from tests.ledger.support import clock, ledger_url, open_at

__all__ = ["clock", "ledger_url", "open_at"]  # fixtures: SQLite, and PostgreSQL in a schema


@pytest.fixture
def store(ledger_url: str, open_at: Callable[[str], SqlLedger]) -> AuthStore:
    return AuthStore(open_at(ledger_url).engine)


def test_an_invite_signs_in_once(store: AuthStore) -> None:
    clock = FixedClock()
    token, invite = store.create_invite("ana@example.org", "mhaw", now=clock.now())
    assert invite.expires_at == clock.now() + timedelta(hours=72)
    assert store.peek_invite(token, now=clock.now()).email == "ana@example.org"
    assert store.redeem(token, now=clock.now()).campaign == "mhaw"
    with pytest.raises(SignInRefused) as used:
        store.redeem(token, now=clock.now())
    assert used.value.reason == "used"
    with pytest.raises(SignInRefused) as peeked:
        store.peek_invite(token, now=clock.now())
    assert peeked.value.reason == "used"


def test_an_expired_or_unknown_invite_is_refused(store: AuthStore) -> None:
    clock = FixedClock()
    token, _ = store.create_invite("ana@example.org", "mhaw", now=clock.now())
    clock.advance(timedelta(hours=72))
    with pytest.raises(SignInRefused) as expired:
        store.redeem(token, now=clock.now())
    assert expired.value.reason == "expired"
    with pytest.raises(SignInRefused) as unknown:
        store.redeem("not-a-token", now=clock.now())
    assert unknown.value.reason == "unknown"


def test_only_hashes_of_tokens_are_stored(store: AuthStore) -> None:
    clock = FixedClock()
    token, _ = store.create_invite("ana@example.org", "mhaw", now=clock.now())
    session = store.start_session("ana@example.org", "mhaw", now=clock.now())
    with store.engine.connect() as conn:
        invites = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM web_invites"))]
        sessions = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM web_sessions"))]
    assert [r[0] for r in invites] == [token_hash(token)]
    assert [r[0] for r in sessions] == [token_hash(session.token)]
    stored = repr(invites + sessions)
    assert token not in stored and session.token not in stored


def test_no_token_is_in_the_sqlite_file(tmp_path: Path) -> None:
    from scheduler.ledger import open_ledger

    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", clock=FixedClock())
    try:
        store = AuthStore(ledger.engine)
        token, _ = store.create_invite("ana@example.org", "mhaw", now=FixedClock().now())
        session = store.start_session("ana@example.org", "mhaw", now=FixedClock().now())
    finally:
        ledger.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.sqlite3*"))
    assert token.encode() not in raw and session.token.encode() not in raw
    assert token_hash(token).encode() in raw


def test_sessions_expire_and_end(store: AuthStore) -> None:
    clock = FixedClock()
    session = store.start_session("ana@example.org", "mhaw", now=clock.now())
    found = store.session(session.token, now=clock.now())
    assert found is not None and found.email == "ana@example.org"
    assert store.session("forged", now=clock.now()) is None
    assert store.session("", now=clock.now()) is None
    clock.advance(timedelta(days=7))
    assert store.session(session.token, now=clock.now()) is None
    other = store.start_session("ana@example.org", "mhaw", now=clock.now())
    store.end_session(other.token, now=clock.now())
    assert store.session(other.token, now=clock.now()) is None


def test_invites_survive_reopening_the_ledger(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    first = AuthStore(open_at(ledger_url).engine)
    token, _ = first.create_invite("ana@example.org", "mhaw", now=FixedClock().now())
    second = AuthStore(open_at(ledger_url).engine)
    assert second.peek_invite(token, now=FixedClock().now()).email == "ana@example.org"


def test_csrf_tokens_belong_to_their_session() -> None:
    assert same(csrf_for("a"), csrf_for("a"))
    assert not same(csrf_for("a"), csrf_for("b"))
    assert not same(None, csrf_for("a"))
    assert not same("", "")
