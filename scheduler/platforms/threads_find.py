"""Which of a Threads account's posts is a part whose answer was lost.

A thread's first part is looked for among the account's own posts
(``GET /{user}/threads``, newest first, from ``since`` on: the listing ends once it has shown
every post since then); a later part among the replies to the part before it
(``GET /{parent}/replies``, read to the end), by its author, or, when the part before is not
recorded, among the account's own replies (``GET /{user}/replies``, from ``since`` on).
Pages follow the Graph cursor (``paging.cursors.after``) while ``paging.next`` says there is
more. A post matches on its text, and when it was made no earlier than the first attempt
(less the descriptor's ``Dedupe.clock_margin``: Meta's clock may be behind ours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PAGE_SIZE = 50
POST_FIELDS = "id,text,timestamp,permalink"
REPLY_FIELDS = "id,text,timestamp,permalink,username"

_SPACE = re.compile(r"\s+")


def comparable(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def parse_time(value: object) -> datetime | None:
    """A Graph timestamp (``2026-05-11T08:00:00+0000``) as an aware instant."""
    if not isinstance(value, str):
        return None
    for shape in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, shape)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing: its posts, and the cursor of the next one (None: the end)."""

    posts: list[dict[str, Any]]
    after: str | None

    @classmethod
    def of(cls, body: dict[str, Any]) -> Page:
        data = body.get("data")
        posts = [p for p in data if isinstance(p, dict)] if isinstance(data, list) else []
        paging = body.get("paging")
        paging = paging if isinstance(paging, dict) else {}
        cursors = paging.get("cursors")
        cursors = cursors if isinstance(cursors, dict) else {}
        after = cursors.get("after")
        more = bool(paging.get("next")) and isinstance(after, str) and bool(after)
        return cls(posts, after if more else None)

    @property
    def oldest(self) -> datetime | None:
        return parse_time(self.posts[-1].get("timestamp")) if self.posts else None


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the part looks like in a listing."""

    text: str  # comparable()
    since: datetime
    username: str | None = None  # the author, where the listing has others' posts too

    def matches(self, post: dict[str, Any]) -> bool:
        if comparable(str(post.get("text") or "")) != self.text:
            return False
        if self.username is not None and post.get("username") != self.username:
            return False
        made = parse_time(post.get("timestamp"))
        # The same words posted before the first attempt are not ours.
        return made is None or made >= self.since
