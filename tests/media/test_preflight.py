"""The pre-flight of a public URL, against a real HTTP server on loopback that answers wrongly
in each way a media host can (fault injection), and the settings that choose a host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.errors import ConfigError
from scheduler.media.config import media_settings
from scheduler.media.site import SiteMedia
from scheduler.media.verify import Preflight
from scheduler.platforms.base import MediaUpload, Transient
from tests.fakes.base import FakeServer, Fault, Request, Response, route
from tests.media.support import upload_of

PATH = "/media/{name}"


class MediaHost(FakeServer):
    """Answers every name with ``body`` as ``kind``."""

    def __init__(self) -> None:
        super().__init__()
        self.body = b""
        self.kind = "image/png"

    @route("GET", PATH)
    def media(self, request: Request) -> Response:
        return Response(200, self.body, {"Content-Type": self.kind})


@pytest.fixture
def host() -> Iterator[MediaHost]:
    with MediaHost() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def upload(tmp_path: Path, host: MediaHost) -> MediaUpload:
    made = upload_of(tmp_path / "a.png")
    host.body = made.file.read_bytes()
    return made


def test_the_right_answer_passes_and_the_site_url_is_content_addressed(
    host: MediaHost, upload: MediaUpload
) -> None:
    url = SiteMedia(host.base_url, timeout=2).url_for(upload, account="ig")
    assert url == f"{host.base_url}/media/{upload.sha256}.png"
    assert [r.path for r in host.requests] == [f"/media/{upload.sha256}.png"]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault.status(404), "answered 404 instead of 200"),
        (Fault.status(503), "answered 503 instead of 200"),
        (Fault.status(302, b"", {"Location": "https://elsewhere.example/x.png"}), "302"),
        (Fault.status(200, b"<html>", {"Content-Type": "text/html"}), "type text/html"),
        (Fault.status(200, b"x" * 10, {"Content-Type": "image/png"}), "other bytes"),
        (Fault.drop_before(), "cannot be reached"),
        (Fault.delay(1.0), "cannot be reached"),
    ],
)
def test_a_wrong_answer_is_transient(
    host: MediaHost, upload: MediaUpload, fault: Fault, message: str
) -> None:
    host.inject("GET", PATH, fault)
    with pytest.raises(Transient, match=message) as caught:
        SiteMedia(host.base_url, timeout=0.5).url_for(upload, account="ig")
    assert caught.value.retryable
    assert "nothing was sent to the platform" in str(caught.value)


def test_more_bytes_than_the_file_are_not_read_to_the_end(
    host: MediaHost, upload: MediaUpload
) -> None:
    host.body = upload.file.read_bytes() + b"\0" * 100_000
    with pytest.raises(Transient, match="more than the file's"):
        SiteMedia(host.base_url, timeout=2).url_for(upload, account="ig")


def test_a_url_on_another_host_is_never_fetched(host: MediaHost, upload: MediaUpload) -> None:
    check = Preflight(host.base_url, timeout=1)
    with pytest.raises(ConfigError, match="not on the configured host"):
        check.check("http://127.0.0.2:9/media/x.png?X-Amz-Signature=abc", upload, account="ig")
    assert host.requests == []


# --- the settings ------------------------------------------------------------------------


def test_no_host_is_none() -> None:
    assert media_settings({}).host is None


def test_s3_settings() -> None:
    chosen = media_settings(
        {
            "SCHEDULER_MEDIA_HOST": "s3",
            "SCHEDULER_MEDIA_S3_BUCKET": "mhaw-media",
            "SCHEDULER_MEDIA_S3_ENDPOINT": "https://ACCOUNT.r2.cloudflarestorage.com/",
            "SCHEDULER_MEDIA_S3_REGION": "auto",
            "SCHEDULER_MEDIA_S3_PREFIX": "/week-1",
            "SCHEDULER_MEDIA_S3_EXPIRES": "7200",
            "SCHEDULER_MEDIA_S3_PATH_STYLE": "yes",
        }
    )
    assert chosen.s3 is not None
    assert chosen.s3.endpoint_url == "https://account.r2.cloudflarestorage.com"
    assert (chosen.s3.prefix, chosen.s3.expires, chosen.s3.path_style) == ("week-1/", 7200, True)


def test_site_settings() -> None:
    chosen = media_settings(
        {"SCHEDULER_MEDIA_HOST": "site", "SCHEDULER_MEDIA_SITE_URL": "https://review.example/"}
    )
    assert chosen.site_url == "https://review.example"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SCHEDULER_MEDIA_HOST": "ftp"}, "is not a media host; allowed: s3, site"),
        ({"SCHEDULER_MEDIA_S3_BUCKET": "b"}, "set without SCHEDULER_MEDIA_HOST"),
        ({"SCHEDULER_MEDIA_HOST": "s3"}, "needs SCHEDULER_MEDIA_S3_BUCKET"),
        ({"SCHEDULER_MEDIA_HOST": "site"}, "needs SCHEDULER_MEDIA_SITE_URL"),
        (
            {"SCHEDULER_MEDIA_HOST": "site", "SCHEDULER_MEDIA_SITE_URL": "http://review.example"},
            "plain http to a host that is not loopback",
        ),
        (
            {
                "SCHEDULER_MEDIA_HOST": "s3",
                "SCHEDULER_MEDIA_S3_BUCKET": "b",
                "SCHEDULER_MEDIA_S3_ENDPOINT": "http://minio.lan:9000",
            },
            "SCHEDULER_MEDIA_S3_ENDPOINT .*not loopback",
        ),
        (
            {
                "SCHEDULER_MEDIA_HOST": "s3",
                "SCHEDULER_MEDIA_S3_BUCKET": "b",
                "SCHEDULER_MEDIA_SITE_URL": "https://review.example",
            },
            "SCHEDULER_MEDIA_SITE_URL does not apply to SCHEDULER_MEDIA_HOST=s3",
        ),
        (
            {
                "SCHEDULER_MEDIA_HOST": "s3",
                "SCHEDULER_MEDIA_S3_BUCKET": "b",
                "SCHEDULER_MEDIA_S3_EXPIRES": "864000",
            },
            "SCHEDULER_MEDIA_S3_EXPIRES=864000 is out of range",
        ),
        (
            {
                "SCHEDULER_MEDIA_HOST": "s3",
                "SCHEDULER_MEDIA_S3_BUCKET": "b",
                "SCHEDULER_MEDIA_S3_PREFIX": "../up",
            },
            "is not a folder name",
        ),
        ({"SCHEDULER_MEDIA_BUCKET": "b"}, "did you mean SCHEDULER_MEDIA_S3_BUCKET"),
    ],
)
def test_bad_settings_are_one_clear_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        media_settings(env)


def test_the_site_probe_needs_an_answer_not_an_image(host: MediaHost) -> None:
    from scheduler.media.probe import probe

    host.inject("GET", PATH, Fault.status(404))
    said = probe(SiteMedia(host.base_url, timeout=1), account="ig")
    assert said == f"public media: the review site answers at {host.base_url}"
    host.inject("GET", PATH, Fault.drop_before())
    with pytest.raises(Transient, match="cannot be reached"):
        probe(SiteMedia(host.base_url, timeout=1), account="ig")
