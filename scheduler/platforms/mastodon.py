"""Mastodon through its client API with requests.

* Every status carries ``Idempotency-Key`` = the part's idempotency key, the same on every
  attempt: Mastodon replays the original status for an hour instead of posting twice.
* Servers that speak the API are not all Mastodon (some ignore the key, close keep-alive
  connections, lack endpoints, send no ``Link`` header), and the replay window is one hour,
  so a create that may have been applied raises OutcomeUnknown and ``find`` reconciles from
  the account's statuses: "absent" only once it has read back past the first attempt.
* Errors are classified by HTTP status and by what the request was, never by the message:
  Mastodon localises ``error``. A 422 on a status that attaches media whose processing has
  not finished (the media endpoint still answers 206) is transient.
* Instance limits come from ``/api/v2/instance`` (falling back to v1), cached per instance.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from scheduler.descriptors import Descriptor, endpoint_of
from scheduler.descriptors.mastodon import MASTODON
from scheduler.errors import ConfigError
from scheduler.platforms import ratelimit
from scheduler.platforms.base import (
    Absent,
    AccountInfo,
    AccountSpec,
    BeforeCreate,
    CannotTell,
    Found,
    Invalid,
    Lookup,
    MediaUpload,
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
    page_coverage,
    read_page,
)
from scheduler.platforms.http import HttpClient, json_body
from scheduler.platforms.mastodon_find import (
    PROGRESS,
    Wanted,
    comparable,
    page_params,
    parse_time,
)
from scheduler.platforms.rules import check_request

PLATFORM = MASTODON.name
STATUSES = "/api/v1/statuses"
MEDIA_WAIT_SECONDS = 60.0  # longest wait for an upload to be processed before giving up
INSTANCE_TTL_SECONDS = 3600.0

_instance_cache: dict[str, tuple[float, Descriptor]] = {}
_instance_lock = threading.Lock()


def clear_instance_cache() -> None:
    with _instance_lock:
        _instance_cache.clear()


def status_body(
    request: PublishRequest, part: PartRequest, parent: str | None, media: list[str]
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/statuses`` for one part (``media``: uploaded ids)."""
    body: dict[str, Any] = {"status": part.text}
    if request.visibility:
        body["visibility"] = request.visibility  # else the account's own default applies
    if media:
        body["media_ids"] = media
    if request.content_warning:
        body["spoiler_text"] = request.content_warning
        body["sensitive"] = True
    if request.language:
        # Mastodon takes ISO 639-1 ("en"), not a regional tag ("en-GB").
        body["language"] = request.language.split("-")[0].split("_")[0].lower()
    if parent is not None:
        body["in_reply_to_id"] = parent
    return body


def status_headers(part: PartRequest) -> dict[str, str]:
    return {"Idempotency-Key": part.idempotency_key} if part.idempotency_key else {}


def media_form(media: MediaUpload) -> dict[str, str]:
    """The form fields of an image upload besides the file."""
    return {"description": media.alt}


def sandbox_body(
    request: PublishRequest, index: int, earlier: Sequence[PartResult], handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """What this publisher would send for part ``index``, for the sandbox's outbox: the
    status body with each upload named by its file, the upload forms (``uploads``) and the
    headers."""
    part = request.parts[index]
    parent = earlier[index - 1].remote_id if index > 0 else None
    body = status_body(request, part, parent, [m.file.name for m in part.media])
    body["uploads"] = [{"file": m.file.name, **media_form(m)} for m in part.media]
    body["headers"] = status_headers(part)
    return body, {}


class MastodonPublisher:
    platform = PLATFORM

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        instance = endpoint_of(spec) if spec.settings.get("instance") else None
        if not instance:
            raise ConfigError(
                f"account {spec.name!r}: no Mastodon instance",
                hint="add `instance: https://your.instance` to the account in the campaign",
            )
        self.account = spec.name
        self.instance = instance
        configured = spec.settings.get("max_chars")
        # The campaign's max_chars is the limit until the instance tells its own.
        self._configured_max = int(configured) if configured and configured.isdigit() else None
        self.rules = MASTODON.with_limit(self._configured_max)
        self._clock = context.clock
        self._lookup_seconds = context.lookup_seconds
        token = context.credentials.require(spec.name, "access_token")["access_token"]
        self.http = HttpClient.for_account(
            context, spec.name, platform=PLATFORM, base_url=instance, bearer=token.reveal()
        )
        self._account_id: str | None = spec.settings.get("account_id")
        self._limits_loaded = False

    def __repr__(self) -> str:
        return f"MastodonPublisher(account={self.account!r}, instance={self.instance!r})"

    def close(self) -> None:
        self.http.close()

    # --- verify and limits ----------------------------------------------------------------

    def verify(self) -> AccountInfo:
        what = "checking the access token"
        response = self.http.request("GET", "/api/v1/accounts/verify_credentials", what=what)
        if response.status_code != 200:
            raise self._failure(response, what=what)
        body = json_body(response, platform=PLATFORM, what=what)
        self._account_id = str(body.get("id", ""))
        return AccountInfo(
            platform=PLATFORM,
            account=self.account,
            remote_id=self._account_id,
            handle=str(body.get("acct", "")),
            url=str(body.get("url", "")),
        )

    def load_limits(self) -> Descriptor:
        """The instance's limits, fetched once per instance and hour; defaults when absent."""
        now = time.monotonic()
        with _instance_lock:
            cached = _instance_cache.get(self.instance)
        if cached is None or now - cached[0] > INSTANCE_TTL_SECONDS:
            cached = (now, self._fetch_limits())
            with _instance_lock:
                _instance_cache[self.instance] = cached
        self.rules = cached[1]
        self._limits_loaded = True
        return self.rules

    def _fetch_limits(self) -> Descriptor:
        base = MASTODON.with_limit(self._configured_max)
        config: dict[str, Any] | None = None
        for path in ("/api/v2/instance", "/api/v1/instance"):
            try:
                response = self.http.request("GET", path, what="reading instance limits")
            except Transient:
                break
            if response.status_code == 200:
                try:
                    body = response.json()
                except ValueError:
                    continue
                if isinstance(body, dict):
                    config = body.get("configuration") or {}
                    if not config and "max_toot_chars" in body:
                        config = {"statuses": {"max_characters": body["max_toot_chars"]}}
                    break
        if not isinstance(config, dict):
            return base
        statuses = config.get("statuses") or {}
        media = config.get("media_attachments") or {}

        def number(section: dict[str, Any], key: str, default: int) -> int:
            value = section.get(key)
            return int(value) if isinstance(value, int | float) and value > 0 else default

        mimes = media.get("supported_mime_types")
        images = (
            tuple(m for m in mimes if m.startswith("image/")) if isinstance(mimes, list) else ()
        )
        limits = base.media
        return replace(
            base,
            max_chars=number(statuses, "max_characters", base.max_chars),
            url_length=number(statuses, "characters_reserved_per_url", base.url_length),
            media=replace(
                limits,
                max_media=number(statuses, "max_media_attachments", limits.max_media),
                max_image_bytes=number(media, "image_size_limit", limits.max_image_bytes),
                max_alt_chars=number(media, "description_limit", limits.max_alt_chars),
                mimes=images or limits.mimes,
            ),
        )

    def preflight(self, request: PublishRequest) -> None:
        check_request(self.rules, request, where=self.instance)

    # --- publish --------------------------------------------------------------------------

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        if not self._limits_loaded:
            self.load_limits()
        self.preflight(request)
        results = list(request.done)
        for index in range(len(request.done), len(request.parts)):
            parent = results[index - 1].remote_id if index > 0 else None
            result = self._publish_part(request, index, parent, before_create)
            results.append(result)
            if on_part is not None:
                on_part(result)
        return PublishResult(tuple(results))

    def _publish_part(
        self,
        request: PublishRequest,
        index: int,
        parent: str | None,
        before_create: BeforeCreate | None = None,
    ) -> PartResult:
        part = request.parts[index]
        media_ids = [self._upload(m, index) for m in part.media]
        if before_create is not None:
            before_create(index)
        body = status_body(request, part, parent, media_ids)
        headers = status_headers(part)
        what = f"posting part {index + 1}"
        for attempt in range(2):
            response = self.http.request(
                "POST",
                STATUSES,
                json=body,
                headers=headers,
                creates=True,
                part_index=index,
                what=what,
            )
            if response.status_code != 422 or not media_ids:
                break
            pending = self._media_pending(media_ids, index)
            if not pending:
                break
            if attempt == 1:
                raise Transient(
                    f"{PLATFORM}: the images of part {index + 1} are still being processed",
                    platform=PLATFORM,
                    status=422,
                    part_index=index,
                    hint="retry in a moment",
                )
            # The server took the upload as done but is still processing it: wait, once.
            for media_id in pending:
                self._wait_for_media(media_id, index)
        if response.status_code != 200:
            raise self._failure(response, what=what, creates=True, part_index=index)
        status = json_body(response, platform=PLATFORM, what=what, creates=True)
        return self._result(status, index)

    @staticmethod
    def _result(status: dict[str, Any], index: int) -> PartResult:
        remote_id = str(status.get("id", ""))
        if not remote_id:
            raise OutcomeUnknown(
                f"{PLATFORM}: part {index + 1} was accepted without a status id",
                platform=PLATFORM,
                part_index=index,
            )
        return PartResult(
            index=index,
            remote_id=remote_id,
            url=str(status.get("url") or status.get("uri") or ""),
        )

    def _failure(
        self, response: Any, *, what: str, creates: bool = False, part_index: int | None = None
    ) -> PublishError:
        hint = None
        if response.status_code == 401:
            hint = (
                f"the access token of {self.account!r} was rejected by {self.instance}: "
                "make a new one and store it"
            )
        return self.http.failure(
            response,
            what=what,
            retry_after=ratelimit.wait(response.headers, self._clock.now(), MASTODON.rate_limits),
            creates=creates,
            part_index=part_index,
            hint=hint,
        )

    # --- media ----------------------------------------------------------------------------

    def _upload(self, media: MediaUpload, index: int) -> str:
        what = f"uploading {media.file.name}"
        try:
            with open(media.file, "rb") as fh:
                response = self.http.request(
                    "POST",
                    "/api/v2/media",
                    files={"file": (media.file.name, fh, media.mime)},
                    data=media_form(media),
                    part_index=index,
                    what=what,
                )
        except OSError as exc:
            raise Invalid(
                f"part {index + 1}: cannot read {media.file}: {exc.strerror}",
                platform=PLATFORM,
                part_index=index,
            ) from exc
        if response.status_code not in (200, 202):
            raise self._failure(response, what=what, part_index=index)
        body = json_body(response, platform=PLATFORM, what=what)
        media_id = str(body.get("id", ""))
        if response.status_code == 202 or body.get("url") is None:
            self._wait_for_media(media_id, index)
        return media_id

    def _wait_for_media(self, media_id: str, index: int) -> None:
        start = self._clock.monotonic()
        delay = 0.5
        while True:
            response = self.http.request(
                "GET", f"/api/v1/media/{media_id}", part_index=index, what="checking an upload"
            )
            if response.status_code == 200:
                return
            if response.status_code == 404:
                return  # a server without this endpoint: try the post and see
            if response.status_code != 206:
                raise self._failure(response, what="processing an upload", part_index=index)
            if self._clock.monotonic() - start >= MEDIA_WAIT_SECONDS:
                raise Transient(
                    f"{PLATFORM}: an image of part {index + 1} is still being processed",
                    platform=PLATFORM,
                    part_index=index,
                )
            self._clock.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _media_pending(self, media_ids: list[str], index: int) -> list[str]:
        """The uploads the media endpoint still reports as processing (206)."""
        pending = []
        for media_id in media_ids:
            try:
                response = self.http.request(
                    "GET", f"/api/v1/media/{media_id}", part_index=index, what="checking an upload"
                )
            except Transient:
                return []
            if response.status_code == 206:
                pending.append(media_id)
        return pending

    # --- reconciliation -------------------------------------------------------------------

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """Look for the part among the account's statuses, newest first, back past the first
        attempt (less a margin for clock skew): same text and CW, replying to the right
        parent. Pages follow the ``Link`` header when the server sends one, else ``max_id``
        from the oldest status seen; the lookup is bounded by time, not by a page count."""
        if self._account_id is None:
            try:
                self.verify()
            except PublishError as exc:
                return CannotTell.because(exc, "reading the account's id")
        part = request.parts[part_index]
        want = Wanted(
            text=comparable(part.text),
            cw=request.content_warning or "",
            parent=(
                request.done[part_index - 1].remote_id
                if 0 < part_index <= len(request.done)
                else None
            ),
        )
        start = (since or request.created_at) - MASTODON.dedupe.clock_margin
        first = f"/api/v1/accounts/{self._account_id}/statuses"
        key = (
            self.instance,
            str(self._account_id),
            part.idempotency_key or want.text,
            want.parent or "",
            start.isoformat(),
        )
        earlier = PROGRESS.recall(key)
        top: str | None = None  # the newest and oldest ids this lookup read
        last: str | None = None
        url, params = first, page_params(None)
        deadline = self._clock.monotonic() + self._lookup_seconds
        pages = 0
        while True:
            if pages and self._clock.monotonic() >= deadline:
                PROGRESS.remember(key, top, last)
                return CannotTell(
                    f"the account's statuses since {start.isoformat(timespec='seconds')} "
                    f"were not all read after {pages} page(s) in {self._lookup_seconds:g} s"
                )
            what = f"reading page {pages + 1} of the account's statuses"
            read = read_page(
                partial(self._page, url, params, part_index, what),
                what=what,
                clock=self._clock,
                deadline=deadline,
            )
            if isinstance(read, CannotTell):
                PROGRESS.remember(key, top, last)
                return read
            response, page = read
            if not isinstance(page, list):
                return CannotTell(f"{what}: the answer was not a list of statuses")
            pages += 1
            for status in page:
                if isinstance(status, dict) and want.matches(status, start):
                    PROGRESS.forget(key)
                    return Found(self._result(status, part_index))
            statuses = [s for s in page if isinstance(s, dict) and s.get("id")]
            if statuses:
                top = top or str(statuses[0]["id"])
                last = str(statuses[-1]["id"])
            oldest = parse_time(statuses[-1].get("created_at")) if statuses else None
            covered = page_coverage(since=start, oldest=oldest, empty=not page, pages=pages)
            if covered is not None:
                PROGRESS.forget(key)
                return Absent(covered)
            if earlier is not None and earlier[0] in {str(s["id"]) for s in statuses}:
                # An earlier lookup read on from here down to its oldest id: skip past it.
                url, params, last, earlier = first, page_params(earlier[1]), earlier[1], None
                continue
            following = response.links.get("next", {}).get("url")
            # The token goes only to the instance: a next link elsewhere is not followed.
            if following and following.startswith(self.instance + "/"):
                url, params = following, {}
            elif statuses:
                # A server without Link headers: page on by the oldest id seen.
                url, params = first, page_params(last)
            else:
                return CannotTell(f"{what}: no way to read the next page")

    def _page(
        self, url: str, params: dict[str, str], part_index: int, what: str
    ) -> tuple[Any, Any]:
        response = self.http.request("GET", url, params=params, part_index=part_index, what=what)
        if response.status_code != 200:
            raise self._failure(response, what=what, part_index=part_index)
        try:
            return response, response.json()
        except ValueError as exc:
            raise Transient(f"{PLATFORM}: {what}: the answer was not JSON") from exc


def create(spec: AccountSpec, context: PlatformContext) -> MastodonPublisher:
    return MastodonPublisher(spec, context)
