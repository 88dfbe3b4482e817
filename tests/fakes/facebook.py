"""A fake of the Graph API's Pages endpoints: a Page token derived from the user's token,
text and link posts on the feed, photos (published with a message, or unpublished and then
attached to a feed post), the Page's published posts newest first with cursor paging, one
node read (a Page or a post), and ``debug_token``. Errors come in the Graph shape, and
``graph_fault`` makes the answers Meta gives when it throttles, blocks or refuses."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scheduler.clock import Clock
from tests.fakes.base import FakeServer, Fault, Request, Response, route
from tests.fakes.oauth import MetaSignIn

VERSION = "v24.0"
NODE = "/{version}/{node}"
FEED = "/{version}/{page}/feed"
PHOTOS = "/{version}/{page}/photos"
PUBLISHED = "/{version}/{page}/published_posts"
DEBUG = "/{version}/debug_token"


def graph_error(
    code: int, message: str, *, subcode: int | None = None, kind: str = "OAuthException"
) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AbCdEfGhIjK"
    return {"error": error}


def usage_headers(page: str, regain_minutes: int = 5) -> dict[str, str]:
    """The usage headers of a spent Page limit: 100% used, access back in ``regain_minutes``."""
    business = {
        page: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 12,
                "total_time": 14,
                "estimated_time_to_regain_access": regain_minutes,
            }
        ]
    }
    return {
        "X-App-Usage": json.dumps({"call_count": 41, "total_cputime": 5, "total_time": 6}),
        "X-Business-Use-Case-Usage": json.dumps(business),
    }


def graph_fault(
    code: int,
    message: str,
    *,
    status: int = 400,
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
) -> Fault:
    return Fault.status(status, graph_error(code, message, subcode=subcode), headers)


@dataclass
class Photo:
    id: str
    data: bytes
    alt: str
    published: bool


@dataclass
class PagePost:
    id: str
    message: str
    created: datetime
    photos: list[Photo] = field(default_factory=list)
    link: str | None = None

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message": self.message,
            "created_time": self.created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink_url": f"https://www.facebook.com/{self.id.replace('_', '/posts/')}",
        }


class FakeFacebook(MetaSignIn, FakeServer):
    long_grant = "fb_exchange_token"
    long_token_param = "fb_exchange_token"

    def __init__(
        self,
        clock: Clock,
        user_token: str,
        page: str = "104233215612345",
        page_token: str = "EAAGpage-token-for-the-page-0042",
    ) -> None:
        super().__init__()
        self.sign_in_setup()
        self.clock = clock
        self.user_token = user_token
        self.page = page
        self.page_token = page_token
        self.page_name = "Run Talk Run Community"
        self.page_username = "RunTalkRunCommunity"
        self.posts: list[PagePost] = []
        self.photos: dict[str, Photo] = {}
        self.expired = False  # every token answers 190 (expired) once set
        self.token_expires_at = 0  # debug_token's expires_at: 0 means never
        self._ids = itertools.count(555_000_001)

    def issued(self, token: str) -> None:
        self.user_token = token

    # --- what Graph checks first ----------------------------------------------------------

    def _bearer(self, request: Request) -> str:
        return (request.headers.get("authorization") or "").removeprefix("Bearer ")

    def _refused(self, request: Request, *, page_only: bool = True) -> Response | None:
        token = self._bearer(request)
        allowed = {self.page_token} if page_only else {self.page_token, self.user_token}
        if token not in allowed or request.params.get("version") != VERSION:
            return Response(400, graph_error(190, "Invalid OAuth access token."))
        if self.expired:
            return Response(
                400, graph_error(190, "Error validating access token: expired", subcode=463)
            )
        return None

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def _new_id(self) -> str:
        return str(next(self._ids))

    # --- routes (more specific first: the first match wins) --------------------------------

    @route("GET", DEBUG)
    def debug_token(self, request: Request) -> Response:
        refused = self._refused(request, page_only=False)
        if refused is not None:
            return refused
        return Response(
            200,
            {
                "data": {
                    "is_valid": True,
                    "type": "USER",
                    "expires_at": self.token_expires_at,
                    "scopes": ["pages_manage_posts", "pages_read_engagement", "pages_show_list"],
                }
            },
        )

    @route("POST", FEED)
    def feed(self, request: Request) -> Response:
        refused = self._page_refused(request)
        if refused is not None:
            return refused
        form = {name: str(values[0]) for name, values in request.form().items()}
        message = form.get("message", "")
        attached = [
            form[f"attached_media[{i}]"] for i in range(len(form)) if f"attached_media[{i}]" in form
        ]
        with self.lock:
            photos = []
            for item in attached:
                try:
                    fbid = str(json.loads(item).get("media_fbid"))
                except (ValueError, AttributeError):
                    fbid = ""
                photo = self.photos.get(fbid)
                if photo is None or photo.published:
                    return Response(400, graph_error(100, "Invalid parameter: attached_media"))
                photos.append(photo)
            if not message and not photos and not form.get("link"):
                return Response(400, graph_error(100, "Invalid parameter: message"))
            return self._post(message, photos, form.get("link"))

    @route("POST", PHOTOS)
    def photo(self, request: Request) -> Response:
        refused = self._page_refused(request)
        if refused is not None:
            return refused
        form = request.form()
        source = (form.get("source") or [b""])[0]
        if not isinstance(source, bytes) or not source:
            return Response(400, graph_error(324, "Requires upload file"))
        published = (form.get("published") or ["true"])[0] != "false"
        alt = str((form.get("alt_text_custom") or [""])[0])
        with self.lock:
            photo = Photo(self._new_id(), source, alt, published)
            self.photos[photo.id] = photo
            if not published:
                return Response(200, {"id": photo.id})
            answer = self._post(str((form.get("message") or [""])[0]), [photo], None)
        if answer.status != 200:
            return answer
        return Response(200, {"id": photo.id, "post_id": answer.body["id"]})

    def _post(self, message: str, photos: list[Photo], link: str | None) -> Response:
        """Store a post; Facebook refuses a message just like the Page's latest (506)."""
        if message and self.posts and self.posts[-1].message == message:
            return Response(400, graph_error(506, "Duplicate status message"))
        for photo in photos:
            photo.published = True
        post = PagePost(f"{self.page}_{self._new_id()}", message, self._now(), photos, link)
        self.posts.append(post)
        return Response(200, {"id": post.id})

    def _page_refused(self, request: Request) -> Response | None:
        refused = self._refused(request)
        if refused is None and request.params.get("page") != self.page:
            return Response(400, graph_error(200, "Permissions error"))
        return refused

    @route("GET", PUBLISHED)
    def published(self, request: Request) -> Response:
        refused = self._page_refused(request)
        if refused is not None:
            return refused
        since = int(request.arg("since") or 0)
        limit = int(request.arg("limit") or 25)
        start = int(request.arg("after") or 0)
        with self.lock:
            newest = [p for p in reversed(self.posts) if p.created.timestamp() >= since]
        page = newest[start : start + limit]
        body: dict[str, Any] = {"data": [p.json() for p in page]}
        if page:
            body["paging"] = {"cursors": {"before": str(start), "after": str(start + len(page))}}
            if start + len(page) < len(newest):
                body["paging"]["next"] = f"{self.base_url}{request.path}?after={start + len(page)}"
        return Response(200, body)

    @route("GET", NODE)
    def node(self, request: Request) -> Response:
        node = request.params["node"]
        fields = (request.arg("fields") or "id").split(",")
        if node == self.page and fields == ["access_token"]:
            refused = self._refused(request, page_only=False)
            if refused is not None:
                return refused
            return Response(200, {"access_token": self.page_token, "id": self.page})
        refused = self._refused(request)
        if refused is not None:
            return refused
        if node == self.page:
            page = {
                "id": self.page,
                "name": self.page_name,
                "username": self.page_username,
                "link": f"https://www.facebook.com/{self.page_username}",
            }
            return Response(200, {k: v for k, v in page.items() if k in fields})
        with self.lock:
            for post in self.posts:
                if post.id == node:
                    shown = post.json()
                    return Response(200, {k: v for k, v in shown.items() if k in [*fields, "id"]})
        return Response(400, graph_error(100, f"Unsupported get request. Object {node} not found"))

    # --- for tests --------------------------------------------------------------------------

    def alts(self, post: PagePost) -> tuple[str, ...]:
        return tuple(p.alt for p in post.photos)
