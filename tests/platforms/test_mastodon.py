"""What only Mastodon has: unfinished media, instance limits, localised errors, servers that
ignore the idempotency key, reconciliation from rendered HTML. The shared contract is in
test_contract.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.platforms import build_publisher
from scheduler.platforms.base import (
    Absent,
    AccountSpec,
    AuthFailed,
    Found,
    Invalid,
    OutcomeUnknown,
    PlatformContext,
    Transient,
)
from scheduler.platforms.mastodon import MastodonPublisher, clear_instance_cache
from scheduler.platforms.mastodon_find import plain_text
from tests.fakes.base import Fault
from tests.fakes.mastodon import INSTANCE_V1, INSTANCE_V2, STATUSES, FakeMastodon, render_html
from tests.platforms.harness import DUE, found_part, tiny_png

TOKEN = "mastodon-token-0123456789"


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    clear_instance_cache()
    with FakeMastodon(FixedClock(DUE), token=TOKEN) as server:
        yield server


def publisher(fake: FakeMastodon, tmp_path: Path, token: str = TOKEN) -> MastodonPublisher:
    context = PlatformContext(
        clock=fake.clock,
        credentials=CredentialStore({env_name("m", "access_token"): token}, None),
        state_dir=tmp_path,
        outbox=tmp_path,
        timeout=2,
    )
    built = build_publisher(AccountSpec("m", "mastodon", {"instance": fake.base_url}), context)
    assert isinstance(built, MastodonPublisher)
    return built


def request(*texts: str, **kw: object):  # type: ignore[no-untyped-def]
    from scheduler.platforms.base import PartRequest, PublishRequest

    parts = tuple(PartRequest(text=t, idempotency_key=f"key{i}") for i, t in enumerate(texts))
    return PublishRequest(account="m", parts=parts, created_at=DUE, **kw)  # type: ignore[arg-type]


def with_image(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    from hashlib import sha256

    from scheduler.platforms.base import MediaUpload

    path = tmp_path / "pic.png"
    path.write_bytes(tiny_png())
    media = MediaUpload(path, "image/png", "alt words", path.stat().st_size, sha256().hexdigest())
    base = request(text)
    return replace(base, parts=(replace(base.parts[0], media=(media,)),))


def test_status_body_and_headers(fake: FakeMastodon, tmp_path: Path) -> None:
    publisher(fake, tmp_path).publish(
        request("Hello", content_warning="anxiety", language="en-GB", visibility="unlisted")
    )
    call = fake.calls("POST", STATUSES)[0]
    assert call.headers["idempotency-key"] == "key0"
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.json() == {
        "status": "Hello",
        "visibility": "unlisted",
        "spoiler_text": "anxiety",
        "sensitive": True,
        "language": "en",
    }


def test_the_same_key_is_sent_on_every_attempt(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.inject("POST", STATUSES, Fault.status(503))
    with pytest.raises(Transient):
        publisher(fake, tmp_path).publish(request("again"))
    publisher(fake, tmp_path).publish(request("again"))
    keys = [c.headers.get("idempotency-key") for c in fake.calls("POST", STATUSES)]
    assert keys == ["key0", "key0"]


def test_media_waits_while_processing(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.media_polls = 3
    publisher(fake, tmp_path).publish(with_image(tmp_path, "picture"))
    upload = fake.calls("POST", "/api/v2/media")[0].form()
    assert upload["description"] == ["alt words"]
    assert len(fake.calls("GET", "/api/v1/media/")) == 4  # three 206, then 200
    assert fake.statuses[0].media[0]["description"] == "alt words"


def test_media_still_processing_after_the_wait_is_transient(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    fake.media_polls = 1000
    with pytest.raises(Transient, match="still being processed"):
        publisher(fake, tmp_path).publish(with_image(tmp_path, "picture"))
    assert fake.statuses == []


@pytest.mark.parametrize("locale", ["en", "de"])
def test_422_for_unfinished_media_is_transient_in_any_language(
    fake: FakeMastodon, tmp_path: Path, locale: str
) -> None:
    """The upload claimed done, the server still says processing: judged by status and by
    the media endpoint's 206, never by the (localised) message."""
    fake.locale = locale
    fake.media_polls, fake.claims_ready = 2, True
    publisher(fake, tmp_path).publish(with_image(tmp_path, "picture"))
    assert len(fake.calls("POST", STATUSES)) == 2  # refused once, then posted after waiting
    assert len(fake.statuses) == 1
    fake.media_polls = 1000  # never finishes: transient, nothing posted
    other = with_image(tmp_path, "another")
    other = replace(other, parts=(replace(other.parts[0], idempotency_key="other"),))
    with pytest.raises(Transient, match="still being processed"):
        publisher(fake, tmp_path).publish(other)
    assert len(fake.statuses) == 1


def test_422_without_media_is_invalid(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.locale = "de"
    fake.inject("POST", STATUSES, Fault.status(422, {"error": fake.msg("too_long", limit=500)}))
    with pytest.raises(Invalid) as info:
        publisher(fake, tmp_path).publish(request("short enough for us"))
    assert "Zeichenlimit" in (info.value.platform_message or "")


def test_instance_limits_are_read_once_and_used(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.max_characters = 1000
    publisher(fake, tmp_path).publish(request("x" * 800))
    publisher(fake, tmp_path).publish(request("y" * 900))
    assert len(fake.calls("GET", INSTANCE_V2)) == 1
    with pytest.raises(Invalid, match=r"1001 characters long; .* allows 1000"):
        publisher(fake, tmp_path).publish(request("z" * 1001))


def test_instance_limits_fall_back_to_v1(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.has_v2_instance = False
    fake.max_characters = 5000
    pub = publisher(fake, tmp_path)
    assert pub.load_limits().max_chars == 5000
    assert len(fake.calls("GET", INSTANCE_V1)) == 1


def test_a_server_ignoring_the_key_is_saved_by_find(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.honour_idempotency = False
    fake.inject("POST", STATUSES, Fault.drop_after())
    req = request("only once please")
    with pytest.raises(OutcomeUnknown) as info:
        publisher(fake, tmp_path).publish(req)
    assert not info.value.retryable
    found = found_part(publisher(fake, tmp_path).find(req, 0))
    assert found.remote_id == fake.statuses[0].id
    assert len(fake.statuses) == 1


def test_find_matches_rendered_html_and_the_parent(fake: FakeMastodon, tmp_path: Path) -> None:
    text = "Support: https://www.samaritans.org/how-we-can-help/contact-samaritan/ & Mind\n\nok"
    first = publisher(fake, tmp_path).publish(request("lead", text))
    assert plain_text(render_html(text)) == " ".join(text.split())
    req = replace(request("lead", text), done=first.parts[:1])
    assert publisher(fake, tmp_path).find(req, 1) == Found(first.parts[1])
    wrong_parent = replace(req, done=(replace(first.parts[0], remote_id="1"),))
    assert isinstance(publisher(fake, tmp_path).find(wrong_parent, 1), Absent)


def test_find_reads_several_pages(fake: FakeMastodon, tmp_path: Path) -> None:
    pub = publisher(fake, tmp_path)
    pub.publish(request("the one"))
    for i in range(60):
        pub.publish(request(f"filler {i}"))
    assert isinstance(pub.find(request("the one"), 0), Found)


def test_verify_and_its_errors(fake: FakeMastodon, tmp_path: Path) -> None:
    info = publisher(fake, tmp_path).verify()
    assert (info.remote_id, info.handle) == (fake.account["id"], "mhaw")
    with pytest.raises(AuthFailed, match="access token") as error:
        publisher(fake, tmp_path, token="wrong-token-123").verify()
    assert "make a new one" in (error.value.hint or "")
    unreachable = publisher(fake, tmp_path)
    fake.stop()
    with pytest.raises(Transient, match="cannot reach"):
        unreachable.verify()


def test_missing_settings_and_credentials(tmp_path: Path) -> None:
    from scheduler.errors import ConfigError

    context = PlatformContext(FixedClock(), CredentialStore({}, None), tmp_path, tmp_path)
    with pytest.raises(ConfigError, match="no Mastodon instance"):
        build_publisher(AccountSpec("m", "mastodon", {}), context)
    with pytest.raises(ConfigError) as info:
        build_publisher(AccountSpec("m", "mastodon", {"instance": "https://x.example"}), context)
    assert "SCHEDULER_SECRET_M_ACCESS_TOKEN" in (info.value.hint or "")


def test_find_ignores_the_same_words_posted_before_the_due_time(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    from datetime import timedelta

    assert isinstance(fake.clock, FixedClock)
    fake.clock.set(DUE - timedelta(days=7))
    publisher(fake, tmp_path).publish(request("Good morning, Run Talk Run"))  # last week
    fake.clock.set(DUE)
    assert isinstance(
        publisher(fake, tmp_path).find(request("Good morning, Run Talk Run"), 0), Absent
    )


def test_the_idempotency_key_holds_for_an_hour_only(fake: FakeMastodon, tmp_path: Path) -> None:
    """Why an OutcomeUnknown is reconciled with find() rather than retried blindly."""
    from datetime import timedelta

    assert isinstance(fake.clock, FixedClock)
    req = request("said once")
    fake.inject("POST", STATUSES, Fault.drop_after())
    with pytest.raises(OutcomeUnknown):
        publisher(fake, tmp_path).publish(req)
    fake.clock.advance(timedelta(minutes=30))
    publisher(fake, tmp_path).publish(req)  # within the hour: Mastodon replays the status
    assert len(fake.statuses) == 1
    fake.clock.advance(timedelta(minutes=31))
    assert isinstance(publisher(fake, tmp_path).find(req, 0), Found)  # what the daemon does
    publisher(fake, tmp_path).publish(req)  # blind, after the hour: a second status
    assert len(fake.statuses) == 2
