"""Which of a Mastodon account's statuses is a part whose answer was lost.

The publisher reads the account's statuses newest first (``MastodonPublisher.find``) and asks
``Wanted.matches`` of each: the same text once the status's HTML is taken back to plain text,
the same content warning, replying to the right parent, and created no earlier than the first
attempt (less the descriptor's ``Dedupe.clock_margin``: a server's clock may be behind ours).
Statuses come 40 a page,
by the ``Link`` header's next page or, on a server that sends none, by ``max_id``.

A lookup cut short (a 429, an error, out of time) leaves its progress in ``PROGRESS``: the
newest and oldest status ids it read, none of them the part. The next lookup for the same
part reads from the top until it meets that newest id, then goes on below the oldest, so a
busy account under faults is covered bit by bit instead of from the top every time.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FIND_PAGE_SIZE = 40  # statuses per page, Mastodon's most

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def plain_text(content: str) -> str:
    """A status's HTML ``content`` as comparable plain text (links keep their full URL)."""
    text = _BREAK.sub(" ", content)
    text = html.unescape(_TAG.sub("", text))
    return _SPACE.sub(" ", text).strip()


def comparable(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def page_params(max_id: str | None) -> dict[str, str]:
    """The query of one page of the account's statuses, older than ``max_id`` when given."""
    params = {"limit": str(FIND_PAGE_SIZE), "exclude_reblogs": "true"}
    if max_id is not None:
        params["max_id"] = max_id
    return params


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the part looks like among the account's statuses."""

    text: str  # comparable()
    cw: str
    parent: str | None  # the status it must reply to, when known

    def matches(self, status: dict[str, Any], start: datetime) -> bool:
        if plain_text(str(status.get("content", ""))) != self.text:
            return False
        if (status.get("spoiler_text") or "") != self.cw:
            return False
        if self.parent is not None and str(status.get("in_reply_to_id")) != self.parent:
            return False
        created = parse_time(status.get("created_at"))
        # The same words posted before the first attempt are not ours.
        return created is None or created >= start


class Progress:
    """What cut-short lookups read, per part, for this process: (newest id, oldest id)."""

    LIMIT = 1000  # parts remembered at most; the oldest entries are dropped first

    def __init__(self) -> None:
        self._seen: dict[tuple[str, ...], tuple[str, str]] = {}
        self._lock = threading.Lock()

    def recall(self, key: tuple[str, ...]) -> tuple[str, str] | None:
        with self._lock:
            return self._seen.get(key)

    def remember(self, key: tuple[str, ...], newest: str | None, oldest: str | None) -> None:
        if not newest or not oldest:
            return
        with self._lock:
            self._seen.pop(key, None)
            self._seen[key] = (newest, oldest)
            while len(self._seen) > self.LIMIT:
                del self._seen[next(iter(self._seen))]

    def forget(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._seen.pop(key, None)


PROGRESS = Progress()
