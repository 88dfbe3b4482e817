"""The resume plan, a pure rule: which drafts become missed, where a shift moves each one
(on the campaign's wall clock, across clock changes), and what a person should check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from scheduler.draft import DraftKey
from scheduler.ledger import State
from scheduler.pausing import plan_resume, shift_wall_clock
from tests.ledger.support import make_draft

LONDON = "Europe/London"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


@dataclass
class Rec:
    key: DraftKey
    due: datetime
    latest: datetime | None
    state: State
    parts_done: tuple[object, ...] = ()

    @property
    def draft(self) -> object:
        return make_draft(self.key.post_id)  # Europe/London


def rec(post: str, due: str, *, window: float = 1.0, state: str = "approved", **kw: object) -> Rec:
    at = utc(due)
    return Rec(
        DraftKey("mhaw", post, str(kw.get("account", "masto"))),
        at,
        at + timedelta(hours=window),
        State(state),
        tuple(kw.get("parts_done", ())),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("instant", "by", "expected", "note"),
    [
        # An ordinary hour: the wall clock and UTC agree.
        ("2026-05-11T08:00", timedelta(hours=1), "2026-05-11T09:00", None),
        # A day's pause across the spring change: 09:00 BST stays 09:00 (23 h in UTC).
        ("2026-03-28T09:00", timedelta(days=1), "2026-03-29T08:00", None),
        # ... and across the autumn change: 09:00 GMT stays 09:00 (25 h in UTC).
        ("2026-10-24T08:00", timedelta(days=1), "2026-10-25T09:00", None),
        # Moved into the spring gap (01:30 does not exist on 29 March): past it, 02:30 BST.
        ("2026-03-28T01:30", timedelta(days=1), "2026-03-29T01:30", "does not exist"),
        # Moved into the autumn fold (01:30 happens twice on 25 October): the first.
        ("2026-10-24T00:30", timedelta(days=1), "2026-10-25T00:30", "happens twice"),
    ],
)
def test_a_shift_keeps_the_wall_clock(
    instant: str, by: timedelta, expected: str, note: str | None
) -> None:
    moved, said = shift_wall_clock(utc(instant), by, LONDON)
    assert moved == utc(expected)
    assert (said is None) if note is None else (note in (said or ""))


def test_missed_lists_only_waiting_drafts_whose_window_closed() -> None:
    records = [
        rec("early", "2026-05-11T08:00"),  # window closed at 09:00
        rec("unapproved", "2026-05-11T08:30", state="draft"),
        rec("open", "2026-05-11T09:30"),  # window open until 10:30
        rec("done", "2026-05-11T08:00", state="published"),
        rec("started", "2026-05-11T08:00", state="scheduled", parts_done=("p",)),
    ]
    plan = plan_resume(
        records, since=utc("2026-05-11T07:00"), now=utc("2026-05-11T10:00"), choice="missed"
    )
    assert [k.post_id for k, _ in plan.missed] == ["early", "unapproved"]
    assert all("paused" in reason for _, reason in plan.missed)
    assert plan.shifts == () and plan.paused_for == timedelta(hours=3)


def test_shift_moves_what_was_waiting_when_the_pause_began() -> None:
    records = [
        rec("late-before", "2026-05-11T05:00"),  # window closed at 06:00, before the pause
        rec("during", "2026-05-11T08:00"),
        rec("after", "2026-05-12T08:00"),
        rec("done", "2026-05-11T08:00", state="published"),
    ]
    plan = plan_resume(
        records, since=utc("2026-05-11T07:00"), now=utc("2026-05-11T09:30"), choice="shift"
    )
    assert [(s.key.post_id, s.due) for s in plan.shifts] == [
        ("during", utc("2026-05-11T10:30")),
        ("after", utc("2026-05-12T10:30")),
    ]
    assert all(s.latest == s.due + timedelta(hours=1) for s in plan.shifts)
    assert plan.notes == ()


def test_shift_notes_posts_moved_too_close_to_one_that_stays() -> None:
    records = [
        rec("stays", "2026-05-11T10:40", state="retry_wait", parts_done=("p",)),
        rec("moved", "2026-05-11T08:00"),
    ]
    plan = plan_resume(
        records, since=utc("2026-05-11T07:30"), now=utc("2026-05-11T10:00"), choice="shift"
    )
    assert [s.due for s in plan.shifts] == [utc("2026-05-11T10:30")]
    assert plan.notes == ("mhaw/stays@masto: 10 min after moved (closer than 30 min)",)


def test_shift_notes_a_clock_change() -> None:
    records = [rec("night", "2026-03-28T01:30")]
    plan = plan_resume(
        records, since=utc("2026-03-28T01:00"), now=utc("2026-03-29T01:00"), choice="shift"
    )
    (note,) = plan.notes
    assert note.startswith("mhaw/night@masto: 2026-03-29 01:30 does not exist in Europe/London")
