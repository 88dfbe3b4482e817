"""What only Facebook does, against tests.fakes.facebook: the Page token derived from the
person's token, link posts, one photo sent with its bytes, several photos attached to one
post in order with their alt text, Graph errors (expired token, a block, throttling with
usage headers, a duplicate that is ours or not), the Page's posts paged by cursor, and the
token's expiry in ``accounts check``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.credentials import env_name
from scheduler.descriptors.facebook import API_VERSION, FACEBOOK
from scheduler.errors import ConfigError
from scheduler.platforms import ratelimit
from scheduler.platforms.base import (
    Absent,
    AccountSpec,
    AuthFailed,
    CannotTell,
    Duplicate,
    Forbidden,
    Found,
    LinkCardRequest,
    OutcomeUnknown,
    RateLimited,
    Transient,
)
from scheduler.platforms.facebook import PAGE_SIZE, create
from scheduler.platforms.graph import BLOCKED_WAIT
from tests.fakes.base import Fault
from tests.fakes.facebook import (
    FEED,
    NODE,
    PHOTOS,
    PUBLISHED,
    PagePost,
    graph_fault,
    usage_headers,
)
from tests.platforms.harness import tiny_png
from tests.platforms.harness_facebook import PAGE, FacebookHarness


@pytest.fixture
def h(tmp_path: Path) -> Iterator[FacebookHarness]:
    harness = FacebookHarness(tmp_path)
    harness.start()
    yield harness
    harness.close_publishers()
    harness.stop()


def test_a_text_post_goes_to_the_feed_with_the_page_token(h: FacebookHarness) -> None:
    result = h.publisher().publish(h.request("Walk with us on Saturday."))
    (token_read,) = h.fake.calls("GET", f"/{API_VERSION}/{PAGE}")[:1]
    assert token_read.arg("fields") == "access_token"
    assert token_read.headers["authorization"] == f"Bearer {h.secret}"
    (call,) = h.fake.calls("POST", f"/{API_VERSION}/{PAGE}/feed")
    assert call.headers["authorization"] == f"Bearer {h.fake.page_token}"
    assert call.form() == {"message": ["Walk with us on Saturday."]}
    (post,) = h.fake.posts
    assert result.parts[0].remote_id == post.id
    assert result.parts[0].url == post.json()["permalink_url"]  # Meta's own address


def test_a_link_post_names_the_link_and_facebook_builds_the_card(h: FacebookHarness) -> None:
    link = LinkCardRequest("https://example.org/walk", "The walk", "Route and times")
    h.publisher().publish(h.request("Details:", link=link))
    (call,) = h.fake.calls("POST", f"/{API_VERSION}/{PAGE}/feed")
    assert call.form() == {"message": ["Details:"], "link": ["https://example.org/walk"]}


def test_one_photo_is_sent_with_its_bytes_message_and_alt_text(h: FacebookHarness) -> None:
    image = h.image(alt="Two runners on a towpath at sunrise")
    result = h.publisher().publish(h.request("Run Talk Run", media=(image,)))
    (call,) = h.fake.calls("POST", f"/{API_VERSION}/{PAGE}/photos")
    form = call.form()
    assert form["source"] == [image.file.read_bytes()]
    assert form["message"] == ["Run Talk Run"]
    assert form["alt_text_custom"] == [image.alt]
    assert "published" not in form
    assert h.fake.calls("POST", f"/{API_VERSION}/{PAGE}/feed") == []
    (post,) = h.fake.posts
    assert result.parts[0].remote_id == post.id  # the post, not the photo
    assert h.fake.alts(post) == (image.alt,)


def test_several_photos_are_uploaded_unpublished_then_attached_in_order(
    h: FacebookHarness,
) -> None:
    images = tuple(h.image(f"p{n}.png", alt=f"Photo {n} of the walk") for n in range(3))
    seen: list[int] = []
    h.publisher().publish(
        h.request("Saturday's walk", media=images), before_create=lambda i: seen.append(i)
    )
    uploads = h.fake.calls("POST", f"/{API_VERSION}/{PAGE}/photos")
    assert [u.form()["published"] for u in uploads] == [["false"]] * 3
    (call,) = h.fake.calls("POST", f"/{API_VERSION}/{PAGE}/feed")
    form = call.form()
    ids = [json.loads(form[f"attached_media[{i}]"][0])["media_fbid"] for i in range(3)]
    assert len(ids) == 3
    (post,) = h.fake.posts
    assert [p.id for p in post.photos] == ids
    assert h.fake.alts(post) == tuple(i.alt for i in images)
    assert seen == [0]


def test_a_failed_upload_of_several_creates_no_post(h: FacebookHarness) -> None:
    images = (h.image("a.png"), h.image("b.png"))
    h.fake.inject("POST", PHOTOS, Fault.passthrough(), Fault.status(503, {"error": {}}))
    with pytest.raises(Transient):  # an unpublished photo shows nowhere: safe to retry
        h.publisher().publish(h.request("Two photos", media=images))
    assert h.fake.posts == []


@pytest.mark.parametrize(
    ("code", "subcode", "expected"),
    [
        (190, 463, AuthFailed),
        (200, None, Forbidden),
        (10, None, Forbidden),
        (368, None, RateLimited),
        (4, None, RateLimited),
        (1, None, OutcomeUnknown),
    ],
)
def test_graph_codes_on_a_create(
    h: FacebookHarness, code: int, subcode: int | None, expected: type[Exception]
) -> None:
    h.fake.inject("POST", FEED, graph_fault(code, "refused", subcode=subcode))
    with pytest.raises(expected):
        h.publisher().publish(h.request("x"))
    assert h.fake.posts == []


def test_a_block_waits_an_hour_at_least(h: FacebookHarness) -> None:
    h.fake.inject("POST", FEED, graph_fault(368, "temporarily blocked for policy violations"))
    with pytest.raises(RateLimited) as info:
        h.publisher().publish(h.request("x"))
    assert info.value.retry_after == BLOCKED_WAIT
    assert "blocked" in info.value.message


def test_throttling_waits_as_the_usage_headers_say(h: FacebookHarness) -> None:
    h.fake.inject("POST", FEED, h.throttled())
    with pytest.raises(RateLimited) as info:
        h.publisher().publish(h.request("x"))
    assert info.value.retry_after == pytest.approx(300, abs=1)


def test_an_expired_user_token_cannot_derive_the_page_token(h: FacebookHarness) -> None:
    h.fake.expired = True
    with pytest.raises(AuthFailed) as info:
        h.publisher().publish(h.request("x"))
    assert "reconnect" in (info.value.hint or "")
    assert h.fake.calls("POST", "/") == []


def test_a_token_that_may_not_act_for_the_page_is_forbidden(h: FacebookHarness) -> None:
    h.fake.inject("GET", NODE, Fault.status(200, {"id": PAGE}))
    with pytest.raises(Forbidden) as info:
        h.publisher().publish(h.request("x"))
    assert "pages_manage_posts" in (info.value.hint or "")


def test_a_lost_answer_then_506_finds_the_post(h: FacebookHarness) -> None:
    """A blind retry after a lost answer is refused as a duplicate; the Page's post of the
    same text since the post was due is ours: it is recorded, not posted again."""
    request = h.request("Said once")
    h.inject("drop_after")
    with pytest.raises(OutcomeUnknown):
        h.publisher().publish(request)
    result = h.publisher().publish(request)
    assert [p.text for p in h.posted()] == ["Said once"]
    assert result.parts[0].remote_id == h.posted()[0].remote_id


def test_506_for_an_older_post_stays_a_duplicate(h: FacebookHarness) -> None:
    h.fake.posts.append(PagePost(f"{PAGE}_42", "Same words", h.clock.now() - timedelta(days=3)))
    with pytest.raises(Duplicate):
        h.publisher().publish(h.request("Same words"))
    assert len(h.posted()) == 1


def test_506_when_the_posts_cannot_be_read_leaves_the_outcome_unknown(
    h: FacebookHarness,
) -> None:
    h.fake.posts.append(PagePost(f"{PAGE}_42", "Same words", h.clock.now()))
    h.inject_lookup("rate_limited")
    with pytest.raises(OutcomeUnknown) as info:
        h.publisher().publish(h.request("Same words"))
    assert isinstance(info.value.__cause__, Duplicate)


def test_find_pages_by_cursor_until_it_passes_since(h: FacebookHarness) -> None:
    due = h.clock.now()
    older = PAGE_SIZE + 5
    for n in range(older):  # one a minute in the hour before the post, oldest first
        made = due - timedelta(minutes=older - n)
        h.fake.posts.append(PagePost(f"{PAGE}_{n}", f"old {n}", made))
    request = h.request("ours")
    h.publisher().publish(request)
    assert isinstance(h.publisher().find(request, 0), Found)
    missing = h.request("never sent", key="m")
    before = len(h.fake.calls("GET", f"/{API_VERSION}/{PAGE}/published_posts"))
    answer = h.publisher().find(missing, 0, since=due - timedelta(minutes=100))
    assert isinstance(answer, Absent), answer
    assert "to the end of the listing" in answer.coverage.how
    reads = h.fake.calls("GET", f"/{API_VERSION}/{PAGE}/published_posts")[before:]
    assert [r.arg("after") for r in reads] == [None, str(PAGE_SIZE)]
    assert all(r.arg("since") for r in reads)  # the listing is bounded by the interval


def test_found_is_only_since_the_post_was_due(h: FacebookHarness) -> None:
    h.fake.posts.append(PagePost(f"{PAGE}_9", "again", h.clock.now() - timedelta(hours=2)))
    assert isinstance(h.publisher().find(h.request("again"), 0), Absent)


def test_a_lookup_without_an_answer_cannot_tell(h: FacebookHarness) -> None:
    h.fake.inject("GET", PUBLISHED, Fault.drop_before(), times=3)
    assert isinstance(h.publisher().find(h.request("x"), 0), CannotTell)


def test_a_bad_page_or_version_is_a_config_error(h: FacebookHarness) -> None:
    for settings in ({"page": "my-page"}, {"page": PAGE, "version": "24"}):
        with pytest.raises(ConfigError):
            create(AccountSpec(h.account, "facebook", settings), h.context())


def test_verify_names_the_page_and_the_token_expiry(
    h: FacebookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = h.publisher().verify()
    assert (info.remote_id, info.handle) == (PAGE, h.fake.page_username)
    assert info.expires_at is None  # debug_token says 0: never, and none was recorded
    env = {**h.env(), env_name(h.account, "expires_at"): "2026-07-01"}
    monkeypatch.setattr(h, "env", lambda: env)
    assert h.publisher().verify().expires_at == datetime(2026, 7, 1, tzinfo=UTC)
    h.fake.token_expires_at = int(datetime(2026, 6, 20, tzinfo=UTC).timestamp())
    assert h.publisher().verify().expires_at == datetime(2026, 6, 20, tzinfo=UTC)


CAMPAIGN = """\
id: charity
title: For the charity's Page
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  mhaw-facebook: {platform: facebook, page: "104233215612345", api: "API"}
posts:
  - id: hello
    day: 1
    time: "09:00"
    text: "Walk with us on Saturday, 10:00 at the park gates."
"""


def _campaign(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "charity"
    folder.mkdir(parents=True)
    (folder / "campaign.yaml").write_text(text, encoding="utf-8")
    return folder


def test_check_refuses_a_thread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    thread = CAMPAIGN.replace("API", "https://graph.facebook.com").replace(
        '    text: "Walk with us on Saturday, 10:00 at the park gates."\n',
        "    thread:\n      - text: One.\n      - text: Two.\n",
    )
    assert main(["check", str(_campaign(tmp_path, thread))]) == 1
    assert "facebook has no threads, but this post has 2 parts" in capsys.readouterr().err


def test_check_wants_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = CAMPAIGN.replace('page: "104233215612345", api: "API"', "api: https://x.example")
    assert main(["check", str(_campaign(tmp_path, text))]) == 1
    assert "needs 'page'" in capsys.readouterr().err


@pytest.mark.parametrize(("days", "verdict", "code"), [(30, "ok", 0), (3, "EXPIRING", 1)])
def test_accounts_check_shows_the_expiry_meta_reports(
    h: FacebookHarness,
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
    h.fake.token_expires_at = int(expires.timestamp())
    monkeypatch.setenv(env_name("mhaw-facebook", "access_token"), h.secret or "")
    assert main(["accounts", "check", str(folder), "--timeout", "2"]) == code
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "mhaw-facebook (facebook)" in x)
    assert line.startswith(verdict)
    assert expires.strftime("%Y-%m-%d") in line
    assert f"@{h.fake.page_username}" in out
    for secret in (h.secret or "", h.fake.page_token):
        assert secret not in out


CARED = """\
id: charity
title: For the charity's Page
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  mhaw-facebook: {platform: facebook, page: "104233215612345"}
posts:
  - id: story
    day: 1
    time: "09:00"
    cw: eating disorder mention
    hashtags: [recoverystories]
    text: "Nia on recovery, and what helped. Beat's helpline: 0808 801 0677."
    media:
      - {file: walk.png, alt: ""}
"""


def test_the_care_lint_and_preview_read_facebook_from_its_descriptor(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An image without alt text is refused, a run-together hashtag is named, and with no
    warning field the content warning is the first line of the Page post."""
    folder = _campaign(tmp_path, CARED)
    (folder / "walk.png").write_bytes(tiny_png())
    assert main(["lint", str(folder)]) == 1
    assert "alt text is empty" in capsys.readouterr().err
    fixed = CARED.replace('alt: ""', "alt: A path through a beech wood in autumn")
    (folder / "campaign.yaml").write_text(fixed, encoding="utf-8")
    main(["lint", str(folder)])
    assert "warn a11y-hashtag-case [story @mhaw-facebook (facebook)" in capsys.readouterr().out
    assert main(["preview", str(folder), "--json"]) == 0
    (draft,) = json.loads(capsys.readouterr().out)["drafts"]
    assert draft["parts"][0]["text"].startswith("CW: eating disorder mention\n")
    assert draft["parts"][0]["media"][0]["alt"] == "A path through a beech wood in autumn"


def test_a_post_without_text_is_never_taken_for_absent(h: FacebookHarness) -> None:
    request = h.request("", media=(h.image(),))
    assert isinstance(h.publisher().find(request, 0), CannotTell)


def test_a_spent_page_limit_in_the_usage_headers_is_a_spent_window() -> None:
    """What the gate reads from every answer: the Page's usage at 100% is spent until the
    time Meta gives, so the account waits instead of drawing more refusals."""
    now = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
    read = ratelimit.read(usage_headers(PAGE, regain_minutes=7), now, FACEBOOK.rate_limits)
    until = read.spent_until()
    assert until is not None
    assert until[0] == now + timedelta(minutes=7)
    assert until[1] == "Meta's limit for the Page's business use"
