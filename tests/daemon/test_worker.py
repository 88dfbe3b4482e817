"""The daemon's rules end to end with injected time: real ledger (SQLite and PostgreSQL), real
sandbox publisher, the clock moved by hand."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timedelta
from typing import Any, ClassVar

from scheduler.daemon.request import build_request
from scheduler.draft import PartResult
from scheduler.platforms.base import (
    CannotTell,
    Lookup,
    OutcomeUnknown,
    PublishRequest,
    PublishResult,
)
from tests.daemon.support import DUE1, DUE2, DUE3, REVIEWER, T_START, Rig, at, rig
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]


def test_publishes_each_approved_post_at_its_time_once(rig: Rig) -> None:
    daemon = rig.daemon()
    assert daemon.reload()
    rig.approve_all()
    daemon.replan()
    assert daemon.timers.planned["publish:test-daemon/first@masto"] == DUE1
    at(rig.clock, DUE1, -1)
    assert daemon.fire(rig.key("first")) is None  # not yet
    assert rig.outbox_posts() == []
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "published"
    assert daemon.fire(rig.key("first", "sky")) == "published"
    assert daemon.fire(rig.key("first")) is None
    assert daemon.sweep() == 0
    assert len(rig.outbox_posts()) == 1 and len(rig.outbox_posts("sky")) == 1
    record = rig.ledger.get(rig.key("first"))
    assert str(record.state) == "published" and record.parts_done[0].url.startswith("file:")
    rig.flush()
    assert ("published", "test-daemon/first@masto") in rig.notifier.kinds()


def test_a_thread_goes_out_in_order_replying_to_each_parent(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE3)
    assert daemon.fire(rig.key("thread")) == "published"
    parts = [p for p in rig.outbox_posts() if p["parts"] == 3]
    assert [p["part_index"] for p in parts] == [0, 1, 2]
    assert "in_reply_to_id" not in parts[0]["request"]
    assert parts[1]["request"]["in_reply_to_id"] == parts[0]["remote_id"]
    assert parts[2]["request"]["in_reply_to_id"] == parts[1]["remote_id"]
    headers = {p["request"]["headers"]["Idempotency-Key"] for p in parts}
    assert len(headers) == 3  # one stable key per part


def test_unapproved_drafts_are_reported_and_never_published(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all(skip=("second",))
    daemon.replan()
    key = rig.key("second")
    assert daemon.timers.planned["remind:test-daemon/second@masto"] == DUE2 - timedelta(hours=1)
    assert daemon.timers.planned["not_approved:test-daemon/second@masto"] == DUE2
    at(rig.clock, DUE2, -3600)
    daemon.remind(key, at_due=False)
    at(rig.clock, DUE2)
    assert daemon.fire(key) is None
    daemon.remind(key, at_due=True)
    assert daemon.sweep() == 2  # "first" on both accounts; never "second"
    assert rig.state("second") == "draft"
    at(rig.clock, DUE2 + timedelta(minutes=31))
    daemon.replan()  # the window closed: missed
    assert rig.state("second") == "missed"
    assert not any("Anxiety" in str(p["request"]) for p in rig.outbox_posts())
    rig.flush()
    kinds = [k for k, d in rig.notifier.kinds() if d.endswith("second@masto")]
    assert kinds == ["not_approved_soon", "not_approved", "missed"]


def test_transient_errors_retry_on_a_durable_schedule_across_restarts(rig: Rig) -> None:
    rig.faults["masto"] = {"fail_first": "transient", "fail_times": "2"}
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "retry_wait"
    record = rig.ledger.get(rig.key("first"))
    assert record.next_attempt == DUE1 + timedelta(seconds=30)
    # A restart: the new daemon finds the next attempt in the ledger.
    daemon = rig.daemon()
    daemon.reload()
    assert daemon.timers.planned["publish:test-daemon/first@masto"] == DUE1 + timedelta(seconds=30)
    at(rig.clock, DUE1, 29)
    assert daemon.fire(rig.key("first")) is None  # not before the stored time
    at(rig.clock, DUE1, 30)
    assert daemon.fire(rig.key("first")) == "retry_wait"
    assert rig.ledger.get(rig.key("first")).next_attempt == DUE1 + timedelta(seconds=90)
    at(rig.clock, DUE1, 95)  # restarted after its next attempt came: caught up
    daemon = rig.daemon()
    daemon.reload()
    daemon.run_catch_up()
    assert rig.state("first") == "published"
    assert rig.ledger.get(rig.key("first")).attempts == 3
    assert len(rig.outbox_posts()) == 1


def test_a_permanent_error_stops_at_once_with_the_platforms_words(rig: Rig) -> None:
    rig.faults["masto"] = {"fail_first": "invalid"}
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "failed"
    record = rig.ledger.get(rig.key("first"))
    assert "injected invalid" in (record.last_error or "")
    rig.flush()
    assert ("failed", "test-daemon/first@masto") in rig.notifier.kinds()
    assert rig.outbox_posts() == []


def test_a_429_pauses_the_other_posts_of_the_account_until_the_reset(rig: Rig) -> None:
    rig.faults["masto"] = {"fail_first": "rate_limited", "retry_after": "900"}
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "retry_wait"
    assert daemon.fire(rig.key("first", "sky")) == "published"  # other accounts go on
    reset = DUE1 + timedelta(seconds=900)
    at(rig.clock, DUE2)  # 08:10, before the reset at 08:15
    assert daemon.fire(rig.key("second")) is None
    assert rig.ledger.get(rig.key("second")).attempts == 0  # not even tried
    assert daemon.timers.planned["publish:test-daemon/second@masto"] == reset
    assert daemon.sweep() == 0  # the claim skips a paused account: waiting is no attempt
    second = rig.ledger.get(rig.key("second"))
    assert str(second.state) == "approved" and second.attempts == 0
    assert rig.outbox_posts() == []
    at(rig.clock, reset)
    daemon.fire(rig.key("second"))
    assert rig.ledger.get(rig.key("second")).attempts == 1  # tried at the reset, not before


def test_retries_that_would_leave_the_window_end_as_missed(rig: Rig) -> None:
    rig.faults["masto"] = {"fail_first": "transient", "fail_times": "100"}
    rig.options = rig.options.__class__(
        owner="t", lease=60, retry=rig.options.retry.__class__(base=30, jitter=0, max_attempts=50)
    )
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    outcome = daemon.fire(rig.key("first"))
    while outcome == "retry_wait":
        rig.clock.set(rig.ledger.get(rig.key("first")).next_attempt)
        outcome = daemon.fire(rig.key("first"))
    assert outcome == "missed"
    record = rig.ledger.get(rig.key("first"))
    assert "window closed" in (record.last_error or "")
    assert rig.clock.now() <= DUE1 + timedelta(minutes=30)


def test_catch_up_after_downtime_goes_oldest_first_and_reports_the_rest(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    # Down from 07:00 until 08:35: "first" (window to 08:30) is missed, "second" is not.
    at(rig.clock, DUE2, 25 * 60)
    daemon = rig.daemon()
    daemon.reload()
    assert rig.state("first") == "missed" and rig.state("first", "sky") == "missed"
    daemon.run_catch_up()
    assert rig.state("second") == "published"
    rig.flush()
    assert ("missed", "test-daemon/first@masto") in rig.notifier.kinds()


def test_catch_up_order_is_oldest_first(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE2, 60)  # all of first and second are due and inside their windows
    daemon = rig.daemon()
    daemon.reload()
    daemon.run_catch_up()
    order = [e["key"] for e in rig.log.of("publishing")]
    assert order == [
        "test-daemon/first@masto",
        "test-daemon/first@sky",
        "test-daemon/second@masto",
    ]


def test_an_unknown_outcome_is_settled_by_looking_before_any_retry(rig: Rig) -> None:
    rig.faults["masto"] = {"fail_first": "outcome_unknown"}
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "published"
    assert len(rig.outbox_posts()) == 1
    assert rig.ledger.get(rig.key("first")).attempts == 1


def _dead_daemon_posts(rig: Rig, parts_recorded: int, parts_posted: int) -> Any:
    """A daemon that claimed the thread, posted some parts, recorded fewer, then died."""
    claim = rig.ledger.claim(rig.key("thread"), owner="dead", now=DUE3, lease=60)
    assert claim is not None
    record = rig.ledger.get(claim.key)
    request = build_request(claim.draft, rig.root / "campaign", approved_hash=record.approved_hash)
    publisher = rig.publisher_for(claim.draft)
    done: list[PartResult] = []

    class Died(Exception):
        pass

    def on_part(part: PartResult) -> None:
        nonlocal claim
        if len(done) < parts_recorded:
            claim = rig.ledger.record_part(claim, part, now=DUE3)
        done.append(part)
        if len(done) >= parts_posted:
            raise Died

    with contextlib.suppress(Died):
        publisher.publish(request, on_part)
    return claim


def test_a_crashed_thread_resumes_at_the_next_part_replying_to_the_right_parent(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    # Part 2 was posted but the daemon died before recording it.
    _dead_daemon_posts(rig, parts_recorded=1, parts_posted=2)
    at(rig.clock, DUE3, 30)
    assert daemon.sweep() == 0  # the lease still runs
    at(rig.clock, DUE3, 61)
    assert daemon.sweep() == 1
    assert rig.state("thread") == "published"
    parts = [p for p in rig.outbox_posts() if p["parts"] == 3]
    assert [p["part_index"] for p in parts] == [0, 1, 2]  # each exactly once
    assert parts[2]["request"]["in_reply_to_id"] == parts[1]["remote_id"]
    record = rig.ledger.get(rig.key("thread"))
    assert [p.remote_id for p in record.parts_done] == [p["remote_id"] for p in parts]
    found = rig.log.of("reconciled")
    assert found and found[0]["found"] is True and found[0]["part"] == 2


class Wrapped:
    """A real publisher with one behaviour changed by a subclass (the platform's side of a
    fault the fake servers cannot stage, such as time passing during an upload)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.rules = inner.rules

    def publish(
        self,
        request: PublishRequest,
        on_part: Any = None,
        before_create: Any = None,
        on_staged: Any = None,
    ) -> PublishResult:
        result: PublishResult = self.inner.publish(request, on_part, before_create, on_staged)
        return result

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        found: Lookup = self.inner.find(request, part_index, since)
        return found

    def verify(self) -> Any:
        return self.inner.verify()

    def close(self) -> None:
        self.inner.close()


class _CannotTell(Wrapped):
    """A platform that cannot say whether a post exists (as X can when its timeline fails)."""

    retry_after: float | None = None

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        self.looked.append(since)
        return CannotTell(
            "the account's timeline could not be read", retry_after=self.retry_after, status=503
        )

    looked: ClassVar[list[datetime | None]] = []


def test_what_cannot_be_decided_waits_for_a_person(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    _dead_daemon_posts(rig, parts_recorded=1, parts_posted=1)
    rig.wrap = lambda account, publisher: _CannotTell(publisher)
    at(rig.clock, DUE3, 61)
    assert daemon.sweep() == 1
    # It looks again later inside the window, never publishing meanwhile.
    record = rig.ledger.get(rig.key("thread"))
    while str(record.state) == "retry_wait":
        assert record.next_attempt is not None
        rig.clock.set(record.next_attempt)
        daemon.fire(record.key)
        record = rig.ledger.get(rig.key("thread"))
    assert len([p for p in rig.outbox_posts() if p["parts"] == 3]) == 1
    assert str(record.state) == "outcome_unknown"
    assert "cannot tell" in (record.last_error or "")
    assert daemon.sweep() == 0 and daemon.fire(rig.key("thread")) is None  # never retried alone
    rig.flush()
    [notice] = [n for n in rig.notifier.notices if n.kind == "outcome_unknown"]
    assert "scheduler resolve" in notice.detail
    # A person checked: it did not go out. The daemon publishes the rest, once.
    rig.ledger.resolve(
        rig.key("thread"), actor="rev@example.org", outcome="not_published", now=rig.clock.now()
    )
    rig.wrap = None
    assert daemon.fire(rig.key("thread")) == "published"
    assert len([p for p in rig.outbox_posts() if p["parts"] == 3]) == 3


def test_a_rate_limited_lookup_looks_again_no_sooner_than_the_platform_asked(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    _dead_daemon_posts(rig, parts_recorded=1, parts_posted=1)

    class Limited(_CannotTell):
        retry_after = 900.0
        looked: ClassVar[list[datetime | None]] = []

    rig.wrap = lambda account, publisher: Limited(publisher)
    at(rig.clock, DUE3, 61)
    started = rig.clock.now()
    assert daemon.sweep() == 1
    record = rig.ledger.get(rig.key("thread"))
    assert str(record.state) == "retry_wait" and record.next_attempt is not None
    assert record.next_attempt >= started + timedelta(seconds=900)
    # The lookup was asked to cover everything since the first attempt began.
    attempts = rig.ledger.attempts(rig.key("thread"))
    assert Limited.looked == [min(a.started_at for a in attempts)]
    assert len([p for p in rig.outbox_posts() if p["parts"] == 3]) == 1


def test_content_changed_after_approval_is_not_published(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    path = rig.root / "campaign" / "campaign.yaml"
    path.write_text(
        path.read_text().replace("Talking to someone can help.", "Talk to someone."),
        encoding="utf-8",
    )
    daemon.reload()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) is None
    assert daemon.sweep() == 0
    assert rig.state("first") == "draft"
    assert rig.outbox_posts() == [] and len(rig.outbox_posts("sky")) == 0


def test_stopping_between_parts_releases_the_claim_and_a_restart_resumes(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()

    class StopAfterFirst(Wrapped):
        def publish(
            self,
            request: PublishRequest,
            on_part: Any = None,
            before_create: Any = None,
            on_staged: Any = None,
        ) -> PublishResult:
            def hook(part: PartResult) -> None:
                daemon.stopping.set()  # SIGTERM arrives while part 1 is out
                on_part(part)

            result: PublishResult = self.inner.publish(request, hook, before_create, on_staged)
            return result

    rig.wrap = lambda account, publisher: StopAfterFirst(publisher)  # type: ignore[assignment, return-value]
    at(rig.clock, DUE3)
    assert daemon.fire(rig.key("thread")) == "released"
    record = rig.ledger.get(rig.key("thread"))
    assert str(record.state) == "scheduled" and len(record.parts_done) == 1
    rig.wrap = None
    again = rig.daemon()
    again.reload()
    again.run_catch_up()
    assert rig.state("thread") == "published"
    parts = [p for p in rig.outbox_posts() if p["parts"] == 3]
    assert [p["part_index"] for p in parts] == [0, 1, 2]
    assert parts[1]["request"]["in_reply_to_id"] == parts[0]["remote_id"]


def test_refused_credentials_ask_for_a_reconnect_and_retry_in_the_window(rig: Rig) -> None:
    rig.faults["masto"] = {"fail_first": "auth"}
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "retry_wait"
    rig.flush()
    assert ("needs_reconnect", "test-daemon/first@masto") in rig.notifier.kinds()
    from scheduler.daemon.status import build

    report = build(rig.ledger.list("test-daemon"), now=rig.clock.now(), max_lateness=3600)
    [waiting] = report["waiting_to_retry"]
    assert waiting["problem"].startswith("needs reconnecting") and waiting["next_attempt"]
    rig.faults.clear()  # a person reconnected the account
    rig.clock.set(rig.ledger.get(rig.key("first")).next_attempt)
    assert daemon.fire(rig.key("first")) == "published"


def test_two_daemons_racing_for_one_post_publish_it_once(rig: Rig) -> None:
    one = rig.daemon(owner="one")
    two = rig.daemon(owner="two")
    one.reload()
    two.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    results: list[str | None] = []
    barrier = threading.Barrier(2)

    def go(daemon: Any) -> None:
        barrier.wait()
        results.append(daemon.fire(rig.key("first")))

    threads = [threading.Thread(target=go, args=(d,)) for d in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, results)) == ["None", "published"]
    assert len(rig.outbox_posts()) == 1


def test_unknown_start_time_keeps_t_start_meaningful() -> None:
    assert T_START < DUE1 < DUE2 < DUE3


def test_a_daemon_claims_only_the_campaigns_it_has_loaded(rig: Rig) -> None:
    from tests.ledger.support import make_draft

    other = make_draft("elsewhere", campaign="another-campaign", due=DUE1)
    rig.ledger.sync("another-campaign", [other], now=T_START)
    rig.ledger.decide(
        other.key, kind="approve", actor=REVIEWER, content_hash=other.content_hash, now=T_START
    )
    daemon = rig.daemon()
    daemon.reload()
    at(rig.clock, DUE1)
    daemon.sweep()
    assert str(rig.ledger.get(other.key).state) == "approved"  # left for its own daemon


def test_a_publisher_bug_after_posting_is_settled_without_a_second_post(rig: Rig) -> None:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()

    class Buggy(Wrapped):
        def publish(
            self,
            request: PublishRequest,
            on_part: Any = None,
            before_create: Any = None,
            on_staged: Any = None,
        ) -> PublishResult:
            self.inner.publish(request)  # posted, but never reported
            raise KeyError("id")

    rig.wrap = lambda account, publisher: Buggy(publisher)  # type: ignore[assignment, return-value]
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "published"
    assert len(rig.outbox_posts()) == 1
    assert rig.log.of("bug")[0]["error"].startswith("unexpected error in the sandbox publisher")


def _stopped_after_part_one(rig: Rig) -> Any:
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE3)
    claim = rig.ledger.claim(rig.key("thread"), owner="w", now=DUE3, lease=60)
    claim = rig.ledger.record_part(claim, PartResult(0, "id-0", "https://m.example/1"), now=DUE3)
    rig.ledger.release(claim, now=DUE3)  # stopped between parts
    return daemon


def test_a_thread_stopped_half_way_is_finished_after_its_window(rig: Rig) -> None:
    daemon = _stopped_after_part_one(rig)
    at(rig.clock, DUE3 + timedelta(minutes=31))  # the window (30 min) closed meanwhile
    assert daemon.fire(rig.key("thread")) == "published"
    parts = [p for p in rig.outbox_posts() if p["parts"] == 3]
    assert [p["part_index"] for p in parts] == [1, 2]  # part 1 was out already
    assert parts[0]["request"]["in_reply_to_id"] == "id-0"
    rig.flush()
    assert not [n for n in rig.notifier.notices if n.kind == "missed"]
    [late] = [n for n in rig.notifier.notices if n.kind == "finished_late"]
    assert "parts 2 and 3 of 3" in late.summary and "09:31 UTC" in late.detail


def test_a_thread_stopped_half_way_past_its_completion_limit_says_which_parts_are_out(
    rig: Rig,
) -> None:
    daemon = _stopped_after_part_one(rig)
    # The window (30 min) closed, and the day allowed for finishing the thread as well.
    at(rig.clock, DUE3 + timedelta(minutes=30, hours=24, seconds=1))
    assert daemon.fire(rig.key("thread")) is None
    record = rig.ledger.get(rig.key("thread"))
    assert str(record.state) == "missed"
    assert (record.last_error or "").startswith("only 1 of 3 parts were published")
    assert rig.outbox_posts() == []
    rig.flush()
    [notice] = [n for n in rig.notifier.notices if n.kind == "missed"]
    assert "https://m.example/1" in notice.detail


def test_a_lease_lost_during_a_slow_upload_posts_nothing(rig: Rig) -> None:
    """Uploading can take longer than the lease. If another daemon took the draft over
    meanwhile, this one must not create the post: the taker reconciles, then posts once."""
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    key = rig.key("first")

    class SlowUpload(Wrapped):
        def publish(
            self,
            request: PublishRequest,
            on_part: Any = None,
            before_create: Any = None,
            on_staged: Any = None,
        ) -> PublishResult:
            # The media take five minutes to go up; the lease (60 s) runs out and another
            # daemon claims the draft before this one gets to the create call.
            rig.clock.advance(300)
            assert rig.ledger.claim(key, owner="other", now=rig.clock.now(), lease=60)
            result: PublishResult = self.inner.publish(request, on_part, before_create, on_staged)
            return result

    rig.wrap = lambda account, publisher: SlowUpload(publisher)  # type: ignore[assignment, return-value]
    at(rig.clock, DUE1)
    assert daemon.fire(key) == "ledger_error"
    assert rig.outbox_posts() == []
    record = rig.ledger.get(key)
    assert str(record.state) == "publishing" and record.lease_owner == "other"


def test_a_staged_container_reaches_the_next_attempt(rig: Rig) -> None:
    """A platform that builds a container before publishing it reports the container's id;
    after a lost answer the next attempt is handed that id (to ask the platform about it)."""
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    key = rig.key("first")
    seen: list[dict[int, str]] = []

    class Staging(Wrapped):
        def publish(
            self,
            request: PublishRequest,
            on_part: Any = None,
            before_create: Any = None,
            on_staged: Any = None,
        ) -> PublishResult:
            seen.append(dict(request.staged))
            if len(seen) == 1:
                on_staged(0, "container-17")
                raise OutcomeUnknown("no answer to the publish call", part_index=0)
            result: PublishResult = self.inner.publish(request, on_part, before_create, on_staged)
            return result

    rig.wrap = lambda account, publisher: Staging(publisher)  # type: ignore[assignment, return-value]
    at(rig.clock, DUE1)
    assert daemon.fire(key) == "retry_wait"
    record = rig.ledger.get(key)
    assert rig.ledger.staged(key, record.content_hash) == {0: "container-17"}
    assert record.next_attempt is not None
    rig.clock.advance((record.next_attempt - rig.clock.now()).total_seconds() + 1)
    assert daemon.fire(key) == "published"
    assert seen == [{}, {0: "container-17"}]
    assert len(rig.outbox_posts()) == 1
