"""The campaign format feature by feature: files, variants, hashtags, CW, times, templates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from scheduler.campaign.media import sniff
from scheduler.draft import Draft
from scheduler.errors import CampaignError
from scheduler.render import camelcase, hashtag, join_and, render_campaign
from tests.campaign.helpers import HEADER, png, write_campaign


def drafts_of(path: Path) -> dict[tuple[str, str], Draft]:
    return {(d.post_id, d.account): d for d in render_campaign(load_campaign(path))}


def problems_of(path: Path | str) -> list[str]:
    with pytest.raises(CampaignError) as info:
        render_campaign(load_campaign(path))
    return [str(p) for p in info.value.problems]


def one_post(tmp_path: Path, post: str, header: str = HEADER) -> Path:
    return write_campaign(tmp_path / "c", header, "posts:\n" + post)


# --- files -----------------------------------------------------------------------------------


def test_folder_campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "week"
    write_campaign(folder)
    (folder / "more.yaml").write_text(
        "posts:\n  - {id: extra, day: 2, time: '12:00', text: More.}\n", encoding="utf-8"
    )
    c = load_campaign(folder)
    assert [p.id for p in c.posts] == ["hello", "later", "extra"]
    assert c.posts[2].source == f"{folder}/more.yaml:2"
    monkeypatch.chdir(tmp_path)
    (folder / "more.yaml").write_text("title: x\nposts: []\npost: []\n", encoding="utf-8")
    assert problems_of("week") == [
        "week/more.yaml:1:1: title: 'title' belongs in the campaign header file "
        "(hint: files other than the header hold only 'posts')",
        "week/more.yaml:3:1: post: unknown key 'post' (hint: did you mean 'posts'?)",
    ]


def test_folder_with_two_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_campaign(tmp_path / "week")
    (tmp_path / "week" / "zz.yaml").write_text(HEADER, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert problems_of("week") == [
        "week/zz.yaml:1:1: id: a second campaign header (the first is week/campaign.yaml) "
        "(hint: keep one header file; other files hold only posts)"
    ]


def test_include(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "c"
    write_campaign(folder, HEADER + "include: [days/*.yaml]\n")
    (folder / "days").mkdir()
    (folder / "days" / "a.yaml").write_text(
        "posts:\n  - {id: a, day: 3, text: A.}\n", encoding="utf-8"
    )
    (folder / "days" / "b.yaml").write_text(
        "posts:\n  - {id: hello, day: 4, time: '09:00', text: B.}\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert problems_of("c/campaign.yaml") == [
        "c/days/a.yaml:2:5: posts[0].time: post 'a': a post needs a 'time' "
        "(or 'at', or defaults.time in the header) (hint: e.g. time: '08:30')",
        "c/days/b.yaml:2:6: posts[0].id: duplicate post id 'hello' "
        "(first at c/campaign.yaml:27) (hint: post ids must be unique within a campaign; "
        "rename one)",
    ]


def test_include_cannot_leave_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "other.yaml").write_text("posts: []\n", encoding="utf-8")
    write_campaign(tmp_path / "c", HEADER + "include: [../other.yaml, nope.yaml]\n")
    monkeypatch.chdir(tmp_path)
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:25:11: include[0]: '../other.yaml' is outside the campaign folder "
        "(hint: included files must be inside the header file's folder)",
        "c/campaign.yaml:25:26: include[1]: no such file 'nope.yaml'",
    ]


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * 4_000_001)
    assert problems_of(path) == [
        f"{path}: file is too large (4,000,003 bytes; the limit is 4,000,000) "
        "(hint: split the campaign over several files)"
    ]


# --- content -------------------------------------------------------------------------------


def test_variants_platform_then_account(tmp_path: Path) -> None:
    path = one_post(
        tmp_path,
        """\
  - id: v
    day: 1
    time: "08:00"
    text: Base text.
    variants:
      mastodon: {text: "Mastodon text on {{ account.name }}."}
      bluesky: {text: Bluesky text.}
      sky: {text: "Account text, {{ platform }}."}
""",
    )
    d = drafts_of(path)
    assert d["v", "masto"].parts[0].text.startswith("Mastodon text on masto.")
    assert d["v", "sky"].parts[0].text.startswith("Account text, bluesky.")
    assert d["v", "bird"].parts[0].text.startswith("Base text.")


def test_variant_keys_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_post(
        tmp_path,
        """\
  - id: v
    day: 1
    time: "08:00"
    text: Base.
    accounts: [masto]
    variants:
      bluesky: {text: B.}
      mastodn: {text: M.}
""",
    )
    monkeypatch.chdir(tmp_path)
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:32:7: posts[0].variants.bluesky: variant for bluesky, but this post "
        "has no bluesky account (hint: remove the variant, or add a bluesky account)",
        "c/campaign.yaml:33:7: posts[0].variants.mastodn: 'mastodn' is neither an account "
        "name nor a platform (hint: did you mean 'mastodon'?)",
    ]


def test_hashtags_placed_once(tmp_path: Path) -> None:
    path = one_post(
        tmp_path,
        """\
  - id: h
    day: 1
    time: "08:00"
    hashtags: [RunTalkRun, mentalhealthawarenessweek, "#Running", RunTalkRun]
    thread:
      - text: "Already tagged #running here."
      - text: Second.
""",
    )
    d = drafts_of(path)["h", "masto"]
    assert [p.text for p in d.parts] == [
        "Already tagged #running here.\n\n#MentalHealthAwarenessWeek #RunTalkRun",
        "Second.",
    ]
    last = path.read_text().replace("max_lateness: 90m", "max_lateness: 90m\n  hashtags_at: last")
    path.write_text(last.replace("hashtags: [Run", "campaign_hashtags: false\n    hashtags: [Run"))
    d = drafts_of(path)["h", "masto"]
    assert [p.text for p in d.parts] == [
        "Already tagged #running here.",
        "Second.\n\n#RunTalkRun #mentalhealthawarenessweek",
    ]


def test_cw_labels_visibility_reply_settings_link(tmp_path: Path) -> None:
    path = one_post(
        tmp_path,
        """\
  - id: c
    day: 1
    time: "08:00"
    text: Words.
    cw: eating disorder mention
    labels: [graphic-media]
    visibility: unlisted
    reply_settings: following
    language: cy
    link: {url: "https://www.samaritans.org", title: Samaritans, description: Support.}
""",
    )
    d = drafts_of(path)
    masto, sky, bird = d["c", "masto"], d["c", "sky"], d["c", "bird"]
    assert masto.content_warning == "eating disorder mention"
    assert masto.parts[0].text == (
        "Words.\n\nhttps://www.samaritans.org\n\n#MentalHealthAwarenessWeek"
    )
    assert (masto.visibility, masto.labels, masto.reply_settings) == ("unlisted", (), None)
    assert sky.content_warning is None
    assert sky.parts[0].text.startswith("CW: eating disorder mention\n\nWords.")
    assert (sky.visibility, sky.labels, sky.reply_settings) == (None, ("graphic-media",), None)
    assert (bird.visibility, bird.labels, bird.reply_settings) == (None, (), "following")
    assert {x.language for x in d.values()} == {"cy"}
    assert bird.link is not None and bird.link.title == "Samaritans"
    assert [f.kind for f in sky.parts[0].facets] == ["link", "tag"]


def test_cw_prefix_can_be_turned_off(tmp_path: Path) -> None:
    header = HEADER.replace("max_lateness: 90m", "max_lateness: 90m\n  cw_prefix: false")
    path = one_post(tmp_path, "  - {id: c, day: 1, time: '08:00', text: W., cw: mh}\n", header)
    assert drafts_of(path)["c", "sky"].parts[0].text == "W.\n\n#MentalHealthAwarenessWeek"


def test_footer_snippet_and_vars(tmp_path: Path) -> None:
    header = HEADER.replace("max_lateness: 90m", "max_lateness: 90m\n  footer: support")
    path = one_post(
        tmp_path,
        """\
  - id: f
    day: 1
    time: "08:00"
    vars: {org: Another Org}
    text: "{{ org }} on {{ post.weekday }} {{ post.date }} at {{ post.time }}."
  - id: g
    day: 2
    time: "08:00"
    footer: ""
    text: "{{ 'mental health  awareness-week' | hashtag }} {{ ['a', 'b', 'c'] | join_and }}"
""",
        header,
    )
    d = drafts_of(path)
    assert d["f", "bird"].parts[0].text == (
        "Another Org on Monday 2026-05-11 at 08:00.\n\n"
        "Samaritans: call 116 123, free, day or night\n\n#MentalHealthAwarenessWeek"
    )
    assert d["g", "bird"].parts[0].text == ("#MentalHealthAwarenessWeek a, b and c")


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("mental health awareness week", "MentalHealthAwarenessWeek"),
        ("RunTalkRun", "RunTalkRun"),
        ("eating-disorder recovery", "EatingDisorderRecovery"),
        ("día uno", "DíaUno"),
        ("", ""),
    ],
)
def test_camelcase(value: str, want: str) -> None:
    assert camelcase(value) == want
    assert hashtag(value) == "#" + want


def test_join_and() -> None:
    assert join_and([]) == "" and join_and(["a"]) == "a"
    assert join_and(["a", "b"], "or") == "a or b"


def test_sandbox_blocks_internals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_post(tmp_path, "  - {id: s, day: 1, time: '08:00', text: \"{{ ''.__class__.__mro__ }}\"}\n")
    monkeypatch.chdir(tmp_path)
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:26:36: posts[0].text: template: not allowed: access to attribute "
        "'__class__' of 'str' object is unsafe. "
        "(hint: templates may only use values and filters)",
    ]


def test_snippet_error_points_at_the_snippet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = HEADER.replace("free, day or night", "free, {{ hours }}")
    one_post(
        tmp_path, "  - {id: s, day: 1, time: '08:00', text: \"{{ snippet('support') }}\"}\n", header
    )
    monkeypatch.chdir(tmp_path)
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:24:3: snippets.support: template: 'hours' is undefined "
        "(hint: define it under 'vars' (campaign or post), or check the spelling)",
    ]


def test_template_syntax_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_post(
        tmp_path,
        "  - id: s\n    day: 1\n    time: '08:00'\n    text: |\n      Line one\n      {{ oops\n",
    )
    monkeypatch.chdir(tmp_path)
    [message] = problems_of("c/campaign.yaml")
    assert message.startswith("c/campaign.yaml:31:1: posts[0].text: template syntax: ")


# --- time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "due"),
    [
        ("day: 3\n    time: '07:15'", datetime(2026, 5, 13, 6, 15, tzinfo=UTC)),
        ("weekday: Sunday\n    time: '21:00'", datetime(2026, 5, 17, 20, 0, tzinfo=UTC)),
        ("date: 2026-12-01\n    time: '09:00'", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        ("at: 2026-05-12 10:05", datetime(2026, 5, 12, 9, 5, tzinfo=UTC)),
        (
            "date: 2026-03-29\n    time: '01:30'\n    dst: later",
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),
        (
            "date: 2026-03-29\n    time: '01:30'\n    dst: earlier",
            datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        ),
        (
            "date: 2026-10-25\n    time: '01:30'\n    dst: earlier",
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        ),
        (
            "date: 2026-10-25\n    time: '01:30'\n    dst: later",
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        ),
    ],
)
def test_times(tmp_path: Path, when: str, due: datetime) -> None:
    path = one_post(tmp_path, f"  - id: t\n    {when}\n    text: T.\n")
    post = load_campaign(path).posts[0]
    assert post.due == due
    assert post.local is not None and post.local.astimezone(UTC) == due


def test_campaign_wide_dst_rule(tmp_path: Path) -> None:
    header = HEADER.replace("max_lateness: 90m", "max_lateness: 90m\n  dst: later")
    path = one_post(tmp_path, "  - {id: t, date: 2026-10-25, time: '01:30', text: T.}\n", header)
    assert load_campaign(path).posts[0].due == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_time_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = HEADER.replace("week_start: 2026-05-11\n", "")
    one_post(
        tmp_path,
        """\
  - {id: a, day: 1, time: '08:00', text: A.}
  - {id: b, at: 2026-05-11T08:00:00+01:00, text: B.}
  - {id: c, day: 1, date: 2026-05-11, time: '08:00', text: C.}
  - {id: d, date: 2026-05-11, time: '09:00', max_lateness: 10, text: D.}
  - {id: e, date: 2026-05-11, time: '09:00', latest: 2026-05-11 08:00, text: E.}
""",
        header,
    )
    monkeypatch.chdir(tmp_path)
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:25:13: posts[0].day: post 'a': 'day' needs the campaign's week_start "
        "(hint: add week_start: YYYY-MM-DD (day 1) to the campaign header)",
        "c/campaign.yaml:26:13: posts[1].at: give a local date and time without a UTC offset "
        "(hint: times are read in the campaign's timezone, e.g. 2026-05-11 08:30)",
        "c/campaign.yaml:27:5: posts[2]: give only one of day, weekday and date "
        "(found day, date) (hint: keep the one you mean)",
        "c/campaign.yaml:28:46: posts[3].max_lateness: 10 is not a duration "
        "(hint: add a unit: 10m for minutes, 10h for hours)",
        "c/campaign.yaml:29:46: posts[4].latest: post 'e': 'latest' (2026-05-11 08:00) is "
        "before the post is due (2026-05-11 09:00) (hint: give a later time, or remove 'latest')",
    ]


# --- header checks ---------------------------------------------------------------------------


def test_header_cross_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = (
        HEADER.replace("approvers: [reviewer]", "approvers: [reviewers]")
        .replace("required: 1", "required: 3")
        .replace('instance: "https://mastodon.example"', 'instanse: "https://m.example"')
        .replace("handle: test.bsky.social", "handle: test.bsky.social, username: t")
    )
    one_post(
        tmp_path, "  - {id: a, day: 1, time: '08:00', text: A., author: eve@example.org}\n", header
    )
    monkeypatch.chdir(tmp_path)
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:7:31: accounts.masto.instanse: unknown key 'instanse' "
        "(hint: did you mean 'instance'?)",
        "c/campaign.yaml:8:3: accounts.sky: 'username' is not a setting of a bluesky account "
        "(hint: a bluesky account takes: handle, service)",
    ]
    fixed = (tmp_path / "c" / "campaign.yaml").read_text()
    fixed = fixed.replace("instanse", "instance").replace(", username: t}", "}")
    (tmp_path / "c" / "campaign.yaml").write_text(fixed)
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:13:12: approval.required: 3 approvals are required but only "
        "0 team members may approve (hint: lower 'required' or add approvers)",
        "c/campaign.yaml:13:37: approval.approvers[0]: 'reviewers' is neither a team member's "
        "email nor a team role (hint: did you mean 'reviewer'?)",
        "c/campaign.yaml:26:46: posts[0].author: 'eve@example.org' is not on the campaign team "
        "(hint: add them under 'team')",
    ]


# --- media ---------------------------------------------------------------------------------


def test_media_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_post(
        tmp_path,
        """\
  - id: m
    day: 1
    time: '08:00'
    text: M.
    media:
      - {file: img/missing.png, alt: A thing.}
      - {file: notes.png, alt: A thing.}
      - {file: /etc/hostname, alt: A thing.}
""",
    )
    (tmp_path / "c" / "notes.png").write_text("not an image")
    monkeypatch.chdir(tmp_path)
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:31:10: posts[0].media[0].file: no such file 'img/missing.png' "
        "in the campaign folder",
        "c/campaign.yaml:32:10: posts[0].media[1].file: 'notes.png' is not a PNG, JPEG, GIF or "
        "WebP image (hint: convert it to PNG or JPEG)",
        "c/campaign.yaml:33:10: posts[0].media[2].file: '/etc/hostname' is an absolute path "
        "(hint: give the path relative to the campaign folder, e.g. images/day1.png)",
    ]


def test_sniff_headers(tmp_path: Path) -> None:
    png(tmp_path / "a.png", 7, 3)
    assert sniff((tmp_path / "a.png").read_bytes()) == ("image/png", 7, 3)
    jpeg = (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        b"\xff\xc0\x00\x11\x08\x00\x20\x00\x40\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
        b"\xff\xda"
    )
    assert sniff(jpeg) == ("image/jpeg", 64, 32)
    assert sniff(b"GIF89a\x05\x00\x06\x00") == ("image/gif", 5, 6)
    assert sniff(b"hello") == (None, None, None)


SCOPE = {
    "guest": "Lou",
    "n": 3,
    "ok": True,
    "none": None,
    "ratio": 0.5,
    "post": {"id": "p1", "items": "x", "nested": {"deep": "d"}},
    "items": ["a"],
    "text": "line\n",
}


@pytest.mark.parametrize(
    "source",
    [
        "Hello {{ guest }}!",
        "{{guest}}{{ n }}{{  ok  }} {{ none }} {{ ratio }}",
        "{{ post.id }} {{ post.nested.deep }}",
        "{{ post.items }}",
        "{{ items }}",
        "{{ text }}",
        "ends with a newline {{ guest }}\n",
        "{{ guest | upper }}",
        "{{ missing }}",
        "{{ post.missing }}",
        "{{ post._hidden }}",
        "{% if ok %}yes{% endif %} {{ guest }}",
        "{# note #}{{ guest }}",
        "}} {{ guest }}",
    ],
)
def test_substitution_fast_path_matches_jinja(source: str) -> None:
    from jinja2 import StrictUndefined, TemplateError
    from jinja2.sandbox import SandboxedEnvironment

    from scheduler.render.templates import render_simple as _render_simple
    from scheduler.render.templates import simple_pieces as _simple_pieces

    env = SandboxedEnvironment(undefined=StrictUndefined)
    try:
        expected: str | None = env.from_string(source).render(SCOPE)
    except TemplateError:
        expected = None
    pieces = _simple_pieces(source)
    fast = None if pieces is None else _render_simple(pieces, SCOPE)
    if fast is not None:
        assert fast == expected
    elif expected is not None:
        # fell back to Jinja2: only for what the fast path does not handle
        assert pieces is None or "items" in source


THREADS_HEADER = HEADER.replace(
    "  bird: {platform: x, username: testweek}\n",
    "  bird: {platform: x, username: testweek}\n  thr: {platform: threads, username: testweek}\n",
)


@pytest.mark.parametrize(
    ("value", "x", "threads"),
    [
        ("following", "following", "accounts_you_follow"),
        ("mentionedUsers", "mentionedUsers", "mentioned_only"),
    ],
)
def test_reply_settings_go_as_each_platform_names_them(
    tmp_path: Path, value: str, x: str, threads: str
) -> None:
    post = f"  - {{id: r, day: 1, time: '08:00', text: W., reply_settings: {value}}}\n"
    d = drafts_of(one_post(tmp_path, post, THREADS_HEADER))
    assert (d["r", "bird"].reply_settings, d["r", "thr"].reply_settings) == (x, threads)
    assert d["r", "masto"].reply_settings is None


@pytest.mark.parametrize(
    ("value", "refused_by"), [("verified", "threads"), ("followers_only", "x")]
)
def test_a_reply_setting_a_platform_lacks_is_a_check_error(
    tmp_path: Path, value: str, refused_by: str
) -> None:
    post = f"  - {{id: r, day: 1, time: '08:00', text: W., reply_settings: {value}}}\n"
    [problem] = problems_of(one_post(tmp_path, post, THREADS_HEADER))
    assert f"{refused_by} has no reply setting {value!r}" in problem
    assert ":" in problem.split(" ")[0], "it says where: file and line"
