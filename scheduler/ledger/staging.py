"""What a platform staged before making a part public: a Meta media container.

Instagram and Threads publish in two calls: one builds a container, the other makes it a
post. The container's id is stored here before the second call, so that after a lost answer
the next attempt asks the platform what became of that container (published, ready, expired)
rather than building a second one that could be published twice.

The ids are events (``stage``), append-only like every other piece of evidence, and belong to
the content hash they were staged for: a changed draft starts afresh.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, select

from scheduler.clock import ensure_utc
from scheduler.draft import DraftKey
from scheduler.ledger import tables as t
from scheduler.ledger.base import Claim, LeaseLost, LedgerError
from scheduler.ledger.core import LedgerCore, key_where
from scheduler.ledger.states import State

STAGE = "stage"


class StagingOps(LedgerCore):
    def record_staged(self, claim: Claim, index: int, staged_id: str, *, now: datetime) -> None:
        """Store the id staged for part ``index``; LeaseLost (and nothing stored) when the
        claim is no longer the draft's, so its holder never makes the container public."""
        if not staged_id:
            raise ValueError("a staged id cannot be empty")
        now = ensure_utc(now)
        with self._write() as conn:
            row = self._lock(conn, claim.key)
            if row.content_hash != claim.content_hash:
                raise LedgerError(
                    f"{claim.key}: part {index} was staged for version {claim.content_hash}, "
                    f"but the draft is now {row.content_hash}"
                )
            if row.lease_token != claim.token:
                raise LeaseLost(
                    f"{claim.key}: another worker ({row.lease_owner or 'nobody'}) holds the "
                    f"draft now; part {index} is left unpublished"
                )
            self._log(
                conn,
                self._event(
                    claim.key,
                    at=now,
                    action=STAGE,
                    from_state=State(row.state),
                    to_state=State(row.state),
                    actor=claim.owner,
                    content_hash=row.content_hash,
                    detail={"index": index, "staged_id": staged_id},
                ),
            )

    def staged(self, key: DraftKey, content_hash: str) -> dict[int, str]:
        """The latest id staged for each part of the version ``content_hash``."""
        e = t.events
        query = (
            select(e.c.detail)
            .where(and_(key_where(e, key), e.c.action == STAGE, e.c.content_hash == content_hash))
            .order_by(e.c.id)
        )
        with self._read() as conn:
            details = [row[0] for row in conn.execute(query)]
        found: dict[int, str] = {}
        for detail in details:
            data = _json(detail)
            index, staged_id = data.get("index"), data.get("staged_id")
            if isinstance(index, int) and isinstance(staged_id, str) and staged_id:
                found[index] = staged_id
        return found


def _json(text: str | None) -> dict[str, object]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
