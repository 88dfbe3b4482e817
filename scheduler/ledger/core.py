"""The ledger's engine on SQLAlchemy Core: SQLite (embedded default) and PostgreSQL (psycopg 3).

SQLite runs in WAL mode with a busy timeout; every writing transaction begins IMMEDIATE, so
two writers queue for the lock instead of failing when a read turns into a write.
PostgreSQL runs at READ COMMITTED; rows a decision depends on are locked (FOR UPDATE), the
daemon's claims skip rows locked by another worker (SKIP LOCKED), and a sync writes each
row only if its ``version`` is still the one it read, starting again otherwise.

Foreign errors are translated here: a database that cannot be reached or stays locked is
LedgerUnavailable (retryable); nothing from SQLAlchemy leaks past this module.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    and_,
    bindparam,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.sql.elements import ColumnElement

from scheduler.clock import Clock
from scheduler.draft import Draft, DraftKey, PartResult
from scheduler.ledger import tables as t
from scheduler.ledger.base import (
    ApprovalRule,
    Decision,
    DraftRecord,
    LedgerError,
    LedgerUnavailable,
    NotFound,
)
from scheduler.ledger.migrations import migrate
from scheduler.ledger.states import State
from scheduler.redact import redact as redact_url

BUSY_TIMEOUT_S = 10.0
IDLE_PING_S = 10.0  # a pooled connection idle longer than this is pinged before use
# Connections opened beyond those the pool keeps, for a moment of more users than expected;
# each is closed when given back, so they are for moments, not for every post.
OVERFLOW_CONNECTIONS = 8


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def short(content_hash: str | None) -> str:
    if not content_hash:
        return "-"
    return content_hash.split(":", 1)[-1][:10]


def key_of(row: Any) -> DraftKey:
    return DraftKey(row.campaign, row.post_id, row.account)


def key_where(table: Any, key: DraftKey) -> ColumnElement[bool]:
    return and_(
        table.c.campaign == key.campaign,
        table.c.post_id == key.post_id,
        table.c.account == key.account,
    )


# --- statements built once ---------------------------------------------------------------------
# Building a statement and working out its cache key costs about 0.25 ms each time (more
# than the database's own work on a small row); a statement built once keeps its cache key,
# so the daemon's per-post statements are built here, with the draft's key as parameters.


def key_params(table: Any) -> ColumnElement[bool]:
    """The row of the draft given as the parameters ``k_campaign``, ``k_post_id``,
    ``k_account`` (``key_binds``)."""
    return and_(
        table.c.campaign == bindparam("k_campaign"),
        table.c.post_id == bindparam("k_post_id"),
        table.c.account == bindparam("k_account"),
    )


def key_binds(key: DraftKey) -> dict[str, str]:
    return {"k_campaign": key.campaign, "k_post_id": key.post_id, "k_account": key.account}


LOCK_DRAFT = select(t.drafts).where(key_params(t.drafts)).with_for_update()
INSERT_EVENT = t.events.insert()


def standing_decisions(kind: str) -> Select[Any]:
    """Decisions of ``kind`` on each draft's current version that no edit has voided."""
    d, dec = t.drafts, t.decisions
    current = and_(
        d.c.campaign == dec.c.campaign,
        d.c.post_id == dec.c.post_id,
        d.c.account == dec.c.account,
        d.c.content_hash == dec.c.content_hash,
    )
    return select(dec).join(d, current).where(dec.c.kind == kind, dec.c.voided_at.is_(None))


def parts_from_json(text: str | None) -> tuple[PartResult, ...]:
    if not text:
        return ()
    return tuple(
        PartResult(p["index"], p["remote_id"], p["url"], dict(p.get("extra") or {}))
        for p in json.loads(text)
    )


def parts_to_json(parts: Iterable[PartResult]) -> str:
    return json.dumps(
        [
            {"index": p.index, "remote_id": p.remote_id, "url": p.url, "extra": dict(p.extra)}
            for p in sorted(parts, key=lambda p: p.index)
        ],
        sort_keys=True,
    )


class Conflict(Exception):
    """A row changed between a sync's read and its write; the sync starts again."""


def _pool(connections: int | None) -> dict[str, Any]:
    """The pool's size for ``connections`` users at once (None: SQLAlchemy's default, five).

    A pool keeps ``pool_size`` connections and closes any opened beyond them when given
    back: a daemon whose workers outnumber the pool opened and closed a connection for
    nearly every post (on PostgreSQL a new server process each time), and with more than
    the default's fifteen at once its workers queued for one."""
    if connections is None:
        return {}
    return {"pool_size": connections, "max_overflow": OVERFLOW_CONNECTIONS}


def _make_engine(url: str, connections: int | None = None) -> Engine:
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database
        in_memory = not database or database == ":memory:"
        if database and not in_memory:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            sa_url,
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            # An in-memory database is one connection per thread, not a pool to size.
            **({} if in_memory else _pool(connections)),
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Transactions are ours to begin (below), not the sqlite3 module's.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            cur.execute("PRAGMA foreign_keys=ON")
            # FULL: a published part, once recorded, survives a power cut too (NORMAL in WAL
            # mode may lose the last commits then, and the post would go out twice).
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            read = conn.get_execution_options().get("ledger_read", False)
            if read == "one":
                return  # one statement: SQLite gives it a snapshot of its own (``_read``)
            conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

        return engine
    if sa_url.get_backend_name() == "postgresql":
        engine = create_engine(sa_url, **_pool(connections))
        _ping_when_idle(engine)
        return engine
    raise LedgerError(
        f"unsupported ledger URL {redact_url(url)!r}",
        hint="use a file path, sqlite:///PATH or postgresql://USER@HOST/DB",
    )


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection before use only when it sat idle for a while.

    A connection left in the pool may have died with a database restart or an idle timeout;
    used, it fails the transaction (LedgerUnavailable), so it is tried first. But a ping is a
    round trip, and pinging at every checkout (``pool_pre_ping``) cost each post three: a
    connection used within the last IDLE_PING_S seconds is taken as it is. If one dies all
    the same, its error is LedgerUnavailable (retryable) and SQLAlchemy drops the pool's
    other connections with it.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_conn.rollback()
        except Exception as exc:
            # The pool discards this connection and checks out another (a fresh one).
            raise DisconnectionError(str(exc)) from exc


class LedgerCore:
    """Engine, transactions and the row readers every ledger operation shares."""

    def __init__(self, url: str, *, clock: Clock, connections: int | None = None) -> None:
        """``connections``: how many threads use the ledger at once (the pool keeps that
        many open; None: SQLAlchemy's default)."""
        self.url = normalise_url(url)
        self.clock = clock
        try:
            self.engine = _make_engine(self.url, connections)
            # Reads on PostgreSQL run outside a transaction: at READ COMMITTED each statement
            # sees its own snapshot inside one too, so BEGIN and COMMIT (a round trip each)
            # would buy nothing. SQLite's reads keep theirs (BEGIN, a WAL snapshot).
            self._reads = (
                self.engine.execution_options(isolation_level="AUTOCOMMIT")
                if self.engine.dialect.name == "postgresql"
                else self.engine
            )
            migrate(self.engine, now=clock.now())
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    def __repr__(self) -> str:
        return f"SqlLedger({redact_url(self.url)!r})"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # --- transactions -----------------------------------------------------------------------

    def _unavailable(self, exc: BaseException) -> LedgerError:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0:1]
        reason = detail[0] if detail else type(exc).__name__
        return LedgerUnavailable(
            f"ledger {redact_url(self.url)} unavailable: {redact_url(reason)}",
            hint="check that the database is running and reachable, then try again",
        )

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except (OperationalError, DBAPIError) as exc:
            if isinstance(exc, IntegrityError):
                raise
            raise self._unavailable(exc) from exc

    @contextmanager
    def _read(self, *, one: bool = False) -> Iterator[Connection]:
        """A read in a transaction of its own; ``one``: a read of one statement, with no BEGIN
        and COMMIT around it on SQLite either (a statement outside a transaction reads one
        snapshot all the same). The reads before and after every post are such reads, and
        were two more statements each."""
        try:
            with self._reads.connect() as conn:
                conn.execution_options(ledger_read="one" if one else True)
                with conn.begin():
                    yield conn
        except (OperationalError, DBAPIError) as exc:
            raise self._unavailable(exc) from exc

    def close(self) -> None:
        self.engine.dispose()

    # --- events and decisions ---------------------------------------------------------------

    @staticmethod
    def _event(
        key: DraftKey,
        *,
        at: datetime,
        action: str,
        from_state: State | None,
        to_state: State | None,
        actor: str | None = None,
        content_hash: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return {
            "campaign": key.campaign,
            "post_id": key.post_id,
            "account": key.account,
            "at": at,
            "action": action,
            "from_state": None if from_state is None else from_state.value,
            "to_state": None if to_state is None else to_state.value,
            "actor": actor,
            "content_hash": content_hash,
            "detail": json.dumps(detail or {}, sort_keys=True),
        }

    def _log(self, conn: Connection, *events: dict[str, Any]) -> None:
        if events:
            conn.execute(INSERT_EVENT, list(events))

    @staticmethod
    def _void(conn: Connection, keys: Sequence[DraftKey], *, at: datetime, reason: str) -> None:
        if not keys:
            return
        d = t.decisions
        conn.execute(
            update(d)
            .where(
                d.c.campaign == bindparam("k_campaign"),
                d.c.post_id == bindparam("k_post_id"),
                d.c.account == bindparam("k_account"),
                d.c.voided_at.is_(None),
                # comments are never voided; (an IN list cannot go through executemany)
                d.c.kind != "comment",
            )
            .values(voided_at=at, void_reason=reason),
            [
                {"k_campaign": k.campaign, "k_post_id": k.post_id, "k_account": k.account}
                for k in keys
            ],
        )

    # --- reading ----------------------------------------------------------------------------

    def _lock(self, conn: Connection, key: DraftKey) -> Row[Any]:
        row = conn.execute(LOCK_DRAFT, key_binds(key)).first()
        if row is None:
            raise NotFound(f"no draft {key} in the ledger", hint="run a sync (check) first")
        return row

    def _records(self, conn: Connection, where: ColumnElement[bool] | None) -> list[DraftRecord]:
        d, dec = t.drafts, t.decisions
        q = select(d).order_by(d.c.campaign, d.c.due, d.c.post_id, d.c.account)
        aq = standing_decisions("approve").order_by(dec.c.id)
        if where is not None:
            q = q.where(where)
            aq = aq.where(where)
        approvals: dict[DraftKey, list[Decision]] = {}
        for row in conn.execute(aq):
            approvals.setdefault(key_of(row), []).append(decision_from_row(row))
        return [
            record_from_row(row, tuple(approvals.get(key_of(row), ()))) for row in conn.execute(q)
        ]

    def _record_in(self, conn: Connection, key: DraftKey) -> DraftRecord:
        found = self._records(conn, key_where(t.drafts, key))
        if not found:
            raise NotFound(f"no draft {key} in the ledger", hint="run a sync (check) first")
        return found[0]

    @staticmethod
    def _rule_in(conn: Connection, campaign: str) -> ApprovalRule:
        text = conn.execute(select(t.campaigns.c.rule).where(t.campaigns.c.id == campaign)).scalar()
        return ApprovalRule() if text is None else ApprovalRule.from_json(json.loads(text))


def decision_from_row(row: Any) -> Decision:
    return Decision(
        key=key_of(row),
        actor=row.actor,
        kind=row.kind,
        content_hash=row.content_hash,
        at=row.at,
        comment=row.comment,
        rule=row.rule,
        voided_at=row.voided_at,
        void_reason=row.void_reason,
        id=row.id,
    )


def record_from_row(row: Any, approvals: tuple[Decision, ...]) -> DraftRecord:
    return DraftRecord(
        key=key_of(row),
        draft=Draft.from_payload(json.loads(row.payload)),
        content_hash=row.content_hash,
        due=row.due,
        latest=row.latest,
        state=State(row.state),
        approved_hash=row.approved_hash,
        approvals=approvals,
        next_attempt=row.next_attempt,
        attempts=row.attempts,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
        parts_done=parts_from_json(row.parts_done),
        last_error=row.last_error,
        updated_at=row.updated_at,
    )
