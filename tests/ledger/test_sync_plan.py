"""The sync rules as a table: what each stored state does when its post changes or leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.ledger.states import State
from scheduler.ledger.sync import Current, payload_json, plan_sync
from tests.ledger.support import make_draft

S = State
BASE = make_draft()


def _current(state: State, *, parts_started: bool = False) -> Current:
    return Current(
        BASE.post_id,
        BASE.account,
        BASE.content_hash,
        BASE.due,
        BASE.latest,
        state,
        payload_json(BASE),
        1,
        parts_started,
    )


def _bucket(state: State, change: str, parts_started: bool = False) -> str:
    incoming = {
        "same": [BASE],
        "edited": [make_draft(text="other words")],
        "moved": [make_draft(due=BASE.due + timedelta(hours=1))],
        "source": [make_draft(latest=BASE.due + timedelta(hours=4))],
        "removed": [],
    }[change]
    plan = plan_sync("mhaw", [_current(state, parts_started=parts_started)], incoming)
    for name in ("create", "edit", "restore", "refresh", "remove", "frozen"):
        if getattr(plan, name):
            return name
    return "unchanged" if plan.unchanged else "nothing"


ROWS = [
    # state, same, edited, moved (due time), window/source only, removed
    (S.DRAFT, "unchanged", "edit", "edit", "refresh", "remove"),
    (S.APPROVED, "unchanged", "edit", "edit", "refresh", "remove"),
    (S.SCHEDULED, "unchanged", "edit", "edit", "refresh", "remove"),
    (S.REJECTED, "unchanged", "edit", "edit", "refresh", "remove"),
    (S.RETRY_WAIT, "unchanged", "edit", "edit", "refresh", "remove"),
    (S.FAILED, "unchanged", "edit", "edit", "refresh", "remove"),
    (S.MISSED, "unchanged", "edit", "edit", "refresh", "remove"),
    (S.CANCELLED, "restore", "restore", "restore", "restore", "nothing"),
    (S.PUBLISHING, "unchanged", "frozen", "frozen", "unchanged", "frozen"),
    (S.OUTCOME_UNKNOWN, "unchanged", "frozen", "frozen", "unchanged", "frozen"),
    (S.PUBLISHED, "unchanged", "frozen", "frozen", "unchanged", "nothing"),
]


@pytest.mark.parametrize(("state", "same", "edited", "moved", "source", "removed"), ROWS)
def test_sync_rules(
    state: State, same: str, edited: str, moved: str, source: str, removed: str
) -> None:
    got = tuple(_bucket(state, c) for c in ("same", "edited", "moved", "source", "removed"))
    assert got == (same, edited, moved, source, removed)


def test_every_state_has_a_row() -> None:
    assert {r[0] for r in ROWS} == set(State)


def test_a_partly_published_thread_is_not_rewritten() -> None:
    assert _bucket(S.RETRY_WAIT, "edited", parts_started=True) == "frozen"
    assert _bucket(S.RETRY_WAIT, "removed", parts_started=True) == "remove"


def test_new_posts_are_created() -> None:
    plan = plan_sync("mhaw", [], [BASE, make_draft("p2")])
    assert [d.post_id for d, _ in plan.create] == ["p1", "p2"]
