"""Approving a post for all its accounts at once, from the form at the top of its page.

The form carries, for each account, the content hash of the version the page showed. Every
hash is compared with the ledger first: if any draft changed since the page was loaded,
nothing is recorded and the page comes back (409) with the new version, as for one account.
Each approval then goes through the same path as a single one (``pages.perform``), bound to
its own hash, so a change racing the check is still refused for that draft alone.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from scheduler.draft import DraftKey
from scheduler.errors import UsageError
from scheduler.ledger.base import NotFound, PolicyError, StaleHash, TransitionError
from scheduler.web.base import Session
from scheduler.web.bodies import read_form
from scheduler.web.pages import FieldMissing, Pages, form_text, perform, versions_token
from scheduler.web.site import Notice

DONE = "approve_all"
MAX_ACCOUNTS = 50


def shown_versions(form: FormData) -> dict[str, str]:
    """account -> the content hash the page showed, from the ``shown`` fields."""
    found: dict[str, str] = {}
    for value in form.getlist("shown")[:MAX_ACCOUNTS]:
        if isinstance(value, str) and "=" in value:
            account, _, content_hash = value.partition("=")
            if account and content_hash:
                found[account] = content_hash
    return found


class ApproveAll:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.site = pages.site

    def routes(self) -> list[Route]:
        return [Route("/c/{campaign}/post/{post}/approve-all", self.approve, methods=["POST"])]

    async def approve(self, request: Request) -> Response:
        session = await run_in_threadpool(self.site.require, request)  # before any body
        form = await read_form(request)
        return await run_in_threadpool(self._approve, request, session, form)

    def _approve(self, request: Request, session: Session, form: FormData) -> Response:
        site = self.site
        site.check_csrf(request, session, form_text(form, "csrf"))
        loaded = site.campaign(session, request.path_params["campaign"])
        post_id = request.path_params["post"]
        shown = shown_versions(form)

        def again(text: str, status: int) -> Response:
            notices = [Notice("error", text)]
            return self.pages.post_page(request, session, loaded, post_id, notices, status=status)

        if not shown:
            return again("The page did not say which versions you saw; reload and retry.", 400)
        keys = {account: DraftKey(loaded.id, post_id, account) for account in shown}
        try:
            current = {a: site.review.record(k).content_hash for a, k in keys.items()}
        except NotFound as exc:
            raise HTTPException(404, "There is no such draft in this campaign.") from exc
        stale = sorted(a for a in shown if current[a] != shown[a])
        if stale:
            return again(
                f"The {', '.join(stale)} draft{'s' if len(stale) > 1 else ''} changed after "
                "you loaded the page, so none of your approvals were recorded. The new "
                "version is shown below: review it and decide again.",
                409,
            )
        comment = form_text(form, "comment")
        done: list[str] = []
        for account in sorted(shown):
            try:
                perform(
                    site,
                    loaded,
                    keys[account],
                    session.email,
                    "approve",
                    shown[account],
                    {"comment": comment},
                )
            except StaleHash:
                return again(_partly(done, account, "changed a moment ago"), 409)
            except (PolicyError, UsageError, TransitionError, FieldMissing) as exc:
                return again(_partly(done, account, str(exc)), 403)
            done.append(account)
        return RedirectResponse(
            f"/c/{quote(loaded.id, safe='')}/post/{quote(post_id, safe='')}?done={DONE}"
            f"&accounts={quote(','.join(done), safe=',')}&v={versions_token(list(shown.values()))}",
            status_code=303,
        )


def _partly(done: list[str], account: str, why: str) -> str:
    recorded = f"Your approval of {', '.join(done)} is recorded; " if done else ""
    return f"{recorded}the {account} draft was not approved: {why}."
