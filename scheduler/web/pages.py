"""The HTML pages: sign-in from an invite, the week, a post's drafts, and the decision forms.

Every page but the sign-in ones needs a session; every POST needs its CSRF token. Decisions
go through ``Review`` (and so through ``scheduler.approval``): the approval is bound to the
content hash the page showed, and a changed draft is refused and shown again.

Handlers that touch the ledger run in Starlette's thread pool (plain functions, or the part
after reading a form), so one slow database round trip does not hold up other reviewers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from scheduler.approval import counted
from scheduler.draft import DraftKey
from scheduler.errors import SchedulerError, UsageError
from scheduler.ledger.base import DraftRecord, NotFound, PolicyError, StaleHash, TransitionError
from scheduler.web.base import SESSION_TTL, Session, SignInRefused
from scheduler.web.bodies import read_form
from scheduler.web.calendar import build
from scheduler.web.marks import counts, summary
from scheduler.web.review import policy_of
from scheduler.web.site import (
    PRESIGNIN_COOKIE,
    Notice,
    Site,
    clear_cookie,
    cookie_is_safe,
    session_cookie_name,
    set_cookie,
)
from scheduler.web.tokens import csrf_for, new_token, same
from scheduler.web.workspace import Loaded

DONE = {
    "approve": "Your approval is recorded.",
    "reject": "Your rejection and its reason are recorded.",
    "comment": "Your comment is recorded.",
    "override": "Your override and its reason are recorded.",
}

MAX_FIELD = 4000
# The fields each decision reads beside the content hash, and whether it needs them.
DECISION_FIELDS: dict[str, dict[str, bool]] = {
    "approve": {"comment": False},
    "reject": {"reason": True},
    "comment": {"text": True},
    "override": {"rule": True, "reason": True},
}
FIELDS = ("comment", "reason", "text", "rule")
_OPEN_LINK_AGAIN = "Open your sign-in link again and press the button."


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip()[:MAX_FIELD] if isinstance(value, str) else ""


def _sign_in_refused(site: Site, request: Request, exc: SignInRefused) -> Response:
    status = {"unknown": 404, "used": 410, "expired": 410, "not-member": 403}.get(exc.reason, 400)
    return site.page(
        request,
        "message.html",
        status=status,
        heading="This sign-in link cannot be used",
        text=exc.message,
        hint=exc.hint,
        link=None,
    )


class Pages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home),
            Route("/signin/{token}", self.signin_page),
            Route("/signin", self.signin, methods=["POST"]),
            Route("/signout", self.signout, methods=["POST"]),
            Route("/signed-out", self.signed_out),
            Route("/c/{campaign}", self.calendar),
            Route("/c/{campaign}/post/{post}", self.post),
            Route(
                "/c/{campaign}/post/{post}/{account}/{action:str}",
                self.decide,
                methods=["POST"],
            ),
            Route("/media/{campaign}/{path:path}", self.media),
        ]

    # --- signing in and out -------------------------------------------------------------

    def signin_page(self, request: Request) -> Response:
        site = self.site
        token = request.path_params["token"]
        try:
            invite = site.auth.peek_invite(token, now=site.now())
            loaded = self._invited_campaign(invite.email, invite.campaign)
        except SignInRefused as exc:
            return _sign_in_refused(site, request, exc)
        # Reuse the browser's pre-sign-in token, so that two open tabs both work.
        pre = request.cookies.get(PRESIGNIN_COOKIE) or new_token()
        response = site.page(
            request,
            "signin.html",
            title=loaded.campaign.title,
            email=invite.email,
            expires=invite.expires_at,
            token=token,
            presignin_csrf=csrf_for(pre),
        )
        set_cookie(request, response, PRESIGNIN_COOKIE, pre, max_age=3600, strict=True)
        return response

    def _invited_campaign(self, email: str, campaign: str) -> Loaded:
        self.site.workspace.refresh()
        loaded = self.site.workspace.get(campaign)
        if loaded is None or not loaded.is_member(email):
            raise SignInRefused(
                "not-member",
                f"{email} is not on the team of this campaign any more.",
                hint="Ask the campaign owner to add you to the team and invite you again.",
            )
        return loaded

    async def signin(self, request: Request) -> Response:
        # Only a browser that opened a sign-in link has the pre-sign-in cookie; nobody else's
        # body is read.
        pre = request.cookies.get(PRESIGNIN_COOKIE, "")
        if not pre or not self.site.same_origin(request):
            raise HTTPException(403, _OPEN_LINK_AGAIN)
        form = await read_form(request)
        return await run_in_threadpool(self._signin, request, pre, form)

    def _signin(self, request: Request, pre: str, form: FormData) -> Response:
        site = self.site
        if not same(form_text(form, "csrf"), csrf_for(pre)):
            raise HTTPException(403, _OPEN_LINK_AGAIN)
        if not cookie_is_safe(request):
            return site.page(
                request,
                "message.html",
                status=400,
                heading="This address cannot sign you in safely",
                text="Sign-in cookies are only sent over https, or over http on this computer "
                "(127.0.0.1).",
                hint="Serve the review pages behind https, or open them on 127.0.0.1.",
                link=None,
            )
        token = form_text(form, "token")
        try:
            invite = site.auth.peek_invite(token, now=site.now())
            self._invited_campaign(invite.email, invite.campaign)
            invite = site.auth.redeem(token, now=site.now())
        except SignInRefused as exc:
            return _sign_in_refused(site, request, exc)
        earlier = site.session(request)
        if earlier is not None:  # a new sign-in replaces whoever was signed in here
            site.auth.end_session(earlier.token, now=site.now())
        session = site.auth.start_session(invite.email, invite.campaign, now=site.now())
        response = RedirectResponse(f"/c/{_q(invite.campaign)}", status_code=303)
        set_cookie(
            request,
            response,
            session_cookie_name(request),
            session.token,
            max_age=int(SESSION_TTL.total_seconds()),
            strict=False,
        )
        clear_cookie(request, response, PRESIGNIN_COOKIE)
        return response

    async def signout(self, request: Request) -> Response:
        session = await run_in_threadpool(self.site.require, request)  # before any body
        form = await read_form(request)
        return await run_in_threadpool(self._signout, request, session, form)

    def _signout(self, request: Request, session: Session, form: FormData) -> Response:
        site = self.site
        site.check_csrf(request, session, form_text(form, "csrf"))
        site.auth.end_session(session.token, now=site.now())
        response = RedirectResponse("/signed-out", status_code=303)
        clear_cookie(request, response, session_cookie_name(request))
        return response

    def signed_out(self, request: Request) -> Response:
        return self.site.page(
            request,
            "message.html",
            heading="You are signed out",
            text="To sign in again, use a new link from your campaign owner.",
            hint=None,
            link=None,
        )

    # --- reading ------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        site = self.site
        session = site.require(request)
        site.workspace.refresh()
        return site.page(request, "index.html", session=session)

    def calendar(self, request: Request) -> Response:
        site = self.site
        session = site.require(request)
        loaded = site.campaign(session, request.path_params["campaign"])
        records = site.review.records(loaded.id)
        live = [r for r in records if str(r.state) != "cancelled"]
        marks = site.review.marks(loaded, live)
        rule = policy_of(loaded).rule()
        weeks = build(
            ((r.draft, str(r.state)) for r in live),
            loaded.campaign.timezone,
            start=getattr(loaded.campaign, "week_start", None),
            marks=marks,
            approvals={r.key: (counted(r, rule), rule.required) for r in live},
            now=site.now(),
        )
        return site.page(
            request,
            "calendar.html",
            session=session,
            loaded=loaded,
            weeks=weeks,
            awaiting=site.review.awaiting(loaded, live, session.email),
            care_summary=summary(counts(marks.values())),
            may_pause=policy_of(loaded).may_pause(session.email),
            is_paused=site.review.ledger.paused(loaded.id) is not None,
        )

    def post(self, request: Request) -> Response:
        session = self.site.require(request)
        loaded = self.site.campaign(session, request.path_params["campaign"])
        post_id = request.path_params["post"]
        notices: list[Notice] = []
        done = request.query_params.get("done")
        if done in DONE and self._still_current(loaded, post_id, request.query_params):
            notices.append(Notice("ok", DONE[done]))
        if done == "approve_all" and self._all_current(loaded, post_id, request.query_params):
            notices.append(Notice("ok", "Your approval of every version shown is recorded."))
        return self.post_page(request, session, loaded, post_id, notices)

    def _still_current(self, loaded: Loaded, post_id: str, query: QueryParams) -> bool:
        """A "recorded" notice is shown only while the draft is the version decided on."""
        key = DraftKey(loaded.id, post_id, str(query.get("account", "")))
        try:
            current = self.site.review.record(key).content_hash
        except NotFound:
            return False
        return _version(current) == query.get("v")

    def _all_current(self, loaded: Loaded, post_id: str, query: QueryParams) -> bool:
        """After approving all accounts at once: the versions approved are all current."""
        accounts = [a for a in str(query.get("accounts", "")).split(",") if a]
        try:
            hashes = [
                self.site.review.record(DraftKey(loaded.id, post_id, a)).content_hash
                for a in accounts
            ]
        except NotFound:
            return False
        return bool(hashes) and versions_token(hashes) == query.get("v")

    def post_page(
        self,
        request: Request,
        session: Session,
        loaded: Loaded,
        post_id: str,
        notices: list[Notice],
        *,
        status: int = 200,
    ) -> Response:
        site = self.site
        # The post's drafts as the files have them now (a post removed from the files is
        # cancelled in the ledger and not shown); their states come from the ledger.
        keys = sorted((k for k in loaded.drafts if k.post_id == post_id), key=lambda k: k.account)
        if not keys:
            raise HTTPException(404, "There is no such post in this campaign.")
        mine = [site.review.record(k) for k in keys]
        ids = [p for _, p in sorted({(d.due, d.post_id) for d in loaded.drafts.values()})]
        at = ids.index(post_id)
        panels = [site.review.panel(loaded, r, session.email) for r in mine]
        return site.page(
            request,
            "post.html",
            status=status,
            session=session,
            loaded=loaded,
            post_id=post_id,
            panels=panels,
            prev_post=ids[at - 1] if at > 0 else None,
            next_post=ids[at + 1] if at + 1 < len(ids) else None,
            notices=notices,
        )

    def media(self, request: Request) -> Response:
        session = self.site.require(request)
        loaded = self.site.campaign(session, request.path_params["campaign"])
        wanted = request.path_params["path"]
        for draft in loaded.drafts.values():
            for part in draft.parts:
                for m in part.media:
                    if m.path == wanted:
                        root = Path(loaded.campaign.root).resolve()
                        file = (root / m.path).resolve()
                        if file.is_relative_to(root) and file.is_file():
                            return FileResponse(file, media_type=m.mime)
        raise HTTPException(404, "There is no such image in this campaign.")

    # --- deciding -----------------------------------------------------------------------

    async def decide(self, request: Request) -> Response:
        session = await run_in_threadpool(self.site.require, request)  # before any body
        form = await read_form(request)
        return await run_in_threadpool(self._decide, request, session, form)

    def _decide(self, request: Request, session: Session, form: FormData) -> Response:
        site = self.site
        site.check_csrf(request, session, form_text(form, "csrf"))
        loaded = site.campaign(session, request.path_params["campaign"])
        action = request.path_params["action"]
        post_id = request.path_params["post"]
        account = request.path_params["account"]
        if action not in DONE:
            raise HTTPException(404, "There is no such action.")
        key = DraftKey(loaded.id, post_id, account)
        shown_hash = form_text(form, "content_hash")
        try:
            record = perform(
                site, loaded, key, session.email, action, shown_hash, form_fields(form)
            )
        except FieldMissing as exc:
            return self.post_page(
                request, session, loaded, post_id, [Notice("error", str(exc))], status=400
            )
        except StaleHash:
            text = (
                f"The {account} draft changed after you loaded the page, so your {action} was "
                "not recorded. The new version is shown below: review it and decide again."
            )
            return self.post_page(
                request, session, loaded, post_id, [Notice("error", text)], status=409
            )
        except NotFound as exc:
            raise HTTPException(404, "There is no such draft in this campaign.") from exc
        except (PolicyError, UsageError, TransitionError) as exc:
            status = 409 if isinstance(exc, TransitionError) else 403
            return self.post_page(
                request, session, loaded, post_id, [Notice("error", str(exc))], status=status
            )
        version = _version(record.content_hash)
        return RedirectResponse(
            f"/c/{_q(loaded.id)}/post/{_q(post_id)}?done={action}&account={_q(account)}"
            f"&v={version}#draft-{_q(account)}",
            status_code=303,
        )


class FieldMissing(SchedulerError):
    """A required form or JSON field is empty."""


def form_fields(form: FormData) -> dict[str, str]:
    return {name: form_text(form, name) for name in FIELDS}


def perform(
    site: Site,
    loaded: Loaded,
    key: DraftKey,
    actor: str,
    action: str,
    shown_hash: str,
    fields: dict[str, Any],
) -> DraftRecord:
    """Record one decision bound to the hash the person saw (shared by pages and the API)."""
    if not shown_hash:
        raise FieldMissing("The page did not say which version you saw; reload and retry.")
    now = site.now()
    review = site.review
    if action == "approve":
        return review.approve(loaded, key, actor, shown_hash, fields.get("comment") or None, now)
    if action == "reject":
        reason = fields.get("reason") or ""
        if not reason:
            raise FieldMissing("A rejection needs a reason: say what must change.")
        return review.reject(loaded, key, actor, shown_hash, reason, now)
    if action == "override":
        rule, reason = fields.get("rule") or "", fields.get("reason") or ""
        if not rule or not reason:
            raise FieldMissing("An override needs the rule and a reason: say why this is right.")
        return review.override(loaded, key, actor, shown_hash, rule, reason, now)
    text = fields.get("text") or ""
    if not text:
        raise FieldMissing("A comment cannot be empty.")
    return review.comment(loaded, key, actor, shown_hash, text, now)


def versions_token(hashes: list[str]) -> str:
    """One short token for several versions decided on together."""
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()[:16]


def _version(content_hash: str) -> str:
    return content_hash.split(":")[-1][:16]


def _q(value: str) -> str:
    return quote(value, safe="")
