"""WordPress's publisher: a story as a post on a site, through its REST API.

Requests authenticate with an Application Password (HTTP Basic) and go to ``/wp-json/wp/v2``
or, on a site without pretty permalinks (``permalinks: plain``), ``/?rest_route=/wp/v2``.
The featured image is uploaded first (its alt text set on the media item), the categories
and tags found or made by name (``wordpress_terms``), then the post is created with status
``publish`` at the story's due time: the daemon keeps the time, not WordPress's cron, which
runs only when someone visits the site.

Exactly once without an idempotency key: the story has a deterministic slug and its key in
an HTML comment of its body. Before every create the slug is looked up in every status a
post can hold it in; our post there is the answer, and a post there that is not ours is a
permanent error, so WordPress's silent renaming of a second post to ``slug-2`` never
happens to us. After a lost answer ``find`` makes the same lookup.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import requests

from scheduler.descriptors import endpoint_of
from scheduler.descriptors.wordpress import LOOKUP_STATUSES, PERMALINKS, WORDPRESS
from scheduler.errors import ConfigError
from scheduler.platforms import ratelimit
from scheduler.platforms.base import (
    Absent,
    AccountInfo,
    AccountSpec,
    BeforeCreate,
    CannotTell,
    Coverage,
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
    read_page,
)
from scheduler.platforms.http import HttpClient, json_body
from scheduler.platforms.rules import check_request
from scheduler.platforms.wordpress_body import is_ours, post_body, sandbox_body, story_of
from scheduler.platforms.wordpress_terms import Terms
from scheduler.redact import register

__all__ = ["WordPressPublisher", "create", "sandbox_body"]


class WordPressPublisher:
    platform = WORDPRESS.name
    rules = WORDPRESS

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        self.account = spec.name
        self.username = spec.settings.get("username") or ""
        self.permalinks = spec.settings.get("permalinks") or PERMALINKS[0]
        if self.permalinks not in PERMALINKS:
            raise ConfigError(
                f"account {spec.name!r}: permalinks {self.permalinks!r} is not one of "
                + ", ".join(PERMALINKS),
                hint="pretty: the API is under /wp-json/; plain: the site has no pretty "
                "permalinks (its addresses look like /?p=123)",
            )
        password = context.credentials.require(spec.name, "app_password")["app_password"]
        register(password.reveal())
        basic = base64.b64encode(f"{self.username}:{password.reveal()}".encode()).decode()
        register(basic)
        self.site = endpoint_of(spec) or ""
        self.clock = context.clock
        self.lookup_seconds = context.lookup_seconds
        self.http = HttpClient.for_account(
            context,
            spec.name,
            platform=self.platform,
            base_url=self.site,
            headers={"Authorization": f"Basic {basic}"},
        )
        self.terms = Terms(self.http, self.route, self._failure)

    def __repr__(self) -> str:
        return f"WordPressPublisher(account={self.account!r}, site={self.site!r})"

    def close(self) -> None:
        self.http.close()

    def route(self, path: str) -> str:
        """The address of ``/wp/v2<path>`` on this site (query parameters go in ``params``)."""
        if self.permalinks == "plain":
            return f"/?rest_route=/wp/v2{path}"
        return f"/wp-json/wp/v2{path}"

    def preflight(self, request: PublishRequest) -> None:
        story_of(request)
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
        story = story_of(request)
        key = request.parts[0].idempotency_key
        # The slug first: our post already there (an attempt whose answer was lost) is the
        # result; someone else's is an error before anything is uploaded or created.
        held = self._by_slug(story.slug, f"looking up the slug {story.slug!r}")
        ours = [p for p in held if is_ours(p, key)]
        if ours:
            result = self._result(ours[0])
        elif held:
            raise self._taken(story.slug, held[0])
        else:
            media = request.parts[0].media
            media_id = self._upload(media[0]) if media else None
            categories = self.terms.ids("categories", story.categories)
            tags = self.terms.ids("tags", story.tags)
            if before_create is not None:
                before_create(0)
            what = "publishing the story"
            response = self.http.request(
                "POST",
                self.route("/posts"),
                json=post_body(request, media_id, categories, tags),
                creates=True,
                part_index=0,
                what=what,
            )
            if response.status_code != 201:
                raise self._failure(response, what, creates=True)
            made = json_body(response, platform=self.platform, what=what, creates=True)
            result = self._result(made)
        if on_part is not None:
            on_part(result)
        return PublishResult((result,))

    def _result(self, post: dict[str, Any]) -> PartResult:
        post_id, link = post.get("id"), post.get("link")
        if not isinstance(post_id, int) or not isinstance(link, str):
            raise OutcomeUnknown(
                f"{self.platform}: the post was accepted without its id or address",
                platform=self.platform,
                part_index=0,
                hint="look for it on the site before trying again",
            )
        extra = {"slug": str(post.get("slug") or ""), "status": str(post.get("status") or "")}
        return PartResult(index=0, remote_id=str(post_id), url=link, extra=extra)

    def _taken(self, slug: str, post: dict[str, Any]) -> PublishError:
        return Duplicate(
            f"{self.platform}: the slug {slug!r} is taken on {self.site} by post "
            f"{post.get('id')} ({post.get('status')}), which is not this story",
            platform=self.platform,
            part_index=0,
            hint="give the story another slug in the campaign, or rename that post's slug",
        )

    def _upload(self, media: MediaUpload) -> int:
        what = f"uploading {media.file.name}"
        response = self.http.request(
            "POST",
            self.route("/media"),
            data=media.file.read_bytes(),
            headers={
                "Content-Type": media.mime,
                "Content-Disposition": f'attachment; filename="{media.file.name}"',
            },
            what=what,
        )
        if response.status_code != 201:
            raise self._failure(response, what)
        media_id = json_body(response, platform=self.platform, what=what).get("id")
        if not isinstance(media_id, int):
            raise self.http.failure(response, what=what, part_index=0)
        what = f"setting the alt text of {media.file.name}"
        alt = self.http.request(
            "POST", self.route(f"/media/{media_id}"), json={"alt_text": media.alt}, what=what
        )
        if alt.status_code != 200:
            raise self._failure(alt, what)
        return media_id

    def _failure(
        self, response: requests.Response, what: str, *, creates: bool = False
    ) -> PublishError:
        retry_after = ratelimit.wait(response.headers, self.clock.now(), WORDPRESS.rate_limits)
        if response.status_code == 404 and "json" not in response.headers.get("Content-Type", ""):
            # A page, not the API: the site has no pretty permalinks (or no REST API).
            return Invalid(
                f"{self.platform}: {self.site} has no REST API at {self.route('')} ({what})",
                platform=self.platform,
                status=404,
                part_index=0,
                hint="if the site's addresses look like /?p=123, set permalinks: plain",
            )
        return self.http.failure(
            response, what=what, retry_after=retry_after, creates=creates, part_index=0
        )

    # --- reconciliation ---------------------------------------------------------------------

    def _by_slug(self, slug: str, what: str) -> list[dict[str, Any]]:
        """Every post holding ``slug``, in any status that holds one, with its raw content."""
        response = self.http.request(
            "GET",
            self.route("/posts"),
            params={"slug": slug, "status": ",".join(LOOKUP_STATUSES), "context": "edit"},
            what=what,
        )
        if response.status_code != 200:
            raise self._failure(response, what)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, list):
            raise self.http.failure(response, what=what, part_index=0)
        return [p for p in body if isinstance(p, dict)]

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """The story's slug, looked up in every status: our post is Found; no post at all
        proves it absent (the slug is its key); another post holding the slug means ours,
        if it was made, was renamed out of reach: cannot tell."""
        slug = story_of(request).slug
        key = request.parts[part_index].idempotency_key
        what = f"looking up the slug {slug!r}"
        deadline = self.clock.monotonic() + self.lookup_seconds
        held = read_page(
            lambda: self._by_slug(slug, what), what=what, clock=self.clock, deadline=deadline
        )
        if isinstance(held, CannotTell):
            return held
        for post in held:
            if is_ours(post, key):
                return Found(self._result(post))
        if held:
            return CannotTell(
                f"the slug {slug!r} is held by post {held[0].get('id')}, which is not this story"
            )
        return Absent(Coverage.record_key(f"slug {slug}"))

    # --- the account ------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """The user the Application Password belongs to (``users/me``)."""
        what = "checking the Application Password"
        response = self.http.request(
            "GET", self.route("/users/me"), params={"context": "edit"}, what=what
        )
        if response.status_code != 200:
            raise self._failure(response, what)
        body = json_body(response, platform=self.platform, what=what)
        warnings: list[str] = []
        if str(body.get("username") or body.get("slug") or "") not in ("", self.username):
            warnings.append(
                f"the password belongs to {body.get('username')!r}, not {self.username!r}"
            )
        return AccountInfo(
            platform=self.platform,
            account=self.account,
            remote_id=str(body.get("id") or ""),
            handle=self.username,
            url=str(body.get("link") or self.site),
            warnings=tuple(warnings),
        )


def create(spec: AccountSpec, context: PlatformContext) -> WordPressPublisher:
    return WordPressPublisher(spec, context)
