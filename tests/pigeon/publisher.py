"""Pigeon Post's publisher: one note per part, each replying to the one before, with the
part's idempotency key as ``Idempotency-Key`` (the loft answers a repeated key with the note
it already holds, and finds a note by its key)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from scheduler.descriptors import endpoint_of
from scheduler.platforms import ratelimit
from scheduler.platforms.base import (
    Absent,
    AccountInfo,
    AccountSpec,
    BeforeCreate,
    CannotTell,
    Coverage,
    Found,
    Lookup,
    PartCallback,
    PartRequest,
    PartResult,
    PlatformContext,
    PublishError,
    PublishRequest,
    PublishResult,
    StagedCallback,
)
from scheduler.platforms.http import HttpClient, json_body
from scheduler.platforms.rules import check_request
from scheduler.redact import register
from tests.pigeon.descriptor import PIGEON


def note_body(request: PublishRequest, part: PartRequest, parent: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"text": part.text}
    if part.media:
        body["images"] = [{"name": m.file.name, "mime": m.mime, "alt": m.alt} for m in part.media]
    if parent is not None:
        body["reply_to"] = parent
    return body


def note_headers(part: PartRequest) -> dict[str, str]:
    return {"Idempotency-Key": part.idempotency_key} if part.idempotency_key else {}


def sandbox_body(
    request: PublishRequest, index: int, earlier: Sequence[PartResult], handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    part = request.parts[index]
    parent = earlier[index - 1].remote_id if index > 0 else None
    body = note_body(request, part, parent)
    body["headers"] = note_headers(part)
    return body, {}


class PigeonPublisher:
    platform = PIGEON.name
    rules = PIGEON

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        self.account = spec.name
        token = context.credentials.require(spec.name, "token")["token"]
        register(token.reveal())
        self.http = HttpClient(
            platform=self.platform,
            base_url=endpoint_of(spec) or "",
            timeout=context.timeout,
            headers={"Authorization": f"Bearer {token.reveal()}"},
            account=spec.name,
            gate=context.gate,
        )
        self._clock = context.clock

    def __repr__(self) -> str:
        return f"PigeonPublisher(account={self.account!r})"

    def close(self) -> None:
        self.http.close()

    def preflight(self, request: PublishRequest) -> None:
        check_request(self.rules, request)

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        self.preflight(request)
        results = list(request.done)
        for index in range(len(results), len(request.parts)):
            part = request.parts[index]
            parent = results[index - 1].remote_id if index > 0 else None
            if before_create is not None:
                before_create(index)
            what = f"posting part {index + 1}"
            response = self.http.request(
                "POST",
                "/v1/notes",
                json=note_body(request, part, parent),
                headers=note_headers(part),
                creates=True,
                part_index=index,
                what=what,
            )
            if response.status_code not in (200, 201):
                retry_after = self._wait(response)
                raise self.http.failure(
                    response, what=what, retry_after=retry_after, creates=True, part_index=index
                )
            note = json_body(response, platform=self.platform, what=what, creates=True)
            result = PartResult(index=index, remote_id=str(note["id"]), url=str(note["url"]))
            results.append(result)
            if on_part is not None:
                on_part(result)
        return PublishResult(tuple(results))

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """The loft keeps notes by key, so a 404 proves absence as a record key does."""
        key = request.parts[part_index].idempotency_key
        what = f"looking for part {part_index + 1}"
        try:
            response = self.http.request("GET", f"/v1/notes/by-key/{key}", what=what)
            if response.status_code == 404:
                return Absent(Coverage.record_key(key))
            if response.status_code != 200:
                retry_after = self._wait(response)
                raise self.http.failure(response, what=what, retry_after=retry_after)
            note = json_body(response, platform=self.platform, what=what)
        except PublishError as exc:
            return CannotTell.because(exc, what)
        return Found(PartResult(index=part_index, remote_id=str(note["id"]), url=str(note["url"])))

    def _wait(self, response: Any) -> float | None:
        return ratelimit.wait(response.headers, self._clock.now(), PIGEON.rate_limits)

    def verify(self) -> AccountInfo:
        what = "checking the token"
        response = self.http.request("GET", "/v1/me", what=what)
        if response.status_code != 200:
            raise self.http.failure(response, what=what)
        body = json_body(response, platform=self.platform, what=what)
        return AccountInfo(
            platform=self.platform,
            account=self.account,
            remote_id=str(body["id"]),
            handle=str(body["handle"]),
        )


def create(spec: AccountSpec, context: PlatformContext) -> PigeonPublisher:
    return PigeonPublisher(spec, context)
