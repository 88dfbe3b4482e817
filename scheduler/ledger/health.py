"""What the ledger can say about itself cheaply: whether it answers, and how many drafts are
in each state. Health checks and metrics ask these on every probe or scrape, so each is one
small query, never a read of the drafts themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, text

from scheduler.clock import ensure_utc
from scheduler.ledger import tables as t
from scheduler.ledger.core import LedgerCore
from scheduler.ledger.states import State

# Approved drafts a daemon may claim once their time comes (the claim's own condition adds
# the window and the approval check; a count for a gauge need not repeat them).
_WAITING = (State.APPROVED.value, State.SCHEDULED.value, State.RETRY_WAIT.value)


@dataclass(frozen=True, slots=True)
class Census:
    """Drafts per state, and how many are due now and still waiting for a daemon."""

    states: dict[str, int]
    due: int
    paused: int = 0  # pauses of publishing in force (a campaign each, or every campaign)


class HealthOps(LedgerCore):
    def ping(self) -> None:
        """Return when the database answers a trivial query; LedgerUnavailable otherwise."""
        with self._read() as conn:
            conn.execute(text("SELECT 1"))

    def census(self, *, now: datetime) -> Census:
        now = ensure_utc(now)
        d = t.drafts
        due_now = and_(
            d.c.state.in_(_WAITING),
            d.c.due <= now,
            or_(d.c.next_attempt.is_(None), d.c.next_attempt <= now),
        )
        with self._read() as conn:
            rows = conn.execute(select(d.c.state, func.count()).group_by(d.c.state)).all()
            due = conn.execute(select(func.count()).select_from(d).where(due_now)).scalar_one()
            paused = conn.execute(select(func.count()).select_from(t.campaign_pauses)).scalar_one()
        states = {state.value: 0 for state in State}
        states.update({str(state): int(count) for state, count in rows})
        return Census(states=states, due=int(due), paused=int(paused))
