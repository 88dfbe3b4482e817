"""A small JSON API for the same reads and decisions as the pages, behind the same sign-in.

A POST needs ``Content-Type: application/json`` and the session's CSRF token in the
``X-CSRF-Token`` header (``GET /api/session`` returns it); its body is read only once those,
the campaign and the action have passed, and is held to exactly what the OpenAPI document at
``/api/openapi.json`` says (which describes every route).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from scheduler.draft import HASH_PATTERN, DraftKey
from scheduler.errors import UsageError
from scheduler.ledger.base import DraftRecord, NotFound, PolicyError, StaleHash, TransitionError
from scheduler.web.base import Session
from scheduler.web.bodies import read_json
from scheduler.web.marks import CareMark
from scheduler.web.openapi import document
from scheduler.web.pages import DECISION_FIELDS, DONE, FIELDS, MAX_FIELD, FieldMissing, perform
from scheduler.web.review import Panel, view_of
from scheduler.web.site import Site
from scheduler.web.tokens import csrf_for
from scheduler.web.workspace import Loaded

# Matched whole (fullmatch): the pattern's "$" would also let a trailing newline through.
HASH = re.compile(HASH_PATTERN.removeprefix("^").removesuffix("$"))


def error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


def record_json(loaded: Loaded, record: DraftRecord, mark: CareMark) -> dict[str, Any]:
    view = view_of(loaded, record.draft)
    return {
        "campaign": record.key.campaign,
        "post_id": record.key.post_id,
        "account": record.key.account,
        "platform": record.draft.platform,
        # Where it goes is part of what is approved (and of the content hash).
        "destination": None
        if record.draft.destination is None
        else record.draft.destination.to_data(),
        "due": record.due.isoformat(),
        "due_local": view.due_local.isoformat(),
        "state": str(record.state),
        "content_hash": record.content_hash,
        "approved_hash": record.approved_hash,
        "approvals": [
            {"actor": a.actor, "at": a.at.isoformat(), "comment": a.comment}
            for a in record.approvals
        ],
        "content_warning": view.content_warning,
        "language": view.language,
        "labels": list(view.labels),
        "link": None if record.draft.link is None else {"url": record.draft.link.url},
        "care_mark": mark.to_json(),
        "parts": [
            {
                "text": part.text,
                "count": pv.count,
                "limit": pv.limit,
                "media": [
                    {"path": m.path, "alt": m.alt, "mime": m.mime, "url": mv.url}
                    for m, mv in zip(part.media, pv.media, strict=True)
                ],
            }
            for part, pv in zip(record.draft.parts, view.parts, strict=True)
        ],
    }


def panel_json(panel: Panel) -> dict[str, Any]:
    return {
        "required": panel.required,
        "may_approve": panel.may_approve,
        "decisions": [
            {
                "kind": d.kind,
                "name": d.name,
                "at": d.at.isoformat(),
                "comment": d.comment,
                "earlier_version": d.voided,
                "rule": d.rule,
            }
            for d in panel.decisions
        ],
        "care": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "where": f.location,
                "excerpt": f.excerpt,
            }
            for f in panel.care
        ],
        "care_blocks_unresolved": list(panel.unresolved),
        "diff_since_approval": [{"kind": d.kind, "text": d.text} for d in panel.diff],
    }


class Api:
    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[Route]:
        base = "/api/campaigns/{campaign}/drafts"
        return [
            Route("/api/openapi.json", self.openapi),
            Route("/api/session", self.session),
            Route("/api/campaigns", self.campaigns),
            Route(base, self.drafts),
            Route(base + "/{post}/{account}", self.draft),
            Route(base + "/{post}/{account}/{action:str}", self.decide, methods=["POST"]),
        ]

    def openapi(self, request: Request) -> Response:
        self.site.require(request)
        return JSONResponse(document())

    def session(self, request: Request) -> Response:
        session = self.site.require(request)
        self.site.workspace.refresh()
        return JSONResponse(
            {
                "email": session.email,
                "csrf_token": csrf_for(session.token),
                "expires_at": session.expires_at.isoformat(),
                "campaigns": [c.id for c in self.site.workspace.visible_to(session.email)],
            }
        )

    def campaigns(self, request: Request) -> Response:
        session = self.site.require(request)
        self.site.workspace.refresh()
        return JSONResponse(
            [
                {
                    "id": c.id,
                    "title": c.campaign.title,
                    "timezone": c.campaign.timezone,
                    "problem": c.problem,
                }
                for c in self.site.workspace.visible_to(session.email)
            ]
        )

    def drafts(self, request: Request) -> Response:
        session = self.site.require(request)
        loaded = self.site.campaign(session, request.path_params["campaign"])
        records = self.site.review.records(loaded.id)
        marks = self.site.review.marks(loaded, records)
        return JSONResponse([record_json(loaded, r, marks[r.key]) for r in records])

    def draft(self, request: Request) -> Response:
        site = self.site
        session = site.require(request)
        loaded = site.campaign(session, request.path_params["campaign"])
        key = DraftKey(loaded.id, request.path_params["post"], request.path_params["account"])
        try:
            record = site.review.record(key)
        except NotFound:
            return error(404, "not_found", "There is no such draft in this campaign.")
        panel = site.review.panel(loaded, record, session.email)
        mark = site.review.mark(loaded, record)
        return JSONResponse({**record_json(loaded, record, mark), **panel_json(panel)})

    async def decide(self, request: Request) -> Response:
        # Everything the cookie, the headers and the path can tell is checked before a byte
        # of the body is read.
        checked = await run_in_threadpool(self._before_body, request)
        if isinstance(checked, Response):
            return checked
        session, loaded = checked
        body = await read_json(request)
        return await run_in_threadpool(self._decide, request, session, loaded, body)

    def _before_body(self, request: Request) -> tuple[Session, Loaded] | Response:
        site = self.site
        session = site.require(request)
        site.check_csrf(request, session, request.headers.get("x-csrf-token"))
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return error(415, "unsupported_media_type", "Send the body as application/json.")
        loaded = site.campaign(session, request.path_params["campaign"])
        if request.path_params["action"] not in DONE:
            return error(404, "not_found", "There is no such action.")
        return session, loaded

    def _decide(self, request: Request, session: Session, loaded: Loaded, body: Any) -> Response:
        site = self.site
        action = request.path_params["action"]
        problem = body_problem(action, body)
        if problem is not None:
            return error(400, "bad_body", problem)
        key = DraftKey(loaded.id, request.path_params["post"], request.path_params["account"])
        fields = {k: str(body.get(k) or "").strip() for k in FIELDS}
        try:
            record = perform(
                site,
                loaded,
                key,
                session.email,
                action,
                str(body.get("content_hash") or ""),
                fields,
            )
        except FieldMissing as exc:
            return error(400, "missing_field", exc.message)
        except StaleHash as exc:
            current = site.review.record(key)
            now = record_json(loaded, current, site.review.mark(loaded, current))
            return error(409, "stale_hash", exc.message, current=now)
        except NotFound:
            return error(404, "not_found", "There is no such draft in this campaign.")
        except (PolicyError, UsageError) as exc:
            return error(403, "policy", exc.message, hint=exc.hint)
        except TransitionError as exc:
            return error(409, "transition", exc.message, hint=exc.hint)
        return JSONResponse(record_json(loaded, record, site.review.mark(loaded, record)))


def body_problem(action: str, body: Any) -> str | None:
    """What is wrong with a decision's body, as the OpenAPI document describes it; None if
    nothing is (a required field left empty is the decision's own message)."""
    if not isinstance(body, dict):
        return "The body must be a JSON object."
    wanted = {"content_hash", *DECISION_FIELDS[action]}
    unknown = sorted(set(body) - wanted)
    if unknown:
        return f"A {action} takes only {', '.join(sorted(wanted))}; not {', '.join(unknown)}."
    for name, value in body.items():
        if not isinstance(value, str):
            return f"{name} must be a string."
        if len(value) > MAX_FIELD:
            return f"{name} is longer than {MAX_FIELD} characters."
    shown = body.get("content_hash")
    if shown and not HASH.fullmatch(shown):
        return "content_hash is not a content hash this site gave out; copy it from the draft."
    return None


def http_error_json(exc: HTTPException) -> JSONResponse:
    codes = {
        400: "bad_request",
        401: "not_signed_in",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
    }
    return error(exc.status_code, codes.get(exc.status_code, "error"), str(exc.detail))
