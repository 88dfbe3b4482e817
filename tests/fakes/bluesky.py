"""A fake Bluesky PDS: the XRPC calls the publisher makes, answered as the reference PDS does
(bluesky-social/atproto lexicons and packages/pds; PLATFORMS.md section 3).

It keeps every record (``records``, oldest first), every blob and every session created, so
tests can assert exactly-once and session reuse. Behaviour worth a fake:

* an expired access token answers 400 ``ExpiredToken`` (not 401); refreshSession rotates both
  tokens; a revoked refresh token answers 400 ``ExpiredToken``;
* createRecord at a record key that exists answers HTTP 500 ``InternalServerError``, as the
  reference PDS does, identical or not, and leaves the stored record unchanged;
* rkeys must be TIDs; text is limited to 300 graphemes and 3000 bytes; images need ``alt``
  and an uploaded blob;
* every answer carries RateLimit-* headers (epoch-seconds reset); a 429 adds Retry-After.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import regex

from scheduler.clock import Clock, FixedClock
from scheduler.platforms.atproto import is_tid
from tests.fakes.base import FakeServer, Fault, Request, Response, route

X = "/xrpc/"
CREATE_SESSION = X + "com.atproto.server.createSession"
REFRESH_SESSION = X + "com.atproto.server.refreshSession"
GET_SESSION = X + "com.atproto.server.getSession"
CREATE_RECORD = X + "com.atproto.repo.createRecord"
GET_RECORD = X + "com.atproto.repo.getRecord"
UPLOAD_BLOB = X + "com.atproto.repo.uploadBlob"
RESOLVE_HANDLE = X + "com.atproto.identity.resolveHandle"
POST = "app.bsky.feed.post"


def fake_cid(data: bytes) -> str:
    return "bafyrei" + hashlib.sha256(data).hexdigest()[:52]


@dataclass
class Stored:
    rkey: str
    uri: str
    cid: str
    value: dict[str, Any] = field(repr=False)

    @property
    def text(self) -> str:
        return str(self.value.get("text", ""))


def _jwt(claims: dict[str, Any]) -> str:
    """A token shaped like the PDS's (header.claims.signature); nobody verifies the signature."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'typ': 'at+jwt', 'alg': 'HS256'})}.{part(claims)}.fake-signature"


class FakeBluesky(FakeServer):
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        handle: str = "mhaw.test",
        password: str = "app-pass-abcd-efgh-ijkl",
        did: str = "did:plc:mhawtestaccount0000000000",
    ) -> None:
        super().__init__()
        self.clock: Clock = clock or FixedClock()
        self.handle = handle
        self.password = password
        self.did = did
        # The access token's scope claim: an app password's, unless a test signs in with the
        # main password ("com.atproto.access").
        self.scope = "com.atproto.appPass"
        self.handles: dict[str, str] = {handle: did, "mind.org.uk": "did:plc:mindcharity000000"}
        self.records: list[Stored] = []
        self.blobs: dict[str, dict[str, Any]] = {}
        # The PDS answers an expired token with 400; behind the entryway (bsky.social) the
        # same condition is an AuthRequiredError, 401 (packages/pds auth-verifier).
        self.expired_status = 400
        self.sessions_created = 0
        self.refreshes = 0
        self._access: dict[str, bool] = {}  # token -> still valid (False = expired)
        self._refresh: set[str] = set()
        self._serial = itertools.count(1)

    def __enter__(self) -> FakeBluesky:
        self.start()
        return self

    # --- helpers --------------------------------------------------------------------------

    def rate_headers(self) -> dict[str, str]:
        reset = int((self.clock.now() + timedelta(hours=1)).timestamp())
        return {
            "RateLimit-Limit": "5000",
            "RateLimit-Remaining": "4990",
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": "5000;w=3600",
        }

    def answer(self, status: int, body: Any) -> Response:
        return Response(status, body, self.rate_headers())

    def error(self, status: int, name: str, message: str) -> Response:
        return self.answer(status, {"error": name, "message": message})

    def announced_reset(self, response: Response) -> float | None:
        reset = response.header("RateLimit-Reset")
        if reset is None:
            return None
        if response.status != 429 and response.header("RateLimit-Remaining") != "0":
            return None
        return float(reset)

    def rate_limit_fault(self, seconds: float) -> Fault:
        reset = int(self.clock.now().timestamp() + seconds)
        return Fault.status(
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            {
                "RateLimit-Limit": "5000",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(reset),
                "RateLimit-Policy": "5000;w=3600",
                "Retry-After": str(int(seconds)),
            },
        )

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self._access:
                self._access[token] = False

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self._refresh.clear()

    def _new_session(self) -> dict[str, Any]:
        n = next(self._serial)
        access = _jwt({"scope": self.scope, "sub": self.did, "n": n})
        refresh = _jwt({"scope": "com.atproto.refresh", "sub": self.did, "n": n})
        self._access[access] = True
        self._refresh.add(refresh)
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "did": self.did,
            "handle": self.handle,
            "active": True,
        }

    def _bearer(self, request: Request) -> str:
        value = request.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else ""

    def _auth(self, request: Request) -> Response | None:
        """None when the access token is valid, else the PDS's answer."""
        token = self._bearer(request)
        if not token:
            return self.error(401, "AuthMissing", "Authentication Required")
        with self.lock:
            valid = self._access.get(token)
        if valid is None:
            return self.error(400, "InvalidToken", "Token could not be verified")
        if not valid:
            return self.error(self.expired_status, "ExpiredToken", "Token has expired")
        return None

    def find(self, rkey: str) -> Stored | None:
        with self.lock:
            return next((r for r in self.records if r.rkey == rkey), None)

    # --- sessions -------------------------------------------------------------------------

    @route("POST", CREATE_SESSION)
    def create_session(self, request: Request) -> Response:
        body = request.json() or {}
        identifier = body.get("identifier")
        if identifier not in (self.handle, self.did) or body.get("password") != self.password:
            return self.error(401, "AuthenticationRequired", "Invalid identifier or password")
        with self.lock:
            self.sessions_created += 1
            return self.answer(200, self._new_session())

    @route("POST", REFRESH_SESSION)
    def refresh_session(self, request: Request) -> Response:
        token = self._bearer(request)
        with self.lock:
            if token not in self._refresh:
                return self.error(400, "ExpiredToken", "Token has been revoked")
            self._refresh.discard(token)
            self.refreshes += 1
            return self.answer(200, self._new_session())

    @route("GET", GET_SESSION)
    def get_session(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        return self.answer(200, {"did": self.did, "handle": self.handle, "active": True})

    @route("GET", RESOLVE_HANDLE)
    def resolve_handle(self, request: Request) -> Response:
        handle = request.arg("handle") or ""
        did = self.handles.get(handle)
        if did is None:
            return self.error(400, "InvalidRequest", "Unable to resolve handle")
        return self.answer(200, {"did": did})

    # --- records --------------------------------------------------------------------------

    @route("POST", UPLOAD_BLOB)
    def upload_blob(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        mime = request.headers.get("content-type", "application/octet-stream")
        blob = {
            "$type": "blob",
            "ref": {"$link": fake_cid(request.body)},
            "mimeType": mime,
            "size": len(request.body),
        }
        with self.lock:
            self.blobs[blob["ref"]["$link"]] = blob
        return self.answer(200, {"blob": blob})

    def _invalid_record(self, record: dict[str, Any]) -> str | None:
        if record.get("$type") != POST:
            return "Invalid record: $type"
        text = record.get("text")
        if not isinstance(text, str):
            return "Record/text must be a string"
        graphemes = len(regex.findall(r"\X", text))
        if graphemes > 300:
            return (
                "Invalid app.bsky.feed.post record: "
                f"grapheme too big (maximum 300, got {graphemes})"
            )
        if len(text.encode()) > 3000:
            return "Invalid app.bsky.feed.post record: Record/text must not be longer than 3000"
        if not isinstance(record.get("createdAt"), str):
            return "Record/createdAt must be a datetime"
        embed = record.get("embed")
        if isinstance(embed, dict) and embed.get("$type") == "app.bsky.embed.images":
            images = embed.get("images") or []
            if not 1 <= len(images) <= 4:
                return "Record/embed/images must not be longer than 4 elements"
            for image in images:
                if "alt" not in image:
                    return 'Record/embed/images/0 must have the property "alt"'
        return None

    @route("POST", CREATE_RECORD)
    def create_record(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        body = request.json() or {}
        if body.get("repo") not in (self.did, self.handle):
            return self.error(403, "InvalidRequest", "Invalid repo")
        if body.get("collection") != POST:
            return self.error(400, "InvalidRequest", "Invalid collection")
        rkey = body.get("rkey") or ""
        if not is_tid(rkey):
            return self.error(400, "InvalidRequest", "Invalid record key")
        record = body.get("record") or {}
        problem = self._invalid_record(record)
        if problem:
            return self.error(400, "InvalidRequest", problem)
        embed = record.get("embed") or {}
        for image in embed.get("images", []) if isinstance(embed, dict) else []:
            link = ((image.get("image") or {}).get("ref") or {}).get("$link")
            if link not in self.blobs:
                return self.error(400, "BlobNotFound", "Could not find blob")
        reply = record.get("reply")
        if reply is not None:
            for ref in (reply.get("root"), reply.get("parent")):
                if not ref or not ref.get("uri") or not ref.get("cid"):
                    return self.error(400, "InvalidRequest", "Record/reply must have uri and cid")
        with self.lock:
            if self.find(rkey) is not None:
                # The reference PDS surfaces the repository's refusal as a plain 500.
                return self.error(500, "InternalServerError", "Internal Server Error")
            uri = f"at://{self.did}/{POST}/{rkey}"
            cid = fake_cid(request.body)
            self.records.append(Stored(rkey, uri, cid, record))
        return self.answer(
            200,
            {
                "uri": uri,
                "cid": cid,
                "commit": {"cid": fake_cid(uri.encode()), "rev": rkey},
                "validationStatus": "valid",
            },
        )

    @route("GET", GET_RECORD)
    def get_record(self, request: Request) -> Response:
        rkey = request.arg("rkey") or ""
        stored = self.find(rkey) if request.arg("collection") == POST else None
        if request.arg("repo") not in (self.did, self.handle) or stored is None:
            uri = f"at://{request.arg('repo')}/{request.arg('collection')}/{rkey}"
            return self.error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return self.answer(200, {"uri": stored.uri, "cid": stored.cid, "value": stored.value})
