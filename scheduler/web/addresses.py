"""Request addresses that are not text are refused before any route sees them.

A path or query may carry ``%00``, which decodes to a NUL character. Ids from the address go
into ledger queries, and PostgreSQL refuses NUL in text, so such a request would end as "the
ledger cannot be reached" (and a logged database error) instead of a plain refusal. No
address the site makes holds a NUL, so one that does is answered 400 here, for every route.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

_MESSAGE = "The address contains a character that is not text (a NUL)."


def _has_nul(scope: Scope) -> bool:
    query = bytes(scope.get("query_string", b"")).lower()
    return "\x00" in str(scope.get("path", "")) or b"%00" in query or b"\x00" in query


class TextOnlyAddresses:
    """Answers 400 to a request whose path or query string holds a NUL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_nul(scope):
            await self.app(scope, receive, send)
            return
        if str(scope.get("path", "")).startswith("/api/"):
            body = json.dumps({"error": "bad_address", "message": _MESSAGE}).encode()
            kind = b"application/json"
        else:
            body = _MESSAGE.encode()
            kind = b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", kind), (b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})
