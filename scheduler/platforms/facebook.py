"""Facebook's publisher: posts as a Page through the Graph API's Pages endpoints.

The account holds a person's long-lived user token (``access_token``); the Page token every
call is made with is derived from it on first use (``GET /{page-id}?fields=access_token``)
and kept in memory only. A Page token derived from a long-lived user token does not expire
by itself, but deriving it again (each time the daemon starts) needs the user token, whose
60 days are what ``expires_at`` records and ``accounts check`` shows.

Facebook takes no idempotency key. A lost answer is settled by ``find``, which reads the
Page's published posts newest first back past the first attempt; a create refused as a
duplicate (506) is looked up the same way, since an earlier attempt may have made it.
Errors are read by the one Graph reading (``platforms.graph``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import requests

from scheduler.descriptors import endpoint_of
from scheduler.descriptors.facebook import API_VERSION, FACEBOOK, PERMISSIONS
from scheduler.errors import ConfigError
from scheduler.platforms import graph
from scheduler.platforms.base import (
    Absent,
    AccountInfo,
    AccountSpec,
    BeforeCreate,
    CannotTell,
    Duplicate,
    Forbidden,
    Found,
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
from scheduler.platforms.facebook_body import feed_body, photo_fields, sandbox_body
from scheduler.platforms.http import HttpClient, json_body
from scheduler.platforms.rules import check_request
from scheduler.redact import register
from scheduler.settings import Secret

__all__ = ["FacebookPublisher", "create", "sandbox_body"]

PAGE_SIZE = 25
_PAGE = re.compile(r"^\d{5,25}$")
_VERSION = re.compile(r"^v\d{1,3}\.\d$")
_FIELDS = "id,message,created_time,permalink_url"


def post_url(post_id: str) -> str:
    """Where a post is when Meta did not say: facebook.com resolves ``{page}_{post}`` ids."""
    return f"https://www.facebook.com/{post_id}"


def instant(value: object) -> datetime | None:
    """A Graph time (``2026-05-11T08:00:03+0000``) as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


class FacebookPublisher:
    platform = FACEBOOK.name
    rules = FACEBOOK

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        self.account = spec.name
        self.page = str(spec.settings.get("page") or "")
        if not _PAGE.match(self.page):
            raise ConfigError(
                f"account {spec.name!r}: page {self.page!r} is not a Facebook Page id",
                hint="use the Page's numeric id (Page settings, or GET /me/accounts)",
            )
        version = spec.settings.get("version") or API_VERSION
        if not _VERSION.match(version):
            raise ConfigError(
                f"account {spec.name!r}: version {version!r} is not a Graph API version",
                hint=f"use a version Meta still serves, e.g. {API_VERSION}",
            )
        token = context.credentials.require(spec.name, "access_token")["access_token"]
        self._user_token = token  # a Secret: never shown, even in vars(publisher)
        register(token.reveal())
        self._page_token: Secret | None = None
        self.expires_at = context.credentials.expires_at(spec.name)
        self.clock = context.clock
        self.lookup_seconds = context.lookup_seconds
        self.http = HttpClient.for_account(
            context,
            spec.name,
            platform=self.platform,
            base_url=f"{endpoint_of(spec) or ''}/{version}",
        )

    def __repr__(self) -> str:
        return f"FacebookPublisher(account={self.account!r}, page={self.page!r})"

    def close(self) -> None:
        self.http.close()

    def preflight(self, request: PublishRequest) -> None:
        check_request(self.rules, request)

    # --- calls ------------------------------------------------------------------------------

    def _failure(
        self, response: requests.Response, what: str, *, creates: bool = False
    ) -> PublishError:
        return graph.failure(
            self.http,
            response,
            what=what,
            clock=self.clock,
            limits=FACEBOOK.rate_limits,
            creates=creates,
            part_index=0,
        )

    def _call(self, method: str, path: str, *, what: str, **kwargs: Any) -> requests.Response:
        """A call made as the Page (the header keeps the token out of every URL)."""
        token = self._token()
        headers = {"Authorization": f"Bearer {token}"}
        return self.http.request(method, path, headers=headers, what=what, **kwargs)

    def _token(self) -> str:
        """The Page token, derived from the user's token on first use."""
        if self._page_token is not None:
            return self._page_token.reveal()
        what = "getting the Page's token"
        response = self.http.request(
            "GET",
            f"/{self.page}",
            params={"fields": "access_token"},
            headers={"Authorization": f"Bearer {self._user_token.reveal()}"},
            what=what,
        )
        if response.status_code != 200:
            raise self._failure(response, what)
        token = json_body(response, platform=self.platform, what=what).get("access_token")
        if not isinstance(token, str) or not token:
            raise Forbidden(
                f"{self.platform}: the token may not act for Page {self.page}",
                platform=self.platform,
                status=200,
                part_index=0,
                hint="connect a person who can create content on the Page, granting "
                + ", ".join(PERMISSIONS),
            )
        register(token)
        self._page_token = Secret(token)
        return token

    # --- publishing -------------------------------------------------------------------------

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
        part = request.parts[0]
        what = "posting"
        if len(part.media) == 1:
            if before_create is not None:
                before_create(0)
            response = self._photo(part.media[0], message=part.text, what=what)
        else:
            uploaded = [self._unpublished(m) for m in part.media]
            if before_create is not None:
                before_create(0)
            response = self._call(
                "POST",
                f"/{self.page}/feed",
                data=feed_body(request, uploaded),
                creates=True,
                part_index=0,
                what=what,
            )
        if response.status_code == 200:
            result = self._created(response, what)
        else:
            result = self._ours_if_duplicate(request, self._failure(response, what, creates=True))
        if on_part is not None:
            on_part(result)
        return PublishResult((result,))

    def _photo(self, media: MediaUpload, *, message: str | None, what: str) -> requests.Response:
        """One photo's bytes to the Page: the post itself with ``message``, else unpublished."""
        return self._call(
            "POST",
            f"/{self.page}/photos",
            data=photo_fields(media, message=message),
            files={"source": (media.file.name, media.file.read_bytes(), media.mime)},
            creates=message is not None,
            part_index=0,
            what=what,
        )

    def _unpublished(self, media: MediaUpload) -> str:
        """Upload one photo of several, shown nowhere until a post attaches it: an upload
        whose answer is lost is simply made again (the lost one stays unseen)."""
        what = f"uploading {media.file.name}"
        response = self._photo(media, message=None, what=what)
        if response.status_code != 200:
            raise self._failure(response, what)
        photo = json_body(response, platform=self.platform, what=what).get("id")
        if not isinstance(photo, str | int) or not str(photo):
            raise self.http.failure(response, what=what, part_index=0)
        return str(photo)

    def _created(self, response: requests.Response, what: str) -> PartResult:
        """The post a 200 made: a photo answers with its own id and the post's."""
        body = json_body(response, platform=self.platform, what=what, creates=True)
        post = body.get("post_id") or body.get("id")
        if not isinstance(post, str) or not post:
            raise OutcomeUnknown(
                f"{self.platform}: the post was accepted without its id",
                platform=self.platform,
                status=response.status_code,
                part_index=0,
                hint="look for it on the Page before trying again",
            )
        return PartResult(index=0, remote_id=post, url=self._permalink(post))

    def _permalink(self, post: str) -> str:
        """The post's address as Meta gives it; the id's own address when that read fails
        (the post exists either way, so a failed read must not fail the publish)."""
        what = f"reading the address of {post}"
        try:
            response = self._call("GET", f"/{post}", params={"fields": "permalink_url"}, what=what)
        except PublishError:
            return post_url(post)
        if response.status_code != 200:
            return post_url(post)
        try:
            url = json_body(response, platform=self.platform, what=what).get("permalink_url")
        except PublishError:
            return post_url(post)
        return url if isinstance(url, str) and url.startswith("https://") else post_url(post)

    def _ours_if_duplicate(self, request: PublishRequest, error: PublishError) -> PartResult:
        """After a 506: the Page's post of the same text made since the post was due is
        this post, sent by an attempt whose answer was lost. The same words posted earlier
        stay a Duplicate; a lookup that cannot tell leaves the outcome unknown."""
        if not isinstance(error, Duplicate):
            raise error
        answer = self.find(request, 0)
        if isinstance(answer, Found):
            return answer.part
        if isinstance(answer, CannotTell):
            raise OutcomeUnknown(
                f"{self.platform}: Facebook says it has this text already, and the Page's "
                f"posts could not be read to see whether it is this post ({answer.reason})",
                platform=self.platform,
                platform_message=error.platform_message,
                status=error.status,
                part_index=0,
                hint="look for it on the Page before trying again",
            ) from error
        raise error

    # --- reconciliation -------------------------------------------------------------------

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """The Page's published posts, newest first, until one made before ``since`` (less
        the descriptor's clock margin) or the end of the listing."""
        since = (since or request.created_at) - FACEBOOK.dedupe.clock_margin
        text = request.parts[part_index].text.strip()
        if not text:
            # Posts are told apart by their text: one without any cannot be, so a person
            # decides rather than a second copy going out.
            return CannotTell("a post without text cannot be told apart on the Page")
        deadline = self.clock.monotonic() + self.lookup_seconds
        after: str | None = None
        pages = 0
        while True:
            what = f"reading the posts of Page {self.page} (page {pages + 1})"
            page = read_page(
                lambda after=after, what=what: self._page(since, after, what),  # type: ignore[misc]
                what=what,
                clock=self.clock,
                deadline=deadline,
            )
            if isinstance(page, CannotTell):
                return page
            posts, after = page
            pages += 1
            for post in posts:
                created = instant(post.get("created_time"))
                said = post.get("message")
                if isinstance(said, str) and said.strip() == text and created and created >= since:
                    post_id = str(post.get("id"))
                    url = post.get("permalink_url")
                    shown = url if isinstance(url, str) and url else post_url(post_id)
                    return Found(PartResult(index=part_index, remote_id=post_id, url=shown))
            oldest = instant(posts[-1].get("created_time")) if posts else None
            ended = not posts or after is None
            coverage = page_coverage(since=since, oldest=oldest, empty=ended, pages=pages)
            if coverage is not None:
                return Absent(coverage)
            if self.clock.monotonic() >= deadline:
                return CannotTell(f"read {pages} page(s) of posts without reaching {since}")

    def _page(
        self, since: datetime, after: str | None, what: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of posts and the cursor of the next (None: the listing ends here)."""
        params: dict[str, Any] = {
            "fields": _FIELDS,
            "limit": PAGE_SIZE,
            "since": int(since.timestamp()),
        }
        if after:
            params["after"] = after
        response = self._call("GET", f"/{self.page}/published_posts", params=params, what=what)
        if response.status_code != 200:
            raise self._failure(response, what)
        body = json_body(response, platform=self.platform, what=what)
        data = body.get("data")
        posts = [p for p in data if isinstance(p, dict)] if isinstance(data, list) else []
        paging = body.get("paging")
        paging = paging if isinstance(paging, dict) else {}
        cursors = paging.get("cursors")
        cursor = cursors.get("after") if isinstance(cursors, dict) and paging.get("next") else None
        return posts, cursor if isinstance(cursor, str) and cursor else None

    # --- the account ----------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """The Page the token posts as; the user token's expiry as Meta tells it (else as
        the operator recorded it)."""
        what = "checking the Page"
        response = self._call(
            "GET", f"/{self.page}", params={"fields": "id,name,username,link"}, what=what
        )
        if response.status_code != 200:
            raise self._failure(response, what)
        body = json_body(response, platform=self.platform, what=what)
        link = body.get("link")
        return AccountInfo(
            platform=self.platform,
            account=self.account,
            remote_id=str(body.get("id") or ""),
            # The Page's own username where it has one (shown as @name); else its id shows.
            handle=str(body.get("username") or ""),
            url=link if isinstance(link, str) else "",
            expires_at=self._user_token_expiry() or self.expires_at,
        )

    def _user_token_expiry(self) -> datetime | None:
        """When the user token runs out, by ``GET /debug_token``; None when it never does
        or Meta does not say (the check of the Page already passed)."""
        what = "reading the token's expiry"
        try:
            response = self.http.request(
                "GET",
                "/debug_token",
                params={"input_token": self._user_token.reveal()},
                headers={"Authorization": f"Bearer {self._user_token.reveal()}"},
                what=what,
            )
            if response.status_code != 200:
                return None
            data = json_body(response, platform=self.platform, what=what).get("data")
        except PublishError:
            return None
        expires = data.get("expires_at") if isinstance(data, dict) else None
        if not isinstance(expires, int) or isinstance(expires, bool) or expires <= 0:
            return None
        return datetime.fromtimestamp(expires, tz=UTC)


def create(spec: AccountSpec, context: PlatformContext) -> FacebookPublisher:
    return FacebookPublisher(spec, context)
