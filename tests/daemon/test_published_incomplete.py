"""A post that went out without something it should carry (an Instagram first comment the
platform refused) is published, once, and a person is told what is missing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scheduler.platforms.base import Publisher, PublishRequest, PublishResult
from tests.daemon.support import DUE1, Rig, at, rig
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]

NOTE = "its first comment was not posted: (#10) Application does not have permission"


class CommentRefused:
    """The real sandbox publisher, on a platform that then refused the post's comment."""

    def __init__(self, inner: Publisher) -> None:
        self.inner = inner

    def publish(self, request: PublishRequest, *args: Any, **kw: Any) -> PublishResult:
        return replace(self.inner.publish(request, *args, **kw), notes=(NOTE,))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_post_without_its_first_comment_is_published_and_a_person_told(rig: Rig) -> None:
    rig.wrap = lambda account, publisher: CommentRefused(publisher)  # type: ignore[assignment, return-value]
    daemon = rig.daemon()
    daemon.reload()
    rig.approve_all()
    at(rig.clock, DUE1)
    assert daemon.fire(rig.key("first")) == "published"
    assert rig.state("first") == "published"
    assert len(rig.outbox_posts()) == 1
    rig.flush()
    kinds = rig.notifier.kinds()
    assert ("published_incomplete", "test-daemon/first@masto") in kinds
    assert ("published", "test-daemon/first@masto") not in kinds
    (notice,) = [n for n in rig.notifier.notices if n.kind == "published_incomplete"]
    assert NOTE in notice.summary and "by hand" in notice.detail
    assert notice.title().endswith("PUBLISHED, BUT: test-daemon/first@masto")
