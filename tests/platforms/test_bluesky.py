"""What only Bluesky has: the persisted session and its renewal, record keys and getRecord
reconciliation, facets, link cards, labels and reply refs. The shared contract is in
test_contract.py."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import replace
from hashlib import sha256
from pathlib import Path

import pytest

from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.platforms import atproto, build_publisher
from scheduler.platforms.base import (
    AccountSpec,
    AuthFailed,
    LinkCardRequest,
    MediaUpload,
    PartRequest,
    PlatformContext,
    PublishRequest,
)
from scheduler.platforms.bluesky import BlueskyPublisher
from tests.fakes.base import Fault
from tests.fakes.bluesky import CREATE_RECORD, CREATE_SESSION, GET_RECORD, FakeBluesky
from tests.platforms.harness import DUE, tiny_png

PASSWORD = "app-pass-abcd-efgh-ijkl"


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    with FakeBluesky(FixedClock(DUE), password=PASSWORD) as server:
        yield server


def publisher(fake: FakeBluesky, tmp_path: Path, password: str = PASSWORD) -> BlueskyPublisher:
    context = PlatformContext(
        clock=fake.clock,
        credentials=CredentialStore({env_name("b", "app_password"): password}, None),
        state_dir=tmp_path / "state",
        outbox=tmp_path,
        timeout=2,
    )
    spec = AccountSpec("b", "bluesky", {"handle": fake.handle, "service": fake.base_url})
    built = build_publisher(spec, context)
    assert isinstance(built, BlueskyPublisher)
    return built


def request(*texts: str, **kw: object) -> PublishRequest:
    # Real keys come from the content hash, so different texts never share one.
    thread = sha256(texts[0].encode()).hexdigest()[:12]
    parts = tuple(PartRequest(text=t, idempotency_key=f"{thread}-{i}") for i, t in enumerate(texts))
    return PublishRequest(account="b", parts=parts, created_at=DUE, **kw)  # type: ignore[arg-type]


def records(fake: FakeBluesky) -> list[dict[str, object]]:
    return [r.value for r in fake.records]


def test_session_is_persisted_private_and_reused(fake: FakeBluesky, tmp_path: Path) -> None:
    publisher(fake, tmp_path).publish(request("one"))
    publisher(fake, tmp_path).publish(request("two", "three"))
    publisher(fake, tmp_path).verify()
    assert fake.sessions_created == 1
    path = tmp_path / "state" / "bluesky" / "b.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PASSWORD not in path.read_text()


@pytest.mark.parametrize("status", [400, 401])
def test_expired_token_is_refreshed_not_signed_in_again(
    fake: FakeBluesky, tmp_path: Path, status: int
) -> None:
    fake.expired_status = status  # 401 behind the entryway, 400 on the PDS itself
    publisher(fake, tmp_path).verify()
    fake.expire_access_tokens()
    publisher(fake, tmp_path).publish(request("after expiry"))
    assert (fake.sessions_created, fake.refreshes) == (1, 1)
    publisher(fake, tmp_path).publish(request("and again", "with the new token"))
    assert (fake.sessions_created, fake.refreshes) == (1, 1)


def test_failed_refresh_signs_in_again(fake: FakeBluesky, tmp_path: Path) -> None:
    publisher(fake, tmp_path).verify()
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()
    publisher(fake, tmp_path).publish(request("after a new sign-in"))
    assert fake.sessions_created == 2
    assert len(fake.records) == 1


def test_wrong_app_password_is_auth_failed(fake: FakeBluesky, tmp_path: Path) -> None:
    with pytest.raises(AuthFailed) as info:
        publisher(fake, tmp_path, password="wrong-pass-0000").verify()
    assert "app password" in (info.value.hint or "")
    assert info.value.platform_message == "AuthenticationRequired Invalid identifier or password"


def test_sign_in_rate_limit_is_not_an_auth_failure(fake: FakeBluesky, tmp_path: Path) -> None:
    fake.inject("POST", CREATE_SESSION, fake.rate_limit_fault(300))
    with pytest.raises(Exception) as info:
        publisher(fake, tmp_path).verify()
    assert type(info.value).__name__ == "RateLimited"
    assert info.value.retry_after == 300  # type: ignore[attr-defined]


def test_record_key_is_a_tid_fixed_per_part(fake: FakeBluesky, tmp_path: Path) -> None:
    req = request("first", "second")
    result = publisher(fake, tmp_path).publish(req)
    rkeys = [r.rkey for r in fake.records]
    assert all(atproto.is_tid(k) for k in rkeys)
    keys = [p.idempotency_key for p in req.parts]
    assert rkeys == [atproto.record_key(DUE, keys[i], i) for i in range(2)]
    assert [p.extra["rkey"] for p in result.parts] == rkeys
    created = [v["createdAt"] for v in records(fake)]
    assert created == [
        atproto.datetime_string(atproto.part_instant(DUE, keys[i], i)) for i in range(2)
    ]
    assert result.parts[0].url == f"https://bsky.app/profile/{fake.handle}/post/{rkeys[0]}"


def test_an_existing_key_answers_500_and_getrecord_settles_it(
    fake: FakeBluesky, tmp_path: Path
) -> None:
    first = publisher(fake, tmp_path).publish(request("once"))
    again = publisher(fake, tmp_path).publish(request("once"))
    assert again == first
    assert len(fake.records) == 1
    assert len(fake.calls("POST", CREATE_RECORD)) == 2
    assert len(fake.calls("GET", GET_RECORD)) == 1


def test_a_lost_create_that_was_not_stored_is_retried_with_the_same_key(
    fake: FakeBluesky, tmp_path: Path
) -> None:
    fake.inject("POST", CREATE_RECORD, Fault.drop_before())
    with pytest.raises(Exception) as info:
        publisher(fake, tmp_path).publish(request("retry me"))
    assert type(info.value).__name__ == "Transient"
    publisher(fake, tmp_path).publish(request("retry me"))
    bodies = [c.json() for c in fake.calls("POST", CREATE_RECORD)]
    assert bodies[0]["rkey"] == bodies[1]["rkey"]
    assert bodies[0]["record"] == bodies[1]["record"]
    assert len(fake.records) == 1


def test_facets_resolve_mentions_and_keep_byte_offsets(fake: FakeBluesky, tmp_path: Path) -> None:
    text = "Café chat with @mind.org.uk and @nobody.example #MHAW https://mind.org.uk/help"
    publisher(fake, tmp_path).publish(request(text))
    facets = records(fake)[0]["facets"]
    data = text.encode()
    found = {
        f["features"][0]["$type"].rsplit("#", 1)[1]: data[
            f["index"]["byteStart"] : f["index"]["byteEnd"]
        ].decode()
        for f in facets  # type: ignore[union-attr]
    }
    assert found == {"mention": "@mind.org.uk", "tag": "#MHAW", "link": "https://mind.org.uk/help"}
    mention = next(f for f in facets if "mention" in f["features"][0]["$type"])  # type: ignore[union-attr]
    assert mention["features"][0]["did"] == "did:plc:mindcharity000000"


def test_given_facets_are_used_as_they_are(fake: FakeBluesky, tmp_path: Path) -> None:
    part = PartRequest(
        text="see here", facets=(("link", 4, 8, "https://example.org"),), idempotency_key="f"
    )
    req = PublishRequest(account="b", parts=(part,), created_at=DUE)
    publisher(fake, tmp_path).publish(req)
    assert records(fake)[0]["facets"] == [
        {
            "index": {"byteStart": 4, "byteEnd": 8},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org"}],
        }
    ]


def _image(tmp_path: Path) -> MediaUpload:
    path = tmp_path / "pic.png"
    data = tiny_png(4, 3)
    path.write_bytes(data)
    return MediaUpload(path, "image/png", "A calm lake", len(data), sha256(data).hexdigest(), 4, 3)


def test_images_link_cards_labels_langs(fake: FakeBluesky, tmp_path: Path) -> None:
    link = LinkCardRequest("https://www.mind.org.uk", "Mind", "Support and information")
    req = request(
        "Read more https://www.mind.org.uk",
        "Thanks",
        link=link,
        language="en",
        labels=("graphic-media",),
    )
    publisher(fake, tmp_path).publish(req)
    first, second = records(fake)
    assert first["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {"uri": link.url, "title": "Mind", "description": "Support and information"},
    }
    assert "embed" not in second  # "Thanks" has no link
    assert first["langs"] == ["en"]
    assert first["labels"] == {
        "$type": "com.atproto.label.defs#selfLabels",
        "values": [{"val": "graphic-media"}],
    }
    assert second["labels"] == first["labels"]

    image = _image(tmp_path)
    base = request("A picture https://www.mind.org.uk", link=link)
    req = replace(base, parts=(replace(base.parts[0], media=(image,), idempotency_key="img"),))
    publisher(fake, tmp_path).publish(req)
    embed = records(fake)[2]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"  # type: ignore[index]
    (entry,) = embed["images"]  # type: ignore[index]
    assert entry["alt"] == "A calm lake"
    assert entry["aspectRatio"] == {"width": 4, "height": 3}
    assert entry["image"]["ref"]["$link"] in fake.blobs
    upload = fake.calls("POST", "/xrpc/com.atproto.repo.uploadBlob")[0]
    assert upload.headers["content-type"] == "image/png"
    assert upload.body == image.file.read_bytes()


def test_thread_reply_refs_name_root_and_parent(fake: FakeBluesky, tmp_path: Path) -> None:
    result = publisher(fake, tmp_path).publish(request("root", "middle", "last"))
    refs = [(p.remote_id, p.extra["cid"]) for p in result.parts]
    last = records(fake)[2]["reply"]
    assert (last["root"]["uri"], last["root"]["cid"]) == refs[0]  # type: ignore[index]
    assert (last["parent"]["uri"], last["parent"]["cid"]) == refs[1]  # type: ignore[index]


def test_resume_without_a_stored_cid_looks_it_up(fake: FakeBluesky, tmp_path: Path) -> None:
    req = request("root", "reply")
    first = publisher(fake, tmp_path).publish(replace(req, parts=req.parts[:1]))
    bare = replace(first.parts[0], extra={})  # a caller that kept only the uri
    publisher(fake, tmp_path).publish(replace(req, done=(bare,)))
    reply = records(fake)[1]["reply"]
    assert reply["parent"]["cid"] == first.parts[0].extra["cid"]  # type: ignore[index]


def test_session_file_never_leaks_into_errors(fake: FakeBluesky, tmp_path: Path) -> None:
    publisher(fake, tmp_path).verify()
    session = json.loads((tmp_path / "state" / "bluesky" / "b.json").read_text())
    fake.inject(
        "POST",
        CREATE_RECORD,
        Fault.status(400, {"error": "InvalidRequest", "message": f"bad {session['accessJwt']}"}),
    )
    with pytest.raises(Exception) as info:
        publisher(fake, tmp_path).publish(request("x"))
    assert session["accessJwt"] not in str(info.value)
    assert session["accessJwt"] not in repr(publisher(fake, tmp_path).session())
    assert session["accessJwt"] not in (info.value.platform_message or "")  # type: ignore[attr-defined]


def test_a_link_without_card_details_gets_a_card_naming_its_site(
    fake: FakeBluesky, tmp_path: Path
) -> None:
    publisher(fake, tmp_path).publish(request("Help: https://www.samaritans.org/contact now"))
    assert records(fake)[0]["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": "https://www.samaritans.org/contact",
            "title": "www.samaritans.org",
            "description": "",
        },
    }
