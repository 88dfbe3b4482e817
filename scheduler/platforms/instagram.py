"""Instagram's publisher: single images and carousels through the Content Publishing API.

A post is made in two steps. A container is created (``POST /{user}/media`` with the
image's public URL, its alt text and the caption; a carousel first makes one child container
per image, then a ``CAROUSEL`` container naming them), Instagram fetches the images and the
container's ``status_code`` turns ``FINISHED``; then ``POST /{user}/media_publish`` makes it
a post. Instagram takes no idempotency key, so the container id is handed to ``on_staged``
(the daemon keeps it in the ledger) before the publish call, and a later attempt asks that
container's status first: ``PUBLISHED`` means the post exists, ``FINISHED`` that the same
container can be published, ``EXPIRED`` or ``ERROR`` that a new one must be built.

Images are not uploaded: Instagram fetches them from the operator's public media host
(``PlatformContext.public_media``).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from scheduler.descriptors import endpoint_of
from scheduler.descriptors.instagram import API_VERSION, FACEBOOK_LOGIN_HOST, INSTAGRAM
from scheduler.errors import ConfigError
from scheduler.platforms import graph, renewal
from scheduler.platforms.base import (
    AccountInfo,
    AccountSpec,
    BeforeCreate,
    Found,
    Invalid,
    Lookup,
    OutcomeUnknown,
    PartCallback,
    PartResult,
    PlatformContext,
    PublishError,
    PublishRequest,
    PublishResult,
    StagedCallback,
    Transient,
)
from scheduler.platforms.http import HttpClient, json_body
from scheduler.platforms.instagram_find import MediaLister, find_part
from scheduler.platforms.rules import check_request
from scheduler.redact import filter_loggers, register
from scheduler.settings import Secret

__all__ = ["InstagramPublisher", "RenewableInstagramPublisher", "create", "sandbox_body"]

log = logging.getLogger("scheduler.platforms.instagram")
URL_LOGGERS = ("scheduler.platforms.http", "urllib3", "urllib3.connectionpool")

# Meta asks to poll a container about once a minute for at most five minutes (the account's
# ``container_wait``, INSTAGRAM.polls_for); images are usually ready within seconds, so the
# first looks come sooner.
POLL_FIRST = 2.0
POLL_MAX = 60.0
# What a container's ``status_code`` says.
IN_PROGRESS, FINISHED, PUBLISHED = "IN_PROGRESS", "FINISHED", "PUBLISHED"
EXPIRED, ERROR = "EXPIRED", "ERROR"
_USER_ID = re.compile(r"^\d{5,25}$")
_VERSION = re.compile(r"^v\d{1,3}\.\d$")


def caption_of(request: PublishRequest) -> str:
    """The caption as sent: the part's text (a content warning is already its first line)."""
    return request.parts[0].text


def container_fields(
    request: PublishRequest, image_urls: list[str]
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(the child containers, the container to publish) for one post whose images are at
    ``image_urls``, in order: one image is one container, several are a carousel."""
    media = request.parts[0].media
    if len(image_urls) == 1:
        return [], {
            "image_url": image_urls[0],
            "alt_text": media[0].alt,
            "caption": caption_of(request),
        }
    children = [
        {"image_url": url, "is_carousel_item": "true", "alt_text": m.alt}
        for url, m in zip(image_urls, media, strict=True)
    ]
    return children, {"media_type": "CAROUSEL", "caption": caption_of(request)}


def sandbox_body(
    request: PublishRequest, index: int, earlier: Any, handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The container as the publisher would create it; an image's name stands for its URL."""
    children, fields = container_fields(request, [m.file.name for m in request.parts[0].media])
    body: dict[str, Any] = dict(fields)
    if children:
        body["children"] = children
    return body, {}


class InstagramPublisher:
    platform = INSTAGRAM.name
    rules = INSTAGRAM

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        self.account = spec.name
        self.user_id = spec.settings.get("user_id") or ""
        if not _USER_ID.match(self.user_id):
            raise ConfigError(
                f"account {spec.name!r}: user_id {self.user_id!r} is not an Instagram user id",
                hint="use the numeric id of the professional account (see the README)",
            )
        version = spec.settings.get("version") or API_VERSION
        if not _VERSION.match(version):
            raise ConfigError(
                f"account {spec.name!r}: version {version!r} is not a Graph API version",
                hint=f"write it as {API_VERSION}",
            )
        self.host = endpoint_of(spec) or ""
        self.username = spec.settings.get("username") or ""
        self.poll_for = INSTAGRAM.polls_for(spec.settings)
        self.clock = context.clock
        self.lookup_seconds = context.lookup_seconds
        self.public_media = context.public_media
        self.credentials = context.credentials
        self.state_dir = context.state_dir
        self.token = renewal.current(context.credentials, context.state_dir, spec.name)
        self.http = HttpClient.for_account(
            context,
            spec.name,
            platform=self.platform,
            base_url=f"{self.host}/{version}",
            bearer=self.token.value.reveal(),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account={self.account!r})"

    def close(self) -> None:
        self.http.close()

    def preflight(self, request: PublishRequest) -> None:
        check_request(self.rules, request)

    def _take_renewed_token(self) -> None:
        """Use the newest token: the daemon may have renewed it since this was built."""
        token = renewal.current(self.credentials, self.state_dir, self.account)
        if token.value.reveal() != self.token.value.reveal():
            self.token = token
            self.http.use_bearer(token.value.reveal())

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
        self._take_renewed_token()
        container = self._earlier_container(request)
        if isinstance(container, PartResult):
            result = container
        else:
            if container is None:
                container = self._build(request)
                if on_staged is not None:
                    on_staged(0, container)
            self._wait_until_finished(container)
            if before_create is not None:
                before_create(0)
            result = self._publish_container(container)
        if on_part is not None:
            on_part(result)
        if request.first_comment:
            failure = self.comment(result.remote_id, request.first_comment)
            if failure is not None:
                return PublishResult(
                    (result,), notes=(f"its first comment was not posted: {failure}",)
                )
        return PublishResult((result,))

    def _earlier_container(self, request: PublishRequest) -> str | PartResult | None:
        """What an earlier attempt left: the post itself when its container was published,
        the container when it can still be published, None when a new one is needed."""
        staged = request.staged.get(0)
        if not staged:
            return None
        status = self.status(staged)
        if status == PUBLISHED:
            found = find_part(self._lister(), request, 0, request.created_at, staged=staged)
            if isinstance(found, Found):
                return found.part
            raise OutcomeUnknown(
                f"{self.platform}: container {staged} was published, but the post cannot be "
                f"read yet ({found})",
                platform=self.platform,
                part_index=0,
                hint="look for it on the account before trying again",
            )
        if status in (FINISHED, IN_PROGRESS):
            return staged
        return None  # EXPIRED or ERROR: nothing was published from it

    def _build(self, request: PublishRequest) -> str:
        if self.public_media is None:
            raise ConfigError(
                f"account {self.account!r}: Instagram fetches images from a public address, "
                "and none is configured",
                hint="set SCHEDULER_MEDIA_HOST (s3, or site for the review site over https) "
                "and its settings; see the README",
            )
        urls = [self.public_media.url_for(m, account=self.account) for m in request.parts[0].media]
        children, fields = container_fields(request, urls)
        if children:
            ids = [
                self._container(child, f"preparing image {i + 1}")
                for i, child in enumerate(children)
            ]
            # A carousel names only children Instagram has finished fetching.
            for child_id in ids:
                self._wait_until_finished(child_id)
            fields = {**fields, "children": ",".join(ids)}
        return self._container(fields, "preparing the post")

    def _container(self, fields: dict[str, str], what: str) -> str:
        response = self.http.request(
            "POST", f"/{self.user_id}/media", data=fields, what=what, part_index=0
        )
        if response.status_code != 200:
            raise self._failure(response, what)
        container = json_body(response, platform=self.platform, what=what).get("id")
        if not isinstance(container, str | int) or not str(container):
            raise Transient(
                f"{self.platform}: {what} answered without an id",
                platform=self.platform,
                part_index=0,
            )
        return str(container)

    def status(self, container: str) -> str:
        """A container's ``status_code``."""
        what = f"asking about container {container}"
        response = self.http.request(
            "GET",
            f"/{container}",
            params={"fields": "id,status_code,status"},
            what=what,
            part_index=0,
        )
        if response.status_code != 200:
            raise self._failure(response, what)
        return str(json_body(response, platform=self.platform, what=what).get("status_code") or "")

    def _wait_until_finished(self, container: str) -> None:
        """Poll the container on the injected clock until Instagram has fetched its images."""
        deadline = self.clock.monotonic() + self.poll_for
        delay = POLL_FIRST
        while True:
            status = self.status(container)
            if status == FINISHED:
                return
            if status == PUBLISHED:
                return  # publishing it again answers with the same post's id
            if status in (ERROR, EXPIRED):
                raise Transient(
                    f"{self.platform}: container {container} is {status}; a new one is built "
                    "on the next attempt",
                    platform=self.platform,
                    part_index=0,
                    hint="if it keeps failing, check that the image opens at its public address",
                )
            if self.clock.monotonic() + delay > deadline:
                raise Transient(
                    f"{self.platform}: container {container} still {status or 'unknown'} after "
                    f"{self.poll_for:g} s",
                    platform=self.platform,
                    part_index=0,
                    hint="Instagram is slow to fetch the image; the next attempt asks again",
                )
            self.clock.sleep(delay)
            delay = min(delay * 2, POLL_MAX)

    def _publish_container(self, container: str) -> PartResult:
        what = "publishing the post"
        response = self.http.request(
            "POST",
            f"/{self.user_id}/media_publish",
            data={"creation_id": container},
            creates=True,
            part_index=0,
            what=what,
        )
        if response.status_code != 200:
            raise self._failure(response, what, creates=True)
        media_id = json_body(response, platform=self.platform, what=what, creates=True).get("id")
        if not isinstance(media_id, str | int) or not str(media_id):
            raise OutcomeUnknown(
                f"{self.platform}: the post was published without its id",
                platform=self.platform,
                status=response.status_code,
                part_index=0,
                hint="look for it on the account before trying again",
            )
        return PartResult(index=0, remote_id=str(media_id), url=self.permalink(str(media_id)))

    def comment(self, media_id: str, message: str) -> str | None:
        """Post the first comment under the post; None when it was posted, else why not. At
        most once: the post is already recorded, and a comment whose answer is lost is not
        tried again (a second copy under a campaign's post is worse than none), so the post
        stands and a person is told."""
        what = "posting the first comment"
        try:
            response = self.http.request(
                "POST", f"/{media_id}/comments", data={"message": message}, what=what
            )
        except PublishError as exc:
            log.warning("%s: %s: %s", self.account, what, exc.message)
            return exc.message
        if response.status_code != 200:
            error = self._failure(response, what)
            log.warning("%s: %s: %s", self.account, what, error.message)
            return error.message + (f" ({error.hint})" if error.hint else "")
        return None

    def permalink(self, media_id: str) -> str:
        """The post's address; the profile's when Instagram cannot say yet (the post exists,
        and must be recorded whatever this read does)."""
        fallback = f"https://www.instagram.com/{self.username}/" if self.username else ""
        try:
            response = self.http.request(
                "GET", f"/{media_id}", params={"fields": "permalink"}, what="reading the address"
            )
        except PublishError:
            return fallback
        if response.status_code != 200:
            return fallback
        try:
            link = response.json().get("permalink")
        except (ValueError, AttributeError):
            return fallback
        return link if isinstance(link, str) and link else fallback

    def _failure(
        self, response: requests.Response, what: str, *, creates: bool = False
    ) -> PublishError:
        return graph.failure(
            self.http,
            response,
            what=what,
            clock=self.clock,
            limits=INSTAGRAM.rate_limits,
            creates=creates,
            part_index=0,
        )

    # --- reconciliation ---------------------------------------------------------------------

    def _lister(self) -> MediaLister:
        return MediaLister(self.http, self.user_id, self.clock, self.lookup_seconds, self._failure)

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        self._take_renewed_token()
        return find_part(
            self._lister(),
            request,
            part_index,
            since or request.created_at,
            staged=request.staged.get(part_index),
            status=self.status,
        )

    # --- the account ------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """The account the token reaches, and how much of the day's publishing is used."""
        what = "checking the token"
        self._take_renewed_token()
        response = self.http.request(
            "GET", f"/{self.user_id}", params={"fields": "id,username"}, what=what
        )
        if response.status_code != 200:
            raise self._failure(response, what)
        body = json_body(response, platform=self.platform, what=what)
        handle = str(body.get("username") or self.username)
        warnings: list[str] = []
        used = self._publishing_used()
        if used is not None and used >= INSTAGRAM.rate_limits.quotas[0].requests:
            warnings.append(f"{used} posts published in the last 24 hours: none more until then")
        return AccountInfo(
            platform=self.platform,
            account=self.account,
            remote_id=str(body.get("id") or self.user_id),
            handle=handle,
            url=f"https://www.instagram.com/{handle}/" if handle else "",
            warnings=tuple(warnings),
            expires_at=self.token.expires_at,
        )

    def _publishing_used(self) -> int | None:
        """``content_publishing_limit``'s count of posts in the last 24 hours; None when it
        cannot be read (it only adds a warning)."""
        try:
            response = self.http.request(
                "GET",
                f"/{self.user_id}/content_publishing_limit",
                params={"fields": "quota_usage"},
                what="reading the publishing limit",
            )
            data = response.json().get("data") if response.status_code == 200 else None
        except (PublishError, ValueError, AttributeError):
            return None
        if isinstance(data, list) and data and isinstance(data[0], dict):
            used = data[0].get("quota_usage")
            return used if isinstance(used, int) else None
        return None


class RenewableInstagramPublisher(InstagramPublisher):
    """Instagram Login's tokens: refreshed for 60 more days once they are a day old."""

    def renew(self) -> datetime | None:
        what = "renewing the token"
        # The refresh endpoint takes the token in the query string, which the HTTP loggers
        # print at debug level: they pass the one redaction first.
        filter_loggers(URL_LOGGERS)
        response = self.http.request(
            "GET",
            f"{self.host}/refresh_access_token",
            params={"grant_type": "ig_refresh_token", "access_token": self.token.value.reveal()},
            what=what,
        )
        if response.status_code != 200:
            raise self._failure(response, what)
        body = json_body(response, platform=self.platform, what=what)
        value, seconds = body.get("access_token"), body.get("expires_in")
        if not isinstance(value, str) or not value:
            raise Invalid(
                f"{self.platform}: {what} answered without a token", platform=self.platform
            )
        register(value)
        now = self.clock.now().astimezone(UTC)
        expires = now + timedelta(seconds=seconds) if isinstance(seconds, int | float) else None
        token = renewal.Token(Secret(value), expires, now, renewed=True)
        renewal.save(self.state_dir, self.account, token)
        self.token = token
        self.http.use_bearer(value)
        return expires


def create(spec: AccountSpec, context: PlatformContext) -> InstagramPublisher:
    if (endpoint_of(spec) or "").rstrip("/") == FACEBOOK_LOGIN_HOST:
        # A Facebook Login token is renewed by signing in again, not by this API.
        return InstagramPublisher(spec, context)
    return RenewableInstagramPublisher(spec, context)
