"""Fixtures for the ledger tests: a fresh ledger on SQLite and on PostgreSQL, and drafts.

Each PostgreSQL ledger lives in its own schema (dropped afterwards), so parallel runs on one
database never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from scheduler.clock import FixedClock
from scheduler.draft import Draft, Part
from scheduler.ledger import open_ledger
from scheduler.ledger.store import SqlLedger
from tests.conftest import POSTGRES_URL

T0 = datetime.fromisoformat("2026-05-11T08:00:00+00:00")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def make_draft(
    post_id: str = "p1",
    account: str = "masto",
    *,
    text: str = "You are not alone. Talk to someone today.",
    due: datetime | None = None,
    author: str | None = "author@example.org",
    campaign: str = "mhaw",
    parts: int = 1,
    latest: datetime | None = None,
) -> Draft:
    return Draft(
        campaign=campaign,
        post_id=post_id,
        account=account,
        platform="mastodon",
        due=due or T0 + timedelta(hours=1),
        timezone="Europe/London",
        parts=tuple(
            Part(text=f"{text} ({i + 1}/{parts})" if parts > 1 else text) for i in range(parts)
        ),
        author=author,
        latest=latest,
        language="en",
    )


def _postgres_reachable() -> str | None:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return "psycopg is not installed"
    try:
        with psycopg.connect(_libpq(POSTGRES_URL), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {str(exc).strip().splitlines()[0]}"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


_PG_PROBLEM: list[str | None] = []


def postgres_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_reachable())
    return _PG_PROBLEM[0]


class PgSchema:
    """A throwaway schema; ``url`` points a ledger at it through search_path."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.name}"')
        sep = "&" if "?" in POSTGRES_URL else "?"
        # Commits need not wait for the disk in tests: durability is not what they test.
        options = f"-csearch_path={self.name} -csynchronous_commit=off"
        self.url = f"{POSTGRES_URL}{sep}options={quote(options)}"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture(params=BACKENDS)
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    schema = PgSchema()
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, for tests about PostgreSQL's own behaviour (row locks)."""
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    schema = PgSchema()
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def open_at(clock: FixedClock) -> Iterator[Callable[[str], SqlLedger]]:
    opened: list[SqlLedger] = []

    def _open(url: str) -> SqlLedger:
        ledger = open_ledger(url, clock=clock)
        opened.append(ledger)
        return ledger

    yield _open
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(ledger_url: str, open_at: Callable[[str], SqlLedger]) -> SqlLedger:
    return open_at(ledger_url)
