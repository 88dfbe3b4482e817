"""Finishes on an SQLite ledger are committed in groups: workers that finish while another
commit is written go out in one transaction, each returning only once it is committed and
with what its own finish would have raised."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from scheduler.clock import FixedClock
from scheduler.daemon.serial import SerialWrites
from scheduler.draft import PartResult
from scheduler.ledger import LeaseLost, State, open_ledger
from tests.ledger.support import T0, make_draft

DUE = T0 + timedelta(hours=1)
S = timedelta(seconds=1)


def test_finishes_that_queue_behind_a_write_are_committed_together(tmp_path: Path) -> None:
    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", clock=FixedClock(T0))
    try:
        drafts = [make_draft(f"p{i}", due=DUE) for i in range(4)]
        ledger.sync("mhaw", drafts, now=T0)
        for d in drafts:
            rec = ledger.get(d.key)
            ledger.decide(
                rec.key,
                kind="approve",
                actor="rev@example.org",
                content_hash=rec.content_hash,
                now=T0,
            )
        claims = ledger.claim_due(owner="a", now=DUE, lease=60, limit=4)
        # p3's lease ran out and another worker holds it now.
        assert ledger.claim(claims[3].key, owner="b", now=DUE + 61 * S, lease=60) is not None
        serial = SerialWrites(ledger)
        commits: list[int] = []
        event.listen(ledger.engine, "commit", lambda _conn: commits.append(1))
        outcomes: dict[int, Any] = {}

        def finish(i: int) -> None:
            try:
                serial.finish(claims[i], now=DUE + 62 * S, part=PartResult(0, f"r{i}", "u"))
                outcomes[i] = "finished"
            except LeaseLost as exc:
                outcomes[i] = exc

        threads = [threading.Thread(target=finish, args=(i,)) for i in range(4)]
        # Another write holds the lock while all four finish.
        with serial._lock:
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 10
            while len(serial._queued) < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert not outcomes  # nobody hears "finished" before the commit
        for thread in threads:
            thread.join(10)
        assert len(commits) == 1
        assert [outcomes[i] for i in range(3)] == ["finished"] * 3
        assert isinstance(outcomes[3], LeaseLost)
        states = [ledger.get(c.key).state for c in claims]
        assert states == [State.PUBLISHED] * 3 + [State.PUBLISHING]
    finally:
        ledger.close()
