"""A real S3-compatible server on loopback (moto's server mode), and a ready ``PublicMedia``.

moto speaks the S3 REST API over real HTTP, so boto3, the presigned URLs and the pre-flight
fetch all go through sockets as they would to AWS, R2 or MinIO. It does not check signatures
or expiry: the tests of those rules look at the URLs our code makes (tests/media/test_s3.py).
moto keeps one store per process, so every test gets a bucket of its own.

For the publishers' tests::

    def test_instagram_image(s3_media: S3Media) -> None:
        context = PlatformContext(..., public_media=s3_media)

``moto_s3`` gives the server itself (its endpoint, keys, a boto3 client, fresh buckets).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from scheduler.media.config import S3Config, S3Keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from scheduler.media.s3 import S3Media

REGION = "us-east-1"
# Long and unlike any word: they are registered with scheduler.redact, process-wide.
KEYS = S3Keys("moto-test-access-key-1", "motoSecretAccessKey/for+the+tests/0001")
_numbers = itertools.count(1)


@dataclass
class MotoS3:
    """The running server: where it is, and how to make buckets and media hosts on it."""

    endpoint: str  # http://127.0.0.1:PORT
    keys: S3Keys = KEYS

    def client(self) -> S3Client:
        import boto3
        from botocore.config import Config

        client: S3Client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.keys.access_key_id,
            aws_secret_access_key=self.keys.secret_access_key,
            config=Config(s3={"addressing_style": "path"}),
        )
        return client

    def bucket(self) -> str:
        """A new, empty bucket of this test's own."""
        name = f"campaign-media-{next(_numbers)}"
        self.client().create_bucket(Bucket=name)
        return name

    def config(self, bucket: str | None = None, **overrides: Any) -> S3Config:
        settings: dict[str, Any] = {
            "bucket": bucket or self.bucket(),
            "endpoint_url": self.endpoint,
            "region": REGION,
            "path_style": True,
        }
        settings.update(overrides)
        return S3Config(**settings)

    def media(self, bucket: str | None = None, **overrides: Any) -> S3Media:
        """An ``S3Media`` on a fresh bucket (or ``bucket``), path-style, as MinIO needs."""
        from scheduler.media.s3 import S3Media

        return S3Media(self.config(bucket, **overrides), keys=self.keys, timeout=5.0)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint of one moto server on 127.0.0.1 for the whole session."""
    from moto.server import ThreadedMotoServer

    # Its request log would print every presigned URL, signature and all.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_s3(moto_server: str) -> MotoS3:
    return MotoS3(moto_server)


@pytest.fixture
def s3_media(moto_s3: MotoS3) -> S3Media:
    """A ready ``PublicMedia`` on a fresh bucket of the loopback S3 server."""
    return moto_s3.media()
