"""What only LinkedIn does, against tests.fakes.linkedin: the little text of commentary,
versioned headers, member and organisation authors, images and articles, DUPLICATE_POST,
the author's post listing, a thread refused by ``check`` and the token's expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.credentials import env_name
from scheduler.descriptors.linkedin import API_VERSION
from scheduler.errors import ConfigError
from scheduler.platforms.base import (
    Absent,
    AccountSpec,
    Duplicate,
    Found,
    Invalid,
    LinkCardRequest,
    OutcomeUnknown,
    RateLimited,
)
from scheduler.platforms.linkedin import PAGE_SIZE, create
from scheduler.platforms.linkedin_body import RESERVED, little_text
from tests.cli.shapes import parse, validate
from tests.fakes.base import Fault
from tests.fakes.linkedin import IMAGES, POSTS, StoredPost
from tests.platforms.harness_linkedin import AUTHOR, LinkedInHarness, shown

MEMBER = "urn:li:person:yrGd8Wq5Ft"


@pytest.fixture
def h(tmp_path: Path) -> Iterator[LinkedInHarness]:
    harness = LinkedInHarness(tmp_path)
    harness.start()
    yield harness
    harness.close_publishers()
    harness.stop()


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("Walk with us on Saturday.", "Walk with us on Saturday."),
        ("#MHAW", "\\#MHAW"),
        ("ask @ruth (she knows)", "ask \\@ruth \\(she knows\\)"),
        ("a [link](x) <b>", "a \\[link\\]\\(x\\) \\<b\\>"),
        ("{hashtag|#|tag}", "\\{hashtag\\|\\#\\|tag\\}"),
        ("*bold* _it_ ~strike~", "\\*bold\\* \\_it\\_ \\~strike\\~"),
        ("C:\\path", "C:\\\\path"),
        ("10:00, 50% off! é 🏃", "10:00, 50% off! é 🏃"),
    ],
)
def test_little_text_escapes_every_reserved_character(text: str, sent: str) -> None:
    assert little_text(text) == sent
    assert shown(sent) == text


def test_every_reserved_character_arrives_as_written(h: LinkedInHarness) -> None:
    text = f"All of them: {RESERVED} and #MHAW @team"
    h.publisher().publish(h.request(text))
    (call,) = h.fake.calls("POST", POSTS)
    assert call.json()["commentary"] == little_text(text)  # escaped once, not twice
    assert [p.text for p in h.posted()] == [text]


def test_versioned_headers_and_the_post_body(h: LinkedInHarness) -> None:
    result = h.publisher().publish(h.request("Lace up."))
    (call,) = h.fake.calls("POST", POSTS)
    assert call.headers["linkedin-version"] == API_VERSION
    assert call.headers["x-restli-protocol-version"] == "2.0.0"
    assert call.headers["authorization"] == f"Bearer {h.secret}"
    body = call.json()
    assert body["author"] == AUTHOR
    assert body["visibility"] == "PUBLIC"
    assert body["lifecycleState"] == "PUBLISHED"
    assert body["distribution"]["feedDistribution"] == "MAIN_FEED"
    urn = h.posted()[0].remote_id
    assert result.parts[0].remote_id == urn  # from the x-restli-id header
    assert result.url == f"https://www.linkedin.com/feed/update/{urn}/"


def test_a_member_posts_as_a_person_with_its_own_version(h: LinkedInHarness) -> None:
    spec = h.spec()
    settings = {**spec.settings, "author": MEMBER, "version": "202609"}
    publisher = create(AccountSpec(spec.name, spec.platform, settings), h.context())
    try:
        publisher.publish(h.request("From me."))
    finally:
        publisher.close()
    (call,) = h.fake.calls("POST", POSTS)
    assert call.json()["author"] == MEMBER
    assert call.headers["linkedin-version"] == "202609"


def test_a_version_linkedin_no_longer_serves_says_what_to_change(h: LinkedInHarness) -> None:
    spec = h.spec()
    settings = {**spec.settings, "version": "202411"}
    publisher = create(AccountSpec(spec.name, spec.platform, settings), h.context())
    try:
        with pytest.raises(Invalid) as caught:
            publisher.publish(h.request("Lace up."))
    finally:
        publisher.close()
    assert caught.value.status == 426
    assert "version 202411" in caught.value.message
    assert "`version:`" in (caught.value.hint or "")
    assert h.posted() == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [("author", "mhaw"), ("author", "urn:li:group:1"), ("version", "2025-01"), ("version", "")],
)
def test_a_bad_author_or_version_is_a_config_error(
    h: LinkedInHarness, setting: str, value: str
) -> None:
    spec = h.spec()
    settings = {**spec.settings, setting: value}
    if setting == "version" and not value:
        settings.pop("author")
    with pytest.raises(ConfigError):
        create(AccountSpec(spec.name, spec.platform, settings), h.context())


def test_images_are_uploaded_then_named_with_their_alt_text(h: LinkedInHarness) -> None:
    first = h.image("a.png", alt="Runners at dawn")
    second = h.gif("b.gif", alt="A wave")
    h.publisher().publish(h.request("Two pictures", media=(first, second)))
    (init, _) = h.fake.calls("POST", IMAGES)
    assert init.json() == {"initializeUploadRequest": {"owner": AUTHOR}}
    assert init.arg("action") == "initializeUpload"
    assert [c.body for c in h.fake.calls("PUT", "/upload/")] == [
        first.file.read_bytes(),
        second.file.read_bytes(),
    ]
    content = h.fake.calls("POST", POSTS)[0].json()["content"]
    assert [i["altText"] for i in content["multiImage"]["images"]] == ["Runners at dawn", "A wave"]
    assert all(i["id"].startswith("urn:li:image:") for i in content["multiImage"]["images"])
    assert h.posted()[0].media_alts == ("Runners at dawn", "A wave")


def test_an_article_link_has_its_title_and_description(h: LinkedInHarness) -> None:
    link = LinkCardRequest("https://example.org/story", "Her story", "Running through it")
    h.publisher().publish(h.request("Read it", link=link))
    content = h.fake.calls("POST", POSTS)[0].json()["content"]
    assert content == {
        "article": {
            "source": "https://example.org/story",
            "title": "Her story",
            "description": "Running through it",
        }
    }


def test_a_lost_answer_then_duplicate_post_finds_the_post(h: LinkedInHarness) -> None:
    """A blind retry after a lost answer is refused as DUPLICATE_POST naming our post, which
    was made by this author since the post was due: it is recorded, not posted again."""
    request = h.request("Said once")
    h.inject("drop_after")
    with pytest.raises(OutcomeUnknown):
        h.publisher().publish(request)
    result = h.publisher().publish(request)
    assert [p.text for p in h.posted()] == ["Said once"]
    assert result.parts[0].remote_id == h.posted()[0].remote_id


def test_duplicate_of_an_older_post_is_refused(h: LinkedInHarness) -> None:
    older = int((h.clock.now() - timedelta(days=3)).timestamp() * 1000)
    h.fake.posts.append(StoredPost("urn:li:share:42", AUTHOR, "Same words", {}, older))
    with pytest.raises(Duplicate) as info:
        h.publisher().publish(h.request("Same words"))
    assert "urn:li:share:42" in info.value.message
    assert len(h.posted()) == 1


def test_find_pages_back_until_the_listing_passes_since(h: LinkedInHarness) -> None:
    due_ms = int(h.clock.now().timestamp() * 1000)
    older = PAGE_SIZE + 5
    for n in range(older):  # one a minute in the hour before the post, oldest first
        made = due_ms - (older - n) * 60_000
        h.fake.posts.append(StoredPost(f"urn:li:share:{n}", AUTHOR, f"old {n}", {}, made))
    request = h.request("ours")
    h.publisher().publish(request)
    assert isinstance(h.publisher().find(request, 0), Found)
    missing = h.request("never sent", key="m")
    read_before = len(h.fake.calls("GET", POSTS))
    answer = h.publisher().find(missing, 0, since=h.clock.now() - timedelta(minutes=100))
    assert isinstance(answer, Absent), answer
    assert "to the end of the listing" in answer.coverage.how
    starts = [c.arg("start") for c in h.fake.calls("GET", POSTS)[read_before:]]
    assert starts == ["0", str(PAGE_SIZE), str(older + 1)]
    # Since a time inside the listing, paging stops at the first post older than it.
    read_before = len(h.fake.calls("GET", POSTS))
    answer = h.publisher().find(missing, 0, since=h.clock.now() - timedelta(minutes=30))
    assert isinstance(answer, Absent), answer
    assert [c.arg("start") for c in h.fake.calls("GET", POSTS)[read_before:]] == ["0"]


def test_found_is_only_since_the_post_was_due(h: LinkedInHarness) -> None:
    earlier = int((h.clock.now() - timedelta(hours=2)).timestamp() * 1000)
    h.fake.posts.append(StoredPost("urn:li:share:9", AUTHOR, "again", {}, earlier))
    answer = h.publisher().find(h.request("again"), 0)
    assert isinstance(answer, Absent), answer


def test_a_429_carries_its_wait(h: LinkedInHarness) -> None:
    h.fake.inject("POST", POSTS, h.fake.refusal(429, "TOO_MANY_REQUESTS", "throttled"))
    with pytest.raises(RateLimited) as info:
        h.publisher().publish(h.request("x"))
    assert info.value.retry_after == 300


def test_a_server_error_on_create_is_outcome_unknown(h: LinkedInHarness) -> None:
    h.fake.inject("POST", POSTS, Fault.status(500, {"message": "oops"}))
    with pytest.raises(OutcomeUnknown):
        h.publisher().publish(h.request("x"))


def test_verify_reports_the_member_and_the_token_expiry(
    h: LinkedInHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = h.publisher().verify()
    assert info.remote_id == h.fake.member
    assert info.handle == AUTHOR
    assert info.expires_at is None
    env = {**h.env(), env_name(h.account, "expires_at"): "2026-07-01"}
    monkeypatch.setattr(h, "env", lambda: env)
    assert h.publisher().verify().expires_at == datetime(2026, 7, 1, tzinfo=UTC)


CAMPAIGN = """\
id: orgs
title: For the organisations
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  mhaw-linkedin: {platform: linkedin, author: "urn:li:organization:2414183", api: "API"}
posts:
  - id: hello
    day: 1
    time: "09:00"
    text: "Walk with us on Saturday, 10:00 at the park gates."
"""


def _campaign(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "orgs"
    folder.mkdir(parents=True)
    (folder / "campaign.yaml").write_text(text, encoding="utf-8")
    return folder


def test_check_refuses_a_thread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    thread = CAMPAIGN.replace("API", "https://api.linkedin.com").replace(
        '    text: "Walk with us on Saturday, 10:00 at the park gates."\n',
        "    thread:\n      - text: One.\n      - text: Two.\n",
    )
    assert main(["check", str(_campaign(tmp_path, thread))]) == 1
    err = capsys.readouterr().err
    assert "linkedin has no threads, but this post has 2 parts" in err
    assert "make it one post" in err


@pytest.mark.parametrize(
    ("days", "verdict", "code"),
    [(30, "ok", 0), (3, "EXPIRING", 1), (-1, "EXPIRED", 1)],
)
def test_accounts_check_shows_the_expiry(
    h: LinkedInHarness,
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    days: int,
    verdict: str,
    code: int,
) -> None:
    folder = _campaign(tmp_path, CAMPAIGN.replace("API", h.fake.base_url))
    expires = datetime.now(UTC) + timedelta(days=days, hours=1)
    monkeypatch.setenv(env_name("mhaw-linkedin", "access_token"), h.secret or "")
    monkeypatch.setenv(env_name("mhaw-linkedin", "expires_at"), expires.isoformat())
    assert main(["accounts", "check", str(folder), "--timeout", "2"]) == code
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "mhaw-linkedin (linkedin)" in x)
    assert line.startswith(verdict)
    assert expires.strftime("%Y-%m-%d") in line
    assert (h.secret or "") not in out


def test_accounts_check_json_says_expiring(
    h: LinkedInHarness,
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _campaign(tmp_path, CAMPAIGN.replace("API", h.fake.base_url))
    expires = datetime.now(UTC) + timedelta(days=2)
    monkeypatch.setenv(env_name("mhaw-linkedin", "access_token"), h.secret or "")
    monkeypatch.setenv(env_name("mhaw-linkedin", "expires_at"), expires.isoformat())
    assert main(["accounts", "check", str(folder), "--timeout", "2", "--json"]) == 1
    doc = parse(capsys.readouterr().out)
    validate("accounts-check", doc)
    (row,) = doc["accounts"]
    assert row["status"] == "expiring"
    assert expires.strftime("%Y-%m-%d") in row["message"]
    assert row["hint"]
