"""A fake Instagram Graph API (Content Publishing): containers that fetch their image from
its public URL, carousels, ``media_publish``, the account's media listed newest first by
cursor, container status, ``content_publishing_limit``, comments and token refresh, with
Meta's error shape and usage headers.

Container faults: ``hold(n)`` keeps the next container IN_PROGRESS for n status reads
(``hold(None)``: for ever); ``doom("EXPIRED" | "ERROR")`` gives the next container that
state.
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

VERSION = "v23.0"
CONTAINERS = "/{version}/{user}/media"
PUBLISH = "/{version}/{user}/media_publish"
NODE = "/{version}/{node}"
LIMIT = "/{version}/{user}/content_publishing_limit"
COMMENTS = "/{version}/{media}/comments"
REFRESH = "/refresh_access_token"
POSTS_PER_DAY = 50
LIFETIME = 60 * 24 * 3600  # seconds a long-lived token lasts


@dataclass
class Container:
    id: str
    fields: dict[str, str]
    status: str = "IN_PROGRESS"
    polls_left: int | None = 0  # status reads still IN_PROGRESS; None: for ever
    alts: tuple[str, ...] = ()
    media_id: str | None = None


@dataclass
class Media:
    id: str
    caption: str
    at: datetime
    alts: tuple[str, ...]
    container: str
    comments: list[str] = field(default_factory=list)

    @property
    def permalink(self) -> str:
        return f"https://www.instagram.com/p/C{self.id[-8:]}/"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "caption": self.caption,
            "timestamp": self.at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink": self.permalink,
        }


def graph_error(
    status: int, code: int, message: str, subcode: int | None = None, **headers: str
) -> Response:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException" if code == 190 else "IGApiException",
        "code": code,
        "fbtrace_id": "AbCdEfGhIjK",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return Response(status, {"error": error}, headers)


def usage_header(minutes: int) -> dict[str, str]:
    """Meta's business use case usage, spent, with the wait in minutes."""
    usage = {
        "17841400008460056": [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 30,
                "estimated_time_to_regain_access": minutes,
            }
        ]
    }
    return {"X-Business-Use-Case-Usage": json.dumps(usage)}


class FakeInstagram(MetaSignIn, FakeServer):
    long_grant = "ig_exchange_token"

    def __init__(
        self, clock: Clock, token: str, user_id: str = "17841400008460056", username: str = "mhaw"
    ) -> None:
        super().__init__()
        self.sign_in_setup()
        self.clock = clock
        self.tokens = {token}
        self.user_id = user_id
        self.username = username
        self.containers: dict[str, Container] = {}
        self.media: list[Media] = []  # oldest first
        self.refreshed: list[str] = []  # tokens handed out by refresh
        self._ids = itertools.count(17_900_000_000_000_001)
        self._hold: list[int | None] = []
        self._doom: list[str] = []

    def issued(self, token: str) -> None:
        self.tokens.add(token)

    # --- faults -------------------------------------------------------------------------

    def hold(self, polls: int | None) -> None:
        with self.lock:
            self._hold.append(polls)

    def doom(self, state: str) -> None:
        with self.lock:
            self._doom.append(state)

    @staticmethod
    def throttled(minutes: int = 5) -> Fault:
        """Meta's answer when the account's business use case limit is spent."""
        response = graph_error(
            400, 80002, "There have been too many calls to this Instagram account."
        )
        response.headers.update(usage_header(minutes))
        return Fault("status", response)

    # --- checks -------------------------------------------------------------------------

    def _refused(self, request: Request) -> Response | None:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        token = bearer or request.arg("access_token") or ""
        if token not in self.tokens:
            return graph_error(400, 190, "Error validating access token: Session has expired")
        if request.params.get("version") not in (None, VERSION):
            return graph_error(400, 2635, f"unknown version {request.params.get('version')}")
        user = request.params.get("user")
        if user is not None and user != self.user_id:
            return graph_error(400, 100, f"Unsupported request: object '{user}' does not exist")
        return None

    def _fetch(self, url: str) -> bytes | None:
        """What Meta's fetcher gets from ``url``: a JPEG, or None."""
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                data: bytes = answer.read()
                kind = answer.headers.get("Content-Type", "")
        except OSError:
            return None
        return data if kind == "image/jpeg" and data.startswith(b"\xff\xd8") else None

    # --- routes -------------------------------------------------------------------------

    @route("POST", CONTAINERS)
    def create_container(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        fields = {k: v[0] for k, v in request.form().items()}
        with self.lock:
            cid = str(next(self._ids))
            container = Container(cid, fields)
            if fields.get("media_type") == "CAROUSEL":
                children = [self.containers.get(c) for c in fields.get("children", "").split(",")]
                if not 2 <= len(children) <= 10 or any(
                    c is None
                    or c.status != "FINISHED"
                    or c.fields.get("is_carousel_item") != "true"
                    for c in children
                ):
                    return graph_error(400, 100, "Invalid children for a carousel", 2207028)
                container.alts = tuple(c.alts[0] for c in children if c is not None)
            else:
                if not fields.get("image_url"):
                    return graph_error(400, 100, "The parameter image_url is required")
                container.alts = (fields.get("alt_text", ""),)
            hold = self._hold.pop(0) if self._hold else 0
            doom = self._doom.pop(0) if self._doom else None
            self.containers[cid] = container
        if fields.get("image_url") and self._fetch(fields["image_url"]) is None:
            container.status = "ERROR"
        elif doom is not None:
            container.status = doom
        elif hold == 0:
            container.status = "FINISHED"
        else:
            container.polls_left = hold
        return Response(200, {"id": cid})

    @route("POST", PUBLISH)
    def publish(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        creation = (request.form().get("creation_id") or [""])[0]
        with self.lock:
            container = self.containers.get(creation)
            if container is None or container.fields.get("is_carousel_item") == "true":
                return graph_error(400, 100, f"Media ID {creation} is not available", 2207027)
            if container.status == "EXPIRED":
                return graph_error(
                    400, -2, "The media you are trying to access has expired.", 2207020
                )
            if container.status != "FINISHED":
                return graph_error(400, 9007, "Media ID is not available", 2207027)
            since = self.clock.now() - timedelta(hours=24)
            if sum(1 for m in self.media if m.at > since) >= POSTS_PER_DAY:
                return graph_error(
                    400,
                    9,
                    "You reached maximum number of posts that is allowed to be published "
                    "by Content Publishing API.",
                    2207042,
                )
            media = Media(
                str(next(self._ids)),
                container.fields.get("caption", ""),
                self.clock.now(),
                container.alts,
                container.id,
            )
            self.media.append(media)
            container.status = "PUBLISHED"
            container.media_id = media.id
        return Response(200, {"id": media.id})

    @route("GET", CONTAINERS)
    def list_media(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        limit = int(request.arg("limit") or 25)
        start = int(request.arg("after") or 0)
        with self.lock:
            newest = [m.json() for m in reversed(self.media)]
        page = newest[start : start + limit]
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + limit)}}
        if start + limit < len(newest):
            paging["next"] = f"{self.base_url}/{VERSION}/{self.user_id}/media?after={start + limit}"
        return Response(200, {"data": page, "paging": paging})

    @route("GET", NODE)
    def node(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        node = request.params["node"]
        with self.lock:
            if node == self.user_id:
                return Response(200, {"id": self.user_id, "username": self.username})
            container = self.containers.get(node)
            if container is not None:
                if container.status == "IN_PROGRESS" and container.polls_left is not None:
                    if container.polls_left <= 0:
                        container.status = "FINISHED"
                    container.polls_left -= 1
                return Response(
                    200, {"id": node, "status_code": container.status, "status": container.status}
                )
            for media in self.media:
                if media.id == node:
                    return Response(200, media.json())
        return graph_error(400, 100, f"Unsupported get request. Object {node} does not exist")

    @route("GET", LIMIT)
    def publishing_limit(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        since = self.clock.now() - timedelta(hours=24)
        with self.lock:
            used = sum(1 for m in self.media if m.at > since)
        return Response(200, {"data": [{"quota_usage": used}]})

    @route("POST", COMMENTS)
    def comment(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        message = (request.form().get("message") or [""])[0]
        with self.lock:
            for media in self.media:
                if media.id == request.params["media"]:
                    media.comments.append(message)
                    return Response(200, {"id": str(next(self._ids))})
        return graph_error(400, 100, "Unsupported post request")

    @route("GET", REFRESH)
    def refresh(self, request: Request) -> Response:
        token = request.arg("access_token") or ""
        if request.arg("grant_type") != "ig_refresh_token":
            return graph_error(400, 100, "grant_type must be ig_refresh_token")
        if token not in self.tokens:
            return graph_error(400, 190, "Error validating access token")
        with self.lock:
            fresh = f"IGAA-refreshed-{next(self._ids)}"
            self.tokens.add(fresh)
            self.refreshed.append(fresh)
        return Response(
            200, {"access_token": fresh, "token_type": "bearer", "expires_in": LIFETIME}
        )
