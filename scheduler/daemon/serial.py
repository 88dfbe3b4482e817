"""One writer at a time in this process, for an SQLite ledger, and finishes committed in groups."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler.draft import PartResult
from scheduler.ledger.base import Claim

_WRITES = frozenset(
    {
        "claim",
        "claim_due",
        "renew",
        "record_part",
        "retry_later",
        "defer",
        "give_up",
        "release",
        "mark_missed",
        "sync",
        "pause_account",
        "bind_destination",
    }
)


@dataclass
class _Finish:
    claim: Claim
    now: datetime
    part: PartResult | None
    done: bool = False
    error: BaseException | None = None


class SerialWrites:
    """Lets one thread at a time write to an SQLite ledger.

    SQLite has one writer at a time; threads that find it busy sleep in growing steps inside
    SQLite's busy handler, which costs a burst of posts tens of milliseconds each. Taking
    turns on a lock in this process is immediate. (Other processes still meet SQLite's own
    lock; PostgreSQL needs none of this.)

    Finishes are committed in groups: each commit waits for the disk (``synchronous=FULL``),
    and while one is written the workers that finish meanwhile queue up; the next of them
    to get the lock writes all the queued finishes in one transaction. Every worker returns
    only once the transaction holding its finish is committed, with what its own finish
    would have raised: nothing is reported published before it is durable.
    """

    def __init__(self, ledger: Any) -> None:
        self._ledger = ledger
        self._lock = threading.Lock()
        self._queued: list[_Finish] = []
        self._queue_lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._ledger, name)
        if name not in _WRITES or not callable(attr):
            return attr

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attr(*args, **kwargs)

        return locked

    def finish(self, claim: Claim, *, now: datetime, part: PartResult | None = None) -> None:
        mine = _Finish(claim, now, part)
        with self._queue_lock:
            self._queued.append(mine)
        with self._lock:
            if not mine.done:  # else a group written while this thread waited held it
                with self._queue_lock:
                    group, self._queued = self._queued, []
                self._write(group)
        if mine.error is not None:
            raise mine.error

    def _write(self, group: list[_Finish]) -> None:
        try:
            results: list[BaseException | None] = list(
                self._ledger.finish_many([(f.claim, f.now, f.part) for f in group])
            )
        except BaseException as exc:  # nothing of the group was written: each one hears why
            _settle(group, [exc] * len(group))
            if not isinstance(exc, Exception):
                raise
            return
        _settle(group, results)


def _settle(group: list[_Finish], results: list[BaseException | None]) -> None:
    for queued, result in zip(group, results, strict=True):
        queued.error = result
        queued.done = True
