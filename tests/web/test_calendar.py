"""The week as a calendar in the campaign's timezone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from scheduler.web.calendar import build
from tests.web.conftest import Web
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


def test_progress_closed_windows_and_the_year_as_of_now() -> None:
    from datetime import timedelta

    from scheduler.draft import DraftKey

    due = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
    one = make_draft("one", due=due, latest=due + timedelta(hours=1))
    key = DraftKey(one.campaign, one.post_id, one.account)
    during = datetime(2026, 5, 11, 8, 30, tzinfo=UTC)
    (week,) = build([(one, "draft")], "Europe/London", approvals={key: (1, 2)}, now=during)
    (slot,) = week.days[0].entries[0].slots
    assert slot.progress == "1 of 2 approvals" and not slot.closed
    assert week.label(week.days[0].day) == "Mon 11 May"
    (week,) = build([(one, "approved")], "Europe/London", approvals={key: (2, 2)}, now=during)
    assert week.days[0].entries[0].slots[0].progress == ""
    next_year = datetime(2027, 1, 5, 8, 0, tzinfo=UTC)
    (week,) = build([(one, "draft")], "Europe/London", approvals={key: (1, 2)}, now=next_year)
    assert week.days[0].entries[0].slots[0].closed
    assert week.label(week.days[0].day) == "Mon 11 May 2026"
    (week,) = build([(one, "published")], "Europe/London", now=next_year)
    assert not week.days[0].entries[0].slots[0].closed


def test_the_calendar_page_shows_progress_every_state_and_closed_windows(web: Web) -> None:
    web.edit("required: 1", "required: 2")
    client = web.signed_in("rui@example.org")
    page = client.get("/c/mhaw-test/post/day2-support")
    fields = {
        "csrf": re.search(r'name="csrf" value="([^"]+)"', page.text)[1],  # type: ignore[index]
        "content_hash": web.ledger.get(_key("day2-support", "masto")).content_hash,
    }
    assert (
        client.post("/c/mhaw-test/post/day2-support/masto/approve", data=fields).status_code == 303
    )
    calendar = client.get("/c/mhaw-test").text
    assert "1 of 2 approvals" in calendar and "0 of 2 approvals" in calendar
    for label in ("missed", "failed", "retry", "unknown", "cancelled", "window closed"):
        assert f">{label}</span>" in calendar, label
    assert "window closed</span>" not in calendar.split("</ul>", 2)[-1]  # none closed yet
    assert "Mon 11 May 2026" not in calendar.split("<caption>")[1]  # this year: no year
    web.clock.set(datetime(2027, 1, 4, 8, 0, tzinfo=UTC))
    later = web.signed_in("rui@example.org").get("/c/mhaw-test").text
    assert "Mon 11 May 2026" in later and "window closed</span>" in later.split("</ul>", 2)[-1]


def _key(post: str, account: str) -> object:
    from scheduler.draft import DraftKey

    return DraftKey("mhaw-test", post, account)


def test_a_post_page_of_another_year_says_which(web: Web) -> None:
    client = web.signed_in("rui@example.org")
    page = client.get("/c/mhaw-test/post/day2-support").text
    assert "Tue 12 May 12:30 BST" in page  # this year (the clock's): no year
    web.clock.set(datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    later = web.signed_in("rui@example.org").get("/c/mhaw-test/post/day2-support").text
    assert "Tue 12 May 2026 12:30 BST" in later
