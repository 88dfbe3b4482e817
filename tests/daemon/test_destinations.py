"""An account pointed at a new host is held by the daemon until an operator confirms it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from scheduler.accounts import AccountSpec
from scheduler.cli.daemon_cmds import same_destination
from scheduler.daemon.report import Reporter
from scheduler.daemon.runner import Daemon
from scheduler.daemon.source import CampaignFiles
from scheduler.daemon.status import build, render
from scheduler.destination import Destination
from scheduler.errors import DestinationHeld
from tests.daemon.support import CAMPAIGN, DUE1, DUE2, Rig, at, rig
from tests.ledger.support import ledger_url, make_draft

__all__ = ["ledger_url", "rig"]

HOME = "https://one.example"
CAPTURE = "https://capture.example"


def _point(rig: Rig, instance: str) -> None:
    text = CAMPAIGN.replace(
        "masto: {platform: sandbox, as_platform: mastodon}",
        f"masto: {{platform: mastodon, instance: '{instance}'}}",
    )
    (rig.root / "campaign" / "campaign.yaml").write_text(text, encoding="utf-8")


def test_a_new_host_holds_the_account_until_confirmed(rig: Rig) -> None:
    _point(rig, HOME)
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "published"
    bound = rig.ledger.bound_destination("masto")
    assert bound is not None and bound.destination == Destination("mastodon", HOME)
    assert "destination_recorded" in rig.log.names()

    # A campaign edit points the account elsewhere: its drafts go back to review ...
    _point(rig, CAPTURE)
    assert daemon.reload()
    assert rig.state("second") == "draft"
    # ... and even once approved again, nothing goes there.
    rig.approve_all()
    at(rig.clock, DUE2)
    assert daemon.fire(rig.key("second")) == "retry_wait"
    assert [p for p in rig.outbox_posts() if "Anxiety" in str(p["request"])] == []
    record = rig.ledger.get(rig.key("second"))
    assert "held" in (record.last_error or "") and CAPTURE in (record.last_error or "")
    rig.flush()
    held = [n for n in rig.notifier.notices if n.kind == "destination_held"]
    assert len(held) == 1 and "scheduler accounts confirm" in held[0].detail
    assert str(rig.root / "campaign") in held[0].detail  # the folder to confirm, spelled out
    assert [e[1] for e in rig.log.events if e[0] == "destination_held"] == ["error"]

    bound_now = {b.account: b for b in rig.ledger.bound_destinations()}
    report = build(
        rig.ledger.list("test-daemon"), now=rig.clock.now(), max_lateness=1800, bound=bound_now
    )
    assert [h["account"] for h in report["held_accounts"]] == ["masto"]
    assert any("scheduler accounts confirm" in line for line in render(report))

    # The operator confirms the new host: the next attempt goes out.
    rig.ledger.confirm_destination(
        "masto", Destination("mastodon", CAPTURE), actor="op@example.org", now=rig.clock.now()
    )
    record = rig.ledger.get(rig.key("second"))
    assert record.next_attempt is not None
    at(rig.clock, record.next_attempt)
    assert daemon.fire(rig.key("second")) == "published"


def test_a_held_draft_is_missed_when_its_window_closes(rig: Rig) -> None:
    rig.ledger.confirm_destination(
        "masto", Destination("mastodon", HOME), actor="op@example.org", now=rig.clock.now()
    )
    _point(rig, CAPTURE)
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE2)
    assert daemon.fire(rig.key("second")) == "retry_wait"
    # The next attempt would fall after the window's end (30 minutes): missed, and said so.
    at(rig.clock, DUE2 + timedelta(minutes=29, seconds=59))
    assert daemon.fire(rig.key("second")) == "missed"
    assert "new host was confirmed" in (rig.ledger.get(rig.key("second")).last_error or "")
    assert not any("Anxiety" in str(p["request"]) for p in rig.outbox_posts())


def test_a_rehearsal_neither_binds_nor_holds(rig: Rig) -> None:
    _point(rig, CAPTURE)
    rig.ledger.confirm_destination(
        "masto", Destination("mastodon", HOME), actor="op@example.org", now=rig.clock.now()
    )
    daemon = Daemon(  # as `run --sandbox` builds it
        rig.ledger,
        CampaignFiles([rig.root / "campaign"]),
        rig.publisher_for,
        clock=rig.clock,
        options=rig.options,
        reporter=Reporter(rig.log, rig.notifier),
        rand=lambda: 0.0,
        bind_destinations=False,
    )
    rig.daemons.append(daemon)
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "published"


def test_a_publisher_is_built_only_for_the_approved_destination() -> None:
    """A change the ledger could not apply (a thread already started keeps its approved
    version) must not send the rest of the thread, with its credential, to the new host."""

    draft = make_draft("p1", "masto")
    approved = replace(draft, destination=Destination("mastodon", HOME), content_hash="")
    same_destination(approved, AccountSpec("masto", "mastodon", {"instance": HOME + "/"}))
    with pytest.raises(DestinationHeld, match=r"capture\.example"):
        same_destination(approved, AccountSpec("masto", "mastodon", {"instance": CAPTURE}))
    same_destination(draft, AccountSpec("masto", "mastodon", {"instance": CAPTURE}))  # old payload
