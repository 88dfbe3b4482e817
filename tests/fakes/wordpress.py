"""A fake WordPress REST API (``/wp-json/wp/v2``): posts, media, categories, tags and
``users/me``, with the behaviour observed on Debian's WordPress 6.1 that a publisher must
not trip over: a taken slug is silently renamed ``slug-2``, an unknown tag id answers 200
and clears the post's tags, an existing term name is 400 ``term_exists`` with its id, and a
wrong Application Password is 401 ``rest_not_logged_in``."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

from scheduler.clock import Clock
from tests.fakes.base import FakeServer, Fault, Request, Response, route

API = "/wp-json/wp/v2"
POSTS = f"{API}/posts"
MEDIA = f"{API}/media"
STATUSES = ("publish", "future", "draft", "pending", "private")


@dataclass
class StoredPost:
    id: int
    slug: str
    status: str
    title: str
    content: str
    excerpt: str
    categories: list[int]
    tags: list[int]
    featured_media: int
    body: dict[str, Any] = field(default_factory=dict)

    def json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "slug": self.slug,
            "status": self.status,
            "link": f"{base}/{self.slug}/",
            "title": {"raw": self.title, "rendered": self.title},
            "content": {"raw": self.content, "rendered": self.content},
            "excerpt": {"raw": self.excerpt, "rendered": self.excerpt},
            "categories": self.categories,
            "tags": self.tags,
            "featured_media": self.featured_media,
        }


class FakeWordPress(FakeServer):
    def __init__(self, clock: Clock, username: str, password: str) -> None:
        super().__init__()
        self.clock = clock
        self.username = username
        self.password = password
        self.posts: list[StoredPost] = []
        self.media: dict[int, dict[str, Any]] = {}
        self.terms: dict[str, dict[int, str]] = {"categories": {1: "Uncategorized"}, "tags": {}}
        self._ids = itertools.count(100)

    # --- what WordPress checks first ------------------------------------------------------

    @staticmethod
    def error(status: int, code: str, message: str, **data: Any) -> Response:
        return Response(
            status, {"code": code, "message": message, "data": {"status": status, **data}}
        )

    def refusal(self, status: int, code: str, message: str, retry_after: int = 300) -> Fault:
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        body = {"code": code, "message": message, "data": {"status": status}}
        return Fault.status(status, body, headers)

    def _refused(self, request: Request) -> Response | None:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return self.error(401, "rest_not_logged_in", "You are not currently logged in.")
        return None

    # --- posts ------------------------------------------------------------------------------

    @route("POST", POSTS)
    def create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        body = request.json() or {}
        with self.lock:
            slug = wanted = body.get("slug") or f"post-{len(self.posts) + 1}"
            taken = {p.slug for p in self.posts}
            n = 2
            while slug in taken:  # wp_unique_post_slug: silently
                slug, n = f"{wanted}-{n}", n + 1
            tags = [int(t) for t in body.get("tags", [])]
            if any(t not in self.terms["tags"] for t in tags):
                tags = []  # observed: an unknown tag id clears the tags, and answers 201
            media = int(body.get("featured_media") or 0)
            post = StoredPost(
                id=next(self._ids),
                slug=slug,
                status=body.get("status", "draft"),
                title=body.get("title", ""),
                content=body.get("content", ""),
                excerpt=body.get("excerpt", ""),
                categories=[int(c) for c in body.get("categories", [1])],
                tags=tags,
                featured_media=media if media in self.media else 0,
                body=body,
            )
            self.posts.append(post)
        return Response(201, post.json(self.base_url))

    @route("GET", POSTS)
    def listing(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        slug = request.arg("slug")
        statuses = (request.arg("status") or "publish").split(",")
        if any(s not in STATUSES for s in statuses):
            return self.error(400, "rest_invalid_param", "Invalid parameter(s): status")
        with self.lock:
            found = [
                p.json(self.base_url)
                for p in self.posts
                if p.status in statuses and (slug is None or p.slug == slug)
            ]
        return Response(200, found, {"X-WP-Total": str(len(found)), "X-WP-TotalPages": "1"})

    # --- media ------------------------------------------------------------------------------

    @route("POST", MEDIA)
    def upload(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        if "filename=" not in request.headers.get("content-disposition", ""):
            return self.error(400, "rest_upload_no_content_disposition", "No Content-Disposition")
        with self.lock:
            media_id = next(self._ids)
            self.media[media_id] = {"bytes": request.body, "alt_text": ""}
        return Response(201, {"id": media_id, "source_url": f"{self.base_url}/m/{media_id}.png"})

    @route("POST", f"{MEDIA}/{{id}}")
    def update_media(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        media_id = int(request.params["id"])
        with self.lock:
            if media_id not in self.media:
                return self.error(404, "rest_post_invalid_id", "Invalid post ID.")
            self.media[media_id]["alt_text"] = (request.json() or {}).get("alt_text", "")
        return Response(200, {"id": media_id, **{"alt_text": self.media[media_id]["alt_text"]}})

    # --- terms ------------------------------------------------------------------------------

    @route("GET", f"{API}/{{taxonomy}}")
    def terms_search(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        terms = self.terms.get(request.params["taxonomy"])
        if terms is None:
            return self.error(404, "rest_no_route", "No route was found.")
        search = (request.arg("search") or "").casefold()
        with self.lock:
            found = [
                {"id": i, "name": n.replace("&", "&amp;")}
                for i, n in terms.items()
                if search in n.casefold()
            ]
        return Response(200, found)

    @route("POST", f"{API}/{{taxonomy}}")
    def terms_create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        terms = self.terms.get(request.params["taxonomy"])
        if terms is None:
            return self.error(404, "rest_no_route", "No route was found.")
        name = " ".join(str((request.json() or {}).get("name", "")).split())
        with self.lock:
            for term_id, existing in terms.items():
                if existing.casefold() == name.casefold():
                    return self.error(
                        400, "term_exists", "A term with that name exists.", term_id=term_id
                    )
            term_id = next(self._ids)
            terms[term_id] = name
        return Response(201, {"id": term_id, "name": name})

    # --- the user ---------------------------------------------------------------------------

    @route("GET", f"{API}/users/me")
    def me(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        return Response(
            200,
            {
                "id": 1,
                "username": self.username,
                "slug": self.username,
                "link": f"{self.base_url}/author/{self.username}/",
            },
        )

    # --- for tests --------------------------------------------------------------------------

    def alts(self, post: StoredPost) -> tuple[str, ...]:
        media = self.media.get(post.featured_media)
        return (media["alt_text"],) if media else ()

    def names(self, taxonomy: str, ids: list[int]) -> list[str]:
        return [self.terms[taxonomy][i] for i in ids]
