"""The Starlette application: built from objects the command line made (the composition root
is scheduler.cli), so tests can build it the same way around a temporary ledger.

As it starts, the server purges expired invites and sessions and lints every campaign's
drafts once, so the first calendar is as quick as the next.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from scheduler.clock import Clock
from scheduler.errors import LedgerError, SchedulerError
from scheduler.ledger.base import Ledger
from scheduler.log import EventSink, NullLog
from scheduler.notify.base import Notifier
from scheduler.settings import Settings
from scheduler.web import colours
from scheduler.web.addresses import TextOnlyAddresses
from scheduler.web.api import Api, error, http_error_json
from scheduler.web.base import BadRequest, NotSignedIn
from scheduler.web.bodies import BodyLimit
from scheduler.web.bulk import ApproveAll
from scheduler.web.housekeeping import Housekeeping
from scheduler.web.pages import Pages
from scheduler.web.pausing import PausePages
from scheduler.web.probes import Probes
from scheduler.web.public_media import PublicMediaRoutes
from scheduler.web.review import Review
from scheduler.web.site import HERE, SecurityHeaders, Site
from scheduler.web.store import AuthStore
from scheduler.web.workspace import Workspace

TITLES = {
    400: "That request was not understood",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "That request was too large",
}


class Static(StaticFiles):
    """The stylesheet and scripts; a wrong method is told which ones are allowed."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"Allow": "GET, HEAD"})
        return await super().get_response(path, scope)


def create_app(
    *,
    ledger: Ledger,
    workspace: Workspace,
    auth: AuthStore,
    clock: Clock,
    settings: Settings | None = None,
    log: EventSink | None = None,
    notifier: Notifier | None = None,
    public_media: bool = False,
) -> Starlette:
    """The review site over ``ledger`` for the campaigns in ``workspace``.

    ``settings`` is accepted for symmetry with the other commands; nothing from it is shown.
    ``log`` receives what pages do not show (the detail of a ledger that cannot be reached).
    ``notifier`` tells the team when someone pauses or resumes publishing on the pages.
    ``public_media`` serves the media of approved drafts to the platforms that fetch images
    from a URL (``web.public_media``), when the operator chose this site as their host.
    """
    del settings
    events: EventSink = log or NullLog()
    review = Review(ledger)
    housekeeping = Housekeeping(auth, clock, log=events)
    site = Site(
        workspace=workspace, review=review, auth=auth, clock=clock, housekeeping=housekeeping
    )

    def starting() -> None:
        housekeeping.now()
        for loaded in workspace.all():
            review.warm(loaded)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(starting)
        yield

    def api_request(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    async def not_signed_in(request: Request, exc: Exception) -> Response:
        if api_request(request):
            return error(401, "not_signed_in", "Sign in with your invite link first.")
        return site.page(
            request,
            "message.html",
            status=401,
            heading="Please sign in",
            text="These review pages are only for the campaign team. Sign in with the "
            "one-time link your campaign owner sent you.",
            hint="If your link has expired or been used, ask for a new one.",
            link=None,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if api_request(request):
            response: Response = http_error_json(exc)
        else:
            session = site.session(request)
            response = site.page(
                request,
                "message.html",
                status=exc.status_code,
                session=session,
                heading=TITLES.get(exc.status_code, "Something went wrong"),
                text=str(exc.detail),
                hint=None,
                link="/" if session else None,
                link_text="Back to your campaigns",
            )
        response.headers.update(exc.headers or {})  # Allow, on a 405
        return response

    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequest)
        if api_request(request):
            return error(exc.status, exc.code, exc.message, hint=exc.hint)
        return site.page(
            request,
            "message.html",
            status=exc.status,
            heading=TITLES.get(exc.status, "That request was not understood"),
            text=exc.message,
            hint=exc.hint,
            link=None,
        )

    async def scheduler_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SchedulerError)
        message, hint = exc.message, exc.hint
        if isinstance(exc, LedgerError):
            # Redacted already, but where the database lives is nobody's business here.
            events.event("web_ledger_error", level="error", error=exc.message)
            message = "The review pages cannot reach the ledger right now."
            hint = "Try again in a minute; if it persists, tell the campaign owner."
        if api_request(request):
            return error(503, "unavailable", message, hint=hint)
        return site.page(
            request,
            "message.html",
            status=503,
            heading="The review pages cannot do that right now",
            text=message,
            hint=hint,
            link=None,
        )

    probes = Probes(ledger, clock)
    pages = Pages(site)
    served = PublicMediaRoutes(ledger, workspace).routes() if public_media else []
    routes = [
        *probes.routes(),
        *served,
        *pages.routes(),
        *ApproveAll(pages).routes(),
        *PausePages(site, notifier, events).routes(),
        *Api(site).routes(),
        colours.route(),
        Mount("/static", Static(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(probes.timer),
            Middleware(TextOnlyAddresses),
            Middleware(BodyLimit),
        ],
        exception_handlers={
            NotSignedIn: not_signed_in,
            BadRequest: bad_request,
            HTTPException: http_error,
            SchedulerError: scheduler_error,
        },
    )
    # "/media/x/" must not be redirected to a different route; unknown paths are just 404.
    app.router.redirect_slashes = False
    app.state.site = site
    return app
