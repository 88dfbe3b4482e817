"""A fake X API v2 on 127.0.0.1: posts, the user timeline, v2 media, OAuth 2.0 refresh.

The media endpoints (one-shot images, chunked GIFs with processing, alt text) live in
tests/fakes/x_media.py.

Bodies and headers follow PLATFORMS.md section 1 and X's v2 docs: ``201 {"data": {"id",
"text", "edit_history_tweet_ids"}}`` for a post, RFC 7807 problem bodies for errors (the
duplicate answer is the 403 X sends for repeated text), ``x-rate-limit-*`` headers with a reset
in epoch seconds. The timeline returns text the way X does: ``&``/``<``/``>`` escaped, every
URL replaced by a t.co link, and a t.co link appended for attached media.

Authentication is checked loosely but for real: an OAuth 1.0a header must carry the account's
access token; a bearer token must be one the fake issued and has not expired or rotated away.
Refresh tokens are single-use; replaying a spent one revokes the whole token family, as X does.

What was posted stays in ``tweets`` so tests can assert exactly-once.
"""

from __future__ import annotations

import html
import itertools
import re
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from twitter_text import parse_tweet
from twitter_text.extract_urls import extract_urls_with_indices

from tests.fakes.base import FakeServer, Fault, Request, Response, route
from tests.fakes.oauth import CodeGrants, basic_client
from tests.fakes.x_media import (
    APPEND,
    FINALIZE,
    INITIALIZE,
    METADATA,
    UPLOAD,
    XMediaRoutes,
    invalid_request,
)

__all__ = [
    "APPEND",
    "CREATE",
    "FINALIZE",
    "INITIALIZE",
    "ME",
    "METADATA",
    "TIMELINE",
    "TOKEN",
    "UPLOAD",
    "FakeX",
    "Fault",
    "invalid_request",
    "problem",
]

CREATE = "/2/tweets"
TIMELINE = "/2/users/{id}/tweets"
ME = "/2/users/me"
TOKEN = "/2/oauth2/token"
AUTHORIZE = "/i/oauth2/authorize"

_TCO_ALPHABET = string.ascii_letters + string.digits
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text length "
    "see https://github.com/twitter/twitter-text."
)


def problem(status: int, title: str, detail: str, ptype: str = "about:blank") -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": ptype, "status": status}


@dataclass
class Tweet:
    id: str
    text: str
    author_id: str
    created_at: datetime
    in_reply_to: str | None = None
    media_ids: list[str] = field(default_factory=list)
    reply_settings: str | None = None


class FakeX(XMediaRoutes, FakeServer):
    def __init__(
        self,
        *,
        clock: Any = None,
        user_id: str = "1500000000000000001",
        username: str = "mhaw_test",
    ) -> None:
        super().__init__()
        self.clock = clock
        self.user_id = user_id
        self.username = username
        self.oauth1_token = f"{user_id}-oauth1accesstoken"
        self.tweets: list[Tweet] = []
        self._ids = itertools.count(1_790_000_000_000_000_000)
        self._state = threading.RLock()
        self._reset_media()
        self.access_tokens: dict[str, int] = {}  # token -> family
        self.refresh_tokens: dict[str, int] = {}  # live token -> family
        self.spent_refresh: dict[str, int] = {}
        self._families = itertools.count(1)
        self.refresh_count = 0
        self.remaining = 200
        self.client_id = "x-client-id"
        self.client_secret: str | None = None  # set: a confidential client
        self.grants = CodeGrants()
        self.window_end: datetime | None = None  # resets ``remaining`` once it passes

    # --- helpers for tests ------------------------------------------------------------

    def reset(self, clock: Any = None) -> None:
        """Forget everything (posts, media, tokens, faults, the request log)."""
        with self._state, self.lock:
            self.clock = clock
            self.tweets.clear()
            self._reset_media()
            self.access_tokens.clear()
            self.refresh_tokens.clear()
            self.spent_refresh.clear()
            self.refresh_count = 0
            self.remaining = 200
            self.window_end = None
            self.requests.clear()
            self._faults.clear()

    def now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def post_elsewhere(self, text: str) -> Tweet:
        """A post the account makes through another app (newer posts for lookups)."""
        with self._state:
            tweet = Tweet(str(next(self._ids)), text, self.user_id, self.now())
            self.tweets.append(tweet)
            return tweet

    def texts(self) -> list[str]:
        with self._state:
            return [t.text for t in self.tweets]

    def issue_tokens(
        self, access: str | None = None, refresh: str | None = None
    ) -> tuple[str, str]:
        """A fresh OAuth 2.0 access/refresh pair, as after the user authorised the app."""
        with self._state:
            return self._issue(next(self._families), access, refresh)

    def _issue(
        self, family: int, access: str | None = None, refresh: str | None = None
    ) -> tuple[str, str]:
        access = access or "at-" + secrets.token_urlsafe(12)
        refresh = refresh or "rt-" + secrets.token_urlsafe(12)
        self.access_tokens[access] = family
        self.refresh_tokens[refresh] = family
        return access, refresh

    def expire_access_tokens(self) -> None:
        with self._state:
            self.access_tokens.clear()

    def rate_limit(self, method: str, path: str, *, reset_in: int = 60, cap24: bool = False) -> int:
        """Queue a 429 with X's headers; returns the reset instant (epoch seconds)."""
        fault = self.rate_limit_fault(reset_in=reset_in, cap24=cap24)
        self.inject(method, path, fault)
        assert fault.response is not None
        return int(fault.response.headers["x-rate-limit-reset"])

    def rate_limit_fault(self, *, reset_in: int = 60, cap24: bool = False) -> Fault:
        """A 429 with X's headers, its reset ``reset_in`` seconds from now."""
        reset = int(self.now().timestamp()) + reset_in
        headers = {
            "x-rate-limit-limit": "200",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        }
        body = problem(429, "Too Many Requests", "Too Many Requests")
        if cap24:
            headers["x-user-limit-24hour-limit"] = "300"
            headers["x-user-limit-24hour-remaining"] = "0"
            headers["x-user-limit-24hour-reset"] = str(reset + 86_400)
            body = problem(
                429,
                "UsageCapExceeded",
                "Usage cap exceeded: Monthly product cap",
                "https://api.twitter.com/2/problems/usage-capped",
            )
        return Fault.status(429, body, headers)

    def server_error(self, method: str, path: str, status: int = 503) -> None:
        titles = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        title = titles.get(status, "Server Error")
        self.inject(method, path, Fault.status(status, problem(status, title, title)))

    # --- auth ---------------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("OAuth "):
            found = re.search(r'oauth_token="([^"]*)"', header)
            return found is not None and unquote(found.group(1)) == self.oauth1_token
        if header.startswith("Bearer "):
            with self._state:
                return header[len("Bearer ") :] in self.access_tokens
        return False

    def _unauthorised(self) -> Response:
        return Response(401, problem(401, "Unauthorized", "Unauthorized"))

    def _limits(self) -> dict[str, str]:
        now = self.now()
        with self._state:
            # A 15-minute window, as X's: it resets once its end passes.
            if self.window_end is not None and now >= self.window_end:
                self.window_end, self.remaining = None, 200
            if self.window_end is None:
                self.window_end = now + timedelta(minutes=15)
            self.remaining = max(0, self.remaining - 1)
            remaining = self.remaining
            reset = self.window_end
        return {
            "x-rate-limit-limit": "200",
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(int(reset.timestamp())),
        }

    def announced_reset(self, response: Response) -> float | None:
        resets = []
        for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
            reset = response.header(f"{prefix}-reset")
            if reset is not None and (
                response.status == 429 or response.header(f"{prefix}-remaining") == "0"
            ):
                resets.append(float(reset))
        return max(resets, default=None)

    # --- routes -------------------------------------------------------------------------

    @route("POST", CREATE)
    def create_tweet(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()
        body = request.json() or {}
        text = str(body.get("text") or "")
        media_ids = [str(m) for m in (body.get("media") or {}).get("media_ids", [])]
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if not text and not media_ids:
            return Response(400, invalid_request("Either text or media must be present."))
        if parse_tweet(text).weightedLength > 280:
            return Response(400, problem(400, "Bad Request", TOO_LONG), self._limits())
        with self._state:
            unusable = self.media_usable(media_ids)
            if unusable is not None:
                return Response(400, invalid_request(unusable))
            if reply_to is not None and not any(t.id == str(reply_to) for t in self.tweets):
                return Response(
                    400,
                    invalid_request(
                        "The Tweet you are replying to has been deleted or is not visible."
                    ),
                )
            if text and any(t.text == text for t in self.tweets):
                return Response(403, problem(403, "Forbidden", DUPLICATE_DETAIL), self._limits())
            tweet = Tweet(
                id=str(next(self._ids)),
                text=text,
                author_id=self.user_id,
                created_at=self.now(),
                in_reply_to=None if reply_to is None else str(reply_to),
                media_ids=media_ids,
                reply_settings=body.get("reply_settings"),
            )
            self.tweets.append(tweet)
        data = {
            "id": tweet.id,
            "text": self._as_returned(tweet),
            "edit_history_tweet_ids": [tweet.id],
        }
        return Response(201, {"data": data}, self._limits())

    @route("GET", ME)
    def me(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()
        data = {"id": self.user_id, "name": "MHAW test account", "username": self.username}
        return Response(200, {"data": data}, self._limits())

    @route("GET", TIMELINE)
    def timeline(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()
        if request.params["id"] != self.user_id:
            return Response(403, problem(403, "Forbidden", "Not this account's timeline."))
        max_results = int(request.arg("max_results", "10") or 10)
        if not 5 <= max_results <= 100:
            return Response(400, invalid_request("max_results must be between 5 and 100"))
        fields = set((request.arg("tweet.fields") or "").split(","))
        start = request.arg("start_time")
        since_id = request.arg("since_id")
        offset = int(request.arg("pagination_token") or 0)
        with self._state:
            tweets = sorted(self.tweets, key=lambda t: int(t.id), reverse=True)
        if start:
            after = datetime.fromisoformat(start.replace("Z", "+00:00"))
            tweets = [t for t in tweets if t.created_at >= after]
        if since_id:
            tweets = [t for t in tweets if int(t.id) > int(since_id)]
        page = tweets[offset : offset + max_results]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
        if offset + max_results < len(tweets):
            meta["next_token"] = str(offset + max_results)
        out: dict[str, Any] = {"meta": meta}
        if page:
            out["data"] = [self._timeline_item(t, fields) for t in page]
        return Response(200, out, self._limits())

    def _timeline_item(self, tweet: Tweet, fields: set[str]) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": tweet.id,
            "text": self._as_returned(tweet),
            "edit_history_tweet_ids": [tweet.id],
        }
        if "created_at" in fields:
            item["created_at"] = tweet.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if "referenced_tweets" in fields and tweet.in_reply_to:
            item["referenced_tweets"] = [{"type": "replied_to", "id": tweet.in_reply_to}]
        if "attachments" in fields and tweet.media_ids:
            with self._state:
                keys = [self.media[m].key for m in tweet.media_ids]
            item["attachments"] = {"media_keys": keys}
        return item

    @staticmethod
    def _tco() -> str:
        return "https://t.co/" + "".join(secrets.choice(_TCO_ALPHABET) for _ in range(10))

    def _as_returned(self, tweet: Tweet) -> str:
        text, pieces, last = tweet.text, [], 0
        for url in sorted(extract_urls_with_indices(text), key=lambda u: u["indices"][0]):
            start, end = url["indices"]
            pieces.append(html.escape(text[last:start], quote=False))
            pieces.append(self._tco())
            last = end
        pieces.append(html.escape(text[last:], quote=False))
        out = "".join(pieces)
        if tweet.media_ids:
            out = f"{out} {self._tco()}".strip()
        return out

    @route("GET", AUTHORIZE)
    def authorize(self, request: Request) -> Response:
        return self.grants.authorize(request, known_client=self.client_id)

    def _code_grant(self, request: Request, form: dict[str, str]) -> Response:
        basic = basic_client(request)
        if self.client_secret is not None and basic != (self.client_id, self.client_secret):
            return Response(401, {"error": "unauthorized_client"})
        client_id = basic[0] if basic else form.get("client_id", "")
        grant = self.grants.redeem(form, client_id)
        if grant is None:
            return Response(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the authorization code was invalid.",
                },
            )
        with self._state:
            access, refresh = self._issue(next(self._families))
        body: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access,
            "scope": grant.scope,
        }
        if "offline.access" in grant.scope.split():
            body["refresh_token"] = refresh
        return Response(200, body)

    @route("POST", TOKEN)
    def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in request.form().items()}
        if form.get("grant_type") == "authorization_code":
            return self._code_grant(request, form)
        if form.get("grant_type") != "refresh_token":
            return Response(400, {"error": "unsupported_grant_type"})
        has_basic = request.headers.get("authorization", "").startswith("Basic ")
        if not (has_basic or form.get("client_id")):
            return Response(
                401,
                {"error": "unauthorized_client", "error_description": "Missing client id"},
            )
        refresh = str(form.get("refresh_token", ""))
        invalid = {
            "error": "invalid_request",
            "error_description": "Value passed for the token was invalid.",
        }
        with self._state:
            family = self.refresh_tokens.pop(refresh, None)
            if family is None:
                spent = self.spent_refresh.get(refresh)
                if spent is not None:  # replay of a rotated token: the family is revoked
                    for table in (self.access_tokens, self.refresh_tokens):
                        for tok in [t for t, f in table.items() if f == spent]:
                            del table[tok]
                return Response(400, invalid)
            self.spent_refresh[refresh] = family
            for tok in [t for t, f in self.access_tokens.items() if f == family]:
                del self.access_tokens[tok]
            access, new_refresh = self._issue(family)
            self.refresh_count += 1
        return Response(
            200,
            {
                "token_type": "bearer",
                "expires_in": 7200,
                "access_token": access,
                "scope": "tweet.read tweet.write users.read media.write offline.access",
                "refresh_token": new_refresh,
            },
        )
