"""The ledger: the single source of truth for drafts, decisions, claims and attempts.

``open_ledger(url, clock=...)`` connects (an SQLite path or URL, or a PostgreSQL URL),
applies any missing migrations and returns a Ledger (see ``scheduler.ledger.base``).
SQLAlchemy is imported only when a ledger is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduler.ledger.base import (
    ALL_CAMPAIGNS,
    AccountPause,
    ApprovalRule,
    Attempt,
    Binding,
    BoundDestination,
    Claim,
    Decision,
    DraftRecord,
    Event,
    LeaseLost,
    Ledger,
    LedgerError,
    LedgerUnavailable,
    MigrationError,
    NotFound,
    Pause,
    PauseError,
    PolicyError,
    Shift,
    StaleHash,
    SyncReport,
    TransitionError,
)
from scheduler.ledger.states import TRANSITIONS, State

if TYPE_CHECKING:
    from scheduler.clock import Clock
    from scheduler.ledger.store import SqlLedger

__all__ = [
    "ALL_CAMPAIGNS",
    "TRANSITIONS",
    "AccountPause",
    "ApprovalRule",
    "Attempt",
    "Binding",
    "BoundDestination",
    "Claim",
    "Decision",
    "DraftRecord",
    "Event",
    "LeaseLost",
    "Ledger",
    "LedgerError",
    "LedgerUnavailable",
    "MigrationError",
    "NotFound",
    "Pause",
    "PauseError",
    "PolicyError",
    "Shift",
    "StaleHash",
    "State",
    "SyncReport",
    "TransitionError",
    "open_ledger",
]


def open_ledger(url: str, *, clock: Clock, connections: int | None = None) -> SqlLedger:
    """Open (and migrate, idempotently) the ledger at ``url``.

    ``url`` is a SQLAlchemy URL (``sqlite:///PATH``, ``postgresql+psycopg://...``; plain
    ``postgresql://`` means psycopg 3) or a path to an SQLite file. ``connections``: how
    many threads use it at once, kept open (the daemon's ``DaemonOptions.ledger_connections``);
    None keeps SQLAlchemy's default of five.
    """
    from scheduler.ledger.store import SqlLedger
    from scheduler.settings import ledger_url

    return SqlLedger(ledger_url(url), clock=clock, connections=connections)
