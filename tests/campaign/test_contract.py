"""The names other parts of the scheduler code against: load_campaign and render_campaign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from scheduler.accounts import AccountSpec
from scheduler.campaign import load_campaign
from scheduler.platforms.base import AccountSpec as PlatformAccountSpec
from scheduler.render import render_campaign
from tests.campaign.helpers import write_campaign


def test_campaign_attributes(tmp_path: Path) -> None:
    c = load_campaign(write_campaign(tmp_path / "c"))
    assert (c.id, c.title, c.timezone, c.language) == (
        "test-week",
        "Test week",
        "Europe/London",
        "en",
    )
    assert c.root == (tmp_path / "c").resolve()
    assert c.accounts["masto"].platform == "mastodon"
    spec = c.accounts["masto"].spec("masto")
    assert spec == AccountSpec("masto", "mastodon", {"instance": "https://mastodon.example"})
    assert PlatformAccountSpec is AccountSpec
    assert c.accounts["sky"].spec("sky").settings == {"handle": "test.bsky.social"}
    assert c.accounts["bird"].spec("bird").settings == {"username": "testweek"}
    assert [(m.name, m.email, m.roles) for m in c.team] == [
        ("Ada", "ada@example.org", ["writer"]),
        ("Bo", "bo@example.org", ["reviewer"]),
    ]
    assert c.approval.required == 1 and c.approval.approvers == ["reviewer"]
    assert [(p.id, p.author) for p in c.posts] == [("hello", "ada@example.org"), ("later", None)]
    assert c.care.locale == "en-GB"
    assert c.care.rules["ed-numbers"].level == "block"
    assert c.care.rules["ed-numbers"].reason == "running campaign"
    assert c.care.rules["a11y-emoji-run"].level == "off"
    assert c.defaults.max_lateness == timedelta(minutes=90)


def test_render_one_draft_per_post_and_account(tmp_path: Path) -> None:
    c = load_campaign(write_campaign(tmp_path / "c"))
    drafts = render_campaign(c)
    assert [(d.post_id, d.account, d.platform) for d in drafts] == [
        ("hello", "masto", "mastodon"),
        ("hello", "sky", "bluesky"),
        ("hello", "bird", "x"),
        ("later", "masto", "mastodon"),
    ]
    hello = drafts[0]
    assert hello.due == datetime(2026, 5, 11, 7, 30, tzinfo=UTC)  # 08:30 BST
    assert hello.latest == hello.due + timedelta(minutes=90)
    assert hello.author == "ada@example.org"
    assert hello.timezone == "Europe/London"
    assert hello.language == "en"
    assert hello.parts[0].text == "Hello from Run Talk Run.\n\n#MentalHealthAwarenessWeek"
    media = hello.parts[0].media[0]
    assert (media.path, media.mime, media.width, media.height) == ("img/a.png", "image/png", 8, 4)
    assert len(media.sha256) == 64 and media.alt == "A path through a park at dawn."
    assert hello.source.endswith("campaign.yaml:26")
    later = drafts[3]
    assert later.due == datetime(2026, 5, 13, 18, 0, tzinfo=UTC)
    assert later.latest == datetime(2026, 5, 13, 20, 0, tzinfo=UTC)
    assert [p.text for p in later.parts] == ["One.\n\n#MentalHealthAwarenessWeek", "Two."]
    sky = drafts[1]
    assert [(f.kind, f.value) for f in sky.parts[0].facets] == [
        ("tag", "MentalHealthAwarenessWeek")
    ]


def test_content_hash_changes_with_text_only(tmp_path: Path) -> None:
    path = write_campaign(tmp_path / "c")
    first = {d.key: d.content_hash for d in render_campaign(load_campaign(path))}
    again = {d.key: d.content_hash for d in render_campaign(load_campaign(path))}
    assert first == again
    path.write_text(path.read_text().replace("Hello from", "Hi from"))
    changed = {d.key: d.content_hash for d in render_campaign(load_campaign(path))}
    assert {k for k in first if first[k] != changed[k]} == {
        k for k in first if k.post_id == "hello"
    }


def test_render_a_campaign_built_in_code() -> None:
    from scheduler.campaign import Account, Campaign, Post

    campaign = Campaign(
        id="code",
        title="Built in code",
        timezone="Europe/London",
        week_start="2026-05-11",
        accounts={"masto": Account(platform="mastodon", instance="https://m.example")},
        posts=[Post(id="p", day=2, time="09:00", text="Hi {{ n }}", vars={"n": 1})],
    )
    [draft] = render_campaign(campaign)
    assert draft.due == datetime(2026, 5, 12, 8, 0, tzinfo=UTC)
    assert draft.parts[0].text == "Hi 1"
    assert draft.latest == draft.due + timedelta(hours=2)
