"""Finding an X part after a lost answer when text cannot tell: image-only posts.

X shows an image-only post as a bare t.co link, so by text every image-only post looks the
same. A post carrying the media uploaded for our own create call is ours; without those media
keys (another process uploaded them), an image-only candidate means "cannot tell".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.clock import FixedClock
from scheduler.platforms.base import (
    Absent,
    CannotTell,
    MediaUpload,
    OutcomeUnknown,
    PartRequest,
    PublishRequest,
)
from scheduler.platforms.x import XPublisher
from scheduler.platforms.x_find import Matches, Wanted, scan
from scheduler.platforms.x_sent import REMEMBERED, SentMedia
from tests.fakes.base import Fault
from tests.fakes.x import CREATE, FakeX
from tests.platforms.harness import found_part, tiny_gif, tiny_png
from tests.platforms.x_support import ACCOUNT, fake, server
from tests.platforms.x_support import publisher as x_publisher

__all__ = ["fake", "server"]  # fixtures
T0 = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)


# --- the rule, on timeline pages ---------------------------------------------------------------


def tweet(tid: str, text: str, keys: tuple[str, ...] = (), reply_to: str | None = None) -> Any:
    item: dict[str, Any] = {"id": tid, "text": text, "created_at": "2026-05-11T08:01:00.000Z"}
    if keys:
        item["attachments"] = {"media_keys": list(keys)}
    if reply_to:
        item["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
    return item


def wanted(
    text: str = "",
    media: int = 1,
    sent: tuple[frozenset[str], ...] = (),
    others: frozenset[frozenset[str]] = frozenset(),
) -> Wanted:
    return Wanted(text, media, sent, others, True, None, T0, frozenset({"1"}))


PAGE = [
    tweet("1", "https://t.co/aaaa", ("3_1",)),  # an earlier part: skipped
    tweet("2", "https://t.co/bbbb", ("3_2",)),  # image-only, someone else's upload
    tweet("3", "https://t.co/cccc", ("3_3", "3_4")),  # image-only, two images
    tweet("4", "https://example.org"),  # a bare link, no media
    tweet("5", "Hello https://t.co/dddd", ("16_5",)),  # text and a GIF
    tweet("6", "https://t.co/eeee", ("3_6",), reply_to="9"),  # an image-only reply
]


@pytest.mark.parametrize(
    ("want", "by_keys", "by_text"),
    [
        (wanted(sent=(frozenset({"3_2"}),)), ["2"], []),  # our own media: proof
        (wanted(sent=(frozenset({"3_9"}), frozenset({"3_6"}))), ["6"], ["2"]),  # any attempt's
        (wanted(), [], ["2"]),  # one image: only the one-image, non-reply post
        (wanted(media=2), [], ["3"]),
        (wanted(media=3), [], []),
        (wanted(others=frozenset({frozenset({"3_2"})})), [], []),  # another part's media
        (wanted("hello", others=frozenset({frozenset({"16_5"})})), [], []),
        (wanted("hello", media=1), [], ["5"]),  # with text, text decides
        (wanted("hello", media=1, sent=(frozenset({"16_5"}),)), ["5"], []),
        (wanted("hello", media=0), [], ["5"]),
        (wanted(media=0), [], ["4"]),  # a part that is only a link: never an image-only post
    ],
)
def test_scan(want: Wanted, by_keys: list[str], by_text: list[str]) -> None:
    found = Matches()
    scan(PAGE, want, T0, found)
    assert [tid for _, tid in found.by_keys] == by_keys
    assert [tid for _, tid in found.by_text] == by_text


# --- against the fake X --------------------------------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def publisher(fake: FakeX, clock: FixedClock, tmp_path: Path) -> XPublisher:
    return x_publisher(fake, clock, tmp_path, settings={"username": fake.username})


def image_only(tmp_path: Path, key: str, name: str = "a.png", gif: bool = False) -> PublishRequest:
    data = tiny_gif() if gif else tiny_png()
    path = tmp_path / name
    path.write_bytes(data)
    media = MediaUpload(path, "image/gif" if gif else "image/png", f"Alt of {name}", len(data), "")
    part = PartRequest(text="", media=(media,), idempotency_key=key)
    return PublishRequest(account=ACCOUNT, parts=(part,), created_at=T0)


@pytest.mark.parametrize("gif", [False, True], ids=["image", "gif"])
def test_the_publisher_that_uploaded_finds_its_image_only_post_among_others(
    fake: FakeX, clock: FixedClock, tmp_path: Path, gif: bool
) -> None:
    other = publisher(fake, clock, tmp_path)
    other.publish(image_only(tmp_path, "someone-else", "b.png"))  # earlier, same window
    clock.advance(60)
    pub = publisher(fake, clock, tmp_path)
    request = image_only(tmp_path, "ours", "a.gif" if gif else "a.png", gif=gif)
    fake.inject("POST", CREATE, Fault.drop_after())
    with pytest.raises(OutcomeUnknown):
        pub.publish(request)
    found = found_part(pub.find(request, 0))
    assert found.remote_id == fake.tweets[1].id, "ours, not the earlier image-only post"
    # The daemon's publisher lives on between attempts: the next one resumes from it.
    again = pub.publish(replace(request, done=(found,)))
    assert again.parts == (found,) and len(fake.tweets) == 2


def test_after_a_restart_the_media_keys_on_disk_still_find_the_post(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    publisher(fake, clock, tmp_path).publish(image_only(tmp_path, "someone-else", "b.png"))
    request = image_only(tmp_path, "ours")
    fake.inject("POST", CREATE, Fault.drop_after())
    with pytest.raises(OutcomeUnknown):
        publisher(fake, clock, tmp_path).publish(request)
    restarted = publisher(fake, clock, tmp_path)  # same state folder, nothing in memory
    found = found_part(restarted.find(request, 0))
    assert found.remote_id == fake.tweets[1].id


def test_without_the_media_keys_an_image_only_candidate_cannot_be_told(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    request = image_only(tmp_path, "ours")
    fake.inject("POST", CREATE, Fault.drop_after())
    with pytest.raises(OutcomeUnknown):
        publisher(fake, clock, tmp_path).publish(request)
    # a daemon on another machine: another state folder, the uploads are unknown to it
    elsewhere = publisher(fake, clock, tmp_path / "elsewhere")
    answer = elsewhere.find(request, 0)
    assert isinstance(answer, CannotTell) and "cannot be told" in answer.reason, answer


def test_a_damaged_record_of_sent_media_counts_as_none(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    request = image_only(tmp_path, "ours")
    fake.inject("POST", CREATE, Fault.drop_after())
    with pytest.raises(OutcomeUnknown):
        publisher(fake, clock, tmp_path).publish(request)
    for sent in (tmp_path / "state").glob("x-*.sent.json"):
        sent.write_text("{not json", encoding="utf-8")
    answer = publisher(fake, clock, tmp_path).find(request, 0)
    assert isinstance(answer, CannotTell) and "cannot be told" in answer.reason, answer


def test_an_image_only_post_of_another_part_is_not_taken_for_this_one(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    pub = publisher(fake, clock, tmp_path)
    pub.publish(image_only(tmp_path, "the 08:00 post", "b.png"))
    request = image_only(tmp_path, "the 08:02 post")
    fake.server_error("POST", CREATE, 503)
    with pytest.raises(OutcomeUnknown):
        pub.publish(request)
    assert isinstance(pub.find(request, 0), Absent), "the earlier image-only post is another part's"
    pub.publish(request)
    assert len(fake.tweets) == 2


def test_an_image_only_part_not_posted_is_not_found(
    fake: FakeX, clock: FixedClock, tmp_path: Path
) -> None:
    request = image_only(tmp_path, "ours")
    publisher(fake, clock, tmp_path).publish(
        PublishRequest(ACCOUNT, (PartRequest(text="Words only"),), T0 - timedelta(minutes=1))
    )
    fake.server_error("POST", CREATE, 503)
    pub = publisher(fake, clock, tmp_path)
    with pytest.raises(OutcomeUnknown):
        pub.publish(request)
    assert isinstance(pub.find(request, 0), Absent)
    assert isinstance(publisher(fake, clock, tmp_path).find(request, 0), Absent)


def test_the_record_of_sent_media_keeps_the_latest_parts_privately(tmp_path: Path) -> None:
    sent = SentMedia(tmp_path / "state" / "x-a.sent.json")
    for n in range(REMEMBERED + 10):
        sent.add(("a", str(n)), frozenset({f"3_{n}"}))
    sent.add(("a", "0"), frozenset({"3_again"}))  # a second attempt of an old part
    again = SentMedia(sent.path)  # as after a restart
    assert again.of(("a", "10")) == ()  # the oldest are gone
    assert again.of(("a", "11")) == (frozenset({"3_11"}),)
    assert again.of(("a", "0")) == (frozenset({"3_again"}),)
    assert frozenset({"3_11"}) in again.others(("a", "0"))
    assert frozenset({"3_11"}) not in again.others(("a", "11"))
    assert sent.path.stat().st_mode & 0o777 == 0o600
