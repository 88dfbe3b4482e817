"""Mastodon through its client API with requests.

* Every status carries ``Idempotency-Key`` = the part's idempotency key, the same on every
  attempt: Mastodon replays the original status for an hour instead of posting twice.
* Servers that speak the API are not all Mastodon (some ignore the key, close keep-alive
  connections, lack endpoints), and the replay window is one hour, so a create that may have
  been applied raises OutcomeUnknown and ``find`` reconciles from the account's statuses.
* Errors are classified by HTTP status and by what the request was, never by the message:
  Mastodon localises ``error``. A 422 on a status that attaches media whose processing has
  not finished (the media endpoint still answers 206) is transient.
* Instance limits come from ``/api/v2/instance`` (falling back to v1), cached per instance.
"""

from __future__ import annotations

import html
import re
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from scheduler.errors import ConfigError
from scheduler.platforms import ratelimit
from scheduler.platforms.base import (
    AccountInfo,
    AccountSpec,
    BeforeCreate,
    Invalid,
    MediaUpload,
    OutcomeUnknown,
    PartCallback,
    PartRequest,
    PartResult,
    PlatformContext,
    PlatformRules,
    PublishError,
    PublishRequest,
    PublishResult,
    Transient,
)
from scheduler.platforms.http import HttpClient, Redactor, json_body
from scheduler.platforms.rules import check_part, rules_for

PLATFORM = "mastodon"
STATUSES = "/api/v1/statuses"
MEDIA_WAIT_SECONDS = 60.0  # longest wait for an upload to be processed before giving up
INSTANCE_TTL_SECONDS = 3600.0
FIND_PAGES = 3  # of 40 statuses: how far back reconciliation looks
FIND_MARGIN = timedelta(minutes=10)

_instance_cache: dict[str, tuple[float, PlatformRules, int]] = {}
_instance_lock = threading.Lock()


def clear_instance_cache() -> None:
    with _instance_lock:
        _instance_cache.clear()


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


class MastodonPublisher:
    platform = PLATFORM

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        instance = (spec.settings.get("instance") or "").rstrip("/")
        if not instance:
            raise ConfigError(
                f"account {spec.name!r}: no Mastodon instance",
                hint="add `instance: https://your.instance` to the account in the campaign",
            )
        if not instance.startswith(("http://", "https://")):
            instance = "https://" + instance
        self.account = spec.name
        self.instance = instance
        configured = spec.settings.get("max_chars")
        # The campaign's max_chars is the limit until the instance tells its own.
        self._configured_max = int(configured) if configured and configured.isdigit() else None
        self.rules = rules_for(PLATFORM, max_chars=self._configured_max)
        self._url_length = 23
        self._clock = context.clock
        token = context.credentials.require(spec.name, "access_token")["access_token"]
        self._redact = Redactor([token])
        self.http = HttpClient(
            platform=PLATFORM,
            base_url=instance,
            timeout=context.timeout,
            redact=self._redact,
            headers={"Authorization": f"Bearer {token.reveal()}"},
            account=spec.name,
            gate=context.gate,
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

    def load_limits(self) -> PlatformRules:
        """The instance's limits, fetched once per instance and hour; defaults when absent."""
        now = time.monotonic()
        with _instance_lock:
            cached = _instance_cache.get(self.instance)
        if cached is None or now - cached[0] > INSTANCE_TTL_SECONDS:
            rules, url_length = self._fetch_limits()
            cached = (now, rules, url_length)
            with _instance_lock:
                _instance_cache[self.instance] = cached
        self.rules, self._url_length = cached[1], cached[2]
        self._limits_loaded = True
        return self.rules

    def _fetch_limits(self) -> tuple[PlatformRules, int]:
        base = rules_for(PLATFORM, max_chars=self._configured_max)
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
            return base, 23
        statuses = config.get("statuses") or {}
        media = config.get("media_attachments") or {}

        def number(section: dict[str, Any], key: str, default: int) -> int:
            value = section.get(key)
            return int(value) if isinstance(value, int | float) and value > 0 else default

        mimes = media.get("supported_mime_types")
        images = (
            tuple(m for m in mimes if m.startswith("image/")) if isinstance(mimes, list) else ()
        )
        rules = replace(
            base,
            max_chars=number(statuses, "max_characters", base.max_chars),
            max_media=number(statuses, "max_media_attachments", base.max_media),
            max_image_bytes=number(media, "image_size_limit", base.max_image_bytes),
            max_alt_chars=number(media, "description_limit", base.max_alt_chars),
            image_mimes=images or base.image_mimes,
        )
        return rules, number(statuses, "characters_reserved_per_url", 23)

    def _check(self, request: PublishRequest) -> None:
        for index in range(len(request.done), len(request.parts)):
            check_part(
                self.rules,
                request.parts[index],
                index,
                request.content_warning,
                url_length=self._url_length,
                where=self.instance,
            )

    # --- publish --------------------------------------------------------------------------

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
    ) -> PublishResult:
        if not self._limits_loaded:
            self.load_limits()
        self._check(request)
        results = list(request.done)
        for index in range(len(request.done), len(request.parts)):
            parent = results[index - 1].remote_id if index > 0 else None
            result = self._publish_part(request, index, parent, before_create)
            results.append(result)
            if on_part is not None:
                on_part(result)
        return PublishResult(tuple(results))

    def _status_body(
        self, request: PublishRequest, part: PartRequest, parent: str | None, media: list[str]
    ) -> dict[str, Any]:
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
        body = self._status_body(request, part, parent, media_ids)
        headers = {"Idempotency-Key": part.idempotency_key} if part.idempotency_key else {}
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
            retry_after=ratelimit.wait(response.headers, self._clock.now()),
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
                    data={"description": media.alt},
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

    def find(self, request: PublishRequest, part_index: int) -> PartResult | None:
        """Look for the part among the account's recent statuses: same text and CW, replying
        to the right parent, created no earlier than shortly before the due time."""
        if self._account_id is None:
            try:
                self.verify()
            except (Transient, OutcomeUnknown) as exc:
                raise OutcomeUnknown(
                    f"{PLATFORM}: cannot look for part {part_index + 1} now ({exc.message})",
                    platform=PLATFORM,
                    part_index=part_index,
                ) from exc
        part = request.parts[part_index]
        want_text = comparable(part.text)
        want_cw = request.content_warning or ""
        want_parent = None
        if part_index > 0 and len(request.done) >= part_index:
            want_parent = request.done[part_index - 1].remote_id
        since = request.created_at - FIND_MARGIN
        url: str | None = (
            f"/api/v1/accounts/{self._account_id}/statuses?limit=40&exclude_reblogs=true"
        )
        for _ in range(FIND_PAGES):
            if url is None:
                break
            what = "reading the account's statuses"
            try:
                response = self.http.request("GET", url, part_index=part_index, what=what)
            except Transient as exc:
                raise OutcomeUnknown(
                    f"{PLATFORM}: cannot look for part {part_index + 1} now ({exc.message})",
                    platform=PLATFORM,
                    part_index=part_index,
                ) from exc
            if response.status_code != 200:
                error = self._failure(response, what=what, part_index=part_index)
                raise OutcomeUnknown(
                    f"{PLATFORM}: cannot look for part {part_index + 1} now ({error.message})",
                    platform=PLATFORM,
                    part_index=part_index,
                ) from error
            page = response.json()
            if not isinstance(page, list) or not page:
                break
            for status in page:
                if not isinstance(status, dict):
                    continue
                if plain_text(str(status.get("content", ""))) != want_text:
                    continue
                if (status.get("spoiler_text") or "") != want_cw:
                    continue
                if want_parent is not None and str(status.get("in_reply_to_id")) != want_parent:
                    continue
                created = _parse_time(status.get("created_at"))
                if created is not None and created < since:
                    continue  # the same words posted before this post was due: not ours
                return self._result(status, part_index)
            oldest = _parse_time(page[-1].get("created_at"))
            if oldest is not None and oldest < since:
                break
            url = response.links.get("next", {}).get("url")
        return None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def create(spec: AccountSpec, context: PlatformContext) -> MastodonPublisher:
    return MastodonPublisher(spec, context)
