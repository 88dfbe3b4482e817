"""A person pauses publishing: the daemon (driven by hand, injected clock) sends nothing more,
stops a thread between its parts, leaves closed windows to the person who resumes, and after
a restart still holds; both resume choices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from scheduler import pausing
from scheduler.draft import PartResult
from scheduler.platforms.base import PublishRequest, PublishResult
from tests.daemon.support import DUE1, DUE2, DUE3, Rig, at, rig
from tests.daemon.test_worker import Wrapped
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]

LEAD = "lead@example.org"


def pause(rig: Rig) -> None:
    rig.ledger.pause("test-daemon", actor=LEAD, reason="distressing news", now=rig.clock.now())


def test_nothing_is_sent_while_paused_and_a_restart_keeps_the_pause(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    pause(rig)
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) is None
    assert daemon.sweep() == 0
    again = rig.daemon()  # a restart
    again.reload()
    again.run_catch_up()
    assert again.sweep() == 0
    assert rig.outbox_posts() == [] and rig.outbox_posts("sky") == []
    assert rig.state("first") == "approved"
    again.watch_pauses()
    assert rig.log.of("campaign_paused")[0]["by"] == LEAD


def test_a_thread_in_flight_stops_after_the_part_being_sent(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()

    class PauseDuringFirst(Wrapped):
        def publish(
            self,
            request: PublishRequest,
            on_part: Any = None,
            before_create: Any = None,
            on_staged: Any = None,
        ) -> PublishResult:
            def hook(part: PartResult) -> None:
                if part.index == 0:
                    pause(rig)  # a person pauses while part 1 is being sent
                on_part(part)

            result: PublishResult = self.inner.publish(request, hook, before_create, on_staged)
            return result

    rig.wrap = lambda account, publisher: PauseDuringFirst(publisher)  # type: ignore[assignment, return-value]
    at(rig.clock, DUE3)
    assert daemon.fire(rig.key("thread")) == "released"
    record = rig.ledger.get(rig.key("thread"))
    assert str(record.state) == "scheduled" and len(record.parts_done) == 1
    assert len(rig.outbox_posts()) == 1
    assert daemon.fire(rig.key("thread")) is None and daemon.sweep() == 0
    rig.wrap = None
    at(rig.clock, DUE3, 60)
    pausing.resume(rig.ledger, "test-daemon", actor=LEAD, choice="missed", now=rig.clock.now())
    assert daemon.sweep() == 1 and rig.state("thread") == "published"
    parts = [p for p in rig.outbox_posts() if p["parts"] == 3]
    assert [p["part_index"] for p in parts] == [0, 1, 2]


def test_resume_with_missed_lists_the_closed_windows_and_keeps_the_rest(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    pause(rig)
    # The window of "first" and "second" (30 min) closes during the pause; the daemon leaves
    # them to the person who resumes.
    at(rig.clock, DUE2, 31 * 60)
    daemon.replan()
    assert daemon.fire(rig.key("first")) is None
    assert rig.state("first") == "approved"
    resumed = pausing.resume(
        rig.ledger, "test-daemon", actor=LEAD, choice="missed", now=rig.clock.now()
    )
    assert [str(k) for k, _ in resumed.plan.missed] == [
        "test-daemon/first@masto",
        "test-daemon/first@sky",
        "test-daemon/second@masto",
    ]
    assert rig.state("first") == "missed" and rig.state("second") == "missed"
    at(rig.clock, DUE3)
    assert daemon.fire(rig.key("thread")) == "published"


def test_resume_with_shift_moves_the_rest_by_the_pause(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1, -15 * 60)
    pause(rig)
    at(rig.clock, DUE1, 45 * 60)  # an hour's pause
    resumed = pausing.resume(
        rig.ledger, "test-daemon", actor=LEAD, choice="shift", now=rig.clock.now()
    )
    assert resumed.plan.paused_for == timedelta(hours=1)
    first = rig.ledger.get(rig.key("first"))
    assert first.due == DUE1 + timedelta(hours=1) and first.is_approved
    assert daemon.fire(rig.key("first")) is None  # its new time has not come
    daemon.reload()  # the unchanged files keep the moved times
    assert rig.ledger.get(rig.key("first")).due == DUE1 + timedelta(hours=1)
    at(rig.clock, DUE1 + timedelta(hours=1))
    assert daemon.fire(rig.key("first")) == "published"
    assert rig.ledger.get(rig.key("thread")).due == DUE3 + timedelta(hours=1)
