"""Bluesky (AT Protocol) through XRPC with requests.

* One session per account, kept in ``<state_dir>/bluesky/<account>.json`` (mode 600) and
  reused across runs: createSession is slow and limited to 30 per 5 minutes. An expired
  access token (HTTP 400 ``ExpiredToken``) is refreshed with refreshSession; a new session
  is created only when the refresh fails.
* Each draft part has a fixed record key (a TID from the due time and the idempotency key),
  the same on every attempt. The reference PDS answers a create at an existing key with a
  plain 500, so after any 5xx, timeout or dropped connection on createRecord, getRecord on
  that key decides: the record exists (posted) or not (retry with the same key).
* Facets carry UTF-8 byte offsets; mentions are resolved to DIDs at publish time and left as
  plain text when the handle does not resolve.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from scheduler.descriptors import endpoint_of
from scheduler.descriptors.bluesky import BLUESKY
from scheduler.errors import ConfigError
from scheduler.platforms import atproto, ratelimit
from scheduler.platforms.base import (
    Absent,
    AccountInfo,
    AccountSpec,
    AuthFailed,
    BeforeCreate,
    CannotTell,
    Coverage,
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
)
from scheduler.platforms.bluesky_body import post_record, sandbox_body
from scheduler.platforms.http import (
    HttpClient,
    error_text,
    json_body,
)
from scheduler.platforms.rules import check_request
from scheduler.platforms.sandbox import folder_name
from scheduler.platforms.statefile import write_private
from scheduler.redact import register

PLATFORM = BLUESKY.name
TOKEN_ERRORS = ("ExpiredToken", "InvalidToken")


@dataclass
class Session:
    access: str = field(repr=False)
    refresh: str = field(repr=False)
    did: str = ""
    handle: str = ""


__all__ = ["BlueskyPublisher", "create", "post_record", "sandbox_body"]


class BlueskyPublisher:
    platform = PLATFORM

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        self.account = spec.name
        self.identifier = spec.settings.get("handle") or spec.settings.get("identifier") or ""
        if not self.identifier:
            raise ConfigError(
                f"account {spec.name!r}: no Bluesky handle",
                hint="add `handle: you.bsky.social` to the account in the campaign",
            )
        service = endpoint_of(spec) or ""
        self.service = service
        self.rules = BLUESKY
        self._clock = context.clock
        self._password = context.credentials.require(spec.name, "app_password")["app_password"]
        register(self._password.reveal())
        self.http = HttpClient.for_account(context, spec.name, platform=PLATFORM, base_url=service)
        self._session_file = Path(context.state_dir) / PLATFORM / f"{folder_name(spec.name)}.json"
        self._session: Session | None = None
        self._dids: dict[str, str | None] = {}

    def __repr__(self) -> str:
        return f"BlueskyPublisher(account={self.account!r}, service={self.service!r})"

    def close(self) -> None:
        self.http.close()

    # --- the session ----------------------------------------------------------------------

    def _load_session(self) -> Session | None:
        try:
            data = json.loads(self._session_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("service") != self.service or data.get("identifier") != self.identifier:
            return None
        try:
            session = Session(data["accessJwt"], data["refreshJwt"], data["did"], data["handle"])
        except (KeyError, TypeError):
            return None
        register(session.access, session.refresh)
        return session

    def _save_session(self, body: dict[str, Any]) -> Session:
        try:
            session = Session(
                str(body["accessJwt"]),
                str(body["refreshJwt"]),
                str(body["did"]),
                str(body.get("handle") or self.identifier),
            )
        except KeyError as exc:
            raise Transient(
                f"{PLATFORM}: the session answer lacks {exc}", platform=PLATFORM
            ) from exc
        register(session.access, session.refresh)
        document = {
            "service": self.service,
            "identifier": self.identifier,
            "accessJwt": session.access,
            "refreshJwt": session.refresh,
            "did": session.did,
            "handle": session.handle,
        }
        folder = self._session_file.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                folder.chmod(0o700)
            write_private(self._session_file, json.dumps(document).encode("utf-8"))
        except OSError as exc:
            # The session still works for this run; the next run logs in again.
            raise ConfigError(
                f"cannot keep the Bluesky session in {folder}: {exc.strerror}",
                hint="make the state directory writable",
            ) from exc
        self._session = session
        return session

    def _create_session(self) -> Session:
        what = "signing in"
        response = self.http.request(
            "POST",
            "/xrpc/com.atproto.server.createSession",
            json={"identifier": self.identifier, "password": self._password.reveal()},
            what=what,
        )
        if response.status_code != 200:
            code, _ = error_text(response)
            if response.status_code in (400, 401) and code != "RateLimitExceeded":
                raise self._failure(
                    response,
                    what=what,
                    override=AuthFailed,
                    hint=f"Bluesky refused the handle {self.identifier!r} or its app password: "
                    "make a new app password and store it",
                )
            raise self._failure(response, what=what)
        return self._save_session(json_body(response, platform=PLATFORM, what=what))

    def _refresh_session(self, session: Session) -> Session:
        response = self.http.request(
            "POST",
            "/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {session.refresh}"},
            what="refreshing the session",
        )
        if response.status_code == 200:
            return self._save_session(json_body(response, platform=PLATFORM, what="refreshing"))
        if response.status_code == 429 or response.status_code >= 500:
            raise self._failure(response, what="refreshing the session")
        return self._create_session()

    def session(self) -> Session:
        if self._session is None:
            self._session = self._load_session() or self._create_session()
        return self._session

    def _call(
        self, method: str, nsid: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        """An authenticated XRPC call; an expired or invalid token is renewed once."""
        session = self.session()
        for attempt in range(2):
            merged = {**(headers or {}), "Authorization": f"Bearer {session.access}"}
            response = self.http.request(method, f"/xrpc/{nsid}", headers=merged, **kwargs)
            if (
                attempt == 0
                and response.status_code in (400, 401)
                and error_text(response)[0] in TOKEN_ERRORS
            ):
                session = self._refresh_session(session)
                continue
            return response
        return response

    def _failure(
        self,
        response: requests.Response,
        *,
        what: str,
        creates: bool = False,
        part_index: int | None = None,
        override: type[PublishError] | None = None,
        hint: str | None = None,
    ) -> PublishError:
        code, _ = error_text(response)
        if override is None and code in TOKEN_ERRORS:
            override = AuthFailed
            hint = hint or "the Bluesky session could not be renewed: check the app password"
        return self.http.failure(
            response,
            what=what,
            retry_after=ratelimit.wait(response.headers, self._clock.now(), BLUESKY.rate_limits),
            creates=creates,
            part_index=part_index,
            override=override,
            hint=hint,
        )

    # --- verify ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        what = "checking the session"
        response = self._call("GET", "com.atproto.server.getSession", what=what)
        if response.status_code != 200:
            raise self._failure(response, what=what)
        body = json_body(response, platform=PLATFORM, what=what)
        did = str(body.get("did", ""))
        handle = str(body.get("handle", ""))
        session = self._session
        return AccountInfo(
            platform=PLATFORM,
            account=self.account,
            remote_id=did,
            handle=handle,
            url=f"https://bsky.app/profile/{handle or did}",
            warnings=atproto.sign_in_warnings(session.access) if session else (),
        )

    # --- publish --------------------------------------------------------------------------

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        self.preflight(request)
        results = list(request.done)
        for index in range(len(request.done), len(request.parts)):
            result = self._publish_part(request, index, results, before_create)
            results.append(result)
            if on_part is not None:
                on_part(result)
        return PublishResult(tuple(results))

    def preflight(self, request: PublishRequest) -> None:
        check_request(self.rules, request)

    def rkey(self, request: PublishRequest, index: int) -> str:
        key = request.parts[index].idempotency_key
        if not key:
            raise Invalid(
                f"{PLATFORM}: part {index + 1} has no idempotency key",
                platform=PLATFORM,
                part_index=index,
            )
        return atproto.record_key(request.created_at, key, index)

    def _publish_part(
        self,
        request: PublishRequest,
        index: int,
        earlier: list[PartResult],
        before_create: BeforeCreate | None = None,
    ) -> PartResult:
        part = request.parts[index]
        session = self.session()
        rkey = self.rkey(request, index)
        reply = None
        if index > 0:
            reply = (self._ref(earlier[0], index), self._ref(earlier[index - 1], index))
        blobs = [self._upload(m, index) for m in part.media]
        record = post_record(
            request, index, reply, lambda handle: self._resolve(handle, index), blobs
        )
        what = f"posting part {index + 1}"
        if before_create is not None:
            before_create(index)
        body = {
            "repo": session.did,
            "collection": atproto.POST_COLLECTION,
            "rkey": rkey,
            "record": record,
        }
        try:
            response = self._call(
                "POST",
                "com.atproto.repo.createRecord",
                json=body,
                creates=True,
                part_index=index,
                what=what,
            )
        except OutcomeUnknown as exc:
            return self._settle(request, index, part, exc)
        if response.status_code >= 500:
            error = self._failure(response, what=what, creates=True, part_index=index)
            return self._settle(request, index, part, error)
        if response.status_code != 200:
            raise self._failure(response, what=what, part_index=index)
        answer = json_body(response, platform=PLATFORM, what=what, creates=True)
        return self._result(str(answer.get("uri", "")), str(answer.get("cid", "")), rkey, index)

    def _settle(
        self, request: PublishRequest, index: int, part: PartRequest, cause: PublishError
    ) -> PartResult:
        """After an ambiguous create: the record at our key decides posted or retry."""
        answer = self.find(request, index)
        if isinstance(answer, Found):
            return answer.part
        if isinstance(answer, CannotTell):
            raise OutcomeUnknown(
                f"{PLATFORM}: part {index + 1} may have been stored ({cause.message}), and "
                f"the record cannot be read: {answer.reason}",
                platform=PLATFORM,
                status=answer.status,
                part_index=index,
            ) from cause
        raise Transient(
            f"{PLATFORM}: part {index + 1} was not stored ({cause.message}); "
            "it will be retried with the same record key",
            platform=PLATFORM,
            platform_message=getattr(cause, "platform_message", None),
            status=getattr(cause, "status", None),
            part_index=index,
        ) from cause

    def _result(self, uri: str, cid: str, rkey: str, index: int) -> PartResult:
        session = self.session()
        if not uri:
            uri = f"at://{session.did}/{atproto.POST_COLLECTION}/{rkey}"
        return PartResult(
            index=index,
            remote_id=uri,
            url=atproto.post_url(session.handle or session.did, uri),
            extra={"cid": cid, "rkey": rkey},
        )

    def _ref(self, result: PartResult, index: int) -> dict[str, str]:
        cid = result.extra.get("cid")
        if not cid:
            found = self._get_record(result.remote_id.rsplit("/", 1)[-1], index)
            if found is None:
                raise Invalid(
                    f"{PLATFORM}: the post part {index + 1} replies to no longer exists",
                    platform=PLATFORM,
                    part_index=index,
                )
            cid = str(found.get("cid", ""))
        return atproto.strong_ref(result.remote_id, cid)

    def _resolve(self, handle: str, index: int) -> str | None:
        if handle in self._dids:
            return self._dids[handle]
        response = self.http.request(
            "GET",
            "/xrpc/com.atproto.identity.resolveHandle",
            params={"handle": handle},
            part_index=index,
            what=f"resolving @{handle}",
        )
        did: str | None = None
        if response.status_code == 200:
            value = json_body(response, platform=PLATFORM, what="resolving a handle").get("did")
            did = value if isinstance(value, str) and value.startswith("did:") else None
        elif response.status_code == 429 or response.status_code >= 500:
            raise self._failure(response, what=f"resolving @{handle}", part_index=index)
        self._dids[handle] = did
        return did

    def _upload(self, media: MediaUpload, index: int) -> dict[str, Any]:
        what = f"uploading {media.file.name}"
        try:
            data = media.file.read_bytes()
        except OSError as exc:
            raise Invalid(
                f"part {index + 1}: cannot read {media.file}: {exc.strerror}",
                platform=PLATFORM,
                part_index=index,
            ) from exc
        response = self._call(
            "POST",
            "com.atproto.repo.uploadBlob",
            data=data,
            headers={"Content-Type": media.mime},
            part_index=index,
            what=what,
        )
        if response.status_code != 200:
            raise self._failure(response, what=what, part_index=index)
        blob = json_body(response, platform=PLATFORM, what=what).get("blob")
        if not isinstance(blob, dict):
            raise Transient(f"{PLATFORM}: {what} answered without a blob", platform=PLATFORM)
        return blob

    # --- reconciliation -------------------------------------------------------------------

    def _get_record(self, rkey: str, index: int) -> dict[str, Any] | None:
        session = self.session()
        what = f"looking for part {index + 1}"
        try:
            response = self._call(
                "GET",
                "com.atproto.repo.getRecord",
                params={"repo": session.did, "collection": atproto.POST_COLLECTION, "rkey": rkey},
                part_index=index,
                what=what,
            )
        except Transient as exc:
            raise OutcomeUnknown(
                f"{PLATFORM}: cannot tell whether part {index + 1} exists ({exc.message})",
                platform=PLATFORM,
                part_index=index,
            ) from exc
        if response.status_code == 200:
            return json_body(response, platform=PLATFORM, what=what)
        code, _ = error_text(response)
        if response.status_code == 400 and code == "RecordNotFound":
            return None
        error = self._failure(response, what=what, part_index=index)
        raise OutcomeUnknown(
            f"{PLATFORM}: cannot tell whether part {index + 1} exists ({error.message})",
            platform=PLATFORM,
            platform_message=getattr(error, "platform_message", None),
            part_index=index,
        ) from error

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """The record key is deterministic, so one read proves either answer."""
        rkey = self.rkey(request, part_index)
        try:
            found = self._get_record(rkey, part_index)
        except PublishError as exc:
            return CannotTell.because(exc, f"reading record {rkey}")
        if found is None:
            return Absent(Coverage.record_key(rkey))
        value = found.get("value")
        text = value.get("text") if isinstance(value, dict) else None
        if text != request.parts[part_index].text:
            return CannotTell(
                f"{PLATFORM}: the record key of part {part_index + 1} holds a different post "
                f"({found.get('uri')})"
            )
        try:
            part = self._result(
                str(found.get("uri", "")), str(found.get("cid", "")), rkey, part_index
            )
        except PublishError as exc:
            return CannotTell.because(exc, "reading the session")
        return Found(part)


def create(spec: AccountSpec, context: PlatformContext) -> BlueskyPublisher:
    return BlueskyPublisher(spec, context)
