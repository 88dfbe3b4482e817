"""The X publisher against the loopback fake X (tests/fakes/x.py), faults included.

tweepy reaches the fake through the publisher's session: the account's ``api_base`` setting
points at 127.0.0.1 and the session's adapter sends tweepy's hard-coded host there.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import tweepy

from scheduler.clock import FixedClock
from scheduler.platforms.base import (
    PAGE_TRIES,
    Absent,
    AuthFailed,
    CannotTell,
    Duplicate,
    Forbidden,
    Found,
    Invalid,
    OutcomeUnknown,
    PartRequest,
    PartResult,
    PublishRequest,
    RateLimited,
    Transient,
)
from scheduler.platforms.x_find import normalise
from tests.fakes.base import Fault
from tests.fakes.x import CREATE, TIMELINE, UPLOAD, FakeX
from tests.platforms.harness import found_part
from tests.platforms.x_support import (
    ACCOUNT,
    clock,
    fake,
    image,
    publisher,
    server,
    thread,
)

__all__ = ["clock", "fake", "server"]  # fixtures


# --- the happy paths ----------------------------------------------------------------------


def test_single_post_with_oauth1(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    pub = publisher(fake, clock, tmp_path)
    result = pub.publish(thread(clock, "It's okay not to be okay. #MentalHealthAwarenessWeek"))
    assert fake.texts() == ["It's okay not to be okay. #MentalHealthAwarenessWeek"]
    (part,) = result.parts
    assert part.remote_id == fake.tweets[0].id
    assert result.url == f"https://x.com/mhaw_test/status/{part.remote_id}"
    (create,) = fake.calls("POST", CREATE)
    assert create.headers["authorization"].startswith("OAuth ")
    pub.close()


def test_username_from_settings_needs_no_lookup(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    pub = publisher(fake, clock, tmp_path, settings={"username": "@mhaw_test"})
    pub.publish(thread(clock, "Talking helps."))
    assert not fake.calls("GET", "/2/users/me")


def test_username_is_read_once(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    pub = publisher(fake, clock, tmp_path)
    pub.publish(thread(clock, "one"))
    result = pub.publish(thread(clock, "two"))
    assert len(fake.calls("GET", "/2/users/me")) == 1
    assert result.url.startswith("https://x.com/mhaw_test/status/")


def test_thread_replies_to_the_previous_part(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    seen: list[PartResult] = []
    result = publisher(fake, clock, tmp_path).publish(
        thread(clock, "1/3 A thread on anxiety.", "2/3 Breathe slowly.", "3/3 You are not alone."),
        seen.append,
    )
    assert [p.index for p in seen] == [0, 1, 2]
    assert seen == list(result.parts)
    first, second, third = fake.tweets
    assert first.in_reply_to is None
    assert second.in_reply_to == first.id
    assert third.in_reply_to == second.id


def test_refused_reply_names_the_part_and_keeps_the_first(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    seen: list[PartResult] = []
    refusal = {
        "title": "Forbidden",
        "detail": "Reply to this conversation is not allowed because you have not been "
        "mentioned or otherwise engaged by the author of the post you are replying to.",
        "type": "about:blank",
        "status": 403,
    }
    pub = publisher(fake, clock, tmp_path)
    pub.verify()
    request = thread(clock, "1/2 first", "2/2 second")

    def on_part(part: PartResult) -> None:
        seen.append(part)
        fake.inject("POST", CREATE, Fault.status(403, refusal))

    with pytest.raises(Forbidden) as info:
        pub.publish(request, on_part)
    assert info.value.part_index == 1
    assert "not allowed" in (info.value.platform_message or "")
    assert [p.remote_id for p in seen] == [t.id for t in fake.tweets]


def test_separate_thread_mode_posts_standalone_parts(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    pub = publisher(fake, clock, tmp_path, settings={"threads": "separate"})
    request = thread(clock, "1/2 first", "2/2 second")
    result = pub.publish(request)
    assert [t.in_reply_to for t in fake.tweets] == [None, None]
    done = thread(clock, "1/2 first", "2/2 second", done=result.parts[:1])
    assert pub.find(done, 1) == Found(result.parts[1])


def test_empty_part_is_invalid(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="empty"):
        publisher(fake, clock, tmp_path).publish(thread(clock, "  "))


def test_images_with_alt_text(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    media = (
        image(tmp_path, "a.png", "A hand holding a mug of tea."),
        image(tmp_path, "b.png", "A quiet park bench at dawn."),
    )
    request = PublishRequest(
        account=ACCOUNT,
        parts=(PartRequest(text="Small things that help.", media=media),),
        created_at=clock.now(),
    )
    publisher(fake, clock, tmp_path).publish(request)
    (tweet,) = fake.tweets
    assert len(tweet.media_ids) == 2
    assert [fake.media[m].alt for m in tweet.media_ids] == [m.alt for m in media]
    assert all(fake.media[m].category == "tweet_image" for m in tweet.media_ids)
    assert fake.media[tweet.media_ids[0]].data == media[0].file.read_bytes()


def test_reply_settings_are_sent(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    request = PublishRequest(
        account=ACCOUNT,
        parts=(PartRequest(text="Replies limited."),),
        created_at=clock.now(),
        reply_settings="mentionedUsers",
    )
    publisher(fake, clock, tmp_path).publish(request)
    assert fake.tweets[0].reply_settings == "mentionedUsers"


def test_verify(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    info = publisher(fake, clock, tmp_path).verify()
    assert (info.platform, info.account, info.handle) == ("x", ACCOUNT, "mhaw_test")
    assert info.remote_id == fake.user_id
    assert info.url == "https://x.com/mhaw_test"


def test_verify_names_the_wrong_account(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    pub = publisher(fake, clock, tmp_path, settings={"username": "someone_else"})
    with pytest.raises(AuthFailed, match="@mhaw_test, not @someone_else"):
        pub.verify()


# --- refused before anything is sent -------------------------------------------------------


def test_too_long_is_refused_before_sending(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="281 characters") as info:
        publisher(fake, clock, tmp_path).publish(thread(clock, "ok", "a" * 281))
    assert info.value.part_index == 1
    assert fake.requests == []


def test_x_refusing_the_text_is_invalid(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    # CJK counts double: our check and X's agree, so force X's answer through a fault.
    fake.inject("POST", CREATE, Fault.status(400, {"detail": "Your Tweet text is too long."}))
    with pytest.raises(Invalid) as info:
        publisher(fake, clock, tmp_path).publish(thread(clock, "short"))
    assert info.value.platform_message == "Your Tweet text is too long."
    assert fake.texts() == []


# --- faults on the create call: exactly once ------------------------------------------------


def test_dropped_connection_after_storing_is_found(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    pub = publisher(fake, clock, tmp_path)
    request = thread(clock, "Reach out to someone today. https://www.mind.org.uk/ & more")
    fake.inject("POST", CREATE, Fault.drop_after())
    with pytest.raises(OutcomeUnknown) as info:
        pub.publish(request)
    assert info.value.part_index == 0
    found = found_part(pub.find(request, 0))
    assert found.remote_id == fake.tweets[0].id
    assert found.url.endswith(f"/status/{found.remote_id}")
    assert len(fake.tweets) == 1


def test_slow_answer_past_the_timeout_is_found(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    pub = publisher(fake, clock, tmp_path, timeout=0.3)
    request = thread(clock, "Slow but posted.")
    pub.verify()  # the identity lookup must not eat the injected delay
    fake.inject("POST", CREATE, Fault.delay(1.0))
    with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
        pub.publish(request)
    found = found_part(pub.find(request, 0))
    assert [t.id for t in fake.tweets] == [found.remote_id]


def test_server_error_before_storing_finds_nothing_then_retries(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    pub = publisher(fake, clock, tmp_path)
    request = thread(clock, "Try again later.")
    fake.server_error("POST", CREATE, 503)
    with pytest.raises(OutcomeUnknown) as info:
        pub.publish(request)
    assert info.value.status == 503
    assert isinstance(pub.find(request, 0), Absent)
    pub.publish(request)
    assert fake.texts() == ["Try again later."]


def test_retry_without_find_is_reconciled_through_the_duplicate_answer(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    pub = publisher(fake, clock, tmp_path)
    request = thread(clock, "Posted once, answered never.")
    fake.inject("POST", CREATE, Fault.drop_after())
    with pytest.raises(OutcomeUnknown):
        pub.publish(request)
    result = pub.publish(request)  # a careless retry: X says duplicate, we find ours
    assert [t.id for t in fake.tweets] == [result.parts[0].remote_id]
    assert len(fake.calls("POST", CREATE)) == 2


def test_duplicate_of_an_old_post_stays_duplicate(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    pub = publisher(fake, clock, tmp_path)
    pub.publish(thread(clock, "Same words as last year."))
    clock.advance(timedelta(days=365))
    with pytest.raises(Duplicate) as info:
        pub.publish(thread(clock, "Same words as last year."))
    assert "duplicate content" in (info.value.platform_message or "")
    assert len(fake.tweets) == 1


def test_thread_resumes_after_a_failed_part(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    pub = publisher(fake, clock, tmp_path, settings={"username": "mhaw_test"})
    texts = ("1/3 first", "2/3 second", "3/3 third")
    stored: list[PartResult] = []

    def on_part(part: PartResult) -> None:
        stored.append(part)
        if len(stored) == 1:  # part 2 will be stored by X but never answered
            fake.inject("POST", CREATE, Fault.drop_after())

    with pytest.raises(OutcomeUnknown) as info:
        pub.publish(thread(clock, *texts), on_part)
    assert info.value.part_index == 1 and len(stored) == 1
    found = found_part(pub.find(thread(clock, *texts, done=tuple(stored)), 1))
    assert found.index == 1
    resumed = pub.publish(thread(clock, *texts, done=(*stored, found)))
    assert [t.text for t in fake.tweets] == list(texts)
    assert fake.tweets[2].in_reply_to == found.remote_id == fake.tweets[1].id
    assert [p.remote_id for p in resumed.parts] == [t.id for t in fake.tweets]


def test_connection_refused_is_transient(clock: FixedClock, tmp_path: Path) -> None:
    with FakeX(clock=clock) as gone:
        url = gone.base_url  # stopped below: its port now refuses connections
    settings = {"username": "mhaw_test", "user_id": "1", "api_base": url}
    pub = publisher(gone, clock, tmp_path, settings=settings)
    with pytest.raises(Transient):
        pub.publish(thread(clock, "nobody home"))


# --- rate limits, media faults --------------------------------------------------------------


def test_rate_limited_with_reset(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    pub = publisher(fake, clock, tmp_path, settings={"username": "mhaw_test"})
    fake.rate_limit("POST", CREATE, reset_in=90)
    with pytest.raises(RateLimited) as info:
        pub.publish(thread(clock, "later"))
    assert info.value.retry_after == 90
    assert isinstance(info.value.__cause__, tweepy.TooManyRequests)  # chained, never swallowed
    assert fake.texts() == []


def test_daily_cap(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    pub = publisher(fake, clock, tmp_path, settings={"username": "mhaw_test"})
    fake.rate_limit("POST", CREATE, reset_in=90, cap24=True)
    with pytest.raises(RateLimited) as info:
        pub.publish(thread(clock, "tomorrow"))
    assert info.value.retry_after == 90 + 86_400


def test_media_upload_failure_posts_nothing(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    request = PublishRequest(
        account=ACCOUNT,
        parts=(PartRequest(text="with image", media=(image(tmp_path, "a.png", "alt"),)),),
        created_at=clock.now(),
    )
    pub = publisher(fake, clock, tmp_path)
    fake.server_error("POST", UPLOAD, 503)
    with pytest.raises(Transient):
        pub.publish(request)
    fake.inject("POST", UPLOAD, Fault.drop_after())
    with pytest.raises(Transient):
        pub.publish(request)
    assert fake.texts() == []
    pub.publish(request)
    assert fake.texts() == ["with image"]


def test_find_that_cannot_read_cannot_tell(fake: FakeX, clock: FixedClock, tmp_path: Path) -> None:
    pub = publisher(fake, clock, tmp_path)
    request = thread(clock, "unsure")
    pub.verify()
    fake.server_error("GET", TIMELINE, 503)  # one 5xx: the page is read again
    assert isinstance(pub.find(request, 0), Absent)
    for _ in range(PAGE_TRIES):
        fake.server_error("GET", TIMELINE, 503)
    answer = pub.find(request, 0)
    assert isinstance(answer, CannotTell) and answer.status == 503, answer


# --- reconciliation text matching -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "returned"),
    [
        ("Tea & talk <3", "Tea &amp; talk &lt;3"),
        ("Help: https://www.mind.org.uk/information-support/", "Help: https://t.co/AbCdEf1234"),
        ("Help: samaritans.org today", "Help: https://t.co/xyz today"),
        ("Photo day", "Photo day https://t.co/media12345"),
        ("Cafe\u0301", "Café"),
    ],
)
def test_normalise_matches_what_x_returns(sent: str, returned: str) -> None:
    assert normalise(sent) == normalise(returned)


def test_normalise_keeps_different_texts_apart() -> None:
    assert normalise("2/3 Breathe") != normalise("3/3 Breathe")
