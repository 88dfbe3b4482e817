"""The PublicMedia contract, the same for every host: a URL it returns answers with exactly
the file's bytes and type, and a host that cannot be reached is Transient, never a URL."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from scheduler.media.site import SiteMedia
from scheduler.platforms.base import MediaUpload, Transient
from scheduler.platforms.public_media import PublicMedia
from scheduler.web.app import create_app
from tests.fakes.s3 import MotoS3
from tests.media.support import upload_of
from tests.web.conftest import build_web
from tests.web.server import serving


@dataclass
class Host:
    media: PublicMedia
    upload: MediaUpload  # a file the host may make public
    down: Callable[[], PublicMedia]  # the same kind of host, at an address nobody answers


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["s3", "site"])
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Host]:
    if request.param == "s3":
        moto: MotoS3 = request.getfixturevalue("moto_s3")
        port = _closed_port()
        yield Host(
            moto.media(),
            upload_of(tmp_path / "a.png"),
            lambda: moto.media("campaign-media", endpoint_url=f"http://127.0.0.1:{port}"),
        )
        return
    web = build_web(tmp_path)
    with ExitStack() as stack:
        stack.callback(web.ledger.close)
        app = create_app(
            ledger=web.ledger,
            workspace=web.workspace,
            auth=web.auth,
            clock=web.clock,
            public_media=True,
        )
        base = stack.enter_context(serving(app))
        # The site serves only what is approved: approve the draft that shows the image.
        record = next(r for r in web.ledger.list("mhaw-test") if r.draft.parts[0].media)
        web.ledger.decide(
            record.key,
            kind="approve",
            actor="rui@example.org",
            content_hash=record.content_hash,
            now=web.clock.now(),
        )
        m = record.draft.parts[0].media[0]
        upload = MediaUpload(web.root / m.path, m.mime, m.alt, m.size, m.sha256)
        port = _closed_port()
        yield Host(
            SiteMedia(base, timeout=5),
            upload,
            lambda: SiteMedia(f"http://127.0.0.1:{port}", timeout=2),
        )


def test_a_url_answers_with_the_files_bytes_and_type(host: Host) -> None:
    url = host.media.url_for(host.upload, account="ig")
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == host.upload.mime
    assert hashlib.sha256(answer.content).hexdigest() == host.upload.sha256
    assert host.upload.sha256 in url  # content-addressed


def test_asking_again_gives_a_working_url(host: Host) -> None:
    host.media.url_for(host.upload, account="ig")
    url = host.media.url_for(host.upload, account="threads")
    assert requests.get(url, timeout=5).content == host.upload.file.read_bytes()


def test_a_host_that_cannot_be_reached_is_transient(host: Host) -> None:
    with pytest.raises(Transient) as caught:
        host.down().url_for(host.upload, account="ig")
    assert caught.value.retryable
