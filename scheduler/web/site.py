"""What every route shares: security headers, the session cookie, CSRF checks, templates.

Cookies are HttpOnly and SameSite; Secure whenever the page is served over https. Plain http
is accepted only on a loopback address (local use); elsewhere sign-in is refused with a page
that says why, rather than setting a cookie the browser would leak or drop.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import jinja2
import markupsafe
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.clock import Clock
from scheduler.destination import is_loopback
from scheduler.errors import LedgerError
from scheduler.redact import redact
from scheduler.web.base import NotSignedIn, Session
from scheduler.web.housekeeping import Housekeeping
from scheduler.web.review import Review
from scheduler.web.store import AuthStore
from scheduler.web.tokens import csrf_for, same
from scheduler.web.workspace import Loaded, Workspace

HERE = Path(__file__).resolve().parent

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)

SESSION_COOKIE = "review_session"
SECURE_SESSION_COOKIE = "__Host-review_session"
PRESIGNIN_COOKIE = "review_presignin"


class SecurityHeaders:
    """Adds the security headers to every response, and no-store to everything but CSS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                if https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


Handler = Callable[[Request], Response | Awaitable[Response]]


def by_method(path: str, **handlers: Handler) -> Route:
    """One route for a path served by a handler per method (``GET=..., POST=...``).

    Starlette answers a wrong method with 405 from the first route whose path matches, so
    two routes for one path would name only the first one's methods in ``Allow``.
    """

    async def endpoint(request: Request) -> Response:
        handler = handlers["GET" if request.method == "HEAD" else request.method]
        if inspect.iscoroutinefunction(handler):
            return await cast(Callable[[Request], Awaitable[Response]], handler)(request)
        return await run_in_threadpool(cast(Callable[[Request], Response], handler), request)

    endpoint.__name__ = "_or_".join(h.__name__ for h in handlers.values())
    return Route(path, endpoint, methods=list(handlers))


def cookie_is_safe(request: Request) -> bool:
    """https anywhere, or plain http on this machine only."""
    return request.url.scheme == "https" or is_loopback(request.url.hostname)


def session_cookie_name(request: Request) -> str:
    return SECURE_SESSION_COOKIE if request.url.scheme == "https" else SESSION_COOKIE


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int, strict: bool
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict" if strict else "lax",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path="/", secure=request.url.scheme == "https", httponly=True, samesite="lax"
    )


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str  # "ok" | "error" | "warning"
    text: str


def _scrubbed(value: Any) -> Any:
    """Every value a page shows passes the one redaction (error texts quote servers)."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(redact(str(value)))
    if isinstance(value, str):
        return redact(value)
    return value


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_scrubbed,
    )
    env.filters["short_hash"] = lambda h: str(h).split(":")[-1][:12]
    return env


def local_time(instant: datetime, tz_name: str, today: datetime) -> str:
    """A time as the campaign's people read it, with the year only when it is not this one."""
    from scheduler.campaign.schedule import zone

    return shown_time(instant.astimezone(zone(tz_name)), today)


def shown_time(at: datetime, today: datetime, *, with_zone: bool = True) -> str:
    """``at`` (already in the campaign's zone) as "Mon 11 May 09:00 BST", with the year when
    it is not the year of ``today`` (the injected clock's, so pages of a past week say so)."""
    year = "" if at.year == today.astimezone(at.tzinfo).year else f" {at.year}"
    zone_name = f" {at:%Z}" if with_zone else ""
    return f"{at:%a %d %b}{year} {at:%H:%M}{zone_name}"


class Site:
    """The objects every route needs, and the checks every route makes."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        review: Review,
        auth: AuthStore,
        clock: Clock,
        housekeeping: Housekeeping | None = None,
    ) -> None:
        self.workspace = workspace
        self.review = review
        self.auth = auth
        self.clock = clock
        self.housekeeping = housekeeping or Housekeeping(auth, clock)
        self.env = templates()

    def now(self) -> datetime:
        return self.clock.now()

    # --- who is asking --------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        self.housekeeping.maybe()  # every request and sign-in looks here; mostly a no-op
        token = request.cookies.get(session_cookie_name(request), "")
        return self.auth.session(token, now=self.now()) if token else None

    def require(self, request: Request) -> Session:
        session = self.session(request)
        if session is None:
            raise NotSignedIn("sign in with the link from your campaign owner")
        return session

    def campaign(self, session: Session, campaign_id: str) -> Loaded:
        """A campaign the signed-in person is on the team of; 404 for every other id."""
        self.workspace.refresh()
        loaded = self.workspace.get(campaign_id)
        if loaded is None or not loaded.is_member(session.email):
            raise HTTPException(404, "There is no campaign here for you.")
        return loaded

    # --- forged requests ------------------------------------------------------------

    def same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is None:
            return True  # not every client sends it; the CSRF token still has to match
        expected = f"{request.url.scheme}://{request.url.netloc}"
        return origin == expected

    def check_csrf(self, request: Request, session: Session, supplied: str | None) -> None:
        if not self.same_origin(request) or not same(supplied, csrf_for(session.token)):
            raise HTTPException(
                403, "This form has expired or did not come from this site. Reload and retry."
            )

    # --- pages ----------------------------------------------------------------------

    def pause_banners(self, session: Session) -> list[dict[str, Any]]:
        """The pauses in force over the campaigns this person sees, for the banner on every
        page (none when the ledger cannot be read: the page that says so must still show)."""
        try:
            pauses = self.review.ledger.pauses()
        except LedgerError:
            return []
        banners: list[dict[str, Any]] = []
        for loaded in self.workspace.visible_to(session.email):
            pause = next((p for p in pauses if p.covers(loaded.id)), None)
            if pause is not None:
                banners.append(
                    {
                        "id": loaded.id,
                        "title": loaded.campaign.title,
                        "everything": pause.everything,
                        "since": local_time(pause.since, loaded.campaign.timezone, self.now()),
                        "by": pause.actor,
                        "reason": pause.reason,
                    }
                )
        return banners

    def page(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        session: Session | None = None,
        **context: Any,
    ) -> HTMLResponse:
        base: Mapping[str, Any] = {
            "paused": self.pause_banners(session) if session is not None else [],
            "when": lambda at, with_zone=True: shown_time(at, self.now(), with_zone=with_zone),
            "signed_in": session,
            "csrf": csrf_for(session.token) if session is not None else "",
            "campaigns": self.workspace.visible_to(session.email) if session else [],
            "notices": context.pop("notices", ()),
        }
        html = self.env.get_template(template).render(**base, **context)
        return HTMLResponse(html, status_code=status)
