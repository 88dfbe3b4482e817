"""A fake Mastodon instance: the client API calls the publisher makes, with real bodies,
headers and errors (mastodon/documentation methods/statuses, media, instance; rate limits).

What it keeps: every status created (``statuses``, oldest first) and every media upload.
What it can do besides answering: replay an Idempotency-Key within an hour per account as
Mastodon does, keep media "processing" for a number of polls, answer errors in another
language (Mastodon localises ``error``), and send rate-limit headers with an ISO 8601 reset.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.clock import Clock, FixedClock
from tests.fakes.base import FakeServer, Fault, Request, Response, route
from tests.fakes.oauth import CodeGrants, basic_client

STATUSES = "/api/v1/statuses"
MEDIA = "/api/v2/media"
MEDIA_ONE = "/api/v1/media/{id}"
VERIFY = "/api/v1/accounts/verify_credentials"
ACCOUNT_STATUSES = "/api/v1/accounts/{id}/statuses"
INSTANCE_V2 = "/api/v2/instance"
INSTANCE_V1 = "/api/v1/instance"
APPS = "/api/v1/apps"
AUTHORIZE = "/oauth/authorize"
TOKEN = "/oauth/token"

MESSAGES = {
    "en": {
        "token": "The access token is invalid",
        "too_long": "Validation failed: Text character limit of {limit} exceeded",
        "not_ready": (
            "Cannot attach files that have not finished processing. Try again in a moment!"
        ),
        "not_found": "Record not found",
        "rate": "Too many requests",
    },
    "de": {
        "token": "Der Zugriffstoken ist ungültig",
        "too_long": "Validierung fehlgeschlagen: Zeichenlimit von {limit} überschritten",
        "not_ready": "Dateien, die noch nicht verarbeitet wurden, können nicht angehängt werden.",
        "not_found": "Eintrag nicht gefunden",
        "rate": "Zu viele Anfragen",
    },
}

_URL = re.compile(r"https?://[^\s<>\"']+")


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def render_html(text: str) -> str:
    """Status content as Mastodon renders it: paragraphs, line breaks, shortened links."""

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        scheme, _, rest = url.partition("://")
        shown, hidden = rest[:30], rest[30:]
        return (
            f'<a href="{html.escape(url)}" rel="nofollow noopener" target="_blank">'
            f'<span class="invisible">{scheme}://</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>'
        )

    paragraphs = []
    for para in text.split("\n\n"):
        pieces = []
        last = 0
        for match in _URL.finditer(para):
            pieces.append(html.escape(para[last : match.start()]))
            pieces.append(link(match))
            last = match.end()
        pieces.append(html.escape(para[last:]))
        paragraphs.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


@dataclass
class Posted:
    id: str
    text: str
    in_reply_to_id: str | None
    spoiler_text: str
    sensitive: bool
    visibility: str
    language: str | None
    media: list[dict[str, Any]]
    idempotency_key: str | None
    created_at: datetime
    entity: dict[str, Any] = field(repr=False, default_factory=dict)


class FakeMastodon(FakeServer):
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        token: str = "mastodon-token-0123456789",
        locale: str = "en",
        max_characters: int = 500,
        honour_idempotency: bool = True,
        has_v2_instance: bool = True,
        media_polls: int = 0,
        claims_ready: bool = False,
        link_headers: bool = True,
    ) -> None:
        super().__init__()
        self.clock: Clock = clock or FixedClock()
        self.token = token
        self.locale = locale
        self.max_characters = max_characters
        self.honour_idempotency = honour_idempotency
        self.has_v2_instance = has_v2_instance
        self.media_polls = media_polls  # GETs answered 206 before an upload is processed
        # A server that answers an upload 200 with a URL while still processing it.
        self.claims_ready = claims_ready
        # False: a Mastodon-API server that pages only by max_id and sends no Link header.
        self.link_headers = link_headers
        self.statuses: list[Posted] = []
        self.media: dict[str, dict[str, Any]] = {}
        self._idempotency: dict[tuple[str, str], tuple[str, datetime]] = {}
        self._ids = itertools.count(110_000_000_000_000_001)
        self.account = {
            "id": "109000000000000001",
            "username": "mhaw",
            "acct": "mhaw",
            "display_name": "Mental Health Awareness Week",
            "url": "",
        }
        self.remaining = 300
        # Apps registered with POST /api/v1/apps: client_id -> (secret, redirect URIs, scopes).
        self.apps: dict[str, tuple[str, list[str], str]] = {}
        self.grants = CodeGrants()
        self.client_auth: list[str] = []  # "basic" | "post", per token request
        # The rate-limit window: it resets (and ``remaining`` with it) once its end passes, as
        # a real server's does; the first answer opens it.
        self.window_end: datetime | None = None

    def start(self) -> FakeMastodon:
        super().start()
        self.account["url"] = f"{self.base_url}/@mhaw"
        return self

    def __enter__(self) -> FakeMastodon:
        return self.start()

    # --- helpers --------------------------------------------------------------------------

    def msg(self, key: str, **kw: Any) -> str:
        return MESSAGES[self.locale][key].format(**kw)

    def rate_headers(self) -> dict[str, str]:
        now = self.clock.now()
        with self.lock:
            if self.window_end is not None and now >= self.window_end:
                self.window_end, self.remaining = None, 300
            if self.window_end is None:
                self.window_end = now + timedelta(minutes=5)
            reset = self.window_end
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": reset.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def answer(self, status: int, body: Any) -> Response:
        return Response(status, body, self.rate_headers())

    def authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def unauthorised(self) -> Response:
        return self.answer(401, {"error": self.msg("token")})

    def rate_limit_fault(self, seconds: float = 300) -> Fault:
        reset = self.clock.now() + timedelta(seconds=seconds)
        return Fault.status(
            429,
            {"error": self.msg("rate")},
            {
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            },
        )

    def announced_reset(self, response: Response) -> float | None:
        reset = response.header("X-RateLimit-Reset")
        if reset is None:
            return None
        if response.status != 429 and response.header("X-RateLimit-Remaining") != "0":
            return None
        return datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp()

    def entity(self, posted: Posted) -> dict[str, Any]:
        return posted.entity

    def texts(self) -> list[str]:
        with self.lock:
            return [s.text for s in self.statuses]

    # --- routes ---------------------------------------------------------------------------

    @route("POST", APPS)
    def register_app(self, request: Request) -> Response:
        form = {k: v[0] for k, v in request.form().items()}
        if not form.get("client_name") or not form.get("redirect_uris"):
            return self.answer(422, {"error": "Validation failed: Application name can't be blank"})
        client_id = f"client-{len(self.apps) + 1}"
        secret = f"client-secret-{len(self.apps) + 1}"
        uris = form["redirect_uris"].split()
        scopes = form.get("scopes", "read")
        with self.lock:
            self.apps[client_id] = (secret, uris, scopes)
        return self.answer(
            200,
            {
                "id": str(len(self.apps)),
                "name": form["client_name"],
                "scopes": scopes.split(),
                "redirect_uris": uris,
                "client_id": client_id,
                "client_secret": secret,
            },
        )

    @route("GET", AUTHORIZE)
    def authorize(self, request: Request) -> Response:
        app = self.apps.get(request.arg("client_id") or "")
        if app is None or request.arg("redirect_uri") not in app[1]:
            return Response(400, b"The redirect uri included is not valid.")
        wanted = set((request.arg("scope") or "read").split())
        if not wanted <= set(app[2].split()):
            return Response(400, b"The requested scope is invalid, unknown, or malformed.")
        return self.grants.authorize(request)

    @route("POST", TOKEN)
    def token_grant(self, request: Request) -> Response:
        form = {k: v[0] for k, v in request.form().items()}
        basic = basic_client(request)
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        self.client_auth.append("basic" if basic else "post")
        app = self.apps.get(client_id)
        invalid = {
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, "
            "revoked, does not match the redirection URI used in the authorization request, "
            "or was issued to another client.",
        }
        if app is None or app[0] != secret:
            return Response(401, {"error": "invalid_client"})
        if form.get("grant_type") != "authorization_code":
            return Response(400, {"error": "unsupported_grant_type"})
        grant = self.grants.redeem(form, client_id)
        if grant is None:
            return Response(400, invalid)
        # The fake knows one account and one live token: the new one replaces it.
        self.token = "mastodon-oauth-" + client_id + "-" + str(len(self.grants.redeemed))
        return Response(
            200,
            {
                "access_token": self.token,
                "token_type": "Bearer",
                "scope": grant.scope,
                "created_at": int(self.clock.now().timestamp()),
            },
        )

    @route("GET", VERIFY)
    def verify_credentials(self, request: Request) -> Response:
        if not self.authorised(request):
            return self.unauthorised()
        return self.answer(200, {**self.account, "source": {"privacy": "public"}})

    def _configuration(self) -> dict[str, Any]:
        return {
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": 4,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
                "image_size_limit": 16_777_216,
                "image_matrix_limit": 33_177_600,
                "video_size_limit": 103_809_024,
                "description_limit": 1500,
            },
        }

    @route("GET", INSTANCE_V2)
    def instance_v2(self, request: Request) -> Response:
        if not self.has_v2_instance:
            return Response(404, {"error": self.msg("not_found")})
        return Response(
            200,
            {"domain": "127.0.0.1", "version": "4.4.0", "configuration": self._configuration()},
        )

    @route("GET", INSTANCE_V1)
    def instance_v1(self, request: Request) -> Response:
        return Response(
            200,
            {"uri": "127.0.0.1", "version": "4.4.0", "configuration": self._configuration()},
        )

    @route("POST", MEDIA)
    def upload(self, request: Request) -> Response:
        if not self.authorised(request):
            return self.unauthorised()
        form = request.form()
        data = (form.get("file") or [b""])[0]
        if not isinstance(data, bytes) or not data:
            return self.answer(422, {"error": "Validation failed: File can't be blank"})
        with self.lock:
            media_id = str(next(self._ids))
            entry = {
                "id": media_id,
                "type": "image",
                "url": None,
                "preview_url": f"{self.base_url}/media/{media_id}/small.png",
                "description": (form.get("description") or [None])[0],
                "size": len(data),
                "polls_left": self.media_polls,
            }
            self.media[media_id] = entry
        if self.media_polls and not self.claims_ready:
            return self.answer(202, self._media_entity(entry))
        entry["url"] = f"{self.base_url}/media/{media_id}/original.png"
        return self.answer(200, self._media_entity(entry))

    def _media_entity(self, entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if k not in ("polls_left", "size")} | {
            "meta": {"original": {"width": 640, "height": 480}}
        }

    @route("GET", MEDIA_ONE)
    def media_one(self, request: Request) -> Response:
        if not self.authorised(request):
            return self.unauthorised()
        with self.lock:
            entry = self.media.get(request.params["id"])
            if entry is None:
                return self.answer(404, {"error": self.msg("not_found")})
            if entry["polls_left"] > 0:
                entry["polls_left"] -= 1
                return self.answer(206, self._media_entity(entry))
            entry["url"] = f"{self.base_url}/media/{entry['id']}/original.png"
            return self.answer(200, self._media_entity(entry))

    @route("POST", STATUSES)
    def create_status(self, request: Request) -> Response:
        if not self.authorised(request):
            return self.unauthorised()
        form = request.form()

        def one(name: str) -> Any:
            values = form.get(name)
            return values[0] if values else None

        key = request.headers.get("idempotency-key")
        now = self.clock.now()
        with self.lock:
            if key and self.honour_idempotency:
                stored = self._idempotency.get((self.account["id"], key))
                if stored is not None and now - stored[1] < timedelta(hours=1):
                    original = next(s for s in self.statuses if s.id == stored[0])
                    return self.answer(200, original.entity)
            text = one("status") or ""
            spoiler = one("spoiler_text") or ""
            media_ids = [str(m) for m in (form.get("media_ids") or form.get("media_ids[]") or [])]
            if not text and not media_ids:
                return self.answer(422, {"error": "Validation failed: Text can't be blank"})
            length = len(_URL.sub("x" * 23, text)) + len(spoiler)
            if length > self.max_characters:
                return self.answer(422, {"error": self.msg("too_long", limit=self.max_characters)})
            reply_to = one("in_reply_to_id")
            if reply_to is not None and not any(s.id == str(reply_to) for s in self.statuses):
                return self.answer(404, {"error": self.msg("not_found")})
            attachments = []
            for media_id in media_ids:
                entry = self.media.get(media_id)
                if entry is None:
                    return self.answer(422, {"error": "Validation failed: media not found"})
                if entry["url"] is None or entry["polls_left"] > 0:
                    return self.answer(422, {"error": self.msg("not_ready")})
                attachments.append(self._media_entity(entry))
            sensitive = one("sensitive")
            posted = self._store(
                text,
                reply_to=None if reply_to is None else str(reply_to),
                spoiler=spoiler,
                sensitive=bool(sensitive in (True, "true", "1") or spoiler),
                visibility=one("visibility") or "public",
                language=one("language"),
                attachments=attachments,
                key=key,
            )
            if key:
                self._idempotency[(self.account["id"], key)] = (posted.id, now)
            self.remaining -= 1
            return self.answer(200, posted.entity)

    def post_elsewhere(self, text: str) -> Posted:
        """A status the account posts through another app (newer statuses for lookups)."""
        with self.lock:
            return self._store(text)

    def _store(
        self,
        text: str,
        *,
        reply_to: str | None = None,
        spoiler: str = "",
        sensitive: bool = False,
        visibility: str = "public",
        language: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        key: str | None = None,
    ) -> Posted:
        """Store a status (the caller holds the lock)."""
        now = self.clock.now()
        status_id = str(next(self._ids))
        posted = Posted(
            id=status_id,
            text=text,
            in_reply_to_id=reply_to,
            spoiler_text=spoiler,
            sensitive=sensitive,
            visibility=visibility,
            language=language,
            media=list(attachments or []),
            idempotency_key=key,
            created_at=now,
        )
        posted.entity = {
            "id": status_id,
            "created_at": iso(now),
            "in_reply_to_id": reply_to,
            "in_reply_to_account_id": self.account["id"] if reply_to else None,
            "sensitive": sensitive,
            "spoiler_text": spoiler,
            "visibility": visibility,
            "language": language,
            "uri": f"{self.base_url}/users/mhaw/statuses/{status_id}",
            "url": f"{self.base_url}/@mhaw/{status_id}",
            "content": render_html(text),
            "media_attachments": posted.media,
            "account": self.account,
            "reblog": None,
        }
        self.statuses.append(posted)
        return posted

    @route("GET", ACCOUNT_STATUSES)
    def account_statuses(self, request: Request) -> Response:
        if not self.authorised(request):
            return self.unauthorised()
        if request.params["id"] != self.account["id"]:
            return self.answer(404, {"error": self.msg("not_found")})
        limit = min(int(request.arg("limit", "20") or 20), 40)
        max_id = request.arg("max_id")
        with self.lock:
            newest_first = [s.entity for s in reversed(self.statuses)]
        if max_id is not None:
            newest_first = [s for s in newest_first if int(s["id"]) < int(max_id)]
        page = newest_first[:limit]
        headers = self.rate_headers()
        if len(newest_first) > limit and self.link_headers:
            headers["Link"] = (
                f'<{self.base_url}{request.path}?max_id={page[-1]["id"]}&limit={limit}>; rel="next"'
            )
        return Response(200, page, headers)
