"""The review site as the public media host: through the real app on loopback, exactly the
media of approved drafts is served, without sign-in, and nothing else."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from scheduler.ledger.base import DraftRecord
from scheduler.media.site import SiteMedia
from scheduler.platforms.base import MediaUpload, Transient
from scheduler.web.app import create_app
from tests.web.conftest import Web, png
from tests.web.server import serving


@pytest.fixture
def base(web: Web) -> Iterator[str]:
    app = create_app(
        ledger=web.ledger,
        workspace=web.workspace,
        auth=web.auth,
        clock=web.clock,
        public_media=True,
    )
    with serving(app) as url:
        yield url


def story(web: Web, account: str = "masto") -> DraftRecord:
    return next(
        r
        for r in web.ledger.list("mhaw-test")
        if r.key.post_id == "day1-story" and r.key.account == account
    )


def approve(web: Web, record: DraftRecord) -> None:
    web.ledger.decide(
        record.key,
        kind="approve",
        actor="rui@example.org",
        content_hash=record.content_hash,
        now=web.clock.now(),
    )
    assert web.ledger.get(record.key).is_approved


def upload(web: Web, record: DraftRecord) -> MediaUpload:
    m = record.draft.parts[0].media[0]
    return MediaUpload(web.root / m.path, m.mime, m.alt, m.size, m.sha256)


def get(url: str, **kw: Any) -> requests.Response:
    return requests.get(url, timeout=5, allow_redirects=False, **kw)


def test_approved_media_is_served_without_sign_in(web: Web, base: str) -> None:
    record = story(web)
    approve(web, record)
    wanted = upload(web, record)
    url = SiteMedia(base, timeout=5).url_for(wanted, account="masto")
    assert url == f"{base}/media/{wanted.sha256}.png"
    answer = get(url)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Content-Length"] == str(wanted.size)
    assert hashlib.sha256(answer.content).hexdigest() == wanted.sha256
    assert "set-cookie" not in answer.headers
    head = requests.head(url, timeout=5)
    assert (head.status_code, head.headers["Content-Length"]) == (200, str(wanted.size))


def test_media_of_a_draft_not_approved_is_not_found(web: Web, base: str) -> None:
    wanted = upload(web, story(web))
    assert get(f"{base}/media/{wanted.sha256}.png").status_code == 404
    with pytest.raises(Transient, match="answered 404"):
        SiteMedia(base, timeout=5).url_for(wanted, account="masto")


def test_an_edit_after_approval_stops_the_serving(web: Web, base: str) -> None:
    record = story(web)
    approve(web, record)
    url = f"{base}/media/{upload(web, record).sha256}.png"
    assert get(url).status_code == 200
    web.edit("Lacing up again, and again", "Lacing up again")
    assert get(url).status_code == 404
    assert not web.ledger.get(record.key).is_approved


def test_an_image_changed_on_disk_after_approval_is_not_served(web: Web, base: str) -> None:
    record = story(web)
    approve(web, record)
    url = f"{base}/media/{upload(web, record).sha256}.png"
    (web.root / "images" / "shoes.png").write_bytes(png(rgb=(1, 2, 3)))
    assert get(url).status_code == 404
    new = hashlib.sha256(png(rgb=(1, 2, 3))).hexdigest()
    assert get(f"{base}/media/{new}.png").status_code == 404  # its draft is back in review


@pytest.mark.parametrize(
    "path",
    [
        "/media/",
        "/media",
        "/media/" + "0" * 64 + ".png",
        "/media/notes-secret.txt",
        "/media/../campaign.yaml",
        "/media/images",
        "/media/{sha}.jpg",  # the right digest under another type
        "/media/{SHA}.png",  # upper case is another name
        "/media/{sha}.png/",
    ],
)
def test_nothing_else_is_served(web: Web, base: str, path: str) -> None:
    record = story(web)
    approve(web, record)
    sha = upload(web, record).sha256
    answer = get(base + path.format(sha=sha, SHA=sha.upper()))
    assert answer.status_code in (404, 401), answer.text
    assert b"PNG" not in answer.content


def test_without_the_setting_no_media_is_public(web: Web) -> None:
    record = story(web)
    approve(web, record)
    client = web.client()
    assert client.get(f"/media/{upload(web, record).sha256}.png").status_code in (401, 404)
