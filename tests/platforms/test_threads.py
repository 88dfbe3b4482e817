"""Threads beyond the contract suite: containers staged and asked about again, carousels,
link attachments, reply controls, usage headers, the token's renewal, and the sandbox's body."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.errors import ConfigError
from scheduler.platforms import renewal
from scheduler.platforms.base import (
    Absent,
    AuthFailed,
    CannotTell,
    Found,
    Invalid,
    LinkCardRequest,
    OutcomeUnknown,
    PlatformContext,
    RateLimited,
    Renewable,
    Transient,
)
from scheduler.platforms.renewal import path_for
from scheduler.platforms.threads import CONTAINER_WAIT_SECONDS
from scheduler.platforms.threads_body import sandbox_body
from tests.fakes.base import Fault
from tests.fakes.threads import CONTAINERS, PUBLISH
from tests.platforms.harness import DUE
from tests.platforms.harness_threads import ThreadsHarness


@pytest.fixture
def h(tmp_path: Path) -> Iterator[ThreadsHarness]:
    harness = ThreadsHarness(tmp_path)
    harness.start()
    try:
        yield harness
    finally:
        harness.close_publishers()
        harness.stop()


def _containers(h: ThreadsHarness) -> list[dict[str, object]]:
    return [c.json() for c in h.fake.calls("POST", "/v1.0/") if c.path.endswith("/threads")]


# --- what is sent -------------------------------------------------------------------------


def test_a_carousel_keeps_each_image_its_alt_text_in_order(h: ThreadsHarness) -> None:
    images = (
        h.image("a.png", alt="A path through a wood"),
        h.image("b.png", alt="Two friends on a bench"),
    )
    h.publisher().publish(h.request("Two pictures", media=images))
    [post] = h.fake.posts
    assert post.media_type == "CAROUSEL"
    assert post.alts == ("A path through a wood", "Two friends on a bench")
    items, carousel = _containers(h)[:2], _containers(h)[2]
    assert [i["is_carousel_item"] for i in items] == [True, True]
    assert all(str(i["image_url"]).startswith(h.files.base_url) for i in items)
    assert carousel["media_type"] == "CAROUSEL" and carousel["text"] == "Two pictures"
    # Meta fetched each image from the public host, with its type.
    fetched = [f for c in h.fake.containers.values() for f in c.fetched]
    assert [(size, kind) for _, size, kind in fetched] == [
        (images[0].size, "image/png"),
        (images[1].size, "image/png"),
    ]


def test_link_attachment_goes_on_the_part_naming_it_without_images(h: ThreadsHarness) -> None:
    link = LinkCardRequest("https://example.org/walk", "The walk")
    request = h.request("Walk with us", "Route: https://example.org/walk", link=link)
    h.publisher().publish(request)
    assert [p.link_attachment for p in h.fake.posts] == [None, "https://example.org/walk"]
    h.fake.posts.clear()
    with_image = h.request("https://example.org/walk", link=link, media=(h.image(),), key="i")
    h.publisher().publish(with_image)
    assert h.fake.posts[0].link_attachment is None, "an image post takes no link attachment"


def test_reply_control_goes_with_every_part_and_others_are_refused(h: ThreadsHarness) -> None:
    h.publisher().publish(h.request("one", "two", reply_settings="accounts_you_follow"))
    assert [p.reply_control for p in h.fake.posts] == ["accounts_you_follow"] * 2
    with pytest.raises(Invalid) as info:
        h.publisher().publish(h.request("x", key="v", reply_settings="verified"))
    assert "accounts_you_follow" in (info.value.hint or "")


def test_images_need_a_public_host(h: ThreadsHarness) -> None:
    context = replace(h.context(), public_media=None)
    from scheduler.platforms import build_publisher

    publisher = build_publisher(h.spec(), context)
    # The operator's to fix: the draft waits for a person rather than failing for good.
    with pytest.raises(ConfigError) as info:
        publisher.publish(h.request("a picture", media=(h.image(),)))
    assert "public" in str(info.value) and info.value.hint
    assert h.fake.posts == [] and _containers(h) == []


# --- containers ---------------------------------------------------------------------------


def test_the_container_is_staged_before_it_is_published(h: ThreadsHarness) -> None:
    seen: list[tuple[int, str, int]] = []
    h.publisher().publish(
        h.request("one", "two"),
        on_staged=lambda i, c: seen.append((i, c, len(h.fake.posts))),
    )
    assert [(i, n) for i, _, n in seen] == [(0, 0), (1, 1)]
    assert [c for _, c, _ in seen] == [p.container for p in h.fake.posts]


def test_a_finished_staged_container_is_published_as_it_is(h: ThreadsHarness) -> None:
    request = h.request("staged once")
    h.fake.inject("POST", PUBLISH, Fault.status(503))
    staged: dict[int, str] = {}
    with pytest.raises(Transient):
        h.publisher().publish(request, on_staged=staged.__setitem__)
    h.publisher().publish(replace(request, staged=staged))
    assert [p.container for p in h.fake.posts] == [staged[0]]
    assert len(_containers(h)) == 1, "no second container"


@pytest.mark.parametrize("end", ["EXPIRED", "ERROR"])
def test_an_expired_or_failed_container_is_made_anew(h: ThreadsHarness, end: str) -> None:
    request = h.request("again")
    h.fake.inject("POST", PUBLISH, Fault.status(503))
    staged: dict[int, str] = {}
    with pytest.raises(Transient):
        h.publisher().publish(request, on_staged=staged.__setitem__)
    h.fake.containers[staged[0]].status = end
    h.publisher().publish(replace(request, staged=staged))
    assert len(h.fake.posts) == 1 and h.fake.posts[0].container != staged[0]


def test_a_published_container_is_found_not_published_again(h: ThreadsHarness) -> None:
    request = h.request("out already", "and the reply")
    h.fake.inject("POST", PUBLISH, Fault.drop_after())
    staged: dict[int, str] = {}
    with pytest.raises(OutcomeUnknown):
        h.publisher().publish(request, on_staged=staged.__setitem__)
    result = h.publisher().publish(replace(request, staged=staged))
    assert [p.text for p in h.fake.posts] == ["out already", "and the reply"]
    assert result.parts[0].remote_id == h.fake.posts[0].id


def test_find_asks_the_staged_container_first(h: ThreadsHarness) -> None:
    request = h.request("in progress")
    h.fake.stuck = 1000
    staged: dict[int, str] = {}
    with pytest.raises(Transient) as info:
        h.publisher().publish(request, on_staged=staged.__setitem__)
    assert "still being built" in str(info.value)
    assert h.clock.now() - DUE >= timedelta(seconds=CONTAINER_WAIT_SECONDS)
    answer = h.publisher().find(replace(request, staged=staged), 0)
    assert isinstance(answer, CannotTell), "IN_PROGRESS may be a publish under way"
    h.fake.containers[staged[0]].pending_reads = 0
    assert isinstance(h.publisher().find(replace(request, staged=staged), 0), Absent)
    # Published now, but the listing lags: never "absent".
    h.fake.containers[staged[0]].status = "PUBLISHED"
    assert isinstance(h.publisher().find(replace(request, staged=staged), 0), CannotTell)


@pytest.mark.parametrize(
    ("message", "error"), [("INVALID_ASPEC_RATIO", Invalid), ("UNKNOWN", Transient)]
)
def test_a_container_in_error(h: ThreadsHarness, message: str, error: type[Exception]) -> None:
    h.fake.fail_next(message)
    with pytest.raises(error) as info:
        h.publisher().publish(h.request("broken"))
    assert message in str(info.value)
    assert h.fake.posts == []


def test_a_container_created_but_its_answer_dropped_is_only_an_orphan(h: ThreadsHarness) -> None:
    h.fake.inject("POST", CONTAINERS, Fault.drop_after())
    with pytest.raises(Transient):  # nothing was published: an unused container expires
        h.publisher().publish(h.request("orphan"))
    h.publisher().publish(h.request("orphan"))
    assert [p.text for p in h.fake.posts] == ["orphan"]


# --- lookups ------------------------------------------------------------------------------


def test_find_ignores_the_same_words_posted_before_and_others_replies(h: ThreadsHarness) -> None:
    h.fake.post_elsewhere("same words")
    h.clock.advance(3600)
    request = replace(h.request("same words"), created_at=h.clock.now())
    assert isinstance(h.publisher().find(request, 0), Absent)
    first = h.publisher().publish(h.request("parent", key="p"))
    stranger = h.fake.post_elsewhere("the reply")
    stranger.reply_to, stranger.username = first.parts[0].remote_id, "someone.else"
    thread = replace(h.request("parent", "the reply", key="p"), done=first.parts)
    assert isinstance(h.publisher().find(thread, 1), Absent)


def test_find_pages_through_a_busy_account(h: ThreadsHarness) -> None:
    result = h.publisher().publish(h.request("needle"))
    for n in range(120):
        h.fake.post_elsewhere(f"chatter {n}")
    assert h.publisher().find(h.request("needle"), 0) == Found(result.parts[0])
    pages = [r for r in h.fake.calls("GET", "/v1.0/") if r.path.endswith("/threads")]
    assert len(pages) == 3 and pages[-1].arg("after") == "100"


def test_a_rate_limit_reads_the_usage_headers(h: ThreadsHarness) -> None:
    h.fake.inject("POST", PUBLISH, h.fake.rate_limit_fault(minutes=7, status=400))
    with pytest.raises(RateLimited) as info:
        h.publisher().publish(h.request("later"))
    assert info.value.retry_after == pytest.approx(420, abs=2)


# --- the account --------------------------------------------------------------------------


def test_verify_names_the_profile(h: ThreadsHarness) -> None:
    info = h.publisher().verify()
    assert (info.handle, info.url) == ("mhaw.stories", "https://www.threads.net/@mhaw.stories")


def test_renew_keeps_the_new_token_and_uses_it(h: ThreadsHarness) -> None:
    publisher = h.publisher()
    assert isinstance(publisher, Renewable)
    h.clock.advance(25 * 3600)
    expires = publisher.renew()
    assert expires is not None and expires - h.clock.now() > timedelta(days=59)
    assert h.fake.refreshed == 1
    path = path_for(h.state_dir, h.account)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["access_token"] in h.fake.tokens
    # The operator's token no longer works; a new publisher reads the renewed one first.
    assert h.secret not in h.fake.tokens
    h.publisher().publish(h.request("after renewal"))
    assert publisher.renew() == expires, "a token renewed within a day is kept"
    assert h.fake.refreshed == 1
    # Kept where the daemon's renewals and expiry warnings look.
    context = h.context()
    assert renewal.expiry(context.credentials, context.state_dir, h.account) == expires


def test_a_token_renewed_by_an_earlier_release_is_moved_and_used(h: ThreadsHarness) -> None:
    renewed = "THAArenewed-by-an-earlier-release-0123"
    h.fake.tokens[renewed] = h.clock.now()
    h.fake.tokens.pop(h.secret or "")  # the renewal made the operator's token stale
    old = h.state_dir / f"threads-{h.account}.token.json"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text(
        json.dumps(
            {
                "access_token": renewed,
                "renewed_at": "2026-05-01T09:00:00+00:00",
                "expires_at": "2026-06-30T09:00:00+00:00",
                "source": renewal.fingerprint(h.secret or ""),
            }
        )
    )
    h.publisher().publish(h.request("after the upgrade"))
    assert h.fake.requests[-1].headers["authorization"] == f"Bearer {renewed}"
    assert not old.exists()
    kept = renewal.load(h.state_dir, h.account)
    assert kept is not None and kept.value.reveal() == renewed
    assert kept.issued_at == datetime(2026, 5, 1, 9, tzinfo=UTC)


def test_a_token_stored_anew_wins_over_the_renewed_one(
    h: ThreadsHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h.clock.advance(25 * 3600)
    h.publisher().renew()  # type: ignore[attr-defined]
    reconnected = "THAAreconnected-token-9876543210"
    h.fake.tokens[reconnected] = h.clock.now()
    monkeypatch.setattr(h, "secret", reconnected)
    h.publisher().publish(h.request("with the new one"))
    last = h.fake.requests[-1].headers["authorization"]
    assert last == f"Bearer {reconnected}"


def test_renew_refused_is_auth_failed(h: ThreadsHarness, tmp_path: Path) -> None:
    publisher = h.publisher()
    h.fake.tokens.clear()
    with pytest.raises(AuthFailed):
        publisher.renew()  # type: ignore[attr-defined]


# --- the sandbox ----------------------------------------------------------------------------


def test_the_sandbox_body_is_the_container_sent(h: ThreadsHarness) -> None:
    link = LinkCardRequest("https://example.org/walk")
    request = h.request(
        "A walk", "More: https://example.org/walk", link=link, reply_settings="everyone"
    )
    result = h.publisher().publish(request)
    sent = _containers(h)
    for index in range(2):
        body, _ = sandbox_body(request, index, result.parts, "mhaw.stories")
        assert body == sent[index]


def test_no_credentials_no_publisher(h: ThreadsHarness) -> None:
    context = PlatformContext(
        clock=h.clock,
        credentials=replace(h.context()).credentials.__class__({}, None),
        state_dir=h.state_dir,
        outbox=h.outbox,
    )
    from scheduler.platforms import build_publisher

    with pytest.raises(ConfigError):
        build_publisher(h.spec(), context)


def test_accounts_check_reads_the_profile_and_the_tokens_end(
    h: ThreadsHarness,
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from scheduler.cli import main
    from scheduler.credentials import env_name

    folder = tmp_path / "campaign"
    folder.mkdir()
    (folder / "campaign.yaml").write_text(
        "id: t\ntitle: T\ntimezone: Etc/UTC\nlanguage: en\n"
        "accounts:\n"
        f'  mhaw-threads: {{platform: threads, username: mhaw.stories, api: "{h.fake.base_url}"}}\n'
        "team:\n  - {name: A, email: a@example.org, roles: [writer, reviewer]}\n"
        "posts: []\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(env_name("mhaw-threads", "access_token"), h.secret or "")
    monkeypatch.setenv(env_name("mhaw-threads", "expires_at"), "2099-07-06")
    code = main(["accounts", "check", str(folder), "--timeout", "2"])
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "mhaw-threads" in x)
    assert code == 0 and line.startswith("ok"), out
    assert "mhaw.stories" in line and "2099-07-06" in out
    assert (h.secret or "?") not in out
    assert [r.path for r in h.fake.iter_requests()] == ["/v1.0/me"]


def test_a_publish_refused_as_not_ready_is_tried_again_with_the_same_container(
    h: ThreadsHarness,
) -> None:
    request = h.request("not ready yet")
    refusal = h.fake.error(400, 9007, "The media is not ready to be published")
    h.fake.inject("POST", PUBLISH, Fault.status(400, refusal.body))
    staged: dict[int, str] = {}
    with pytest.raises(Transient) as info:
        h.publisher().publish(request, on_staged=staged.__setitem__)
    assert "9007" in (info.value.platform_message or "")
    h.publisher().publish(replace(request, staged=staged))
    assert [p.container for p in h.fake.posts] == [staged[0]]
