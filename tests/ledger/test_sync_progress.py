"""A sync reports determinate progress: two steps a draft (compared, then written or found
unchanged), each reported once, even when a conflict makes the sync start again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from scheduler.clock import FixedClock
from scheduler.ledger import open_ledger
from scheduler.ledger.syncing import _Steps
from tests.ledger.support import T0, make_draft


@dataclass
class Recorder:
    total: int = 0
    done: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def grow(self, steps: int) -> None:
        self.total += steps

    def advance(self, steps: int = 1) -> None:
        assert steps > 0
        self.done.append(steps)

    def note(self, text: str) -> None:
        self.notes.append(text)


def test_a_sync_reports_two_steps_a_draft_known_before_it_starts(tmp_path: Path) -> None:
    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", clock=FixedClock(T0))
    first = Recorder()
    ledger.sync("mhaw", [make_draft(f"p{i}") for i in range(5)], now=T0, progress=first)
    assert first.total == 10 and sum(first.done) == 10
    assert len(first.done) > 1  # it moved while it worked, not in one jump at the end

    again = Recorder()
    drafts = [make_draft(f"p{i}") for i in range(4)] + [make_draft("p4", text="Edited.")]
    ledger.sync("mhaw", drafts, now=T0 + timedelta(minutes=1), progress=again)
    assert again.total == 10 and sum(again.done) == 10
    ledger.close()


def test_a_retried_sync_does_not_count_twice() -> None:
    bar = Recorder()
    steps = _Steps(bar, 6)
    steps.again()
    steps.add(3)
    steps.again()  # a conflict: the sync starts over
    steps.add(2)
    steps.add(2)
    steps.add(99)
    assert bar.total == 6 and bar.done == [3, 1, 2]
