"""A fake Threads API (graph.threads.net) speaking real HTTP on loopback.

Containers (``POST /v1.0/{user}/threads``) are built as Meta builds them: an image is fetched
from its ``image_url`` (a loopback public host) and the container reports ``IN_PROGRESS``
until then; ``threads_publish`` makes a post of a ``FINISHED`` one. The account's posts and
the replies to a post are listed newest first with Graph cursors; ``/me`` names the token's
user; ``/refresh_access_token`` renews a token at least a day old. Errors have the Graph
shape, with usage headers on a rate limit.

Besides the queued faults of ``FakeServer``: ``stuck`` keeps new containers (the next
``stuck_for`` of them, or all) ``IN_PROGRESS`` for that many status reads, ``fail_next``
makes the next container end in ``ERROR``, ``expire`` makes a container ``EXPIRED``.
"""

from __future__ import annotations

import itertools
import json
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scheduler.clock import Clock
from tests.fakes.base import FakeServer, Fault, Request, Response, route
from tests.fakes.oauth import MetaSignIn

ME = "/v1.0/me"
NODE = "/v1.0/{node}"
CONTAINERS = "/v1.0/{user}/threads"
PUBLISH = "/v1.0/{user}/threads_publish"
REPLIES = "/v1.0/{node}/replies"
REFRESH = "/refresh_access_token"
USER_ID = "17841400000000001"
USERNAME = "mhaw.stories"
TIME = "%Y-%m-%dT%H:%M:%S+0000"


@dataclass
class Container:
    id: str
    fields: dict[str, Any]
    status: str = "FINISHED"
    error_message: str = ""
    pending_reads: int = 0  # status reads still answered IN_PROGRESS
    fetched: list[tuple[str, int, str]] = field(default_factory=list)  # (url, bytes, type)


@dataclass
class Post:
    id: str
    text: str
    timestamp: datetime
    reply_to: str | None
    container: str
    media_type: str
    alts: tuple[str, ...] = ()
    reply_control: str | None = None
    link_attachment: str | None = None
    username: str = USERNAME

    @property
    def permalink(self) -> str:
        return f"https://www.threads.net/@{self.username}/post/C{self.id[-8:]}"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "timestamp": self.timestamp.strftime(TIME),
            "permalink": self.permalink,
            "username": self.username,
            "media_type": self.media_type,
        }


class FakeThreads(MetaSignIn, FakeServer):
    long_grant = "th_exchange_token"

    def __init__(self, clock: Clock, token: str) -> None:
        super().__init__()
        self.sign_in_setup()
        self.clock = clock
        self.tokens: dict[str, datetime] = {token: clock.now()}  # valid token -> issued
        self.containers: dict[str, Container] = {}
        self.posts: list[Post] = []
        self.stuck = 0  # status reads each new container stays IN_PROGRESS
        self.stuck_for: int | None = None  # how many new containers (None: every one)
        self.failing: str | None = None  # the error_message of the next container
        self.refreshed = 0
        self._ids = itertools.count(18_000_000_000_000_001)

    def __enter__(self) -> FakeThreads:
        self.start()
        return self

    def issued(self, token: str) -> None:
        self.tokens[token] = self.clock.now()

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def error(
        status: int, code: int, message: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> Response:
        body = {"error": {"message": message, "type": "OAuthException", "code": code, **extra}}
        body["error"]["fbtrace_id"] = "AbCdEfGh123"
        return Response(status, body, dict(headers or {}))

    @staticmethod
    def usage_headers(minutes: float) -> dict[str, str]:
        spent = [{"type": "threads", "call_count": 100, "total_cputime": 12, "total_time": 30}]
        spent[0]["estimated_time_to_regain_access"] = minutes
        return {
            "X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 12, "total_time": 30}),
            "X-Business-Use-Case-Usage": json.dumps({USER_ID: spent}),
        }

    def rate_limit_fault(self, minutes: float = 5, status: int = 429) -> Fault:
        refusal = self.error(
            status, 4, "Application request limit reached", self.usage_headers(minutes)
        )
        assert refusal.body is not None
        return Fault.status(status, refusal.body, refusal.headers)

    def _refused(self, request: Request) -> Response | None:
        auth = request.headers.get("authorization", "")
        token = (
            auth.removeprefix("Bearer ")
            if auth.startswith("Bearer ")
            else request.arg("access_token")
        )
        if not token or token not in self.tokens:
            return self.error(400, 190, "Error validating access token: the session is invalid")
        return None

    @staticmethod
    def _args(request: Request) -> dict[str, Any]:
        args: dict[str, Any] = {k: v[0] for k, v in request.query.items()}
        if request.body and request.headers.get("content-type", "").startswith("application/json"):
            args.update(request.json() or {})
        elif request.body:
            args.update({k: v[0] for k, v in request.form().items()})
        return args

    def _user_ok(self, user: str) -> bool:
        return user in ("me", USER_ID)

    def _new_id(self) -> str:
        return str(next(self._ids))

    # --- routes -------------------------------------------------------------------------------

    @route("GET", ME)
    def me(self, request: Request) -> Response:
        refused = self._refused(request)
        return refused or Response(200, {"id": USER_ID, "username": USERNAME})

    @route("POST", CONTAINERS)
    def create_container(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        if not self._user_ok(request.params["user"]):
            return self.error(400, 100, "Unsupported post request")
        args = self._args(request)
        kind = args.get("media_type")
        if kind not in ("TEXT", "IMAGE", "CAROUSEL"):
            return self.error(400, 100, "Param media_type must be one of {TEXT, IMAGE, CAROUSEL}")
        if kind == "TEXT" and not args.get("text"):
            return self.error(400, 100, "Param text is required for TEXT posts")
        if len(str(args.get("text") or "")) > 500:
            return self.error(400, 100, "Param text must be at most 500 characters long")
        if args.get("reply_to_id") and not self._post(str(args["reply_to_id"])):
            return self.error(400, 100, "Param reply_to_id is not a post")
        with self.lock:
            stuck = self.stuck if self.stuck_for is None or self.stuck_for > 0 else 0
            if stuck and self.stuck_for is not None:
                self.stuck_for -= 1
            container = Container(self._new_id(), args, pending_reads=stuck)
            if kind == "CAROUSEL":
                children = str(args.get("children") or "").split(",")
                items = [self.containers.get(c) for c in children]
                if not 2 <= len(items) <= 20 or any(i is None for i in items):
                    return self.error(400, 100, "Param children must name 2 to 20 items")
            if self.failing is not None:
                container.status, container.error_message = "ERROR", self.failing
                self.failing = None
            self.containers[container.id] = container
        if kind == "IMAGE" and container.status != "ERROR":
            self._fetch(container, str(args.get("image_url") or ""))
        return Response(200, {"id": container.id})

    def _fetch(self, container: Container, url: str) -> None:
        """What Meta does with an image_url: download it (here, from the loopback host)."""
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                data = answer.read()
                container.fetched.append((url, len(data), answer.headers["Content-Type"]))
        except (OSError, ValueError):
            container.status, container.error_message = "ERROR", "UNKNOWN"

    @route("GET", NODE)
    def node(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        node = request.params["node"]
        with self.lock:
            container = self.containers.get(node)
            if container is not None:
                status = container.status
                if status == "FINISHED" and container.pending_reads > 0:
                    container.pending_reads -= 1
                    status = "IN_PROGRESS"
                answer: dict[str, Any] = {"id": node, "status": status}
                if container.error_message:
                    answer["error_message"] = container.error_message
                return Response(200, answer)
        post = self._post(node)
        if post is None:
            return self.error(400, 100, f"Object with ID '{node}' does not exist")
        return Response(200, post.json())

    @route("POST", PUBLISH)
    def publish(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        creation = str(self._args(request).get("creation_id") or "")
        with self.lock:
            container = self.containers.get(creation)
            if container is None:
                return self.error(400, 100, "Param creation_id is not a container")
            if container.status != "FINISHED" or container.pending_reads > 0:
                return self.error(400, 9007, f"The media is not ready ({container.status})")
            fields = container.fields
            if fields.get("is_carousel_item"):
                return self.error(400, 100, "A carousel item is published with its carousel")
            post = Post(
                id=self._new_id(),
                text=str(fields.get("text") or ""),
                timestamp=self.clock.now(),
                reply_to=fields.get("reply_to_id"),
                container=creation,
                media_type=str(fields.get("media_type")),
                alts=self._alts(fields),
                reply_control=fields.get("reply_control"),
                link_attachment=fields.get("link_attachment"),
            )
            self.posts.append(post)
            container.status = "PUBLISHED"
        return Response(200, {"id": post.id})

    def _alts(self, fields: dict[str, Any]) -> tuple[str, ...]:
        if fields.get("media_type") == "IMAGE":
            return (str(fields.get("alt_text") or ""),)
        if fields.get("media_type") == "CAROUSEL":
            children = str(fields.get("children") or "").split(",")
            return tuple(str(self.containers[c].fields.get("alt_text") or "") for c in children)
        return ()

    @route("GET", CONTAINERS)
    def listing(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        since = request.arg("since")
        with self.lock:
            mine = [p for p in reversed(self.posts) if p.reply_to is None]
        if since is not None:
            mine = [p for p in mine if p.timestamp.timestamp() >= int(since)]
        return self._page(request, mine)

    @route("GET", REPLIES)
    def replies(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        node = request.params["node"]
        since = request.arg("since")
        with self.lock:
            if self._user_ok(node):  # the user's own replies, to anyone
                found = [p for p in reversed(self.posts) if p.reply_to is not None]
            else:
                found = [p for p in reversed(self.posts) if p.reply_to == node]
        if since is not None:
            found = [p for p in found if p.timestamp.timestamp() >= int(since)]
        return self._page(request, found)

    def _page(self, request: Request, posts: list[Post]) -> Response:
        start = int(request.arg("after") or 0)
        limit = int(request.arg("limit") or 25)
        page = posts[start : start + limit]
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + limit)}}
        if start + limit < len(posts):
            paging["next"] = f"{self.base_url}{request.path}?after={start + limit}"
        return Response(200, {"data": [p.json() for p in page], "paging": paging})

    @route("GET", REFRESH)
    def refresh(self, request: Request) -> Response:
        token = request.arg("access_token") or ""
        if request.arg("grant_type") != "th_refresh_token":
            return self.error(400, 100, "Unsupported grant_type")
        with self.lock:
            issued = self.tokens.get(token)
            if issued is None:
                return self.error(400, 190, "Error validating access token")
            if self.clock.now() - issued < timedelta(hours=24):
                return self.error(400, 100, "The token is too new to be refreshed")
            self.refreshed += 1
            fresh = f"TH-renewed-{self.refreshed}-0123456789"
            del self.tokens[token]
            self.tokens[fresh] = self.clock.now()
        return Response(200, {"access_token": fresh, "token_type": "bearer", "expires_in": 5183944})

    # --- for tests ----------------------------------------------------------------------------

    def _post(self, media_id: str) -> Post | None:
        with self.lock:
            return next((p for p in self.posts if p.id == media_id), None)

    def fail_next(self, error_message: str) -> None:
        with self.lock:
            self.failing = error_message

    def expire(self, container_id: str) -> None:
        with self.lock:
            self.containers[container_id].status = "EXPIRED"

    def post_elsewhere(self, text: str) -> Post:
        """A post the account makes through another app."""
        with self.lock:
            post = Post(self._new_id(), text, self.clock.now(), None, "", "TEXT_POST")
            self.posts.append(post)
            return post
