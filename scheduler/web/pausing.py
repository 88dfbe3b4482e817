"""Pausing and resuming publishing from the review pages, each behind a confirmation page.

The buttons are for the team members the campaign's ``pause_by`` names (by default, those
who may approve). A pause of every campaign is made and ended on the command line
(``scheduler pause --all``); the pages show it and point there. What a pause does, and what
each resume choice does, is ``scheduler.pausing``; these routes only ask and confirm.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from scheduler import pausing
from scheduler.errors import NotifyError
from scheduler.ledger.base import Pause, PauseError
from scheduler.log import EventSink, NullLog
from scheduler.notify.base import Notice as TeamNotice
from scheduler.notify.base import Notifier
from scheduler.web.base import Session
from scheduler.web.bodies import read_form
from scheduler.web.review import policy_of
from scheduler.web.site import Notice, Site, by_method, local_time
from scheduler.web.workspace import Loaded

MAX_REASON = 2000


class PausePages:
    def __init__(
        self, site: Site, notifier: Notifier | None = None, log: EventSink | None = None
    ) -> None:
        self.site = site
        self.notifier = notifier
        self.log: EventSink = log or NullLog()

    def routes(self) -> list[Route]:
        return [
            by_method("/c/{campaign}/pause", GET=self.pause_page, POST=self.pause),
            by_method("/c/{campaign}/resume", GET=self.resume_page, POST=self.resume),
        ]

    # --- who and what -------------------------------------------------------------------

    def _allowed(self, request: Request) -> tuple[Session, Loaded]:
        session = self.site.require(request)
        loaded = self.site.campaign(session, request.path_params["campaign"])
        if not policy_of(loaded).may_pause(session.email):
            raise HTTPException(
                403,
                "Only the people this campaign names under pause_by may pause or resume "
                "publishing. Ask one of them, or the campaign owner.",
            )
        return session, loaded

    def _ledger(self) -> Any:
        return self.site.review.ledger

    def _tell(self, notice: TeamNotice) -> None:
        if self.notifier is None:
            return
        try:
            self.notifier.send(notice)
        except NotifyError as exc:
            # The pause stands and every page shows it; the operator sees why nobody was told.
            self.log.event("notify_failed", level="warning", kind=notice.kind, error=str(exc))

    # --- pausing ------------------------------------------------------------------------

    def pause_page(self, request: Request) -> Response:
        session, loaded = self._allowed(request)
        return self._pause_form(request, session, loaded, [])

    def _pause_form(
        self,
        request: Request,
        session: Session,
        loaded: Loaded,
        notices: list[Notice],
        status: int = 200,
    ) -> Response:
        current = self._ledger().paused(loaded.id)
        return self.site.page(
            request,
            "pause.html",
            status=status,
            session=session,
            loaded=loaded,
            mode="pause",
            current=current,
            since=self._since(current, loaded),
            notices=notices,
        )

    async def pause(self, request: Request) -> Response:
        allowed = await run_in_threadpool(self._allowed, request)  # before any body
        form = await read_form(request)
        return await run_in_threadpool(self._pause, request, allowed, form)

    def _pause(self, request: Request, allowed: tuple[Session, Loaded], form: FormData) -> Response:
        session, loaded = allowed
        self.site.check_csrf(request, session, _text(form, "csrf"))
        reason = _text(form, "reason")
        if not reason:
            return self._pause_form(
                request,
                session,
                loaded,
                [Notice("error", "Say why you are pausing: the team and the record need it.")],
                status=400,
            )
        try:
            pause = self._ledger().pause(
                loaded.id, actor=session.email, reason=reason, now=self.site.now()
            )
        except PauseError as exc:
            return self._pause_form(
                request, session, loaded, [Notice("error", exc.message)], status=409
            )
        self._tell(pausing.paused_notice(pause))
        return RedirectResponse(f"/c/{quote(loaded.id, safe='')}", status_code=303)

    # --- resuming -----------------------------------------------------------------------

    def resume_page(self, request: Request) -> Response:
        session, loaded = self._allowed(request)
        return self._resume_form(request, session, loaded, [])

    def _resume_form(
        self,
        request: Request,
        session: Session,
        loaded: Loaded,
        notices: list[Notice],
        status: int = 200,
    ) -> Response:
        ledger = self._ledger()
        current = ledger.paused(loaded.id)
        plans = {}
        if current is not None:
            records = ledger.list(loaded.id)
            for choice in ("missed", "shift"):
                plans[choice] = pausing.plan_resume(
                    records,
                    since=current.since,
                    now=self.site.now(),
                    choice=choice,
                    min_gap=lambda _c: loaded.campaign.defaults.min_gap,
                )
        tz = loaded.campaign.timezone
        today = self.site.now()
        return self.site.page(
            request,
            "pause.html",
            status=status,
            session=session,
            loaded=loaded,
            mode="resume",
            current=current,
            since=self._since(current, loaded),
            plans=plans,
            local=lambda instant: local_time(instant, tz, today),
            notices=notices,
        )

    async def resume(self, request: Request) -> Response:
        allowed = await run_in_threadpool(self._allowed, request)  # before any body
        form = await read_form(request)
        return await run_in_threadpool(self._resume, request, allowed, form)

    def _resume(
        self, request: Request, allowed: tuple[Session, Loaded], form: FormData
    ) -> Response:
        session, loaded = allowed
        self.site.check_csrf(request, session, _text(form, "csrf"))
        choice = _text(form, "choice")
        if choice not in ("missed", "shift"):
            return self._resume_form(
                request,
                session,
                loaded,
                [Notice("error", "Choose what becomes of the posts the pause held back.")],
                status=400,
            )
        now = self.site.now()
        try:
            resumed = pausing.resume(
                self._ledger(),
                loaded.id,
                actor=session.email,
                choice=choice,
                now=now,
                min_gap=lambda _c: loaded.campaign.defaults.min_gap,
            )
        except PauseError as exc:
            text = exc.message + (f" ({exc.hint})" if exc.hint else "")
            return self._resume_form(request, session, loaded, [Notice("error", text)], status=409)
        self._tell(pausing.resumed_notice(resumed, session.email, now))
        return RedirectResponse(f"/c/{quote(loaded.id, safe='')}", status_code=303)

    def _since(self, pause: Pause | None, loaded: Loaded) -> str:
        if pause is None:
            return ""
        return local_time(pause.since, loaded.campaign.timezone, self.site.now())


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip()[:MAX_REASON] if isinstance(value, str) else ""
