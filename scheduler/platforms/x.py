"""The X publisher: tweepy 4.17 ``Client`` for posts, v2 media upload for images and GIFs.

A thread is posted part by part, each a reply (``in_reply_to_tweet_id``) to the one before;
each part is reported through ``on_part`` as soon as X gave it an id, and a later attempt
resumes after ``PublishRequest.done``, replying to the last part that exists.

X has no idempotency key. So:

* a create that may have reached X without a clear answer (5xx, read timeout, connection lost)
  raises OutcomeUnknown, and ``find`` looks for the part among the account's recent posts
  (``GET /2/users/:id/tweets``, posted since the due time minus a margin; ``x_find``): a post
  carrying the media this publisher uploaded for the part is it; otherwise the same text once
  URLs, entities and spacing are normalised, replying to the right parent. A part without
  text can only be told by its media, so only the publisher that uploaded them can find it;
* a 403 "duplicate content" answer is reconciled the same way at once, because it usually
  means an earlier, unanswered attempt went through: if the post is found it is the result,
  otherwise the answer stands as Duplicate.

X has no content-warning, visibility, language or label field, and builds link cards itself
from the first URL: those parts of a request are not sent (the renderer writes a "CW:" line
into the text for platforms without a warning field).

Account settings (non-secret): ``username`` (else read once with ``get_me``), ``user_id``,
``api_base`` (default https://api.x.com; tweepy's hard-coded host is redirected there through
the session), ``token_url`` and ``client_id`` for OAuth 2.0, ``auth`` (oauth1|oauth2),
``find_margin_minutes`` (default: the descriptor's ``Dedupe.clock_margin``), ``threads``:
``reply`` (default) or ``separate``. A campaign file sets only ``username`` and
``reply_settings``; the operator's ``PlatformContext.x_api_base`` wins over ``api_base`` and
``token_url``, so every call and every token refresh goes to the one host the operator named.

Since February 2026 X refuses programmatic replies on self-serve tiers unless the replied-to
author mentioned or quoted the account; whether a reply to one's own post is exempt is not
documented. ``threads: separate`` posts the later parts as standalone posts for accounts where
replies are refused (the refusal itself is a Forbidden naming the part).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import requests
import tweepy

from scheduler.descriptors import endpoint_of
from scheduler.descriptors.x import X
from scheduler.errors import ConfigError
from scheduler.platforms.base import (
    Absent,
    AccountInfo,
    AccountSpec,
    AuthFailed,
    BeforeCreate,
    CannotTell,
    Coverage,
    Duplicate,
    Found,
    Invalid,
    Lookup,
    OutcomeUnknown,
    PartCallback,
    PartRequest,
    PartResult,
    PlatformContext,
    PublishError,
    PublishRequest,
    PublishResult,
    StagedCallback,
    Transient,
    read_page,
)
from scheduler.platforms.rules import check_part
from scheduler.platforms.x_auth import XAuth, auth_for, slug
from scheduler.platforms.x_chunked import MediaProcessingError
from scheduler.platforms.x_errors import Action, classify, raise_for_status
from scheduler.platforms.x_find import Matches, Wanted, normalise, scan
from scheduler.platforms.x_http import DEFAULT_API_BASE, build_session, install_redaction
from scheduler.platforms.x_media import Uploaded, upload_media
from scheduler.platforms.x_sent import SentMedia

T = TypeVar("T")
log = logging.getLogger(__name__)

RULES = X
PUBLIC_BASE = "https://x.com"
FIND_PAGE_SIZE = 100

_FOREIGN = (
    tweepy.TweepyException,
    requests.RequestException,
    MediaProcessingError,
    ValueError,
    KeyError,
    TypeError,
)


def tweet_body(
    request: PublishRequest, part: PartRequest, parent: str | None, media_ids: list[str]
) -> dict[str, Any]:
    """The JSON body of ``POST /2/tweets`` for one part, as the client library sends it."""
    body: dict[str, Any] = {}
    if part.text:
        body["text"] = part.text
    if media_ids:
        body["media"] = {"media_ids": media_ids}
    if parent is not None:
        body["reply"] = {"in_reply_to_tweet_id": parent}
    if request.reply_settings:
        body["reply_settings"] = request.reply_settings
    return body


def sandbox_body(
    request: PublishRequest, index: int, earlier: Sequence[PartResult], handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """What this publisher would send for part ``index``, for the sandbox's outbox: the post
    body with each upload named by its file, and the alt text that follows each upload
    (``uploads``)."""
    part = request.parts[index]
    parent = earlier[index - 1].remote_id if index > 0 else None
    body = tweet_body(request, part, parent, [m.file.name for m in part.media])
    if part.media:
        body["uploads"] = [
            {"id": m.file.name, "metadata": {"alt_text": {"text": m.alt}}} for m in part.media
        ]
    return body, {}


class XPublisher:
    platform = "x"
    rules = RULES

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        self.spec = spec
        self._clock = context.clock
        self._lookup_seconds = context.lookup_seconds
        # The operator's setting wins over the account's own (a test's fake server).
        override = context.x_api_base or spec.settings.get("api_base")
        self.api_base = endpoint_of(spec, override=override) or DEFAULT_API_BASE
        self.session = build_session(
            self.api_base, context.timeout, account=spec.name, gate=context.gate
        )
        self.auth: XAuth = auth_for(spec, context, self.api_base)
        install_redaction(self.auth.secrets())
        self.client = tweepy.Client(return_type=dict, wait_on_rate_limit=False)
        self.client.session = self.session
        self.auth.apply(self.client)
        self._username = (spec.settings.get("username") or "").lstrip("@") or None
        self._user_id = spec.settings.get("user_id") or self.auth.user_id_hint()
        self._threads = spec.settings.get("threads", "reply")
        if self._threads not in ("reply", "separate"):
            raise ConfigError(
                f"account {spec.name!r}: threads must be 'reply' or 'separate', "
                f"not {self._threads!r}"
            )
        minutes = spec.settings.get("find_margin_minutes")
        self._margin = timedelta(minutes=float(minutes)) if minutes else RULES.dedupe.clock_margin
        # The media keys of every create call sent, per part: what ``find`` can prove a post by.
        self._sent = SentMedia(Path(context.state_dir) / f"x-{slug(spec.name)}.sent.json")

    # --- the protocol -------------------------------------------------------------------

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        done = list(request.done)
        if len(done) > len(request.parts):
            raise Invalid(
                f"x: {len(done)} parts are recorded as posted but the thread has "
                f"{len(request.parts)}",
                platform="x",
            )
        self.preflight(request)
        if len(done) == len(request.parts):
            return PublishResult(tuple(done))
        # Known before the first post, so that building a URL can never fail after one.
        self._identity()
        parent = done[-1].remote_id if done else None
        for index in range(len(done), len(request.parts)):
            part = request.parts[index]
            uploaded = [self._upload(m, index) for m in part.media]
            self._remember(request, index, uploaded)
            media_ids = [u.id for u in uploaded]
            if before_create is not None:
                before_create(index)
            result = self._create(request, index, part, parent, media_ids, done)
            done.append(result)
            parent = result.remote_id
            if on_part is not None:
                on_part(result)
        return PublishResult(tuple(done))

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        if not 0 <= part_index < len(request.parts):
            raise Invalid(f"x: the thread has no part {part_index + 1}", platform="x")
        parent = (
            request.done[part_index - 1].remote_id if 0 < part_index <= len(request.done) else None
        )
        return self._search(request, part_index, parent, request.done[:part_index], since)

    def verify(self) -> AccountInfo:
        body = self._call("read", lambda: self.client.get_me(user_auth=self.auth.user_auth))
        data = body.get("data") or {}
        user_id, username = str(data.get("id", "")), str(data.get("username", ""))
        if self._username and username and self._username.lower() != username.lower():
            raise AuthFailed(
                f"x: the credentials of account {self.spec.name!r} belong to @{username}, "
                f"not @{self._username}",
                platform="x",
                hint="fix the account's username setting or its credentials",
            )
        self._user_id, self._username = user_id or self._user_id, username or self._username
        return AccountInfo(
            platform="x",
            account=self.spec.name,
            remote_id=user_id,
            handle=username,
            url=f"{PUBLIC_BASE}/{username}" if username else "",
        )

    def close(self) -> None:
        self.session.close()

    # --- steps --------------------------------------------------------------------------

    def preflight(self, request: PublishRequest) -> None:
        for index in range(len(request.done), len(request.parts)):
            part = request.parts[index]
            if not part.text.strip() and not part.media:
                raise Invalid(f"x: part {index + 1} is empty", platform="x", part_index=index)
            check_part(self.rules, part, index, request.content_warning)

    def _identity(self) -> tuple[str, str]:
        if not (self._user_id and self._username):
            self.verify()
        if not (self._user_id and self._username):
            raise Transient("x: the account's id and username could not be read", platform="x")
        return str(self._user_id), str(self._username)

    def _url(self, tweet_id: str) -> str:
        return RULES.address_of(str(self._username), tweet_id)

    def _upload(self, media: Any, index: int) -> Uploaded:
        def go() -> Uploaded:
            return upload_media(
                self.session,
                self.api_base,
                self.auth.requests_auth(),
                media,
                raise_for_status,
                self._clock,
            )

        return self._call("upload", go, part_index=index)

    def _part_id(self, request: PublishRequest, index: int) -> tuple[str, ...]:
        part = request.parts[index]
        when = request.created_at.isoformat()
        return (request.account, when, str(index), part.idempotency_key or part.text)

    def _remember(self, request: PublishRequest, index: int, uploaded: list[Uploaded]) -> None:
        keys = frozenset(u.key for u in uploaded)
        if not uploaded or "" in keys:
            return
        self._sent.add(self._part_id(request, index), keys)

    def _create(
        self,
        request: PublishRequest,
        index: int,
        part: PartRequest,
        parent: str | None,
        media_ids: list[str],
        done: list[PartResult],
    ) -> PartResult:
        body = tweet_body(request, part, parent if self._threads == "reply" else None, media_ids)
        kwargs: dict[str, Any] = {
            "user_auth": self.auth.user_auth,
            "text": body.get("text"),
            "in_reply_to_tweet_id": body.get("reply", {}).get("in_reply_to_tweet_id"),
            "media_ids": body.get("media", {}).get("media_ids"),
            "reply_settings": body.get("reply_settings"),
        }

        def go() -> str:
            return str(self.client.create_tweet(**kwargs)["data"]["id"])

        try:
            tweet_id = self._call("create", go, part_index=index)
        except Duplicate as dup:
            # Usually our own earlier attempt, whose answer never arrived: look for it.
            found = self._search(request, index, parent, done)
            if isinstance(found, CannotTell):
                raise OutcomeUnknown(
                    f"x: X says part {index + 1} is already posted, and whether it is ours "
                    f"cannot be told: {found.reason}",
                    platform="x",
                    platform_message=dup.platform_message,
                    status=dup.status,
                    part_index=index,
                ) from dup
            if isinstance(found, Found):
                log.info(
                    "x: %s part %d was already posted (%s): an earlier attempt went through",
                    request.account,
                    index + 1,
                    found.part.remote_id,
                )
                return found.part
            raise Duplicate(
                f"x: X refuses part {index + 1} as a duplicate of an earlier post that is not "
                "among this account's posts since the due time",
                platform="x",
                platform_message=dup.platform_message,
                status=dup.status,
                part_index=index,
                hint="change the text, or delete the earlier post on X",
            ) from dup
        return PartResult(index=index, remote_id=tweet_id, url=self._url(tweet_id))

    def _search(
        self,
        request: PublishRequest,
        index: int,
        parent: str | None,
        exclude: list[PartResult] | tuple[PartResult, ...],
        since: datetime | None = None,
    ) -> Lookup:
        """The account's post that is part ``index``, posted since the first attempt (the due
        time when not given) less a margin: every page of the timeline from then to now is
        read (X's ``start_time`` and pagination token), within the lookup's time."""
        try:
            user_id, _ = self._identity()
        except PublishError as exc:
            return CannotTell.because(exc, "reading the account's id")
        part, part_id = request.parts[index], self._part_id(request, index)
        wanted = Wanted(
            text=normalise(part.text),
            media=len(part.media),
            sent=self._sent.of(part_id),
            others=self._sent.others(part_id),
            standalone=index == 0 or self._threads == "separate",
            parent=parent,
            since=(since or request.created_at) - self._margin,
            skip=frozenset(p.remote_id for p in exclude),
        )
        found = Matches()
        token: str | None = None
        deadline = self._clock.monotonic() + self._lookup_seconds
        pages = 0
        while True:
            if pages and self._clock.monotonic() >= deadline:
                if found.by_text and not wanted.media_only:
                    break  # the post is there; only which copy is earliest is uncertain
                return CannotTell(
                    f"x: the account's posts since {wanted.since.isoformat(timespec='seconds')} "
                    f"were not all read after {pages} page(s) in {self._lookup_seconds:g} s"
                )
            params: dict[str, Any] = {
                "start_time": wanted.since,
                "max_results": FIND_PAGE_SIZE,
                "tweet_fields": ["created_at", "referenced_tweets", "attachments"],
                "user_auth": self.auth.user_auth,
            }
            if token:
                params["pagination_token"] = token
            body = read_page(
                partial(self._read_timeline, user_id, params),
                what=f"reading page {pages + 1} of the timeline",
                clock=self._clock,
                deadline=deadline,
            )
            if isinstance(body, CannotTell):
                return body
            pages += 1
            scan(body.get("data") or [], wanted, request.created_at, found)
            if found.by_keys:
                break  # proof by media keys: nothing later can change the answer
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break  # the listing since ``start_time`` ended: the interval is covered
        if found.by_keys:
            _, tid = min(found.by_keys)
        elif not found.by_text:
            return Absent(Coverage.listing_ended(wanted.since, pages))
        elif wanted.media_only:
            return CannotTell(
                f"x: part {index + 1} has no text, and the account has posts with only "
                f"{wanted.media} media item(s) since the due time; without the media ids of "
                "the attempt that may have posted it, which one is ours cannot be told"
            )
        else:
            _, tid = min(found.by_text)  # the earliest: an accidental copy is not ours to claim
        return Found(PartResult(index=index, remote_id=tid, url=self._url(tid)))

    # --- calling X ----------------------------------------------------------------------

    def _read_timeline(self, user_id: str, params: dict[str, Any]) -> dict[str, Any]:
        def go() -> dict[str, Any]:
            body: dict[str, Any] = self.client.get_users_tweets(user_id, **params)
            return body

        return self._call("read", go)

    def _call(self, action: Action, fn: Callable[[], T], *, part_index: int | None = None) -> T:
        """Run one X call; refresh an OAuth 2.0 token once on expiry; classify failures."""
        if self.auth.needs_refresh():
            self._refresh(None)
        for attempt in range(2):
            token = self.auth.current_token()
            try:
                return fn()
            except tweepy.Unauthorized as exc:
                # A 401 means nothing was applied, so the same call may be sent again.
                if attempt == 0 and self.auth.can_refresh():
                    self._refresh(token)
                    continue
                raise classify(
                    exc,
                    action=action,
                    now=self._clock.now(),
                    part_index=part_index,
                    secrets=self.auth.secrets(),
                ) from exc
            except _FOREIGN as exc:
                raise classify(
                    exc,
                    action=action,
                    now=self._clock.now(),
                    part_index=part_index,
                    secrets=self.auth.secrets(),
                ) from exc
        raise AssertionError("unreachable")

    def _refresh(self, failed_token: str | None) -> None:
        self.auth.refresh(self.session, failed_token=failed_token)
        self.auth.apply(self.client)
        install_redaction(self.auth.secrets())


def create(spec: AccountSpec, context: PlatformContext) -> XPublisher:
    return XPublisher(spec, context)
