"""One writer at a time in this process, for an SQLite ledger."""

from __future__ import annotations

import threading
from typing import Any

_WRITES = frozenset(
    {
        "claim",
        "claim_due",
        "renew",
        "record_part",
        "finish",
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


class SerialWrites:
    """Lets one thread at a time write to an SQLite ledger.

    SQLite has one writer at a time; threads that find it busy sleep in growing steps inside
    SQLite's busy handler, which costs a burst of posts tens of milliseconds each. Taking
    turns on a lock in this process is immediate. (Other processes still meet SQLite's own
    lock; PostgreSQL needs none of this.)
    """

    def __init__(self, ledger: Any) -> None:
        self._ledger = ledger
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._ledger, name)
        if name not in _WRITES or not callable(attr):
            return attr

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attr(*args, **kwargs)

        return locked
