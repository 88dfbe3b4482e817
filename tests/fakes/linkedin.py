"""A fake LinkedIn REST API: the Posts API (create, read one, list an author's posts), the
Images API (initializeUpload and the upload URL it hands out) and OpenID userinfo, with the
headers every versioned call must carry checked as LinkedIn checks them, and the 3-legged
OAuth sign-in and token endpoints (no PKCE: the client secret goes in the form; a token
lasts 60 days and, outside LinkedIn's partner programmes, comes without a refresh token)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from scheduler.clock import Clock
from tests.fakes.base import FakeServer, Fault, Request, Response, route
from tests.fakes.oauth import CodeGrants

POSTS = "/rest/posts"
POST = "/rest/posts/{urn}"
IMAGES = "/rest/images"
UPLOAD = "/upload/{image}"
USERINFO = "/v2/userinfo"
AUTHORIZE = "/oauth/v2/authorization"
TOKEN = "/oauth/v2/accessToken"
TOKEN_SECONDS = 60 * 24 * 3600


@dataclass
class StoredPost:
    id: str
    author: str
    commentary: str
    content: dict[str, Any]
    created_ms: int
    body: dict[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return {
            **self.body,
            "id": self.id,
            "createdAt": self.created_ms,
            "lastModifiedAt": self.created_ms,
            "publishedAt": self.created_ms,
        }


class FakeLinkedIn(FakeServer):
    def __init__(
        self,
        clock: Clock,
        token: str,
        member: str = "yrGd8Wq5Ft",
        client_id: str = "77linkedinapp",
        client_secret: str = "linkedin-app-secret",
    ) -> None:
        super().__init__()
        self.clock = clock
        self.token = token
        self.member = member
        self.client_id = client_id
        self.client_secret = client_secret
        self.grants = CodeGrants(pkce=False)
        self.token_forms: list[dict[str, str]] = []
        self.oldest_version = "202512"  # older versions are sunset (answered 426)
        self.posts: list[StoredPost] = []
        self.images: dict[str, bytes | None] = {}  # URN -> uploaded bytes (None: not yet)
        self._ids = itertools.count(7_100_000_000_000_000_001)

    # --- what LinkedIn checks first -------------------------------------------------------

    def _refused(self, request: Request, versioned: bool = True) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self.error(401, "EMPTY_ACCESS_TOKEN", "Invalid access token")
        version = request.headers.get("linkedin-version") or ""
        if versioned and not version.isdigit():
            return self.error(426, "VERSION_MISSING", "A version must be present")
        if versioned and version < self.oldest_version:
            said = f"Requested version {version} is not active"
            return self.error(426, "NONEXISTENT_VERSION", said)
        if versioned and request.headers.get("x-restli-protocol-version") != "2.0.0":
            return self.error(400, "ILLEGAL_ARGUMENT", "Rest.li protocol 2.0.0 expected")
        return None

    @staticmethod
    def error(status: int, code: str, message: str, **headers: str) -> Response:
        return Response(status, {"status": status, "code": code, "message": message}, headers)

    def refusal(self, status: int, code: str, message: str) -> Fault:
        headers = {"Retry-After": "300"} if status == 429 else {}
        return Fault.status(status, {"status": status, "code": code, "message": message}, headers)

    def _now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    # --- routes -----------------------------------------------------------------------------

    @route("GET", AUTHORIZE)
    def authorize(self, request: Request) -> Response:
        return self.grants.authorize(request, known_client=self.client_id)

    @route("POST", TOKEN)
    def exchange(self, request: Request) -> Response:
        form = {k: v[0] for k, v in request.form().items()}
        self.token_forms.append(form)
        if form.get("grant_type") != "authorization_code":
            return Response(400, {"error": "unsupported_grant_type"})
        if form.get("client_secret") != self.client_secret:
            return Response(401, {"error": "invalid_client"})
        grant = self.grants.redeem(form, form.get("client_id", ""))
        if grant is None:
            return Response(400, {"error": "invalid_request"})
        self.token = f"AQV-{len(self.grants.redeemed)}-issued"
        return Response(
            200,
            {"access_token": self.token, "expires_in": TOKEN_SECONDS, "scope": grant.scope},
        )

    @route("GET", USERINFO)
    def userinfo(self, request: Request) -> Response:
        refused = self._refused(request, versioned=False)
        if refused is not None:
            return refused
        return Response(200, {"sub": self.member, "name": "Campaign Team"})

    @route("POST", IMAGES)
    def initialize_upload(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        if request.arg("action") != "initializeUpload":
            return self.error(400, "ILLEGAL_ARGUMENT", "unknown action")
        owner = (request.json() or {}).get("initializeUploadRequest", {}).get("owner", "")
        if not owner.startswith(("urn:li:person:", "urn:li:organization:")):
            return self.error(422, "INVALID_OWNER", "owner must be a person or organization")
        with self.lock:
            image = f"C4E10AQ{next(self._ids)}"
            self.images[f"urn:li:image:{image}"] = None
        return Response(
            200,
            {
                "value": {
                    "uploadUrlExpiresAt": self._now_ms() + 86_400_000,
                    "uploadUrl": f"{self.base_url}/upload/{image}",
                    "image": f"urn:li:image:{image}",
                }
            },
        )

    @route("PUT", UPLOAD)
    def upload(self, request: Request) -> Response:
        urn = f"urn:li:image:{request.params['image']}"
        with self.lock:
            if urn not in self.images:
                return self.error(404, "NOT_FOUND", "no such upload")
            self.images[urn] = request.body
        return Response(201, b"", {"Content-Type": "text/plain"})

    @route("POST", POSTS)
    def create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        body = request.json()
        commentary = body.get("commentary", "")
        content = body.get("content") or {}
        with self.lock:
            for image in self._images_of(content):
                if not self.images.get(image.get("id", "")):
                    return self.error(422, "INVALID_CONTENT", f"image {image.get('id')} not ready")
            for post in self.posts:
                if post.author == body.get("author") and post.commentary == commentary:
                    return self.error(422, "DUPLICATE_POST", f"Content is a duplicate of {post.id}")
            post = StoredPost(
                f"urn:li:share:{next(self._ids)}",
                body.get("author", ""),
                commentary,
                content,
                self._now_ms(),
                body,
            )
            self.posts.append(post)
        return Response(201, b"", {"x-restli-id": post.id, "Content-Type": "text/plain"})

    @route("GET", POST)
    def read(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        urn = unquote(request.params["urn"])
        with self.lock:
            for post in self.posts:
                if post.id == urn:
                    return Response(200, post.json())
        return self.error(404, "NOT_FOUND", f"no post {urn}")

    @route("GET", POSTS)
    def by_author(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        if request.arg("q") != "author" or request.headers.get("x-restli-method") != "FINDER":
            return self.error(400, "ILLEGAL_ARGUMENT", "finder q=author expected")
        author = request.arg("author") or ""
        start = int(request.arg("start") or 0)
        count = int(request.arg("count") or 10)
        with self.lock:
            mine = [p for p in reversed(self.posts) if p.author == author]
        page = mine[start : start + count]
        return Response(
            200,
            {
                "elements": [p.json() for p in page],
                "paging": {"start": start, "count": count, "total": len(mine)},
            },
        )

    @staticmethod
    def _images_of(content: dict[str, Any]) -> list[dict[str, Any]]:
        if "media" in content:
            return [content["media"]]
        return list(content.get("multiImage", {}).get("images", []))

    # --- for tests --------------------------------------------------------------------------

    def alts(self, post: StoredPost) -> tuple[str, ...]:
        return tuple(i.get("altText", "") for i in self._images_of(post.content))
