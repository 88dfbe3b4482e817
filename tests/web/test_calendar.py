"""The week as a calendar in the campaign's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from scheduler.web.calendar import build
from tests.web.drafts import make_draft


def test_posts_fall_on_their_local_day_in_time_order() -> None:
    late = make_draft("late", due=datetime(2026, 5, 11, 23, 30, tzinfo=UTC))  # 00:30 Tue BST
    early = make_draft("early", due=datetime(2026, 5, 11, 6, 0, tzinfo=UTC))
    noon_x = make_draft("noon", "x-main", "x", due=datetime(2026, 5, 11, 11, 0, tzinfo=UTC))
    noon_m = make_draft("noon", due=datetime(2026, 5, 11, 11, 0, tzinfo=UTC))
    weeks = build(
        [(late, "draft"), (noon_m, "approved"), (early, "draft"), (noon_x, "rejected")],
        "Europe/London",
    )
    assert len(weeks) == 1
    monday, tuesday = weeks[0].days[0], weeks[0].days[1]
    assert monday.day == date(2026, 5, 11)
    assert [e.post_id for e in monday.entries] == ["early", "noon"]
    assert [e.post_id for e in tuesday.entries] == ["late"]
    noon = monday.entries[1]
    assert noon.local_time.hour == 12
    assert [(s.account, s.platform_label, s.state) for s in noon.slots] == [
        ("mastodon-main", "Mastodon", "approved"),
        ("x-main", "X", "rejected"),
    ]


def test_weeks_run_from_the_start_day_to_the_last_post() -> None:
    a = make_draft("a", due=datetime(2026, 5, 11, 8, 0, tzinfo=UTC))
    b = make_draft("b", due=datetime(2026, 5, 19, 8, 0, tzinfo=UTC))
    weeks = build([(a, "draft"), (b, "draft")], "Europe/London", start=date(2026, 5, 10))
    assert [w.days[0].day for w in weeks] == [date(2026, 5, 10), date(2026, 5, 17)]
    assert all(len(w.days) == 7 for w in weeks)
    assert build([], "Europe/London") == ()
