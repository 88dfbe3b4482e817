"""The WordPress publisher against the fake: terms by name, the slug rule, the API's address,
and the answers a real site gives only now and then."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler.errors import ConfigError
from scheduler.platforms import build_publisher
from scheduler.platforms.base import (
    AccountSpec,
    AuthFailed,
    Duplicate,
    Invalid,
    PublishRequest,
)
from tests.fakes.base import Fault
from tests.fakes.wordpress import API, POSTS, StoredPost
from tests.platforms.harness_wordpress import WordPressHarness


@pytest.fixture
def h(tmp_path: Path) -> Iterator[WordPressHarness]:
    harness = WordPressHarness(tmp_path)
    harness.start()
    try:
        yield harness
    finally:
        harness.close_publishers()
        harness.stop()


def with_terms(
    h: WordPressHarness, key: str, categories: tuple[str, ...], tags: tuple[str, ...]
) -> PublishRequest:
    request = h.request(f"Story {key}", key=key)
    assert request.story is not None
    return replace(request, story=replace(request.story, categories=categories, tags=tags))


def test_terms_are_made_once_then_found_in_any_case(h: WordPressHarness) -> None:
    first = h.publisher().publish(with_terms(h, "a", ("Guest stories",), ("Peer support",)))
    second = h.publisher().publish(with_terms(h, "b", ("guest stories",), ("PEER SUPPORT",)))
    posts = {str(p.id): p for p in h.fake.posts}
    one, two = posts[first.parts[0].remote_id], posts[second.parts[0].remote_id]
    assert one.categories == two.categories and one.tags == two.tags
    assert h.fake.names("tags", two.tags) == ["Peer support"]
    assert len(h.fake.terms["tags"]) == 1


def test_a_name_the_search_misses_is_taken_from_term_exists(h: WordPressHarness) -> None:
    h.fake.terms["tags"][555] = "running"
    h.fake.inject("GET", f"{API}/{{taxonomy}}", Fault.status(200, []))  # the search finds none
    result = h.publisher().publish(with_terms(h, "c", (), ("Running",)))
    post = next(p for p in h.fake.posts if str(p.id) == result.parts[0].remote_id)
    assert post.tags == [555]  # never an id the site does not know (that clears the tags)


def test_a_taken_slug_is_refused_before_anything_is_sent(h: WordPressHarness) -> None:
    other = StoredPost(1, "story-taken", "draft", "Someone else's", "<p>x</p>", "", [1], [], 0)
    h.fake.posts.append(other)
    request = h.request("Mine", media=(h.image(),), key="taken")
    with pytest.raises(Duplicate) as info:
        h.publisher().publish(request)
    assert "story-taken" in info.value.message and not info.value.retryable
    assert h.fake.posts == [other] and h.fake.media == {}


def test_a_site_without_pretty_permalinks_gets_a_hint(h: WordPressHarness) -> None:
    page = b"<html>Not found</html>"
    h.fake.inject("GET", POSTS, Fault.status(404, page, {"Content-Type": "text/html"}))
    with pytest.raises(Invalid) as info:
        h.publisher().publish(h.request("Hello"))
    assert "permalinks: plain" in (info.value.hint or "")


def test_plain_permalinks_use_rest_route(h: WordPressHarness) -> None:
    spec = h.spec()
    plain = AccountSpec(spec.name, spec.platform, {**spec.settings, "permalinks": "plain"})
    publisher = build_publisher(plain, h.context())
    assert publisher.route("/posts") == "/?rest_route=/wp/v2/posts"  # type: ignore[attr-defined]
    publisher.close()


def test_an_unknown_permalinks_setting_is_a_config_error(h: WordPressHarness) -> None:
    spec = h.spec()
    odd = AccountSpec(spec.name, spec.platform, {**spec.settings, "permalinks": "fancy"})
    with pytest.raises(ConfigError):
        build_publisher(odd, h.context())


def test_a_wrong_password_is_auth_failed_and_never_shown(h: WordPressHarness) -> None:
    h.fake.password = "another-password-entirely"
    with pytest.raises(AuthFailed) as info:
        h.publisher().verify()
    assert h.secret and h.secret not in str(info.value)
    assert "reconnect" in (info.value.hint or "")
