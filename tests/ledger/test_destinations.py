"""Bound destinations, on SQLite and PostgreSQL: first use records, a new host holds, an
operator's confirmation moves the binding; and a change of destination voids approvals."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scheduler.destination import Destination
from scheduler.ledger import State
from scheduler.ledger.destinations import FIRST_USE
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

HOME = Destination("bluesky", "https://bsky.social", "mhaw.bsky.social")
CAPTURE = Destination("bluesky", "https://capture.example", "mhaw.bsky.social")
RENAMED = Destination("bluesky", "https://bsky.social", "other.bsky.social")


def test_first_use_records_and_later_uses_compare(ledger: SqlLedger) -> None:
    assert ledger.bound_destination("sky") is None
    first = ledger.bind_destination("sky", HOME, now=T0)
    assert first.recorded and not first.held
    assert first.bound is not None and first.bound.by == FIRST_USE
    again = ledger.bind_destination("sky", HOME, now=T0 + timedelta(hours=1))
    assert not again.recorded and not again.held
    assert again.bound is not None and again.bound.at == T0  # the first record stays


def test_a_new_host_is_held_and_never_recorded(ledger: SqlLedger) -> None:
    ledger.bind_destination("sky", HOME, now=T0)
    moved = ledger.bind_destination("sky", CAPTURE, now=T0)
    assert moved.held and not moved.recorded
    assert "https://capture.example" in moved.reason()
    assert "https://bsky.social" in moved.reason()
    assert moved.command("campaigns/mhaw") == "scheduler accounts confirm campaigns/mhaw sky"
    bound = ledger.bound_destination("sky")
    assert bound is not None and bound.destination == HOME


def test_a_new_handle_on_the_same_host_does_not_hold(ledger: SqlLedger) -> None:
    ledger.bind_destination("sky", HOME, now=T0)
    assert not ledger.bind_destination("sky", RENAMED, now=T0).held


def test_a_new_platform_holds(ledger: SqlLedger) -> None:
    ledger.bind_destination("acc", Destination("mastodon", "https://a.example"), now=T0)
    assert ledger.bind_destination("acc", Destination("bluesky", "https://a.example"), now=T0).held


def test_confirming_moves_the_binding(ledger: SqlLedger) -> None:
    assert ledger.confirm_destination("sky", HOME, actor="op@example.org", now=T0) is None
    old = ledger.confirm_destination("sky", CAPTURE, actor="op@example.org", now=T0)
    assert old is not None and old.destination == HOME
    binding = ledger.bind_destination("sky", CAPTURE, now=T0)
    assert not binding.held
    assert binding.bound is not None and binding.bound.by == "op@example.org"
    assert [b.account for b in ledger.bound_destinations()] == ["sky"]


def test_a_local_outbox_is_never_bound(ledger: SqlLedger) -> None:
    binding = ledger.bind_destination("box", Destination("sandbox", None), now=T0)
    assert not binding.recorded and not binding.held
    assert ledger.bound_destination("box") is None


def test_a_change_of_destination_voids_approvals(ledger: SqlLedger) -> None:
    draft = replace(make_draft("p1", "sky"), destination=HOME, content_hash="")
    ledger.sync("mhaw", [draft], now=T0)
    record = ledger.get(draft.key)
    ledger.decide(
        draft.key, kind="approve", actor="rev@example.org", content_hash=record.content_hash, now=T0
    )
    assert ledger.get(draft.key).state is State.APPROVED
    for moved in (CAPTURE, RENAMED):
        edited = replace(draft, destination=moved, content_hash="")
        assert edited.content_hash != draft.content_hash
        ledger.sync("mhaw", [edited], now=T0)
        assert ledger.get(draft.key).state is State.DRAFT
        assert ledger.get(draft.key).draft.destination == moved
