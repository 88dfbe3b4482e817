"""The rehearsal of a week: each kind of problem it must find, with its cause and fix, and a
clean week that it must not complain about. The real daemon runs every one of them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from scheduler.campaign import load_campaign
from scheduler.rehearsal.moving import default_start
from tests.rehearsal.support import MEDIA_SITE, TODAY, kinds, make_rig, shipped_rig

MONDAY = date(2027, 1, 4)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_clean_week_publishes_every_draft_on_time_and_writes_nothing_real(
    tmp_path: Path,
) -> None:
    rig = make_rig(tmp_path)
    assert rig.approve() == []
    real = rig.ledger()
    before = [(r.key, r.state, r.attempts) for r in real.list(campaign="rehearse-test")]
    events = sum(len(real.events(r.key)) for r in real.list(campaign="rehearse-test"))
    real.close()

    result = rig.rehearse(MONDAY)

    assert result.problems == []
    assert result.exit_code == 0
    assert [(s.post, s.account, s.outcome) for s in result.slots] == [
        ("monday", "masto", "published"),
        ("monday", "sky", "published"),
        ("wednesday-thread", "masto", "published"),
        ("sunday", "masto", "published"),
        ("sunday", "sky", "published"),
    ]
    for slot in result.slots:
        assert slot.published_at == slot.due
    assert result.slots[0].due == utc("2027-01-04T08:30:00Z")
    assert result.simulated_seconds > 6 * 86400
    real = rig.ledger()
    after = [(r.key, r.state, r.attempts) for r in real.list(campaign="rehearse-test")]
    assert after == before
    assert sum(len(real.events(r.key)) for r in real.list(campaign="rehearse-test")) == events
    real.close()


def test_unapproved_drafts_are_not_published_and_say_how_many_approvals_they_lack(
    tmp_path: Path,
) -> None:
    rig = make_rig(tmp_path)
    rig.approve(skip={"sunday"})
    result = rig.rehearse(MONDAY)
    assert kinds(result) == ["unapproved"]
    assert result.exit_code == 1
    unpublished = {(s.post, s.account) for s in result.slots if s.outcome == "not published"}
    assert unpublished == {("sunday", "masto"), ("sunday", "sky")}
    problem = result.problems[0]
    assert "0 of 1 approvals" in problem.cause
    assert "scheduler review" in problem.fix


def test_without_a_real_ledger_nothing_is_approved(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    result = rig.rehearse(MONDAY)
    assert {p.kind for p in result.problems} == {"unapproved"}
    assert len(result.problems) == 5
    assert not rig.ledger_path.exists()


def test_a_care_block_is_named_with_its_rules_and_the_override_command(tmp_path: Path) -> None:
    risky = """\
  - id: risky
    day: 2
    time: "10:00"
    author: author@example.org
    accounts: [masto]
    text: He took his own life and is finally at peace now.
"""
    from tests.rehearsal.support import POSTS

    rig = make_rig(tmp_path, POSTS + risky)
    assert rig.approve() == ["rehearse-test/risky@masto"]
    result = rig.rehearse(MONDAY)
    assert kinds(result) == ["care_block"]
    (problem,) = result.problems
    assert problem.post == "risky"
    assert "sm-solution" in problem.cause
    assert "scheduler override" in problem.fix


def test_a_token_expiring_mid_week_fails_the_posts_after_it(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, env={"SCHEDULER_SECRET_SKY_EXPIRES_AT": "2027-01-07T00:00:00"})
    rig.approve()
    result = rig.rehearse(MONDAY)
    assert kinds(result) == ["token"]
    (problem,) = result.problems
    assert problem.account == "sky"
    assert "during the week" in problem.cause
    assert "reconnect sky" in problem.fix
    outcome = {(s.post, s.account): s.outcome for s in result.slots}
    assert outcome[("monday", "sky")] == "published"
    assert outcome[("sunday", "sky")] == "not published"
    assert outcome[("sunday", "masto")] == "published"
    tokens = {t.account: t for t in result.tokens}
    assert tokens["sky"].expires == utc("2027-01-07T00:00:00Z")
    assert tokens["masto"].expires is None
    assert tokens["masto"].to_json()["expires"] == "unknown"


def test_a_pause_in_force_holds_everything_back(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.approve()
    real = rig.ledger()
    real.pause("rehearse-test", actor="rev@example.org", reason="news", now=TODAY)
    real.close()
    result = rig.rehearse(MONDAY)
    assert kinds(result) == ["paused"]
    assert "scheduler resume" in result.problems[0].fix
    assert {s.outcome for s in result.slots} == {"not published"}
    real = rig.ledger()
    assert real.paused("rehearse-test") is not None
    real.close()


def test_posts_too_close_together_on_one_account(tmp_path: Path) -> None:
    close = """\
  - id: monday-again
    day: 1
    time: "08:40"
    author: author@example.org
    accounts: [sky]
    text: One more thing today. You are not alone.
"""
    from tests.rehearsal.support import POSTS

    rig = make_rig(tmp_path, POSTS + close)
    rig.approve()
    result = rig.rehearse(MONDAY)
    assert kinds(result) == ["too_close"]
    (problem,) = result.problems
    assert (problem.post, problem.account) == ("monday-again", "sky")
    assert "10 min after monday" in problem.cause


def test_a_week_with_a_clock_change_and_a_time_that_does_not_exist(tmp_path: Path) -> None:
    early = """\
  - id: night-owl
    day: 7
    time: "01:30"
    author: author@example.org
    accounts: [masto]
    text: Awake at night? You are not alone; Samaritans answer day or night on 116 123.
"""
    from tests.rehearsal.support import POSTS

    rig = make_rig(tmp_path, POSTS + early)
    rig.approve()
    # 28 March 2027 is day 7: British clocks go forward at 01:00 UTC that night.
    result = rig.rehearse(date(2027, 3, 22))
    assert kinds(result) == ["dst"]
    causes = " / ".join(p.cause for p in result.problems)
    assert "does not exist in Europe/London" in causes
    assert "the clocks go forward in Europe/London" in causes
    sunday = {s.account: s for s in result.slots if s.post == "sunday"}
    assert sunday["masto"].due == utc("2027-03-28T18:00:00Z")  # 19:00 BST
    assert sunday["masto"].local.strftime("%H:%M %Z") == "19:00 BST"


def test_the_shipped_campaign_rehearsed_across_the_autumn_clock_change(tmp_path: Path) -> None:
    rig = shipped_rig(tmp_path, MEDIA_SITE)
    refused = rig.approve()
    result = rig.rehearse(date(2026, 10, 19))
    assert refused == []
    assert kinds(result) == ["dst"]
    assert "the clocks go back in Europe/London" in result.problems[0].cause
    assert {s.outcome for s in result.slots} == {"published"}
    # Each post keeps its local time: an hour ahead of UTC before the change, on UTC after.
    for slot in result.slots:
        after = slot.local.date() == date(2026, 10, 25)
        assert slot.local.utcoffset() == timedelta(hours=0 if after else 1)
        assert slot.due.hour == slot.local.hour - (0 if after else 1)
    assert any(s.local.date() == date(2026, 10, 25) for s in result.slots)


def test_the_default_start_is_the_next_such_weekday_after_today(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    campaign = load_campaign(rig.path)
    # Today is a Monday and day 1 of the campaign is a Monday: the next one, not today.
    assert default_start(campaign, TODAY) == date(2026, 12, 14)
    assert default_start(campaign, TODAY + timedelta(days=3)) == date(2026, 12, 14)
    result = rig.rehearse()
    assert result.start == date(2026, 12, 14)
    assert result.slots[0].due == utc("2026-12-14T08:30:00Z")


def busy_x_morning(posts: int, parts: int) -> str:
    """``posts`` threads of ``parts`` parts on one X account, a minute apart."""
    lines = ["posts:\n"]
    for i in range(posts):
        lines.append(
            f'  - id: burst-{i:02d}\n    day: 1\n    time: "09:{i:02d}"\n'
            f"    author: author@example.org\n    accounts: [xacct]\n    thread:\n"
        )
        lines.extend(
            f'      - text: "Morning thread {i}, part {n + 1} of {parts}."\n' for n in range(parts)
        )
    return "".join(lines)


def test_a_campaign_past_a_platform_quota_is_held_back(tmp_path: Path) -> None:
    from tests.rehearsal.support import HEADER

    header = HEADER.replace(
        "  sky: {platform: bluesky, handle: rehearse.bsky.social}\n",
        "  sky: {platform: bluesky, handle: rehearse.bsky.social}\n"
        "  xacct: {platform: x, username: rehearse}\n",
    ).replace("min_gap: 30m", "min_gap: 1m")
    rig = make_rig(tmp_path, busy_x_morning(14, 8), header)
    rig.approve()
    result = rig.rehearse(MONDAY)
    assert kinds(result) == ["quota"]
    # X publishes 100 posts per 15 minutes a user: part 5 of the 13th thread is the 101st.
    held = {p.post or "": p for p in result.problems}
    assert sorted(held) == ["burst-12", "burst-13"]
    # The daemon's gate held the account (its words), before the platform had to refuse.
    assert "its quota of 100 posts per 15 minutes is spent" in held["burst-12"].cause
    assert "min late" in held["burst-12"].cause
    assert "spread the account's posts out" in held["burst-12"].fix
    assert [s.post for s in result.slots if s.outcome == "late"] == ["burst-12", "burst-13"]
    assert all(s.outcome in ("published", "late") for s in result.slots)
    on_time = [s for s in result.slots if s.outcome == "published"]
    assert [s.post for s in on_time] == [f"burst-{i:02d}" for i in range(12)]


def test_a_quota_holds_a_post_back_in_rehearsal_exactly_as_the_daemons_gate_would(
    tmp_path: Path,
) -> None:
    """X's free tier allows 17 posts a day. The 18th waits, as the daemon's gate makes it
    wait: the account is paused until the first post leaves the 24-hour window (the time
    ``quota.next_allowed`` gives for what was published), and the post's window closes
    first. Nothing reached the simulated platform to be refused: the platform's own words
    ("X allows ...") never appear."""
    from scheduler import descriptors
    from scheduler.platforms.quota import next_allowed
    from tests.rehearsal.support import HEADER

    header = HEADER.replace(
        "  sky: {platform: bluesky, handle: rehearse.bsky.social}\n",
        "  sky: {platform: bluesky, handle: rehearse.bsky.social}\n"
        "  xacct: {platform: x, username: rehearse, tier: free}\n",
    ).replace("min_gap: 30m", "min_gap: 1m")
    posts = ["posts:\n"]
    for i in range(18):
        at = datetime(2026, 5, 11, 9) + timedelta(minutes=20 * i)
        posts.append(
            f'  - id: daily-{i:02d}\n    day: 1\n    time: "{at:%H:%M}"\n'
            f"    author: author@example.org\n    accounts: [xacct]\n"
            f"    text: Post {i} of the day.\n"
        )
    rig = make_rig(tmp_path, "".join(posts), header)
    rig.approve()

    result = rig.rehearse(MONDAY)

    outcomes = {s.post: s for s in result.slots}
    published = sorted(s.published_at for s in result.slots if s.published_at is not None)
    assert len(published) == 17
    assert all(outcomes[f"daily-{i:02d}"].outcome == "published" for i in range(17))
    assert outcomes["daily-17"].outcome == "not published"
    (quota,) = [q for q in descriptors.get("x").rate_limits.quotas if q.tier == "free"]
    last = outcomes["daily-17"].due
    until = next_allowed(quota, [(at, 0) for at in published], last)
    assert until == published[0] + timedelta(hours=24) == utc("2027-01-05T09:00:00Z")
    (problem,) = result.problems
    assert problem.kind == "quota" and problem.post == "daily-17"
    assert problem.cause == (
        f"post daily-17 on xacct: held back until {until:%a %d %b %H:%M} UTC: its quota of "
        "17 posts per 24 hours on the free tier is spent, so it was not published (missed)"
    )
    assert "allows" not in problem.cause
    assert result.exit_code != 0


def test_the_rehearsal_reports_determinate_progress_in_simulated_hours(tmp_path: Path) -> None:
    from tests.ledger.test_sync_progress import Recorder

    rig = make_rig(tmp_path)
    rig.approve()
    bar = Recorder()
    result = rig.rehearse(MONDAY, progress=bar)
    assert bar.total > 24 * 6  # the whole week and the day after it, known up front
    assert sum(bar.done) == bar.total
    assert len(bar.done) > 3  # it moved with the week
    assert any(note.startswith("Mon 04 Jan") for note in bar.notes)
    assert result.problems == []
