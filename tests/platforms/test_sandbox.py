"""The sandbox outbox: layout, atomic exactly-once writes, platform rules, injected failures.

The behaviour every publisher shares (threads, resume, exactly-once) is in test_contract.py;
this file covers what only the sandbox has.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore
from scheduler.errors import ConfigError
from scheduler.platforms import atproto, build_publisher
from scheduler.platforms.base import (
    AccountSpec,
    Invalid,
    OutcomeUnknown,
    PartRequest,
    PlatformContext,
    PublishRequest,
    RateLimited,
    Transient,
)
from scheduler.platforms.sandbox import SandboxPublisher
from tests.platforms.harness import found_part

DUE = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)


def make(tmp_path: Path, **settings: str) -> SandboxPublisher:
    context = PlatformContext(
        clock=FixedClock(),
        credentials=CredentialStore({}, None),
        state_dir=tmp_path / "state",
        outbox=tmp_path / "outbox",
    )
    publisher = build_publisher(AccountSpec("mhaw-sandbox", "sandbox", settings), context)
    assert isinstance(publisher, SandboxPublisher)
    return publisher


def request(*texts: str, **kw: object) -> PublishRequest:
    parts = tuple(PartRequest(text=t, idempotency_key=f"key{i}") for i, t in enumerate(texts))
    return PublishRequest(account="mhaw-sandbox", parts=parts, created_at=DUE, **kw)  # type: ignore[arg-type]


def outbox_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "outbox" / "mhaw-sandbox").glob("*.json"))


def test_one_file_per_part_named_by_key(tmp_path: Path) -> None:
    result = make(tmp_path).publish(request("first", "second"))
    assert [p.name for p in outbox_files(tmp_path)] == ["key0.json", "key1.json"]
    stored = json.loads(outbox_files(tmp_path)[1].read_text())
    assert stored["request"]["in_reply_to"] == result.parts[0].remote_id
    assert stored["written_at"] == "2026-05-11T08:00:00+00:00"
    assert result.parts[1].url.startswith("file://")
    assert not list((tmp_path / "outbox" / "mhaw-sandbox").glob(".*.tmp"))


def test_repeat_returns_stored_result_without_rewriting(tmp_path: Path) -> None:
    publisher = make(tmp_path)
    first = publisher.publish(request("hello"))
    path = outbox_files(tmp_path)[0]
    before = path.stat().st_mtime_ns, path.stat().st_ino
    again = make(tmp_path).publish(request("hello"))
    assert again == first
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before


def test_concurrent_writers_of_one_part_write_once(tmp_path: Path) -> None:
    results = []
    barrier = threading.Barrier(8)

    def go() -> None:
        barrier.wait()
        results.append(make(tmp_path).publish(request("race")))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outbox_files(tmp_path)) == 1
    assert len({r.parts[0].remote_id for r in results}) == 1


def test_as_mastodon_writes_the_status_body_and_counts_the_cw(tmp_path: Path) -> None:
    publisher = make(tmp_path, as_platform="mastodon")
    assert publisher.rules.max_chars == 500
    publisher.publish(request("a", "b", content_warning="eating disorders", language="en"))
    body = json.loads(outbox_files(tmp_path)[1].read_text())["request"]
    assert body["spoiler_text"] == "eating disorders"
    assert body["sensitive"] is True
    assert body["language"] == "en"
    assert body["headers"] == {"Idempotency-Key": "key1"}
    assert body["in_reply_to_id"] == "key0"
    with pytest.raises(Invalid, match="501 characters long; mastodon allows 500"):
        publisher.publish(request("x" * 490, content_warning="y" * 11))


def test_as_bluesky_writes_a_record_with_a_tid_key_and_facets(tmp_path: Path) -> None:
    publisher = make(tmp_path, as_platform="bluesky", handle="mhaw.example")
    result = publisher.publish(request("Talk to @mind.org.uk #MHAW", "second"))
    first = json.loads(outbox_files(tmp_path)[0].read_text())["request"]
    assert atproto.is_tid(first["rkey"])
    assert result.parts[0].remote_id.endswith("/" + first["rkey"])
    kinds = [f["features"][0]["$type"].rsplit("#", 1)[1] for f in first["record"]["facets"]]
    assert kinds == ["mention", "tag"]
    second = json.loads(outbox_files(tmp_path)[1].read_text())["request"]["record"]
    assert second["reply"]["root"]["uri"] == result.parts[0].remote_id
    with pytest.raises(Invalid, match="301 characters long; bluesky allows 300"):
        publisher.publish(request("é" * 301))


def test_as_x_counts_weighted_length(tmp_path: Path) -> None:
    publisher = make(tmp_path, as_platform="x")
    publisher.publish(request("a" * 256 + " https://example.org/" + "b" * 40))
    with pytest.raises(Invalid, match="x allows 280"):
        publisher.publish(request("界" * 141))


def test_failures_are_injected_per_part_and_remembered(tmp_path: Path) -> None:
    settings = {"fail_first": "transient", "fail_times": "2", "fail_part": "1"}
    with pytest.raises(Transient) as info:
        make(tmp_path, **settings).publish(request("one", "two"))
    assert info.value.part_index == 1
    assert len(outbox_files(tmp_path)) == 1  # the first part went out
    with pytest.raises(Transient):
        make(tmp_path, **settings).publish(request("one", "two"))
    result = make(tmp_path, **settings).publish(request("one", "two"))
    assert len(result.parts) == 2
    assert len(outbox_files(tmp_path)) == 2


def test_rate_limited_and_outcome_unknown_injection(tmp_path: Path) -> None:
    with pytest.raises(RateLimited) as info:
        make(tmp_path, fail_first="rate_limited", retry_after="90").publish(request("x"))
    assert info.value.retry_after == 90
    publisher = make(tmp_path / "other", fail_first="outcome_unknown")
    req = request("maybe")
    with pytest.raises(OutcomeUnknown):
        publisher.publish(req)
    found = found_part(publisher.find(req, 0))
    assert publisher.publish(req).parts[0] == found


def test_bad_settings_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fail_first"):
        make(tmp_path, fail_first="explode")
    with pytest.raises(ConfigError, match="as_platform"):
        make(tmp_path, as_platform="myspace")


def test_verify_always_works(tmp_path: Path) -> None:
    info = make(tmp_path, as_platform="mastodon").verify()
    assert info.platform == "mastodon"
    assert info.account == "mhaw-sandbox"


def test_without_hard_links_the_first_writer_still_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)  # a file system without hard links
    first = make(tmp_path).publish(request("hello"))
    assert make(tmp_path).publish(request("hello")) == first
    assert len(outbox_files(tmp_path)) == 1
    assert json.loads(outbox_files(tmp_path)[0].read_text())["request"]["text"] == "hello"


def test_as_threads_writes_the_containers_and_counts_emoji_as_bytes(tmp_path: Path) -> None:
    publisher = make(tmp_path, as_platform="threads")
    result = publisher.publish(request("one", "two", reply_settings="everyone"))
    first, second = (json.loads(p.read_text())["request"] for p in outbox_files(tmp_path))
    assert first["media_type"] == "TEXT" and "reply_to_id" not in first
    assert second["reply_to_id"] == result.parts[0].remote_id
    assert second["reply_control"] == "everyone"
    publisher.preflight(request("a" * 496 + "\U0001f44b"))  # 500 exactly
    with pytest.raises(Invalid, match="501 characters long; threads allows 500"):
        publisher.preflight(request("a" * 497 + "\U0001f44b"))
