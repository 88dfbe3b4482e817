"""An account's settings are checked against what its platform's descriptor declares: one
line per problem, at the file and line of the setting, with a hint naming what it takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from scheduler.errors import CampaignError
from tests.campaign.helpers import HEADER, write_campaign

MASTO = 'masto: {platform: mastodon, instance: "https://mastodon.example"}'
SKY = "sky: {platform: bluesky, handle: test.bsky.social}"
BIRD = "bird: {platform: x, username: testweek}"
POSTS = "posts:\n  - {id: a, day: 1, time: '08:00', text: A.}\n"


def _problems(tmp_path: Path, old: str, new: str) -> list[str]:
    assert old in HEADER
    write_campaign(tmp_path / "c", HEADER.replace(old, new), POSTS)
    with pytest.raises(CampaignError) as info:
        load_campaign(Path("c"))
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            BIRD,
            "bird: {platform: x, username: testweek, tier: gold}",
            "c/campaign.yaml:9:43: accounts.bird.tier: 'gold' is not one of the allowed values "
            "(hint: allowed: free, basic, pro, enterprise or pay-per-use)",
        ),
        (
            BIRD,
            "bird: {platform: x, username: testweek, reply_settings: all}",
            "c/campaign.yaml:9:43: accounts.bird.reply_settings: 'all' is not one of the allowed "
            "values (hint: allowed: following, mentionedUsers, subscribers or verified)",
        ),
        (
            MASTO,
            'masto: {platform: mastodon, instance: "https://mastodon.example", max_chars: 0}',
            "c/campaign.yaml:7:69: accounts.masto.max_chars: max_chars takes a whole number "
            "from 1 to 100000, not 0 (hint: e.g. max_chars: 1000)",
        ),
        (
            MASTO,
            'masto: {platform: mastodon, instance: "https://mastodon.example", visibility: all}',
            "c/campaign.yaml:7:69: accounts.masto.visibility: 'all' is not one of the allowed "
            "values (hint: allowed: public, unlisted, private or direct)",
        ),
        (
            MASTO,
            'masto: {platform: mastodon, instance: "http://mastodon.example"}',
            "c/campaign.yaml:7:31: accounts.masto.instance: instance (http://mastodon.example) "
            "uses plain http to a host that is not loopback: use https, or http only to "
            "127.0.0.1, ::1 or localhost (hint: write it as https://host)",
        ),
        (
            SKY,
            "sky: {platform: bluesky, handle: not_a_handle}",
            "c/campaign.yaml:8:28: accounts.sky.handle: handle 'not_a_handle' is not a Bluesky "
            "handle (hint: e.g. yourname.bsky.social)",
        ),
        (
            SKY,
            "sky: {platform: bluesky, handle: test.bsky.social, tier: free}",
            "c/campaign.yaml:8:3: accounts.sky: 'tier' is not a setting of a bluesky account "
            "(hint: a bluesky account takes: handle, service)",
        ),
        (
            BIRD,
            "bird: {platform: x, usrname: testweek}",
            "c/campaign.yaml:9:23: accounts.bird.usrname: unknown key 'usrname' "
            "(hint: did you mean 'username'?)",
        ),
        (
            MASTO,
            "masto: {platform: mastodon}",
            "c/campaign.yaml:7:3: accounts.masto: a mastodon account needs 'instance' "
            "(hint: e.g. instance: https://mastodon.social)",
        ),
    ],
)
def test_a_setting_the_platform_does_not_take_is_one_line_naming_what_it_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _problems(tmp_path, old, new) == [expected]


def test_settings_are_stored_as_the_platform_reads_them(tmp_path: Path) -> None:
    header = (
        HEADER.replace(BIRD, "bird: {platform: x, username: '@testweek', tier: free}")
        .replace(SKY, "sky: {platform: bluesky, handle: '@test.bsky.social'}")
        .replace(
            MASTO, 'masto: {platform: mastodon, instance: "https://m.example", max_chars: "900"}'
        )
    )
    campaign = load_campaign(write_campaign(tmp_path / "c", header, POSTS))
    accounts = campaign.accounts
    assert accounts["bird"].settings == {"username": "testweek", "tier": "free"}
    assert accounts["sky"].settings == {"handle": "test.bsky.social"}
    assert accounts["masto"].settings == {"instance": "https://m.example", "max_chars": "900"}
    assert accounts["masto"].rules.max_chars == 900
    assert accounts["sky"].rules.max_chars == 300


@pytest.mark.parametrize(
    ("posts", "expected"),
    [
        (
            "posts:\n  - {id: a, day: 1, time: '08:00', text: A., visibility: everyone}\n",
            "c/campaign.yaml:26:46: posts[0].visibility: 'everyone' is not one of the allowed "
            "values (hint: allowed: public, unlisted, private or direct)",
        ),
        (
            "posts:\n  - {id: a, day: 1, time: '08:00', text: A., reply_settings: all}\n",
            # A post may go to any platform: the words of every one that has replies.
            "c/campaign.yaml:26:46: posts[0].reply_settings: 'all' is not one of the allowed "
            "values (hint: allowed: following, mentionedUsers, subscribers, verified, everyone, "
            "accounts_you_follow, mentioned_only, followers_only or parent_post_author_only)",
        ),
    ],
)
def test_a_posts_visibility_and_replies_take_the_words_the_descriptors_declare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, posts: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_campaign(tmp_path / "c", HEADER, posts)
    with pytest.raises(CampaignError) as info:
        load_campaign(Path("c"))
    assert [str(p) for p in info.value.problems] == [expected]
    fine = posts.replace("everyone", "unlisted").replace("all}", "following}")
    write_campaign(tmp_path / "ok", HEADER, fine)
    assert load_campaign(Path("ok")).posts[0].id == "a"
