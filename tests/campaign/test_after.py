"""``after:`` and ``story('id').url``: the rules as a table of campaign files and the exact
line each problem is reported at; the stand-in's counting and the content hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from scheduler.campaign.after import notes
from scheduler.draft import Draft
from scheduler.errors import CampaignError
from scheduler.render import render_campaign
from scheduler.render.after import DEFAULT_URL_MAX, PLACEHOLDER_HOST, placeholder, substitute

HEADER = """\
id: deps
title: Dependencies
timezone: Etc/UTC
language: en
week_start: 2026-05-11
accounts:
  masto: {platform: mastodon, instance: "https://mastodon.example"}
  sky: {platform: bluesky, handle: test.bsky.social}
  bird: {platform: x, username: testweek}
  blog: {platform: sandbox}
defaults:
  max_lateness: 1h
posts:
  - id: story
    day: 1
    time: "08:00"
    accounts: [blog]
    text: The story.
"""


def _write(tmp_path: Path, posts: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(HEADER + posts, encoding="utf-8")
    return path


def _problems(tmp_path: Path, posts: str) -> list[str]:
    path = _write(tmp_path, posts)
    with pytest.raises(CampaignError) as info:
        render_campaign(load_campaign(path))
    return [str(p).removeprefix(str(tmp_path) + "/") for p in info.value.problems]


def _drafts(tmp_path: Path, posts: str) -> dict[str, Draft]:
    drafts = render_campaign(load_campaign(_write(tmp_path, posts)))
    return {f"{d.post_id}@{d.account}": d for d in drafts}


PROMO = """\
  - id: promo
    day: 1
    time: "{time}"
    accounts: [{accounts}]
    after: {after}
    text: "Read it: {text}"
"""

# (case, posts added to HEADER, the exact problems)
RULES = [
    (
        "unknown id, with a suggestion",
        PROMO.format(time="09:00", accounts="masto", after="stroy", text="now"),
        [
            "c.yaml:23:5: posts[1].after: no post with id 'stroy' to wait on "
            "(hint: did you mean 'story'?)"
        ],
    ),
    (
        "waits on itself",
        PROMO.format(time="09:00", accounts="masto", after="promo", text="now"),
        [
            "c.yaml:23:5: posts[1].after: post 'promo' waits on itself (hint: name the post "
            "this one waits on, e.g. the story it links to)"
        ],
    ),
    (
        "named twice",
        PROMO.format(time="09:00", accounts="masto", after="[story, story]", text="now"),
        ["c.yaml:23:20: posts[1].after[1]: 'story' is named twice (hint: name it once)"],
    ),
    (
        "not a post id",
        PROMO.format(time="09:00", accounts="masto", after="'-x'", text="now"),
        [
            "c.yaml:23:5: posts[1].after: '-x' is not a post id (hint: write the id of the "
            "post this one waits on, e.g. after: d1-story)"
        ],
    ),
    (
        "a circle of two",
        PROMO.format(time="09:00", accounts="masto", after="echo", text="now")
        + PROMO.replace("promo", "echo").format(
            time="10:00", accounts="masto", after="promo", text="now"
        ),
        [
            "c.yaml:23:5: posts[1].after: posts wait on each other in a circle: "
            "promo -> echo -> promo; none of them could ever go out (hint: remove one "
            "'after' of the circle, e.g. this one ('echo'))"
        ],
    ),
    (
        "due after the dependant's window closes",
        PROMO.format(time="06:00", accounts="masto", after="story", text="now"),
        [
            "c.yaml:23:5: posts[1].after: waits on 'story', which is due after this post's "
            "window closes (2026-05-11 07:00): it could never go out (hint: move this post "
            "after the one it waits on, or give it a later 'latest' or a longer 'max_lateness')"
        ],
    ),
    (
        "story() without after",
        """\
  - id: promo
    day: 1
    time: "09:00"
    accounts: [masto]
    text: "Read it: {{ story('story').url }}"
""",
        [
            "c.yaml:23:5: posts[1].text: story('story') needs 'after: story' on this post "
            "(hint: add after: story so that this post waits until 'story' is live)"
        ],
    ),
    (
        "story() of a post on several other accounts",
        """\
  - id: both
    day: 1
    time: "08:00"
    accounts: [masto, sky]
    text: Two places.
"""
        + PROMO.format(time="09:00", accounts="bird", after="both", text="{{ story('both').url }}"),
        [
            "c.yaml:29:5: posts[2].text: 'both' goes to several accounts (masto, sky) and not "
            "to 'bird': which address is meant is unclear (hint: send 'both' to one account, "
            "or write a variant for 'bird' without story('both'))"
        ],
    ),
]


@pytest.mark.parametrize(("case", "posts", "want"), RULES, ids=[r[0] for r in RULES])
def test_rule(tmp_path: Path, case: str, posts: str, want: list[str]) -> None:
    assert _problems(tmp_path, posts) == want, case


def test_waiting_on_a_later_post_inside_the_window_is_allowed_and_said(tmp_path: Path) -> None:
    path = _write(tmp_path, PROMO.format(time="07:30", accounts="masto", after="story", text="x"))
    campaign = load_campaign(path)
    render_campaign(campaign)
    said = [
        str(n).removeprefix(str(tmp_path) + "/") for n in notes(campaign.posts, campaign.sources)
    ]
    assert len(said) == 1
    assert said[0].startswith("c.yaml:23:5: posts[1].after: note: waits on 'story', which is due")
    assert "goes out when 'story' is live, not at its own time" in said[0]
    # Due at the same time or earlier: nothing to say.
    path = _write(tmp_path, PROMO.format(time="08:00", accounts="masto", after="story", text="x"))
    campaign = load_campaign(path)
    assert notes(campaign.posts, campaign.sources) == []


def test_the_stand_in_is_counted_as_the_platform_counts_an_address(tmp_path: Path) -> None:
    text = "{{ story('story').url }}"
    drafts = _drafts(
        tmp_path, PROMO.format(time="09:00", accounts="masto, sky, bird", after="story", text=text)
    )
    stand_in = placeholder("story", "blog", DEFAULT_URL_MAX)
    assert stand_in.startswith(PLACEHOLDER_HOST) and len(stand_in) == DEFAULT_URL_MAX
    for name in ("promo@masto", "promo@sky", "promo@bird"):
        draft = drafts[name]
        assert draft.parts[0].text == f"Read it: {stand_in}"
        assert [(a.post_id, a.account, a.placeholder) for a in draft.after] == [
            ("story", "blog", stand_in)
        ]
    # Bluesky counts the address in full: the stand-in keeps that room, with a link facet.
    sky = drafts["promo@sky"]
    assert sky.parts[0].facets[0].value == stand_in
    assert drafts["story@blog"].after == ()


def test_url_max_sets_the_room_kept_and_a_long_text_must_leave_it(tmp_path: Path) -> None:
    filler = "x" * 240
    posts = PROMO.format(
        time="09:00", accounts="sky", after="story", text=filler + " {{ story('story').url }}"
    )
    problems = _problems(tmp_path, posts)
    assert len(problems) == 1 and "too long for bluesky" in problems[0], problems
    assert "350/300" in problems[0]
    fits = posts.replace("    after: story\n", "    after: story\n    url_max: 40\n")
    (draft,) = [d for d in _drafts(tmp_path, fits).values() if d.post_id == "promo"]
    assert len(draft.parts[0].text) == len("Read it: ") + 240 + 1 + 40
    # X and Mastodon count any address as 23, whatever the room kept.
    x_posts = PROMO.format(
        time="09:00", accounts="bird", after="story", text="y" * 240 + " {{ story('story').url }}"
    )
    assert "promo@bird" in _drafts(tmp_path, x_posts)


def test_the_same_account_is_waited_on_where_the_story_goes_there_too(tmp_path: Path) -> None:
    posts = """\
  - id: both
    day: 1
    time: "08:00"
    accounts: [masto, sky]
    text: Two places.
""" + PROMO.format(
        time="09:00", accounts="masto, sky", after="both", text="{{ story('both').url }}"
    )
    drafts = _drafts(tmp_path, posts)
    assert [(a.post_id, a.account) for a in drafts["promo@masto"].after] == [("both", "masto")]
    assert [(a.post_id, a.account) for a in drafts["promo@sky"].after] == [("both", "sky")]
    # Without using the address, a post on a third account waits on every draft of it.
    plain = posts.replace("accounts: [masto, sky]\n    after", "accounts: [bird]\n    after")
    plain = plain.replace("{{ story('both').url }}", "soon")
    bird = _drafts(tmp_path, plain)["promo@bird"]
    assert [(a.post_id, a.account, a.placeholder) for a in bird.after] == [
        ("both", "masto", ""),
        ("both", "sky", ""),
    ]


def test_the_hash_covers_everything_but_the_address(tmp_path: Path) -> None:
    posts = PROMO.format(
        time="09:00", accounts="masto", after="story", text="{{ story('story').url }}"
    )
    draft = _drafts(tmp_path, posts)["promo@masto"]
    again = _drafts(tmp_path, posts)["promo@masto"]
    assert draft.content_hash == again.content_hash
    edited = _drafts(tmp_path, posts.replace("Read it:", "Read this:"))["promo@masto"]
    assert edited.content_hash != draft.content_hash
    # Which post's address goes there is covered: waiting on another post changes the hash.
    other = (
        posts.replace("after: story", "after: [story, extra]")
        + """\
  - id: extra
    day: 1
    time: "07:00"
    accounts: [blog]
    text: Another.
"""
    )
    assert _drafts(tmp_path, other)["promo@masto"].content_hash != draft.content_hash
    # The address itself goes in at publish time, the same way each time.
    real = {a.placeholder: "https://blog.example.org/2026/05/11/lou" for a in draft.after}
    assert substitute(draft.parts, draft.after, real) == [
        "Read it: https://blog.example.org/2026/05/11/lou"
    ]


def test_the_readme_example_checks(tmp_path: Path) -> None:
    import re

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Posts that wait on another", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "the section should hold a ```yaml example"
    header = HEADER.split("accounts:")[0] + (
        "accounts:\n"
        "  mhaw-blog: {platform: sandbox}\n"
        '  mhaw-mastodon: {platform: mastodon, instance: "https://mastodon.example"}\n'
        "  mhaw-bluesky: {platform: bluesky, handle: test.bsky.social}\n"
    )
    path = tmp_path / "c.yaml"
    path.write_text(header + match.group(1), encoding="utf-8")
    drafts = {f"{d.post_id}@{d.account}": d for d in render_campaign(load_campaign(path))}
    share = drafts["d1-share@mhaw-bluesky"]
    assert [(a.post_id, a.account) for a in share.after] == [("d1-story", "mhaw-blog")]
    assert len(share.after[0].placeholder) == 80


@pytest.mark.parametrize(
    ("story_account", "room"),
    [
        ("sky", len("https://bsky.app/profile/test.bsky.social/post/") + 13),  # a TID
        ("bird", len("https://x.com/testweek/status/") + 20),  # an unsigned 64-bit id
        ("blog", DEFAULT_URL_MAX),  # the sandbox cannot foretell its addresses
    ],
)
def test_the_room_kept_is_what_the_story_platform_foretells(
    tmp_path: Path, story_account: str, room: int
) -> None:
    posts = (
        PROMO.format(time="09:00", accounts="masto", after="told", text="{{ story('told').url }}")
        + f"""\
  - id: told
    day: 1
    time: "08:00"
    accounts: [{story_account}]
    text: Told here.
"""
    )
    draft = _drafts(tmp_path, posts)["promo@masto"]
    assert len(draft.after[0].placeholder) == room
