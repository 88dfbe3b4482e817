"""The account gate: what each platform request costs in ledger reads.

Every request to an account first reads its pause from the ledger; a create also counts the
parts the account published in its quotas' windows. Measured on SQLite and PostgreSQL with a
day's history of published parts for the account (Bluesky's quotas: an hour and a day), the
median per request over many calls. Goal: a create's check stays under 5 ms, small next to
the platform's own answer.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench.bench_ledger import postgres_url, sqlite_url
from bench.harness import Row
from scheduler.clock import FixedClock
from scheduler.daemon.gate import LedgerGate
from scheduler.draft import Draft, Part, PartResult
from scheduler.ledger import open_ledger
from scheduler.platforms.base import CREATE, READ

NOW = datetime(2026, 5, 11, 20, 0, tzinfo=UTC)
CREATE_GOAL_S = 0.005


def _history(ledger: object, parts: int) -> None:
    """``parts`` published single-part posts of one account over the last day."""
    drafts = [
        Draft(
            campaign="bench",
            post_id=f"p{i:05d}",
            account="sky",
            platform="bluesky",
            due=NOW - timedelta(hours=23) + timedelta(seconds=i * 60),
            timezone="Etc/UTC",
            parts=(Part(text=f"Post {i}: you are not alone."),),
        )
        for i in range(parts)
    ]
    ledger.sync("bench", drafts, now=NOW - timedelta(days=1))  # type: ignore[attr-defined]
    for d in drafts:
        record = ledger.get(d.key)  # type: ignore[attr-defined]
        ledger.decide(  # type: ignore[attr-defined]
            d.key,
            kind="approve",
            actor="r@example.org",
            content_hash=record.content_hash,
            now=d.due,
        )
        claim = ledger.claim(d.key, owner="bench", now=d.due, lease=60)  # type: ignore[attr-defined]
        claim = ledger.record_part(claim, PartResult(0, d.post_id, "u"), now=d.due)  # type: ignore[attr-defined]
        ledger.finish(claim, now=d.due)  # type: ignore[attr-defined]


def _per_call(fn: Callable[[], object], calls: int) -> float:
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(backend: str, fresh: Callable[[], str], parts: int, calls: int) -> list[Row]:
    clock = FixedClock(NOW)
    ledger = open_ledger(fresh(), clock=clock)
    try:
        _history(ledger, parts)
        gate = LedgerGate(ledger, clock)
        read = _per_call(lambda: gate.before("sky", "bluesky", READ), calls)
        create = _per_call(lambda: gate.before("sky", "bluesky", CREATE), calls)
    finally:
        ledger.close()
    return [
        Row("gate", f"check before a read ({backend})", read, "s"),
        Row(
            "gate",
            f"check before a create, {parts} parts in the day ({backend})",
            create,
            "s",
            baseline=read,
            baseline_name="read check",
            goal=f"<= {CREATE_GOAL_S * 1000:g} ms",
            ok=create <= CREATE_GOAL_S,
        ),
    ]


def run(quick: bool) -> list[Row]:
    parts = 100 if quick else 1000
    calls = 100 if quick else 500
    rows: list[Row] = []
    with sqlite_url() as fresh:
        rows += measure("SQLite", fresh, parts, calls)
    try:
        with postgres_url() as fresh:
            rows += measure("PostgreSQL", fresh, parts, calls)
    except ImportError as exc:
        print(f"gate bench: PostgreSQL skipped: {exc}", file=sys.stderr)
    except Exception as exc:  # an unreachable server: say so, keep the SQLite figures
        if type(exc).__module__.startswith(("psycopg", "scheduler")):
            print(f"gate bench: PostgreSQL skipped: {exc}", file=sys.stderr)
        else:
            raise
    return rows
