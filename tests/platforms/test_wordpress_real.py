"""The WordPress publisher against a real WordPress (Debian's package) on loopback: a story
with its featured image and alt text, terms made once and then reused, a lost answer found
by its slug, and a slug held by someone else's post refused before anything is sent."""

from __future__ import annotations

from dataclasses import replace
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
import requests

from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.platforms import build_publisher
from scheduler.platforms.base import (
    AccountSpec,
    AuthFailed,
    Duplicate,
    Found,
    MediaUpload,
    OutcomeUnknown,
    PartRequest,
    PlatformContext,
    Publisher,
    PublishRequest,
    Story,
)
from tests.fakes.base import Fault
from tests.platforms.harness import DUE, tiny_png
from tests.platforms.wordpress_site import Site, SiteRelay, missing

ACCOUNT = "mhaw-blog"
pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")


@pytest.fixture
def site(wordpress_site: Site) -> Site:
    return wordpress_site


def publisher(
    url: str, username: str, password: str, tmp_path: Path, timeout: float = 30.0
) -> Publisher:
    spec = AccountSpec(
        ACCOUNT, "wordpress", {"site": url, "username": username, "permalinks": "plain"}
    )
    context = PlatformContext(
        clock=FixedClock(DUE),
        credentials=CredentialStore({env_name(ACCOUNT, "app_password"): password}, None),
        state_dir=tmp_path,
        outbox=tmp_path,
        timeout=timeout,
    )
    return build_publisher(spec, context)


def story(
    slug: str, tmp_path: Path, *, image: bool = False, key: str | None = None, **kw: Any
) -> PublishRequest:
    media: tuple[MediaUpload, ...] = ()
    if image:
        data = tiny_png()
        path = tmp_path / f"{slug}.png"
        path.write_bytes(data)
        media = (
            MediaUpload(path, "image/png", "A path towards the sunrise", len(data),
                        sha256(data).hexdigest(), 4, 3),
        )  # fmt: skip
    text = f"Running alongside: {slug}"
    return PublishRequest(
        account=ACCOUNT,
        parts=(PartRequest(text=text, media=media, idempotency_key=key or f"key-{slug}"),),
        created_at=DUE,
        story=Story(
            title=f"Running & talking: {slug}",
            html="<p>For me, running is maintenance.</p>\n",
            slug=slug,
            excerpt="Lou on running & recovery",
            **kw,
        ),
    )


def read(site: Site, route: str, **params: str) -> Any:
    response = requests.get(
        f"{site.url}/?rest_route=/wp/v2{route}",
        params={"context": "edit", **params},
        auth=(site.username, site.password),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_verify_names_the_user(site: Site, tmp_path: Path) -> None:
    info = publisher(site.url, site.username, site.password, tmp_path).verify()
    assert info.handle == site.username and info.remote_id and not info.warnings


def test_a_wrong_password_is_auth_failed(site: Site, tmp_path: Path) -> None:
    with pytest.raises(AuthFailed):
        publisher(site.url, site.username, "Wr0ng AppP ass7 word Q2zk", tmp_path).verify()


def test_a_story_with_its_image_and_terms(site: Site, tmp_path: Path) -> None:
    request = story(
        "lou-running-alongside", tmp_path, image=True,
        categories=("Guest stories",), tags=("running", "peer support"),
    )  # fmt: skip
    result = publisher(site.url, site.username, site.password, tmp_path).publish(request)
    post = read(site, f"/posts/{result.parts[0].remote_id}")
    assert post["status"] == "publish" and post["slug"] == "lou-running-alongside"
    assert post["title"]["raw"] == "Running &amp; talking: lou-running-alongside"
    assert post["link"] == result.url
    media = read(site, f"/media/{post['featured_media']}")
    assert media["alt_text"] == "A path towards the sunrise"
    assert [read(site, f"/categories/{c}")["name"] for c in post["categories"]] == ["Guest stories"]
    assert sorted(read(site, f"/tags/{t}")["name"] for t in post["tags"]) == [
        "peer support",
        "running",
    ]

    # A second story names the same terms in another case: the same terms, none made.
    tags_before = len(read(site, "/tags", per_page="100"))
    again = story("second-story", tmp_path, categories=("guest Stories",), tags=("Running",))
    second = publisher(site.url, site.username, site.password, tmp_path).publish(again)
    other = read(site, f"/posts/{second.parts[0].remote_id}")
    assert other["categories"] == post["categories"]
    assert other["tags"] == [
        t for t in post["tags"] if read(site, f"/tags/{t}")["name"] == "running"
    ]
    assert len(read(site, "/tags", per_page="100")) == tags_before


def test_a_lost_answer_is_found_by_its_slug_and_not_sent_again(site: Site, tmp_path: Path) -> None:
    relay = SiteRelay(site.url)
    try:
        request = story("lost-answer-story", tmp_path)
        relay.inject("POST", "/wp/v2/posts", Fault.drop_after())
        with pytest.raises(OutcomeUnknown):
            publisher(relay.url, site.username, site.password, tmp_path).publish(request)
        answer = publisher(site.url, site.username, site.password, tmp_path).find(request, 0)
        assert isinstance(answer, Found), answer
        # A publisher that lost every result publishes again: the slug answers, nothing new.
        again = publisher(site.url, site.username, site.password, tmp_path).publish(request)
        assert again.parts[0].remote_id == answer.part.remote_id
        held = read(site, "/posts", slug="lost-answer-story,lost-answer-story-2",
                    status="publish,future,draft,pending,private")  # fmt: skip
        assert [p["id"] for p in held] == [int(answer.part.remote_id)]
    finally:
        relay.stop()


def test_a_slug_held_by_another_post_is_refused_before_anything_is_sent(
    site: Site, tmp_path: Path
) -> None:
    made = requests.post(
        f"{site.url}/?rest_route=/wp/v2/posts",
        json={"title": "Someone else's draft", "slug": "taken-slug", "status": "draft"},
        auth=(site.username, site.password),
        timeout=30,
    )
    assert made.status_code == 201, made.text
    media_before = len(read(site, "/media", per_page="100"))
    request = story("taken-slug", tmp_path, image=True)
    wp = publisher(site.url, site.username, site.password, tmp_path)
    with pytest.raises(Duplicate) as info:
        wp.publish(request)
    assert "taken-slug" in info.value.message and not info.value.retryable
    assert len(read(site, "/media", per_page="100")) == media_before, "nothing was uploaded"
    held = read(site, "/posts", search="", slug="taken-slug,taken-slug-2",
                status="publish,future,draft,pending,private")  # fmt: skip
    assert [p["id"] for p in held] == [made.json()["id"]], "no taken-slug-2"
    answer = wp.find(replace(request), 0)
    assert type(answer).__name__ == "CannotTell"
