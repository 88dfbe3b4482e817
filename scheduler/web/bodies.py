"""Request bodies: a cap enforced while they stream in, and the checks every body passes.

Nothing here reads a body of its own accord. ``BodyLimit`` only wraps the ASGI ``receive``
channel, so a handler checks the session (and anything else the headers can tell) before it
asks for the body, and a body nobody asks for is never read. A body declared larger than
the cap is refused at its first read, before a byte of it is taken; one that grows past the
cap (chunked, or longer than it said) is refused at the chunk that crosses it, so at most the
cap plus one chunk of it is ever held.

JSON is parsed only after its nesting depth is known to be small (the parser recurses), and
every string in a body, JSON or form, must be text the ledger can store: no lone UTF-16
surrogates (JSON's ``"\\ud800"``, which cannot be encoded as UTF-8) and no NUL characters.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.web.base import BadRequest

MAX_BODY = 64 * 1024
# The API's bodies are flat objects; this leaves room for clients that wrap them, and keeps
# the parser's recursion far from Python's limit.
MAX_DEPTH = 32
MAX_FIELDS = 64

_SIGNIFICANT = re.compile(r'[\\"\[\]{}]')
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def too_large(limit: int) -> BadRequest:
    return BadRequest(
        413,
        "too_large",
        f"The request body is larger than {limit // 1024} KiB.",
        hint="Shorten the text and send it again.",
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Caps the body of every HTTP request at ``limit`` bytes, counted as it arrives."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        declared = _declared_length(scope)
        taken = 0

        async def capped() -> Message:
            nonlocal taken
            if (declared is not None and declared > limit) or taken > limit:
                raise too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                taken += len(message.get("body", b""))
                if taken > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, capped, send)


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects deeper than ``limit``, brackets inside
    strings aside. Linear in the text: it looks only at brackets, quotes and backslashes."""
    depth = 0
    in_string = False
    escaped_at = -1
    for m in _SIGNIFICANT.finditer(text):
        at, ch = m.start(), m.group()
        if at == escaped_at:
            continue
        if in_string:
            if ch == "\\":
                escaped_at = at + 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def check_text(value: str, where: str) -> None:
    """Refuse a string the ledger cannot store as text."""
    if _NOT_TEXT.search(value):
        raise BadRequest(
            400,
            "bad_text",
            f"{where} contains a character that is not text (a NUL or a lone surrogate).",
            hint="Send plain UTF-8 text.",
        )


def _check_strings(value: Any, where: str) -> None:
    if isinstance(value, str):
        check_text(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, "A field name")
            _check_strings(item, f"The field {key!r}")
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, where)


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw`` (UTF-8); BadRequest(400) for anything else."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(400, "bad_json", "The body is not UTF-8 text.") from exc
    if too_deep(text):
        raise BadRequest(400, "too_deep", f"The JSON body nests more than {MAX_DEPTH} levels deep.")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise BadRequest(400, "bad_json", "The body is not valid JSON.") from exc
    _check_strings(value, "The body")
    return value


async def read_json(request: Request) -> Any:
    """The request's JSON body, read under the cap (an empty body reads as ``{}``)."""
    raw = await request.body()
    return parse_json(raw) if raw else {}


async def read_form(request: Request) -> FormData:
    """The request's form, read under the cap; every field must be text."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    for name, value in form.multi_items():
        if not isinstance(value, str):
            raise BadRequest(400, "bad_form", "This form takes no files.")
        check_text(name, "A field name")
        check_text(value, f"The field {name!r}")
    return form
