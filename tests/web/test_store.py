"""Invites and sessions: one-time, expiring, hashed at rest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.clock import FixedClock
from scheduler.web.base import SignInRefused
from scheduler.web.store import AuthStore, engine_for
from scheduler.web.tokens import csrf_for, same, token_hash


@pytest.fixture
def store(tmp_path: Path) -> AuthStore:
    return AuthStore(engine_for(f"sqlite:///{tmp_path / 'ledger.sqlite3'}"))


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


def test_only_hashes_of_tokens_are_stored(store: AuthStore, tmp_path: Path) -> None:
    clock = FixedClock()
    token, _ = store.create_invite("ana@example.org", "mhaw", now=clock.now())
    session = store.start_session("ana@example.org", "mhaw", now=clock.now())
    raw = (tmp_path / "ledger.sqlite3").read_bytes()
    assert token.encode() not in raw and session.token.encode() not in raw
    with store.engine.connect() as conn:
        hashes = {r[0] for r in conn.execute(sa.text("SELECT token_hash FROM web_invites"))}
    assert hashes == {token_hash(token)}


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


def test_tables_are_created_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    first = AuthStore(engine_for(url))
    token, _ = first.create_invite("ana@example.org", "mhaw", now=FixedClock().now())
    second = AuthStore(engine_for(url))
    assert second.peek_invite(token, now=FixedClock().now()).email == "ana@example.org"


def test_csrf_tokens_belong_to_their_session() -> None:
    assert same(csrf_for("a"), csrf_for("a"))
    assert not same(csrf_for("a"), csrf_for("b"))
    assert not same(None, csrf_for("a"))
    assert not same("", "")
