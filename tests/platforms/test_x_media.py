"""GIFs on X: the chunked upload, processing, its faults, and the rules check and publish share.

Against the loopback fake X (tests/fakes/x_media.py), which reassembles the segments and
keeps each STATUS poll's time on the test clock. What each fault does, as decided:

* a 5xx or a lost answer on an APPEND: that segment is sent again in place (at most three
  tries, paused on the injected clock); still failing, the upload fails Transient and the
  next attempt starts over with a new media id;
* processing pending for N polls: waited for, as often as ``check_after_secs`` says;
* processing failed: Invalid, with X's words, nothing posted;
* processing longer than the bound: Transient, nothing posted.

No failure of an upload is ever an OutcomeUnknown: nothing can have been posted.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from scheduler import descriptors
from scheduler.campaign import load_campaign
from scheduler.clock import FixedClock
from scheduler.errors import CampaignError
from scheduler.platforms.base import (
    Invalid,
    MediaUpload,
    PartRequest,
    PublishRequest,
    RateLimited,
    Transient,
)
from scheduler.platforms.rules import check_part
from scheduler.platforms.x import XPublisher
from scheduler.platforms.x_chunked import APPEND_PAUSE, CHUNK_BYTES, MAX_PROCESSING_WAIT
from scheduler.render import render_campaign
from tests.campaign.helpers import HEADER, png, write_campaign
from tests.fakes.base import Fault
from tests.fakes.x import APPEND, CREATE, FINALIZE, INITIALIZE, METADATA, UPLOAD, FakeX, problem
from tests.fakes.x_media import CHECK_AFTER
from tests.platforms.harness import tiny_gif, tiny_png
from tests.platforms.x_support import ACCOUNT, clock, fake, publisher, server

__all__ = ["clock", "fake", "server"]  # fixtures

SERVER_ERROR = Fault.status(503, problem(503, "Service Unavailable", "Service Unavailable"))


@pytest.fixture
def pub(fake: FakeX, clock: FixedClock, tmp_path: Path) -> Iterator[XPublisher]:
    made = publisher(fake, clock, tmp_path, settings={"username": fake.username})
    yield made
    made.close()


def media_file(
    tmp_path: Path, name: str, data: bytes, mime: str, alt: str = "A wave"
) -> MediaUpload:
    path = tmp_path / name
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    return MediaUpload(file=path, mime=mime, alt=alt, size=len(data), sha256=digest)


def gif(tmp_path: Path, name: str = "wave.gif", pad: int = 0, alt: str = "A wave") -> MediaUpload:
    return media_file(tmp_path, name, tiny_gif(pad=pad), "image/gif", alt)


def post(clock: FixedClock, *media: MediaUpload, text: str = "Say hello") -> PublishRequest:
    return PublishRequest(
        account=ACCOUNT, parts=(PartRequest(text=text, media=media),), created_at=clock.now()
    )


# --- the way through -----------------------------------------------------------------------


def test_a_gif_goes_out_once_with_its_media_id_and_alt_text(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    # Over the 5 MB image limit, under the 15 MB GIF limit: six 1 MiB segments.
    wave = gif(tmp_path, pad=5_500_000, alt="A hand waving hello, looping")
    started = clock.now()
    result = pub.publish(post(clock, wave))

    (tweet,) = fake.tweets
    assert tweet.id == result.parts[0].remote_id
    (media_id,) = tweet.media_ids
    media = fake.media[media_id]
    assert media.category == "tweet_gif"
    assert media.mime == "image/gif"
    assert media.data == wave.file.read_bytes(), "the segments reassemble to the file"
    assert media.alt == wave.alt
    assert len(fake.media) == 1, "one upload, no stray media"
    appends = fake.calls("POST", f"/2/media/upload/{media_id}/append")
    assert len(appends) == -(-wave.size // CHUNK_BYTES) == 6
    one_shot = [r for r in fake.calls("POST", UPLOAD) if r.path == UPLOAD]
    assert one_shot == [], "a GIF never takes the one-shot upload"
    # The fake answered "pending, look again in 3 s" and the publisher waited on the clock.
    assert len(media.polls) == 1
    assert (media.polls[0] - started).total_seconds() == CHECK_AFTER
    assert fake.early_polls == 0


def test_processing_pending_for_several_polls_is_waited_for_on_the_clock(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    fake.processing_polls = 6
    started_clock, started_wall = clock.now(), time.monotonic()
    pub.publish(post(clock, gif(tmp_path)))
    assert len(fake.tweets) == 1
    (media,) = fake.media.values()
    assert len(media.polls) == 6
    assert fake.early_polls == 0, "every poll honours check_after_secs"
    assert (clock.now() - started_clock).total_seconds() == 6 * CHECK_AFTER
    assert time.monotonic() - started_wall < 5, "18 s on the clock, not in real time"


def test_a_still_image_keeps_the_one_shot_upload(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    pub.publish(post(clock, media_file(tmp_path, "a.png", tiny_png(), "image/png")))
    (media,) = fake.media.values()
    assert media.category == "tweet_image"
    assert fake.calls("POST", INITIALIZE) == []


# --- faults --------------------------------------------------------------------------------


def test_a_failed_append_is_sent_again_in_place(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    wave = gif(tmp_path, pad=2_500_000)  # three segments; the second fails once, then is lost
    fake.inject("POST", APPEND, Fault.passthrough(), SERVER_ERROR, Fault.drop_after())
    before = clock.now()
    pub.publish(post(clock, wave))
    (tweet,) = fake.tweets
    (media,) = fake.media.values()
    assert tweet.media_ids == [media.id]
    assert media.data == wave.file.read_bytes(), "a repeated segment replaces the first copy"
    assert len(fake.calls("POST", INITIALIZE)) == 1
    assert len(fake.calls("POST", "/2/media/upload/")) == 3 + 2 + 1 + 1  # init, appends, fin
    paused = (clock.now() - before).total_seconds() - CHECK_AFTER
    assert paused == APPEND_PAUSE + 2 * APPEND_PAUSE


def test_an_append_that_keeps_failing_is_transient_and_the_next_attempt_starts_over(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    wave = gif(tmp_path)
    request = post(clock, wave)
    fake.inject("POST", APPEND, SERVER_ERROR, times=3)
    with pytest.raises(Transient) as info:
        pub.publish(request)
    assert info.value.retryable and info.value.part_index == 0
    assert info.value.status == 503
    assert fake.tweets == []
    pub.publish(request)
    (tweet,) = fake.tweets
    assert len(fake.media) == 2, "the first media id is left unused, to expire"
    (used,) = tweet.media_ids
    assert fake.media[used].data == wave.file.read_bytes()


def test_a_rate_limited_append_is_not_repeated(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    fake.rate_limit("POST", APPEND, reset_in=120)
    with pytest.raises(RateLimited) as info:
        pub.publish(post(clock, gif(tmp_path)))
    assert info.value.retry_after == pytest.approx(120, abs=2)
    assert len(fake.calls("POST", "/2/media/upload/")) == 2  # initialize, one append


def test_processing_failed_is_invalid_with_xs_words(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    fake.processing_polls = 2
    fake.processing_error = ("InvalidMedia", "Animated GIF frames exceed the limit")
    with pytest.raises(Invalid) as info:
        pub.publish(post(clock, gif(tmp_path)))
    error = info.value
    assert not error.retryable
    assert error.platform_message == "InvalidMedia: Animated GIF frames exceed the limit"
    assert "wave.gif" in error.message and error.part_index == 0
    assert fake.tweets == [] and fake.calls("POST", METADATA) == []


def test_a_file_x_cannot_read_as_a_gif_fails_processing(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    broken = media_file(tmp_path, "broken.gif", b"not a gif at all", "image/gif")
    with pytest.raises(Invalid, match="Unsupported GIF format"):
        pub.publish(post(clock, broken))


def test_processing_longer_than_the_bound_is_transient(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    fake.processing_polls = 1000
    request = post(clock, gif(tmp_path))
    before, wall = clock.now(), time.monotonic()
    with pytest.raises(Transient, match=r"still processing wave\.gif") as info:
        pub.publish(request)
    assert info.value.retryable
    waited = (clock.now() - before).total_seconds()
    assert MAX_PROCESSING_WAIT - CHECK_AFTER < waited <= MAX_PROCESSING_WAIT
    assert time.monotonic() - wall < 5
    assert fake.tweets == []
    fake.processing_polls = 1
    pub.publish(request)
    assert len(fake.tweets) == 1


def test_finalize_server_error_is_transient(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    fake.inject("POST", FINALIZE, SERVER_ERROR)
    with pytest.raises(Transient):
        pub.publish(post(clock, gif(tmp_path)))
    assert fake.tweets == []


# --- one GIF, on its own: the publisher refuses before sending ------------------------------


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["a.gif", "b.gif"], "part 1 has 2 GIFs; x takes a GIF only on its own"),
        (["a.gif", "b.png"], "part 1 has a GIF and 1 other image; x takes a GIF only on its own"),
        (["a.png", "b.gif", "c.png"], "a GIF and 2 other images"),
    ],
)
def test_a_gif_with_other_media_is_refused_before_anything_is_sent(
    fake: FakeX,
    pub: XPublisher,
    clock: FixedClock,
    tmp_path: Path,
    names: list[str],
    message: str,
) -> None:
    media = [
        gif(tmp_path, name)
        if name.endswith(".gif")
        else media_file(tmp_path, name, tiny_png(), "image/png")
        for name in names
    ]
    with pytest.raises(Invalid, match=message):
        pub.publish(post(clock, *media))
    assert fake.requests == []


def test_the_fake_refuses_a_gif_with_other_media_too(
    fake: FakeX, pub: XPublisher, clock: FixedClock, tmp_path: Path
) -> None:
    """So that it is the publisher's own check that keeps such a post from being sent."""
    pub.publish(post(clock, gif(tmp_path), text="the GIF"))
    pub.publish(post(clock, media_file(tmp_path, "a.png", tiny_png(), "image/png"), text="png"))
    ids = [t.media_ids[0] for t in fake.tweets]
    headers = {"authorization": f'OAuth oauth_token="{fake.oauth1_token}"'}
    answer = requests.post(
        fake.base_url + CREATE,
        json={"text": "mixed", "media": {"media_ids": ids}},
        headers=headers,
        timeout=2,
    )
    assert answer.status_code == 400
    assert "A GIF cannot be posted together with other media." in answer.text


# --- check and publish agree -----------------------------------------------------------------

MIB = 1 << 20


@pytest.mark.parametrize(
    ("files", "ok"),
    [
        ([("a.gif", 1_000)], True),
        ([("a.gif", 14 * MIB)], True),  # over the image limit: a GIF has its own
        ([("a.gif", 15_000_000)], True),
        ([("a.gif", 15_000_001)], False),
        ([("a.png", 5_000_001)], False),
        ([("a.gif", 1_000), ("b.gif", 1_000)], False),
        ([("a.gif", 1_000), ("b.png", 1_000)], False),
        ([("a.png", 1_000), ("b.png", 1_000)], True),
    ],
    ids=lambda v: str(v),
)
def test_check_and_the_publisher_agree_on_x_media(
    tmp_path: Path, files: list[tuple[str, int]], ok: bool
) -> None:
    folder = tmp_path / "c"
    items = "".join(f"\n      - {{file: {name}, alt: A picture.}}" for name, _ in files)
    path = write_campaign(
        folder,
        HEADER,
        f"posts:\n  - id: m\n    day: 1\n    time: '08:00'\n    accounts: [bird]\n"
        f"    text: Hi.\n    media:{items}\n",
    )
    uploads = []
    for name, size in files:
        if name.endswith(".gif"):
            start = tiny_gif()
        else:
            png(folder / name)
            start = (folder / name).read_bytes()
        # Only the first bytes say what a file is: the rest may be anything, to make up the size.
        (folder / name).write_bytes(start + b"\x00" * (size - len(start)))
        mime = "image/gif" if name.endswith(".gif") else "image/png"
        uploads.append(MediaUpload(folder / name, mime, "A picture.", size, ""))

    try:
        render_campaign(load_campaign(path))
        check_ok = True
    except CampaignError:
        check_ok = False
    try:
        check_part(descriptors.get("x"), PartRequest(text="Hi.", media=tuple(uploads)), 0)
        publish_ok = True
    except Invalid:
        publish_ok = False
    assert (check_ok, publish_ok) == (ok, ok)
