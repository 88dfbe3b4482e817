"""Whether an Instagram post exists, after an answer was lost.

First the container an earlier attempt staged (kept in the ledger): a container that is not
``PUBLISHED`` was never made a post, and Instagram's record of it is the proof. Otherwise the
account's media is read newest first (``GET /{user}/media``, paged by cursor) until a post
older than the interval or the end of the listing, looking for the caption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from scheduler.clock import Clock
from scheduler.descriptors.instagram import INSTAGRAM
from scheduler.platforms.base import (
    Absent,
    CannotTell,
    Coverage,
    Found,
    Lookup,
    PartResult,
    PublishError,
    PublishRequest,
    read_page,
)
from scheduler.platforms.http import HttpClient, json_body

PAGE_SIZE = 50
# Container states from which nothing was published.
NEVER_PUBLISHED = frozenset({"IN_PROGRESS", "FINISHED", "EXPIRED", "ERROR"})

Failure = Callable[[requests.Response, str], PublishError]


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    after: str | None  # the cursor of the next page; None at the end of the listing


def instant(timestamp: object) -> datetime | None:
    """Instagram's ``timestamp`` (``2026-05-11T08:00:03+0000``)."""
    if not isinstance(timestamp, str):
        return None
    try:
        return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


class MediaLister:
    """Reads the account's media one page at a time."""

    def __init__(
        self, http: HttpClient, user_id: str, clock: Clock, seconds: float, failure: Failure
    ) -> None:
        self.http = http
        self.user_id = user_id
        self.clock = clock
        self.seconds = seconds
        self.failure = failure

    def page(self, after: str | None, what: str) -> Page:
        params = {"fields": "id,caption,timestamp,permalink", "limit": str(PAGE_SIZE)}
        if after:
            params["after"] = after
        response = self.http.request("GET", f"/{self.user_id}/media", params=params, what=what)
        if response.status_code != 200:
            raise self.failure(response, what)
        body = json_body(response, platform=self.http.platform, what=what)
        data = body.get("data")
        items = [i for i in data if isinstance(i, dict)] if isinstance(data, list) else []
        paging = body.get("paging")
        paging = paging if isinstance(paging, dict) else {}
        cursors = paging.get("cursors")
        after = cursors.get("after") if isinstance(cursors, dict) else None
        more = bool(paging.get("next")) and isinstance(after, str)
        return Page(items, after if more else None)


def find_part(
    lister: MediaLister,
    request: PublishRequest,
    part_index: int,
    since: datetime,
    *,
    staged: str | None = None,
    status: Callable[[str], str] | None = None,
) -> Lookup:
    """Found, Absent (with its evidence) or CannotTell for the request's post. ``status``
    reads a container's state; without it the staged container is not asked about."""
    published = False  # the staged container says it was made a post
    if staged and status is not None:
        try:
            state = status(staged)
        except PublishError as exc:
            return CannotTell.because(exc, f"asking about container {staged}")
        if state in NEVER_PUBLISHED:
            return Absent(Coverage.record_key(f"container {staged} ({state}: never published)"))
        published = state == "PUBLISHED"
    answer = _search(lister, request, part_index, since)
    if published and isinstance(answer, Absent):
        # Instagram says the post exists: a caption we cannot match is no proof of absence.
        return CannotTell(f"container {staged} was published, but no post with its caption shows")
    return answer


def _search(
    lister: MediaLister, request: PublishRequest, part_index: int, since: datetime
) -> Lookup:
    """The account's media, newest first, back to ``since``, for the part's caption."""
    caption = request.parts[part_index].text.strip()
    since = since - INSTAGRAM.dedupe.clock_margin
    deadline = lister.clock.monotonic() + lister.seconds
    after: str | None = None
    pages = 0
    while True:
        what = f"reading the media of {lister.user_id} (page {pages + 1})"
        page = read_page(
            lambda after=after, what=what: lister.page(after, what),  # type: ignore[misc]
            what=what,
            clock=lister.clock,
            deadline=deadline,
        )
        if isinstance(page, CannotTell):
            return page
        pages += 1
        for item in page.items:
            made = instant(item.get("timestamp"))
            said = item.get("caption")
            if isinstance(said, str) and said.strip() == caption and made and made >= since:
                media_id = str(item.get("id") or "")
                link = item.get("permalink")
                return Found(
                    PartResult(
                        index=part_index,
                        remote_id=media_id,
                        url=link if isinstance(link, str) else "",
                    )
                )
        if page.after is None:
            return Absent(Coverage.listing_ended(since, pages))
        oldest = instant(page.items[-1].get("timestamp")) if page.items else None
        reached = Coverage.reached(oldest, since, pages) if oldest is not None else None
        if reached is not None:
            return Absent(reached)
        if lister.clock.monotonic() >= deadline:
            return CannotTell(f"read {pages} page(s) of media without reaching {since}")
        after = page.after
