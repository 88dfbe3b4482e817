"""The sandbox standing in for a platform writes what that platform's publisher sends.

Each harness whose fake names its create call publishes one request through the real
publisher; a sandbox account with ``as_platform`` publishes the same request. Per part, the
body the fake received and the body in the outbox must be the same, once the ids each side
made up (post ids, record cids) are replaced by the part they stand for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scheduler import descriptors
from scheduler.platforms.base import LinkCardRequest, PublishRequest, PublishResult
from scheduler.platforms.sandbox import folder_name
from tests.fakes.base import Request
from tests.platforms.harness import Harness
from tests.platforms.harness_sandbox import SandboxHarness
from tests.platforms.test_contract import HARNESSES

PARITY = [pytest.param(h, id=h.name) for h in HARNESSES if h.create_path]
OWN_FIELDS = ("_extra", "headers", "uploads")  # what else the outbox notes of a part


def _request(harness: Harness, images: bool) -> PublishRequest:
    """A two-part thread (one post where the platform has no threads) carrying every field
    the platform has (an image on the first)."""
    platform = descriptors.get(harness.spec().platform)
    texts = [
        "Walk with us on Saturday, 10:00 at the park gates. #MHAW",
        "Details and the route: https://example.org/walk",
    ]
    return harness.request(
        *harness.parts(texts),
        content_warning="mental health" if platform.content_warning else None,
        language="en-GB",
        labels=platform.labels[:1],
        visibility="unlisted" if platform.visibility else None,
        reply_settings="following" if platform.reply_settings else None,
        link=LinkCardRequest("https://example.org/walk", "The walk", "Route and times")
        if platform.link_cards
        else None,
        media=(harness.image(),) if images else (),
    )


def _received(call: Request) -> dict[str, Any]:
    """The body a create call carried: JSON, or form fields (a photo's bytes sent as a
    multipart file stand in as "<file>", as the outbox names the file instead)."""
    if call.headers.get("content-type", "").startswith("application/json"):
        body: dict[str, Any] = call.json()
        return body
    return {
        name: "<file>" if isinstance(values[0], bytes) else values[0]
        for name, values in call.form().items()
    }


def _neutral(value: Any, result: PublishResult) -> Any:
    """``value`` with every string that is a part's remote id, url or cid replaced by the
    part's number."""
    made_up = {}
    for part in result.parts:
        for name in (part.remote_id, part.url, part.extra.get("cid", "")):
            if name:
                made_up[name] = f"<part {part.index}>"
    if isinstance(value, dict):
        return {k: _neutral(v, result) for k, v in value.items()}
    if isinstance(value, list):
        return [_neutral(v, result) for v in value]
    return made_up.get(value, value) if isinstance(value, str) else value


def _differences(written: Any, sent: Any, files: set[str], where: str = "") -> list[str]:
    """Where the outbox body differs from the sent one. What only the platform assigns has
    a stand-in in the outbox: an upload's id is the file's name, a blob lacks its ref."""
    if isinstance(written, str) and written in files:
        # A platform's id may be a number (a WordPress media id).
        made = isinstance(sent, str | int) and not isinstance(sent, bool) and sent
        return [] if made else [f"{where}: no upload id"]
    if isinstance(written, dict) and isinstance(sent, dict):
        keys = set(written) if written.get("$type") == "blob" else set(written) | set(sent)
        found: list[str] = []
        for key in sorted(keys):
            if key not in written or key not in sent:
                found.append(f"{where}.{key}: only on one side")
            else:
                found.extend(_differences(written[key], sent[key], files, f"{where}.{key}"))
        return found
    if isinstance(written, list) and isinstance(sent, list) and len(written) == len(sent):
        return [
            d
            for i, (a, b) in enumerate(zip(written, sent, strict=True))
            for d in _differences(a, b, files, f"{where}[{i}]")
        ]
    return [] if written == sent else [f"{where}: {written!r} != {sent!r}"]


@pytest.mark.parametrize("images", [False, True], ids=["text", "images"])
@pytest.mark.parametrize("cls", PARITY)
def test_the_sandbox_writes_what_the_publisher_sends(
    cls: type[Harness], images: bool, tmp_path: Path
) -> None:
    (tmp_path / "real").mkdir()
    real = cls(tmp_path / "real")
    real.start()  # and the platform stays known until the sandbox has written, too
    try:
        spec = real.spec()
        request = _request(real, images)
        sent = real.publisher().publish(request)
        calls = real.fake.calls("POST", real.create_path)  # type: ignore[attr-defined]

        stand_in = SandboxHarness(tmp_path / "sandbox")
        stand_in.start()
        stand_in.settings["as_platform"] = spec.platform
        # Who the posts are by: the sandbox writes it where the platform's body names it.
        who = spec.settings.get("handle") or spec.settings.get("author")
        if who:
            stand_in.settings["handle"] = who
        written = stand_in.publisher().publish(request)
    finally:
        real.close_publishers()
        real.stop()
    folder = stand_in.outbox / folder_name(stand_in.account)
    outbox = sorted(
        (json.loads(p.read_text()) for p in folder.glob("*.json")), key=lambda d: d["part_index"]
    )

    assert len(calls) == len(outbox) == len(request.parts)
    for call, document in zip(calls, outbox, strict=True):
        body = {k: v for k, v in document["request"].items() if k not in OWN_FIELDS}
        received = _received(call)
        # The account's own id (Bluesky's repo DID) is the only thing the sandbox leaves out.
        assert set(received) - set(body) <= {"repo"}
        received = {k: v for k, v in received.items() if k in body}
        files = {m.file.name for p in request.parts for m in p.media}
        assert not _differences(_neutral(body, written), _neutral(received, sent), files)
        for name, value in document["request"].get("headers", {}).items():
            assert call.headers[name.lower()] == value
