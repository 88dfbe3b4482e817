"""Machine-readable output: one set of conventions for every command's ``--json``.

- One JSON document on standard output; messages for people stay on standard error.
- Instants are ISO 8601: ``<name>`` in UTC with a ``Z``, and ``<name>_local`` with the
  campaign's offset where people read the time, beside the campaign's ``timezone``.
- A campaign-file problem is an object (path, line, col, where, message, hint), never text.
- An error is ``{"ok": false, "error": {...}, "problems": [...]}`` with the usual exit code
  (1 for our errors, 3 for a bug); the shape is the ``error`` schema.

Every command's shape is a JSON Schema kept beside this module (``schemas/<name>.json``),
documented in docs/json.md and checked by the tests of both.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scheduler.errors import CampaignError, SchedulerError

if TYPE_CHECKING:
    from scheduler.care import Finding
    from scheduler.draft import Draft, LinkCard
    from scheduler.text import Count

JsonObject = dict[str, Any]


def utc(instant: datetime) -> str:
    from datetime import UTC

    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local(instant: datetime, timezone: str) -> str:
    from scheduler.campaign.schedule import zone

    return instant.astimezone(zone(timezone)).isoformat()


def instant(name: str, value: datetime | None, timezone: str) -> JsonObject:
    """``{name: UTC, name_local: in the campaign's zone}`` (both null when there is none)."""
    if value is None:
        return {name: None, f"{name}_local": None}
    return {name: utc(value), f"{name}_local": local(value, timezone)}


def problem(item: object) -> JsonObject:
    """A campaign-file problem (or any other object) as the documented object."""
    from scheduler.campaign.problems import Problem

    if isinstance(item, Problem):
        return {
            "path": item.path,
            "line": item.line,
            "col": item.col,
            "where": item.where,
            "message": item.message,
            "hint": item.hint,
        }
    return {"path": "", "line": 0, "col": 0, "where": "", "message": str(item), "hint": None}


def problems(items: Sequence[object]) -> list[JsonObject]:
    return [problem(p) for p in items]


def error(exc: BaseException) -> JsonObject:
    """The document printed instead of a command's own when it fails."""
    if isinstance(exc, SchedulerError):
        found = list(exc.problems) if isinstance(exc, CampaignError) else []
        n = len(found)
        message = f"{n} problem{'s' if n != 1 else ''} found" if found else exc.message
        detail: JsonObject = {
            "kind": type(exc).__name__,
            "message": message,
            "hint": exc.hint,
            "retryable": exc.retryable,
        }
        return {"ok": False, "error": detail, "problems": problems(found)}
    return {
        "ok": False,
        "error": {
            "kind": "bug",
            "message": f"{type(exc).__name__}: {exc}",
            "hint": "this is a bug in the scheduler: please report it with the traceback",
            "retryable": False,
        },
        "problems": [],
    }


def draft(
    d: Draft,
    count: Callable[[int], Count],
    findings: Sequence[Finding],
    link: LinkCard | None,
) -> JsonObject:
    """One draft exactly as it would be sent: each part's length as its platform counts it,
    the link card the platform shows (if any), and its care findings."""
    from scheduler.care.report import sort_findings

    parts = []
    for k, part in enumerate(d.parts):
        measured = count(k)
        parts.append(
            {
                "text": part.text,
                "count": {
                    "used": measured.used,
                    "limit": measured.limit,
                    "unit": measured.unit,
                    "ok": measured.ok,
                },
                "media": [
                    {
                        "path": m.path,
                        "mime": m.mime,
                        "size": m.size,
                        "width": m.width,
                        "height": m.height,
                        "alt": m.alt,
                    }
                    for m in part.media
                ],
            }
        )
    return {
        "post": d.post_id,
        "account": d.account,
        "platform": d.platform,
        **instant("due", d.due, d.timezone),
        "content_warning": d.content_warning,
        "language": d.language,
        "visibility": d.visibility,
        "labels": list(d.labels),
        "reply_settings": d.reply_settings,
        "link": None if link is None else {"url": link.url, "title": link.title},
        "parts": parts,
        **({} if d.story is None else {"story": d.story.to_data()}),
        "content_hash": d.content_hash,
        "source": d.source,
        "findings": [f.to_json() for f in sort_findings(findings)],
        # Posts this one waits on; ``stands_in`` is what the text holds for that post's
        # address until it is live (null when the text does not use it).
        "after": [
            {"post": a.post_id, "account": a.account, "stands_in": a.placeholder or None}
            for a in d.after
        ],
    }


def emit(document: JsonObject) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def schema(name: str) -> JsonObject:
    """The JSON Schema of a command's output (``accounts check`` is ``accounts-check``)."""
    from importlib.resources import files

    text = files("scheduler.cli").joinpath("schemas", f"{name}.json").read_text("utf-8")
    loaded: JsonObject = json.loads(text)
    return loaded


def wants_json(args: object) -> bool:
    return bool(getattr(args, "json", False))
