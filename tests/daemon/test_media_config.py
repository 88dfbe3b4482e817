"""A publisher that finds the public media host unusable (ConfigError from ``url_for``) has
sent nothing: the draft waits for a person, it is never taken for a post that may exist."""

from __future__ import annotations

from typing import Any

from scheduler.errors import ConfigError
from scheduler.platforms.base import Publisher, PublishRequest, PublishResult
from tests.daemon.support import DUE1, Rig, at, rig
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]


class NoBucket:
    """The real sandbox publisher, but its media host's bucket is missing."""

    broken = True  # until the operator creates the bucket

    def __init__(self, inner: Publisher) -> None:
        self.inner = inner

    def publish(self, request: PublishRequest, *args: Any, **kw: Any) -> PublishResult:
        if NoBucket.broken:
            raise ConfigError("public media for masto: S3 bucket mhaw-media does not exist")
        return self.inner.publish(request, *args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_an_unusable_media_host_waits_for_a_person_and_is_not_an_unknown_outcome(
    rig: Rig,
) -> None:
    def wrap(account: str, publisher: Publisher) -> Publisher:
        return NoBucket(publisher)  # type: ignore[return-value]

    NoBucket.broken = True
    rig.wrap = wrap
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "retry_wait"
    record = rig.ledger.get(rig.key("first"))
    assert "mhaw-media does not exist" in (record.last_error or "")
    rig.flush()
    assert ("needs_reconnect", "test-daemon/first@masto") in rig.notifier.kinds()
    NoBucket.broken = False  # the operator created the bucket
    rig.clock.set(record.next_attempt)
    assert daemon.fire(rig.key("first")) == "published"
    assert len(rig.outbox_posts()) == 1
