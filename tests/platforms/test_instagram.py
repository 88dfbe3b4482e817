"""Instagram's container flow on the fake: carousels, polling, staged containers after a
lost answer, the daily limit, and the rules ``check`` shares with the publisher."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler.descriptors import SettingRefused
from scheduler.descriptors.instagram import CONTAINER_WAIT, INSTAGRAM
from scheduler.errors import ConfigError
from scheduler.platforms import build_publisher
from scheduler.platforms.base import (
    Absent,
    CannotTell,
    Found,
    Invalid,
    OutcomeUnknown,
    PublishRequest,
    RateLimited,
    Transient,
)
from scheduler.platforms.instagram import sandbox_body
from tests.fakes.base import Fault
from tests.fakes.instagram import COMMENTS, CONTAINERS, POSTS_PER_DAY, PUBLISH
from tests.platforms.harness_instagram import InstagramHarness


@pytest.fixture
def h(tmp_path: Path) -> Iterator[InstagramHarness]:
    harness = InstagramHarness(tmp_path)
    harness.start()
    try:
        yield harness
    finally:
        harness.close_publishers()
        harness.stop()


def staged_publish(h: InstagramHarness, request: PublishRequest) -> tuple[dict[int, str], object]:
    """Publish as the daemon does, keeping what ``on_staged`` reports; the outcome or error."""
    staged: dict[int, str] = dict(request.staged)
    try:
        return staged, h.publisher().publish(request, on_staged=staged.__setitem__)
    except Exception as exc:  # the test looks at what it was
        return staged, exc


def test_a_carousel_is_children_then_one_container_in_order(h: InstagramHarness) -> None:
    images = tuple(h.image(f"day{i}.jpg", alt=f"Photo {i} of the walk") for i in range(3))
    result = h.publisher().publish(h.request("Our walk, in three photos #MHAW", media=images))
    (post,) = h.fake.media
    assert post.alts == ("Photo 0 of the walk", "Photo 1 of the walk", "Photo 2 of the walk")
    assert post.caption == "Our walk, in three photos #MHAW"
    children = [c for c in h.fake.containers.values() if c.fields.get("is_carousel_item")]
    assert [c.fields["alt_text"] for c in children] == list(post.alts)
    assert result.url == post.permalink


def test_the_container_is_staged_before_it_is_published(h: InstagramHarness) -> None:
    seen: list[tuple[str, int]] = []

    def on_staged(index: int, container: str) -> None:
        seen.append(("staged", len(h.fake.media)))

    h.publisher().publish(
        h.request("Staged first"),
        on_staged=on_staged,
        before_create=lambda i: seen.append(("create", len(h.fake.media))),
    )
    assert seen == [("staged", 0), ("create", 0)]
    assert len(h.fake.media) == 1


def test_a_container_still_in_progress_is_waited_for_then_asked_again(
    h: InstagramHarness,
) -> None:
    h.fake.hold(None)  # never finishes while we watch
    request = h.request("Slow to fetch")
    staged, error = staged_publish(h, request)
    assert isinstance(error, Transient) and "still IN_PROGRESS" in error.message
    # The wait ran on the injected clock, for the default bound (five minutes) at most.
    assert CONTAINER_WAIT * 0.5 <= h.clock.monotonic() <= CONTAINER_WAIT
    (container,) = staged.values()
    h.fake.containers[container].polls_left = 0  # Instagram got the image at last
    _, result = staged_publish(h, replace(request, staged=staged))
    assert len(h.fake.media) == 1 and h.fake.media[0].container == container
    assert len(h.fake.containers) == 1, "the same container, not a new one"
    assert not isinstance(result, Exception)


@pytest.mark.parametrize("wait", [30, 1200])
def test_the_account_setting_bounds_how_long_a_container_is_waited_for(
    h: InstagramHarness, wait: int
) -> None:
    h.fake.hold(None)  # never finishes while we watch
    spec = h.spec()
    spec = replace(spec, settings={**spec.settings, "container_wait": wait})
    publisher = build_publisher(spec, h.context())
    try:
        started = h.clock.monotonic()
        with pytest.raises(Transient, match=f"still IN_PROGRESS after {wait} s"):
            publisher.publish(h.request("Slow to fetch"))
    finally:
        publisher.close()
    waited = h.clock.monotonic() - started
    assert wait * 0.5 <= waited <= wait  # polled up to the account's bound, not past it
    polls = len(h.fake.calls("GET", "/v"))
    assert polls >= 3


def test_container_wait_is_a_declared_setting_with_the_default_unchanged() -> None:
    assert "container_wait" in INSTAGRAM.settings
    assert INSTAGRAM.polls_for({}) == CONTAINER_WAIT == 300
    assert INSTAGRAM.accept("container_wait", "120") == 120
    assert INSTAGRAM.polls_for({"container_wait": 120}) == 120
    for refused in ("5", "7200", "soon"):
        with pytest.raises(SettingRefused, match="container_wait takes a whole number"):
            INSTAGRAM.accept("container_wait", refused)


@pytest.mark.parametrize("state", ["EXPIRED", "ERROR"])
def test_a_dead_container_is_replaced_on_the_next_attempt(h: InstagramHarness, state: str) -> None:
    h.fake.doom(state)
    request = h.request("Try again")
    staged, error = staged_publish(h, request)
    assert isinstance(error, Transient) and state in error.message
    assert h.fake.media == []
    _, result = staged_publish(h, replace(request, staged=staged))
    assert not isinstance(result, Exception), result
    assert len(h.fake.media) == 1 and h.fake.media[0].container != staged[0]


def test_an_image_instagram_cannot_fetch_leaves_an_error_container(h: InstagramHarness) -> None:
    h.media_host.inject("GET", "/media/{name}", Fault.passthrough(), Fault.status(404))
    _, error = staged_publish(h, h.request("Broken link"))
    assert isinstance(error, Transient) and "ERROR" in error.message


@pytest.mark.parametrize("fault", [Fault.drop_after, lambda: Fault.delay(1.6)])
def test_a_lost_publish_answer_is_settled_by_the_staged_container(
    h: InstagramHarness, fault: object
) -> None:
    h.fake.inject("POST", PUBLISH, fault())  # type: ignore[operator]
    request = h.request("Published once")
    staged, error = staged_publish(h, request)
    assert isinstance(error, OutcomeUnknown)
    later = replace(request, staged=staged)
    answer = h.publisher().find(later, 0)
    assert isinstance(answer, Found) and answer.part.remote_id == h.fake.media[0].id
    # A later attempt that skipped the lookup still publishes nothing twice.
    _, result = staged_publish(h, later)
    assert not isinstance(result, Exception)
    assert len(h.fake.media) == 1


def test_a_staged_container_not_published_is_proof_of_absence(h: InstagramHarness) -> None:
    h.fake.inject("POST", PUBLISH, Fault.drop_before())
    request = h.request("Never reached Instagram")
    staged, error = staged_publish(h, request)
    assert isinstance(error, (Transient, OutcomeUnknown))
    answer = h.publisher().find(replace(request, staged=staged), 0)
    assert isinstance(answer, Absent) and staged[0] in answer.coverage.how
    assert h.fake.calls("GET", f"/v23.0/{h.fake.user_id}/media") == []  # no listing needed


def test_find_pages_through_the_media_by_cursor(h: InstagramHarness) -> None:
    first = h.request("The one we look for")
    h.publisher().publish(first)
    for i in range(55):  # a busy account: more than a page after ours, within its limit
        h.clock.advance(1800)
        h.publisher().publish(h.request(f"Later post {i}"))
    assert isinstance(h.publisher().find(first, 0), Found)
    missing = h.request("Never posted")
    answer = h.publisher().find(missing, 0)
    assert isinstance(answer, Absent) and answer.coverage.pages == 2


def test_the_daily_publishing_limit_waits(h: InstagramHarness) -> None:
    for i in range(POSTS_PER_DAY):
        h.publisher().publish(h.request(f"Post {i}"))
    with pytest.raises(RateLimited) as info:
        h.publisher().publish(h.request("One too many"))
    assert info.value.retry_after is not None and info.value.retry_after >= 3600
    assert "daily publishing limit" in info.value.message
    assert "50 posts" in " ".join(h.publisher().verify().warnings)


def test_a_throttled_container_call_says_how_long_to_wait(h: InstagramHarness) -> None:
    h.fake.inject("POST", CONTAINERS, h.fake.throttled(minutes=7))
    with pytest.raises(RateLimited) as info:
        h.publisher().publish(h.request("Wait"))
    assert info.value.retry_after == pytest.approx(420, abs=2)


def test_without_a_public_media_host_it_says_which_settings(h: InstagramHarness) -> None:
    h.media_host.stop()
    h.media_host = None  # type: ignore[assignment]
    with pytest.raises(ConfigError) as info:
        h.publisher().publish(h.request("Nowhere to fetch from"))
    assert "SCHEDULER_MEDIA_HOST" in (info.value.hint or "")
    assert h.fake.requests == []
    h.media_host = type("Stopped", (), {"stop": lambda self: None})()  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("text", "media", "words"),
    [
        ("No picture", "none", "has no image"),
        ("A PNG", "png", "image/png"),
        (" ".join(f"#Tag{i}" for i in range(31)), "jpeg", "31 hashtags"),
        (" ".join(f"@user{i}" for i in range(21)), "jpeg", "21 @mentions"),
        ("x" * 2201, "jpeg", "2201 characters"),
    ],
)
def test_what_instagram_refuses_is_refused_before_sending(
    h: InstagramHarness, text: str, media: str, words: str
) -> None:
    files = {"none": (), "png": (h._media("a.png", b"\x89PNG", "image/png", "A map", (1, 1)),)}
    request = PublishRequest(
        account=h.account,
        parts=(replace(h.request(text).parts[0], media=files.get(media, (h.image(),))),),
        created_at=h.request(text).created_at,
    )
    with pytest.raises(Invalid) as info:
        h.publisher().publish(request)
    assert words in info.value.message
    assert h.fake.requests == []


def test_the_sandbox_writes_the_container_the_publisher_sends(h: InstagramHarness) -> None:
    request = h.request("Walk with us on Saturday #MHAW")
    h.publisher().publish(request)
    sent = next(c for c in h.fake.containers.values() if "caption" in c.fields)
    written, _ = sandbox_body(request, 0, (), "mhaw")
    assert {k: v for k, v in sent.fields.items() if k != "image_url"} == {
        k: v for k, v in written.items() if k != "image_url"
    }
    assert written["image_url"] == "walk.jpg"


def test_the_first_comment_follows_the_post(h: InstagramHarness) -> None:
    request = replace(h.request("A walk"), first_comment="#RunTalkRun #WalkTogether")
    result = h.publisher().publish(request)
    assert h.fake.media[0].comments == ["#RunTalkRun #WalkTogether"]
    assert result.notes == ()


def test_a_refused_first_comment_is_a_note_for_a_person(h: InstagramHarness) -> None:
    # A token without the comments permission: Graph's permission error.
    body = {"error": {"message": "(#10) Application does not have permission for this action",
                      "type": "OAuthException", "code": 10}}  # fmt: skip
    h.fake.inject("POST", COMMENTS, Fault.status(403, body))
    request = replace(h.request("A walk"), first_comment="Samaritans: call 116 123")
    result = h.publisher().publish(request)
    assert [p.remote_id for p in result.parts] == [h.fake.media[0].id]
    (note,) = result.notes
    assert note.startswith("its first comment was not posted") and "permission" in note


def test_a_failed_first_comment_leaves_the_post_recorded(h: InstagramHarness) -> None:
    h.fake.inject("POST", COMMENTS, Fault.drop_after())
    seen: list[str] = []
    request = replace(h.request("A walk"), first_comment="#RunTalkRun")
    result = h.publisher().publish(request, on_part=lambda p: seen.append(p.remote_id))
    assert seen == [result.parts[0].remote_id] == [h.fake.media[0].id]
    # Once recorded, the post is done: the comment is not tried a second time.
    h.publisher().publish(replace(request, done=result.parts))
    assert len(h.fake.media[0].comments) <= 1


def test_a_published_container_whose_post_cannot_be_matched_is_never_absent(
    h: InstagramHarness,
) -> None:
    h.fake.inject("POST", PUBLISH, Fault.drop_after())
    request = h.request("Said once")
    staged, error = staged_publish(h, request)
    assert isinstance(error, OutcomeUnknown)
    h.fake.media[0].caption = "Said once, then edited in the app"
    answer = h.publisher().find(replace(request, staged=staged), 0)
    assert isinstance(answer, CannotTell) and "was published" in answer.reason
    assert isinstance(h.publisher().find(request, 0), Absent)  # without the container: absent


def test_a_carousel_waits_for_its_children(h: InstagramHarness) -> None:
    h.fake.hold(2)  # the first child is still being fetched for two looks
    images = (h.image("a.jpg", alt="First photo"), h.image("b.jpg", alt="Second photo"))
    h.publisher().publish(h.request("Two photos", media=images))
    assert h.fake.media[0].alts == ("First photo", "Second photo")
