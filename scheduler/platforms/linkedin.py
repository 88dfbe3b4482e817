"""LinkedIn's publisher: member and organisation posts through the versioned Posts API.

Every request carries the account's token, ``LinkedIn-Version`` (the descriptor's, or the
account's ``version``) and ``X-Restli-Protocol-Version: 2.0.0``. Images go through the
Images API first (``initializeUpload``, then the bytes PUT to the upload URL it returns);
the post names them by URN with their alt text. A created post's URN comes back in the
``x-restli-id`` header.

LinkedIn takes no idempotency key. A lost answer is settled by ``find``, which lists the
author's posts newest first; a create LinkedIn refuses as ``DUPLICATE_POST`` names the
earlier post, which is ours when the author made it since the post was due.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from scheduler.descriptors import endpoint_of
from scheduler.descriptors.linkedin import API_VERSION, LINKEDIN
from scheduler.errors import ConfigError
from scheduler.platforms import ratelimit
from scheduler.platforms.base import (
    Absent,
    AccountInfo,
    AccountSpec,
    BeforeCreate,
    CannotTell,
    Duplicate,
    Found,
    Invalid,
    Lookup,
    MediaUpload,
    OutcomeUnknown,
    PartCallback,
    PartResult,
    PlatformContext,
    PublishError,
    PublishRequest,
    PublishResult,
    StagedCallback,
    page_coverage,
    read_page,
)
from scheduler.platforms.http import HttpClient, json_body
from scheduler.platforms.linkedin_body import little_text, post_body, sandbox_body
from scheduler.platforms.rules import check_request

__all__ = ["LinkedInPublisher", "create", "sandbox_body"]

POSTS = "/rest/posts"
IMAGES = "/rest/images"
USERINFO = "/v2/userinfo"
PAGE_SIZE = 50
_AUTHOR = re.compile(r"^urn:li:(person|organization):[A-Za-z0-9_-]+$")
# LinkedIn's answer to a version it no longer serves ("Upgrade Required").
SUNSET = 426
_VERSION = re.compile(r"^\d{6}(\.\d{2})?$")
_DUPLICATE_OF = re.compile(r"duplicate of (urn:li:(?:share|ugcPost):\d+)")


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def _instant(milliseconds: object) -> datetime | None:
    if not isinstance(milliseconds, int | float):
        return None
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


class LinkedInPublisher:
    platform = LINKEDIN.name
    rules = LINKEDIN

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        self.account = spec.name
        self.author = spec.settings.get("author") or ""
        if not _AUTHOR.match(self.author):
            raise ConfigError(
                f"account {spec.name!r}: author {self.author!r} is not a LinkedIn author",
                hint="use urn:li:person:<id> (a member) or urn:li:organization:<id> (a page)",
            )
        version = spec.settings.get("version") or API_VERSION
        if not _VERSION.match(version):
            raise ConfigError(
                f"account {spec.name!r}: version {version!r} is not a LinkedIn API version",
                hint=f"use the YYYYMM of a version LinkedIn still serves, e.g. {API_VERSION}",
            )
        self.version = version
        token = context.credentials.require(spec.name, "access_token")["access_token"]
        self.expires_at = context.credentials.expires_at(spec.name)
        self.clock = context.clock
        self.lookup_seconds = context.lookup_seconds
        self.http = HttpClient.for_account(
            context,
            spec.name,
            platform=self.platform,
            base_url=endpoint_of(spec) or "",
            bearer=token.reveal(),
            headers={"LinkedIn-Version": version, "X-Restli-Protocol-Version": "2.0.0"},
        )

    def __repr__(self) -> str:
        return f"LinkedInPublisher(account={self.account!r})"

    def close(self) -> None:
        self.http.close()

    def preflight(self, request: PublishRequest) -> None:
        check_request(self.rules, request)

    # --- publishing -----------------------------------------------------------------------

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        self.preflight(request)
        if request.done:
            return PublishResult(request.done[:1])
        images = [self._upload(request, m) for m in request.parts[0].media]
        if before_create is not None:
            before_create(0)
        what = "posting"
        response = self.http.request(
            "POST",
            POSTS,
            json=post_body(request, self.author, images),
            creates=True,
            part_index=0,
            what=what,
        )
        if response.status_code == 201:
            urn = response.headers.get("x-restli-id") or ""
            if not urn:
                raise OutcomeUnknown(
                    f"{self.platform}: the post was accepted without its id",
                    platform=self.platform,
                    status=201,
                    part_index=0,
                    hint="look for it on the account before trying again",
                )
            result = PartResult(index=0, remote_id=urn, url=post_url(urn))
        else:
            error = self._failure(response, what, creates=True)
            result = self._ours_if_duplicate(request, error)
        if on_part is not None:
            on_part(result)
        return PublishResult((result,))

    def _failure(
        self, response: requests.Response, what: str, *, creates: bool = False
    ) -> PublishError:
        retry_after = ratelimit.wait(response.headers, self.clock.now(), LINKEDIN.rate_limits)
        error = self.http.failure(
            response, what=what, retry_after=retry_after, creates=creates, part_index=0
        )
        said = getattr(error, "platform_message", None)
        if response.status_code == SUNSET:
            return Invalid(
                f"{self.platform}: LinkedIn no longer serves API version {self.version}",
                platform=self.platform,
                platform_message=said,
                status=SUNSET,
                part_index=0,
                hint="set the account's `version:` to a current YYYYMM from LinkedIn's "
                "versioning page (or upgrade the scheduler)",
            )
        duplicate = _DUPLICATE_OF.search(said or "")
        if response.status_code == 422 and duplicate:
            return Duplicate(
                f"{self.platform}: LinkedIn already has this text as {duplicate.group(1)}",
                platform=self.platform,
                platform_message=said,
                status=422,
                part_index=0,
                hint="change the text, or record the existing post by hand",
            )
        return error

    def _ours_if_duplicate(self, request: PublishRequest, error: PublishError) -> PartResult:
        """The existing post a DUPLICATE_POST answer names, when it is this post sent by an
        attempt whose answer was lost: the same author, created since the post was due.
        Anything else (the same words posted earlier) stays a Duplicate."""
        found = _DUPLICATE_OF.search(getattr(error, "platform_message", None) or "")
        if not isinstance(error, Duplicate) or found is None:
            raise error
        urn = found.group(1)
        what = f"reading {urn}"
        response = self.http.request("GET", f"{POSTS}/{quote(urn, safe='')}", what=what)
        if response.status_code != 200:
            raise self._failure(response, what) from error
        post = json_body(response, platform=self.platform, what=what)
        created = _instant(post.get("createdAt"))
        margin = LINKEDIN.dedupe.clock_margin
        ours = created is not None and created >= request.created_at - margin
        if post.get("author") != self.author or not ours:
            raise error
        return PartResult(index=0, remote_id=urn, url=post_url(urn))

    def _upload(self, request: PublishRequest, media: MediaUpload) -> str:
        what = f"uploading {media.file.name}"
        response = self.http.request(
            "POST",
            f"{IMAGES}?action=initializeUpload",
            json={"initializeUploadRequest": {"owner": self.author}},
            what=what,
        )
        if response.status_code not in (200, 201):
            raise self._failure(response, what)
        value = json_body(response, platform=self.platform, what=what).get("value") or {}
        upload_url, image = value.get("uploadUrl"), value.get("image")
        if not isinstance(upload_url, str) or not isinstance(image, str):
            raise self.http.failure(response, what=what, part_index=0)
        put = self.http.request(
            "PUT",
            upload_url,
            data=media.file.read_bytes(),
            headers={"Content-Type": media.mime},
            what=what,
        )
        if put.status_code not in (200, 201):
            raise self._failure(put, what)
        return image

    # --- reconciliation ---------------------------------------------------------------------

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """The author's posts, most recently modified first, until one last modified before
        ``since`` (less the descriptor's clock margin): a post created since then was modified
        since then too."""
        since = (since or request.created_at) - LINKEDIN.dedupe.clock_margin
        commentary = little_text(request.parts[part_index].text)
        deadline = self.clock.monotonic() + self.lookup_seconds
        start = 0
        pages = 0
        while True:
            what = f"reading the posts of {self.author} from {start}"
            page = read_page(
                lambda start=start, what=what: self._page(start, what),  # type: ignore[misc]
                what=what,
                clock=self.clock,
                deadline=deadline,
            )
            if isinstance(page, CannotTell):
                return page
            pages += 1
            for post in page:
                created = _instant(post.get("createdAt"))
                if post.get("commentary") == commentary and created and created >= since:
                    urn = str(post.get("id"))
                    return Found(PartResult(index=part_index, remote_id=urn, url=post_url(urn)))
            oldest = _instant(page[-1].get("lastModifiedAt")) if page else None
            coverage = page_coverage(since=since, oldest=oldest, empty=not page, pages=pages)
            if coverage is not None:
                return Absent(coverage)
            if self.clock.monotonic() >= deadline:
                return CannotTell(f"read {pages} page(s) of posts without reaching {since}")
            start += len(page)

    def _page(self, start: int, what: str) -> list[dict[str, Any]]:
        response = self.http.request(
            "GET",
            POSTS,
            params={
                "author": self.author,
                "q": "author",
                "sortBy": "LAST_MODIFIED",
                "start": start,
                "count": PAGE_SIZE,
            },
            headers={"X-RestLi-Method": "FINDER"},
            what=what,
        )
        if response.status_code != 200:
            raise self._failure(response, what)
        elements = json_body(response, platform=self.platform, what=what).get("elements")
        return [e for e in elements if isinstance(e, dict)] if isinstance(elements, list) else []

    # --- the account ------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """The token's member (OpenID ``sub``); the posts go out as the account's author."""
        what = "checking the token"
        response = self.http.request("GET", USERINFO, what=what)
        if response.status_code != 200:
            raise self._failure(response, what)
        body = json_body(response, platform=self.platform, what=what)
        return AccountInfo(
            platform=self.platform,
            account=self.account,
            remote_id=str(body.get("sub") or ""),
            handle=self.author,
            expires_at=self.expires_at,
        )


def create(spec: AccountSpec, context: PlatformContext) -> LinkedInPublisher:
    return LinkedInPublisher(spec, context)
