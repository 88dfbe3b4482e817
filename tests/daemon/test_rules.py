"""Window, catch-up, reminder and reconciliation rules, as tables over ledger-shaped records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.daemon.reconcile import (
    FINISHING_LATE,
    Step,
    needs_reconcile,
    plan,
)
from scheduler.daemon.request import NotPublishable, build_request, resolve_media
from scheduler.daemon.windows import finish_by, last_chance, window_end
from scheduler.draft import Draft, DraftKey, Media, Part, PartResult, idempotency_key

NOW = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
LATENESS = 6 * 3600.0
COMPLETION = 24 * 3600.0
OUT = (PartResult(0, "id-1", "https://m.example/1"),)  # part 1 of a thread is public


@dataclass
class Rec:
    post: str
    state: str
    due: datetime
    latest: datetime | None = None
    next_attempt: datetime | None = None
    lease_until: datetime | None = None
    last_error: str | None = None
    parts_done: tuple[PartResult, ...] = ()

    @property
    def key(self) -> DraftKey:
        return DraftKey("c", self.post, "a")


def _plan(*records: Rec) -> Any:
    return plan(
        records, now=NOW, max_lateness=LATENESS, remind_ahead=3600, thread_completion=COMPLETION
    )


def _steps(steps: tuple[Step, ...]) -> list[tuple[str, str, datetime]]:
    return [(s.action, s.key.post_id, s.at) for s in steps]


def test_window_end() -> None:
    assert window_end(NOW, None, 60) == NOW + M
    assert window_end(NOW, NOW + H, 60) == NOW + H


@pytest.mark.parametrize(
    ("latest", "started", "completion", "expected"),
    [
        (NOW + H, False, 86400, NOW + H),  # not started: the window's end
        (NOW + H, True, 86400, NOW + 25 * H),  # started: a day more to finish it
        (None, True, 3600, NOW + M + H),  # no latest: default lateness, then the limit
        (NOW + H, True, 0, NOW + H),  # 0 turns late finishing off
        (NOW + H, True, -60, NOW + H),  # a negative limit is no limit, not an earlier end
    ],
)
def test_last_chance(
    latest: datetime | None, started: bool, completion: float, expected: datetime
) -> None:
    got = last_chance(NOW, latest, started=started, max_lateness=60, thread_completion=completion)
    assert got == expected
    if started:
        assert finish_by(NOW, latest, max_lateness=60, thread_completion=completion) == expected


PLAN_CASES = [
    (
        "future approved: timer at due",
        [Rec("p", "approved", NOW + H)],
        [],
        [],
        [("publish", "p", NOW + H)],
    ),
    ("future scheduled", [Rec("p", "scheduled", NOW + H)], [], [], [("publish", "p", NOW + H)]),
    (
        "retry: timer at the next attempt",
        [Rec("p", "retry_wait", NOW - H, NOW + H, next_attempt=NOW + M)],
        [],
        [],
        [("publish", "p", NOW + M)],
    ),
    (
        "due inside the window: catch up now",
        [Rec("p", "approved", NOW - H, NOW + H)],
        [("catch_up", "p", NOW)],
        [],
        [],
    ),
    (
        "catch-up oldest first",
        [
            Rec("b", "approved", NOW - M, NOW + H),
            Rec("a", "scheduled", NOW - 2 * H, NOW + H),
            Rec("c", "retry_wait", NOW - 3 * H, NOW + H, next_attempt=NOW - M),
        ],
        [("catch_up", "c", NOW), ("catch_up", "a", NOW), ("catch_up", "b", NOW)],
        [],
        [],
    ),
    (
        "window closed during downtime: missed",
        [Rec("p", "approved", NOW - 2 * H, NOW - H)],
        [],
        [("missed", "p", NOW)],
        [],
    ),
    (
        "no latest: the default lateness",
        [Rec("p", "approved", NOW - 7 * H), Rec("q", "approved", NOW - 5 * H)],
        [("catch_up", "q", NOW)],
        [("missed", "p", NOW)],
        [],
    ),
    (
        "publishing under a live lease: look again when it ends",
        [Rec("p", "publishing", NOW - M, NOW + H, lease_until=NOW + M)],
        [],
        [],
        [("publish", "p", NOW + M)],
    ),
    (
        "publishing, lease expired: taken over now, even past the window",
        [Rec("p", "publishing", NOW - 3 * H, NOW - H, lease_until=NOW - M)],
        [("catch_up", "p", NOW)],
        [],
        [],
    ),
    (
        "unapproved, due in two hours: remind an hour ahead, at due, close at window end",
        [Rec("p", "draft", NOW + 2 * H, NOW + 3 * H)],
        [],
        [],
        [
            ("remind", "p", NOW + H),
            ("not_approved", "p", NOW + 2 * H),
            ("close_unapproved", "p", NOW + 3 * H),
        ],
    ),
    (
        "unapproved, due in ten minutes: remind now",
        [Rec("p", "rejected", NOW + 10 * M, NOW + H)],
        [],
        [],
        [
            ("remind", "p", NOW),
            ("not_approved", "p", NOW + 10 * M),
            ("close_unapproved", "p", NOW + H),
        ],
    ),
    (
        "unapproved, already due: report now",
        [Rec("p", "draft", NOW - M, NOW + H)],
        [],
        [],
        [("not_approved", "p", NOW), ("close_unapproved", "p", NOW + H)],
    ),
    (
        "unapproved, window closed: missed, never published",
        [Rec("p", "draft", NOW - 2 * H, NOW - H)],
        [],
        [("close_unapproved", "p", NOW)],
        [],
    ),
    (
        "started thread released after its window: finished late, not missed",
        [Rec("p", "scheduled", NOW - 3 * H, NOW - H, parts_done=OUT)],
        [("catch_up", "p", NOW)],
        [],
        [],
    ),
    (
        "started thread, retry due after its window: finished late",
        [Rec("p", "retry_wait", NOW - 3 * H, NOW - H, next_attempt=NOW - M, parts_done=OUT)],
        [("catch_up", "p", NOW)],
        [],
        [],
    ),
    (
        "started thread, retry set after its window: a timer at the retry",
        [Rec("p", "retry_wait", NOW - 3 * H, NOW - H, next_attempt=NOW + H, parts_done=OUT)],
        [],
        [],
        [("publish", "p", NOW + H)],
    ),
    (
        "started thread past its completion limit too: missed",
        [Rec("p", "scheduled", NOW - 30 * H, NOW - 24 * H - M, parts_done=OUT)],
        [],
        [("missed", "p", NOW)],
        [],
    ),
    (
        "started thread just inside its completion limit",
        [Rec("p", "approved", NOW - 30 * H, NOW - 24 * H, parts_done=OUT)],
        [("catch_up", "p", NOW)],
        [],
        [],
    ),
    (
        "started thread without latest: the default lateness, then the limit",
        [
            Rec("a", "scheduled", NOW - 29 * H, parts_done=OUT),
            Rec("b", "scheduled", NOW - 31 * H, parts_done=OUT),
            Rec("c", "scheduled", NOW - 7 * H),
        ],
        [("catch_up", "a", NOW)],
        [("missed", "b", NOW), ("missed", "c", NOW)],
        [],
    ),
    (
        "started thread sent back to review: closed at its completion limit",
        [Rec("p", "draft", NOW - 2 * H, NOW - H, parts_done=OUT)],
        [],
        [],
        [("not_approved", "p", NOW), ("close_unapproved", "p", NOW + 23 * H)],
    ),
    (
        "finished states: nothing",
        [
            Rec("a", "published", NOW - H),
            Rec("b", "failed", NOW - H),
            Rec("c", "missed", NOW - H),
            Rec("d", "cancelled", NOW + H),
        ],
        [],
        [],
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "records", "catch_up", "missed", "timers"), PLAN_CASES, ids=[c[0] for c in PLAN_CASES]
)
def test_plan(
    name: str, records: list[Rec], catch_up: list[Any], missed: list[Any], timers: list[Any]
) -> None:
    got = _plan(*records)
    assert _steps(got.catch_up) == catch_up
    assert _steps(got.missed) == missed
    assert _steps(got.timers) == timers


def test_a_started_thread_is_caught_up_as_finishing_late() -> None:
    got = _plan(
        Rec("late", "scheduled", NOW - 3 * H, NOW - H, parts_done=OUT),
        Rec("due", "approved", NOW - M, NOW + H),
    )
    reasons = {s.key.post_id: s.reason for s in got.catch_up}
    assert reasons == {"late": FINISHING_LATE, "due": ""}


def test_late_finishing_can_be_turned_off() -> None:
    got = plan(
        [Rec("p", "scheduled", NOW - 3 * H, NOW - H, parts_done=OUT)],
        now=NOW,
        max_lateness=LATENESS,
        remind_ahead=3600,
        thread_completion=0,
    )
    assert _steps(got.missed) == [("missed", "p", NOW)] and got.catch_up == ()


def test_outcome_unknown_is_reported_not_planned() -> None:
    got = _plan(Rec("p", "outcome_unknown", NOW - H, last_error="connection dropped"))
    assert _steps(got.problems) == [("report", "p", NOW)]
    assert got.timers == () and got.catch_up == ()


# --- reconciliation ------------------------------------------------------------------------


@dataclass
class C:
    attempt: int
    takeover: bool = False


@dataclass
class A:
    number: int
    outcome: str | None
    error_class: str | None = None
    ended_at: datetime | None = field(default=NOW)


@dataclass
class E:
    action: str


RECONCILE_CASES = [
    ("first attempt", C(1), [A(1, None, ended_at=None)], [E("claim")], False),
    ("lease expired mid-publish", C(2, takeover=True), [A(1, "lease_expired")], [E("claim")], True),
    (
        # the taker was deferred by a pause before it could look (its attempt row is gone)
        "lease expired, the taker deferred",
        C(2),
        [A(1, "lease_expired")],
        [E("claim"), E("defer"), E("claim")],
        True,
    ),
    (
        "after a transient error",
        C(2),
        [A(1, "retry", "Transient"), A(2, None, ended_at=None)],
        [E("claim"), E("retry_later"), E("claim")],
        False,
    ),
    (
        "after a rate limit",
        C(3),
        [A(1, "retry", "Transient"), A(2, "retry", "RateLimited")],
        [E("retry_later"), E("claim")],
        False,
    ),
    (
        "after an unknown outcome",
        C(2),
        [A(1, "retry", "OutcomeUnknown")],
        [E("retry_later"), E("claim")],
        True,
    ),
    (
        "previous attempt never ended",
        C(2),
        [A(1, None, ended_at=None)],
        [E("claim"), E("claim")],
        True,
    ),
    (
        "a person said it did not go out",
        C(2),
        [A(1, "outcome_unknown", "OutcomeUnknown")],
        [E("give_up"), E("resolve"), E("claim")],
        False,
    ),
    (
        "given up as unknown without resolve (cannot be claimed, but be safe)",
        C(2),
        [A(1, "outcome_unknown", "OutcomeUnknown")],
        [E("give_up"), E("claim")],
        True,
    ),
]


@pytest.mark.parametrize(
    ("name", "claim", "attempts", "events", "expected"),
    RECONCILE_CASES,
    ids=[c[0] for c in RECONCILE_CASES],
)
def test_needs_reconcile(
    name: str, claim: C, attempts: list[A], events: list[E], expected: bool
) -> None:
    assert needs_reconcile(claim, attempts, events) is expected


# --- building the request ------------------------------------------------------------------


def _draft(tmp: Path, *, media_path: str = "img/a.png", digest: str | None = None) -> Draft:
    (tmp / "img").mkdir(exist_ok=True)
    data = b"\x89PNG fake"
    (tmp / "img" / "a.png").write_bytes(data)
    import hashlib

    sha = digest or hashlib.sha256(data).hexdigest()
    return Draft(
        campaign="c",
        post_id="p",
        account="a",
        platform="mastodon",
        due=NOW,
        timezone="Europe/London",
        parts=(
            Part("first", media=(Media(media_path, sha, "image/png", len(data), "a chart"),)),
            Part("second"),
        ),
        content_warning="eating disorders",
        language="en",
    )


def test_build_request(tmp_path: Path) -> None:
    draft = _draft(tmp_path)
    request = build_request(draft, tmp_path, approved_hash=draft.content_hash)
    assert [p.text for p in request.parts] == ["first", "second"]
    assert request.parts[0].media[0].file == (tmp_path / "img" / "a.png").resolve()
    assert request.parts[1].idempotency_key == idempotency_key(draft.key, draft.content_hash, 1)
    assert request.created_at == NOW and request.content_warning == "eating disorders"


def test_build_request_refuses_an_unapproved_hash(tmp_path: Path) -> None:
    draft = _draft(tmp_path)
    with pytest.raises(NotPublishable, match="not the approved content"):
        build_request(draft, tmp_path, approved_hash="d1:" + "0" * 64)


def test_build_request_refuses_a_stored_hash_that_lies(tmp_path: Path) -> None:
    honest = _draft(tmp_path)
    # A payload whose stored hash claims approval but whose text differs.
    forged = Draft.from_payload({**honest.to_payload(), "parts": [{"text": "changed"}]})
    assert forged.content_hash == honest.content_hash
    with pytest.raises(NotPublishable):
        build_request(forged, tmp_path, approved_hash=honest.content_hash)


def test_build_request_refuses_changed_media(tmp_path: Path) -> None:
    draft = _draft(tmp_path, digest="0" * 64)
    with pytest.raises(NotPublishable, match="changed since it was approved"):
        build_request(draft, tmp_path, approved_hash=draft.content_hash)


@pytest.mark.parametrize("bad", ["../outside.png", "/etc/passwd", "img/../../x.png"])
def test_media_cannot_leave_the_campaign_folder(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "campaign"
    root.mkdir()
    with pytest.raises(NotPublishable, match="leaves the campaign folder"):
        resolve_media(root, bad)


def test_media_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "campaign"
    root.mkdir()
    (tmp_path / "secret.png").write_bytes(b"x")
    (root / "link.png").symlink_to(tmp_path / "secret.png")
    with pytest.raises(NotPublishable):
        resolve_media(root, "link.png")
