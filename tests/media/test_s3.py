"""S3Media against a real S3-compatible server on loopback (moto), and the URL rules that
moto does not check (signature version, expiry, addressing, redaction) in our own URLs."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from scheduler.errors import ConfigError
from scheduler.media.config import S3Config
from scheduler.media.names import shown
from scheduler.media.s3 import S3Media
from scheduler.platforms.base import Transient
from scheduler.redact import redact
from tests.fakes.s3 import MotoS3
from tests.media.support import upload_of
from tests.web.conftest import png


def test_upload_presign_and_fetch_the_same_bytes_and_type(moto_s3: MotoS3, tmp_path: Path) -> None:
    bucket = moto_s3.bucket()
    media = moto_s3.media(bucket, prefix="mhaw/")
    upload = upload_of(tmp_path / "shoes.png")
    url = media.url_for(upload, account="ig")
    assert urlsplit(url).path == f"/{bucket}/mhaw/{upload.sha256}.png"
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/png"
    assert hashlib.sha256(answer.content).hexdigest() == upload.sha256
    head = moto_s3.client().head_object(Bucket=bucket, Key=f"mhaw/{upload.sha256}.png")
    assert head["ContentType"] == "image/png"
    assert head["Metadata"] == {"sha256": upload.sha256}


def test_the_same_bytes_are_uploaded_once(moto_s3: MotoS3, tmp_path: Path) -> None:
    bucket = moto_s3.bucket()
    media = moto_s3.media(bucket)
    upload = upload_of(tmp_path / "a.png")
    key = f"{upload.sha256}.png"
    media.url_for(upload, account="ig")
    first = moto_s3.client().head_object(Bucket=bucket, Key=key)["LastModified"]
    # Another account, another host object, the same file under another name: no new upload.
    again = upload_of(tmp_path / "copy.png", png())
    moto_s3.media(bucket).url_for(again, account="threads")
    listed = moto_s3.client().list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed.get("Contents", [])] == [key]
    assert moto_s3.client().head_object(Bucket=bucket, Key=key)["LastModified"] == first
    # Different bytes are a different object.
    other = upload_of(tmp_path / "b.png", png(rgb=(200, 10, 10)))
    media.url_for(other, account="ig")
    listed = moto_s3.client().list_objects_v2(Bucket=bucket)
    assert len(listed.get("Contents", [])) == 2


def test_an_object_with_other_bytes_is_uploaded_again(moto_s3: MotoS3, tmp_path: Path) -> None:
    bucket = moto_s3.bucket()
    upload = upload_of(tmp_path / "a.png")
    key = f"{upload.sha256}.png"
    moto_s3.client().put_object(Bucket=bucket, Key=key, Body=b"short", ContentType="image/png")
    url = moto_s3.media(bucket).url_for(upload, account="ig")
    assert requests.get(url, timeout=5).content == upload.file.read_bytes()


def test_a_missing_bucket_is_a_config_error_naming_it(moto_s3: MotoS3, tmp_path: Path) -> None:
    media = moto_s3.media("no-such-bucket-here")
    with pytest.raises(ConfigError, match="no-such-bucket-here does not exist") as caught:
        media.url_for(upload_of(tmp_path / "a.png"), account="ig")
    assert caught.value.__cause__ is not None  # chained to botocore's error


def test_a_server_that_is_down_is_transient(moto_s3: MotoS3, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    media = S3Media(
        S3Config("campaign-media", endpoint_url=f"http://127.0.0.1:{port}", path_style=True),
        keys=moto_s3.keys,
        timeout=2.0,
    )
    with pytest.raises(Transient, match="cannot be reached") as caught:
        media.url_for(upload_of(tmp_path / "a.png"), account="ig")
    assert caught.value.retryable


def test_an_object_answering_other_bytes_is_transient(moto_s3: MotoS3, tmp_path: Path) -> None:
    bucket = moto_s3.bucket()
    upload = upload_of(tmp_path / "a.png")
    # Someone replaced the object with bytes of the same size, keeping its recorded digest.
    tampered = bytes(reversed(upload.file.read_bytes()))
    moto_s3.client().put_object(
        Bucket=bucket,
        Key=f"{upload.sha256}.png",
        Body=tampered,
        ContentType="image/png",
        Metadata={"sha256": upload.sha256},
    )
    with pytest.raises(Transient, match="other bytes than the file") as caught:
        moto_s3.media(bucket).url_for(upload, account="ig")
    assert "X-Amz" not in str(caught.value)


def test_a_file_changed_since_approval_is_not_uploaded(moto_s3: MotoS3, tmp_path: Path) -> None:
    bucket = moto_s3.bucket()
    upload = upload_of(tmp_path / "a.png")
    upload.file.write_bytes(png(rgb=(0, 0, 0)))
    with pytest.raises(Transient, match="changed since it was approved"):
        moto_s3.media(bucket).url_for(upload, account="ig")
    assert "Contents" not in moto_s3.client().list_objects_v2(Bucket=bucket)


# --- the URL rules moto does not check ---------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "allowed"),
    [(3599, False), (3600, True), (86400, True), (604800, True), (604801, False), (0, False)],
)
def test_expiry_lies_between_an_hour_and_seven_days(expires: int, allowed: bool) -> None:
    if allowed:
        assert S3Config("b", expires=expires).expires == expires
    else:
        with pytest.raises(ConfigError, match="3600 to 604800 seconds"):
            S3Config("b", expires=expires)


def test_urls_are_sigv4_path_style_and_expire_as_configured(
    moto_s3: MotoS3, tmp_path: Path
) -> None:
    bucket = moto_s3.bucket()
    url = moto_s3.media(bucket, expires=7200).url_for(upload_of(tmp_path / "a.png"), account="i")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["7200"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert urlsplit(url).path.startswith(f"/{bucket}/")  # path-style: bucket in the path


def test_virtual_hosted_urls_put_the_bucket_in_the_host_name() -> None:
    media = S3Media(
        S3Config("campaign-media", endpoint_url="https://s3.example.com", region="eu-west-1"),
        keys=MotoS3("").keys,
    )
    assert media._presign("k.png").startswith("https://campaign-media.s3.example.com/k.png?")
    assert media._preflight.origin == "https://campaign-media.s3.example.com"


def test_a_presigned_url_is_shown_without_its_signature_or_key(moto_s3: MotoS3) -> None:
    media = moto_s3.media()
    url = media._presign("x.png")
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    assert "?" not in shown(url)
    for text in (redact(url), redact(f"fetching {url} failed")):
        assert signature not in text
        assert moto_s3.keys.access_key_id not in text
    assert moto_s3.keys.secret_access_key not in redact(f"key {moto_s3.keys.secret_access_key}")


def test_the_keys_never_show_in_repr() -> None:
    keys = MotoS3("").keys
    assert keys.access_key_id not in repr(keys)
    assert keys.secret_access_key not in repr(keys)
