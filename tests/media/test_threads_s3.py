"""The Threads publisher with a real S3-compatible host (moto on loopback): the container
names a presigned URL, and Meta's fake downloads the approved bytes from the bucket."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scheduler.errors import ConfigError
from scheduler.media.s3 import S3Media
from scheduler.platforms import build_publisher
from tests.fakes.s3 import MotoS3
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


def test_an_image_post_goes_through_the_bucket(
    h: ThreadsHarness, s3_media: S3Media, moto_s3: MotoS3
) -> None:
    publisher = build_publisher(h.spec(), replace(h.context(), public_media=s3_media))
    image = h.image("walk.png")
    publisher.publish(h.request("A walk at dawn", media=(image,)))
    [post] = h.fake.posts
    fetched = [f for c in h.fake.containers.values() for f in c.fetched]
    [(url, size, kind)] = fetched
    assert urlsplit(url).path == f"/{s3_media.config.bucket}/{image.sha256}.png"
    assert "X-Amz-Signature=" in url and (size, kind) == (image.size, "image/png")
    body = moto_s3.client().get_object(Bucket=s3_media.config.bucket, Key=f"{image.sha256}.png")
    assert hashlib.sha256(body["Body"].read()).hexdigest() == image.sha256
    assert post.alts == (image.alt,)


def test_a_missing_bucket_sends_nothing_to_threads(h: ThreadsHarness, moto_s3: MotoS3) -> None:
    media = moto_s3.media("no-bucket-for-threads")
    publisher = build_publisher(h.spec(), replace(h.context(), public_media=media))
    with pytest.raises(ConfigError, match="no-bucket-for-threads does not exist"):
        publisher.publish(h.request("A walk", media=(h.image(),)))
    assert h.fake.posts == []
    assert [c for c in h.fake.calls("POST", "/v1.0/") if c.path.endswith("/threads")] == []
