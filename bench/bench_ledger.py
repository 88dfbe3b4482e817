"""Ledger sync: 3,000 drafts into an empty ledger, then a re-sync with no change.

On SQLite (a file in a temporary folder) and on PostgreSQL (a throwaway schema at
``SCHEDULER_TEST_POSTGRES_URL``, skipped with a note when unreachable). The goal for the
no-change re-sync is <= 0.5 s: it reads every row in one query and writes nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from bench.harness import Row, best_of
from scheduler.clock import FixedClock
from scheduler.draft import Draft, Media, Part
from scheduler.ledger import open_ledger

POSTGRES_URL = os.environ.get(
    "SCHEDULER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
T0 = datetime(2026, 5, 11, 7, 0, tzinfo=UTC)
ACCOUNTS = ("masto", "sky", "bird")
RESYNC_GOAL_S = 0.5


def make_drafts(n: int) -> list[Draft]:
    drafts = []
    for i in range(n):
        post, account = divmod(i, len(ACCOUNTS))
        drafts.append(
            Draft(
                campaign="bench",
                post_id=f"post-{post:04d}",
                account=ACCOUNTS[account],
                platform="mastodon",
                due=T0 + timedelta(minutes=15 * post),
                timezone="Europe/London",
                parts=(
                    Part(
                        text=f"Day {post}: you are not alone. Talking helps; so does listening. "
                        "Samaritans: call 116 123, free, day or night. #MentalHealthAwarenessWeek",
                        media=(
                            Media(
                                path=f"img/{post}.png",
                                sha256=f"{post:064x}",
                                mime="image/png",
                                size=12_345,
                                alt="A path through a park at dawn.",
                            ),
                        ),
                    ),
                ),
                language="en",
                author="writer@example.org",
                source=f"campaign.yaml:{10 + post}",
            )
        )
    return drafts


@contextmanager
def sqlite_url() -> Iterator[Callable[[], str]]:
    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(1_000_000))
        yield lambda: f"sqlite:///{Path(folder) / f'ledger-{next(counter)}.sqlite3'}"


@contextmanager
def postgres_url() -> Iterator[Callable[[], str]]:
    import psycopg

    libpq = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://", 1)
    schemas: list[str] = []

    def fresh() -> str:
        name = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        schemas.append(name)
        sep = "&" if "?" in POSTGRES_URL else "?"
        return f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={name}')}"

    try:
        yield fresh
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            for name in schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def measure(backend: str, fresh: Callable[[], str], n: int, repeat: int) -> list[Row]:
    drafts = make_drafts(n)
    clock = FixedClock(T0)
    initial: list[float] = []
    last_url = ""
    for _ in range(repeat):
        last_url = fresh()
        ledger = open_ledger(last_url, clock=clock)
        t0 = time.perf_counter()
        report = ledger.sync("bench", drafts, now=T0)
        initial.append(time.perf_counter() - t0)
        assert len(report.created) == n
        ledger.close()
    ledger = open_ledger(last_url, clock=clock)

    def resync() -> None:
        report = ledger.sync("bench", drafts, now=T0)
        assert report.unchanged == n and report.touched == 0

    resync()  # warm the connection pool and statement caches
    again = best_of(resync, repeat=5)
    # One post in ten edited, then edited back: each sync writes only those drafts.
    edited = [
        replace(d, parts=(replace(d.parts[0], text=d.parts[0].text + " Edited."),), content_hash="")
        if i % 10 == 0
        else d
        for i, d in enumerate(drafts)
    ]
    flip = [drafts, edited]

    def resync_some() -> None:
        flip.reverse()
        report = ledger.sync("bench", flip[0], now=T0)
        assert len(report.changed) == len(range(0, n, 10))

    some = best_of(resync_some, repeat=4)
    ledger.close()
    return [
        Row("ledger", f"sync {n} drafts into an empty ledger ({backend})", min(initial), "s"),
        Row(
            "ledger",
            f"re-sync {n} drafts, no change ({backend})",
            again,
            "s",
            baseline=min(initial),
            baseline_name="first sync",
            goal=f"<= {RESYNC_GOAL_S} s",
            ok=again <= RESYNC_GOAL_S,
        ),
        Row(
            "ledger",
            f"re-sync {n} drafts, one in ten edited ({backend})",
            some,
            "s",
            baseline=min(initial),
            baseline_name="first sync",
        ),
    ]


def run(quick: bool) -> list[Row]:
    n = 300 if quick else 3000
    repeat = 1 if quick else 3
    rows: list[Row] = []
    with sqlite_url() as fresh:
        rows += measure("SQLite", fresh, n, repeat)
    try:
        with postgres_url() as fresh:
            rows += measure("PostgreSQL", fresh, n, repeat)
    except ImportError as exc:
        print(f"ledger bench: PostgreSQL skipped: {exc}", file=sys.stderr)
    except Exception as exc:  # an unreachable server: say so, keep the SQLite figures
        if type(exc).__module__.startswith(("psycopg", "scheduler")):
            print(f"ledger bench: PostgreSQL skipped: {exc}", file=sys.stderr)
        else:
            raise
    return rows
