"""Meta's Graph API errors (Facebook Pages, Instagram, Threads), read the same way for all three.

Every Graph API answers a failure with one shape::

    {"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id", ...}}

and the ``code`` (with its ``error_subcode``) says what to do, whatever the HTTP status: a
throttled call may come as a 400, an expired token as a 400 too. So the code is read first,
and only an answer without one falls back to the status (``HttpClient.failure``). Sources:
Meta's "Handling Errors" guide (Graph API) and the Instagram Platform's "Error Codes"
reference; see docs/platforms.md.

``classify`` is the pure rule (the table tests pin it); ``failure`` builds the error for one
answer, with the wait the usage headers announce (``platforms.ratelimit`` reads them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from scheduler.clock import Clock
from scheduler.descriptors import RateLimits
from scheduler.platforms import ratelimit
from scheduler.platforms.base import (
    AuthFailed,
    Duplicate,
    Forbidden,
    Invalid,
    OutcomeUnknown,
    PublishError,
    RateLimited,
    Transient,
)
from scheduler.platforms.http import HttpClient
from scheduler.redact import redact_optional

# Throttling: the app's, the user's, the Page's, a custom rate limit, the application limit,
# and the business use case limits (80001-80014: Pages, Instagram, and the other products).
THROTTLED = frozenset({4, 17, 32, 613, 341, *range(80001, 80015)})
# Temporarily blocked for policy violations: Meta asks to wait and try again, without
# saying for how long. An hour is our choice, long enough not to look like a retry storm.
BLOCKED = 368
BLOCKED_WAIT = 3600.0
DUPLICATE = 506
# The access token expired, was revoked or is invalid (190), or the session (102).
REAUTHORISE = frozenset({190, 102})
# Subcodes that mean the person must sign in again, whatever the code.
REAUTHORISE_SUBCODES = frozenset({458, 459, 460, 463, 464, 467, 492})
# Permission missing or removed: 10 and the 200-299 family; 3 is a capability the app lacks.
PERMISSION = frozenset({3, 10, *range(200, 300)})
# Unknown or service errors, said to be temporary (downtime).
TEMPORARY = frozenset({1, 2})
# Instagram answers its own temporary failures with negative codes (-1 server, -2 timeout
# downloading the media).
TEMPORARY_INSTAGRAM = frozenset({-1, -2})
INVALID = frozenset({100, 1609005})
# Instagram: the account published as many posts as the Content Publishing API allows in a
# rolling 24 hours (code 9, subcode 2207042). Meta says to try the next day; the ledger's
# quota normally stops us first, so this is posts made elsewhere: look again in an hour.
PUBLISHING_LIMIT = 9
PUBLISHING_LIMIT_WAIT = 3600.0
# Instagram: the container expired (24 hours old) before it was published; nothing was
# published, and a new container is needed.
CONTAINER_EXPIRED = 2207020


@dataclass(frozen=True, slots=True)
class GraphError:
    """The ``error`` object of a Graph API answer."""

    code: int | None
    subcode: int | None = None
    type: str | None = None
    message: str | None = None
    user_message: str | None = None
    transient: bool | None = None  # ``is_transient``, where the API sends it
    trace: str | None = None  # ``fbtrace_id``, for Meta's support

    @property
    def words(self) -> str:
        """The error as people read it: code, subcode and message."""
        code = "" if self.code is None else f"code {self.code}"
        if self.subcode is not None:
            code += f"/{self.subcode}"
        said = self.user_message or self.message or ""
        return ": ".join(x for x in (code, said) if x)


def graph_error(response: requests.Response) -> GraphError | None:
    """The Graph error in an answer's body; None when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error: dict[str, Any] = body["error"]
    return GraphError(
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        type=_str(error.get("type")),
        message=_str(error.get("message")),
        user_message=_str(error.get("error_user_msg")),
        transient=error["is_transient"] if isinstance(error.get("is_transient"), bool) else None,
        trace=_str(error.get("fbtrace_id")),
    )


def classify(error: GraphError, *, creates: bool) -> type[PublishError] | None:
    """The class of error a Graph ``error`` is; None when its code says nothing we know
    (the HTTP status decides then). ``creates``: the call would have made a post, so a
    failure inside Meta may still have made it."""
    code, subcode = error.code, error.subcode
    if code in REAUTHORISE or subcode in REAUTHORISE_SUBCODES:
        return AuthFailed
    if code in THROTTLED or code in (BLOCKED, PUBLISHING_LIMIT):
        return RateLimited
    if subcode == CONTAINER_EXPIRED:
        return Transient
    if code == DUPLICATE:
        return Duplicate
    if code in PERMISSION:
        return Forbidden
    if code in TEMPORARY or code in TEMPORARY_INSTAGRAM or error.transient:
        return OutcomeUnknown if creates else Transient
    if code in INVALID:
        return Invalid
    return None


HINTS: dict[type[PublishError], str] = {
    AuthFailed: "the account's token has expired or was revoked: reconnect it",
    Forbidden: "the token lacks a permission this needs: reconnect it granting every "
    "permission the README lists",
    Duplicate: "Meta refuses the same text twice in a row: change the text",
}


def failure(
    http: HttpClient,
    response: requests.Response,
    *,
    what: str,
    clock: Clock,
    limits: RateLimits,
    creates: bool = False,
    part_index: int | None = None,
) -> PublishError:
    """The error for a Graph answer that is not a success."""
    retry_after = ratelimit.wait(response.headers, clock.now(), limits)
    error = graph_error(response)
    cls = None if error is None else classify(error, creates=creates)
    if error is None or cls is None:
        return http.failure(
            response, what=what, retry_after=retry_after, creates=creates, part_index=part_index
        )
    platform = http.platform
    # The trace id is what Meta's support asks for about one failed call.
    trace = f" (fbtrace_id {error.trace})" if error.trace else ""
    said = redact_optional(error.words + trace) or None
    common: dict[str, Any] = {
        "platform": platform,
        "platform_message": said,
        "status": response.status_code,
        "part_index": part_index,
    }
    if cls is RateLimited:
        if error.code == BLOCKED:
            return RateLimited(
                f"{platform}: Meta has blocked posting from the account for a while ({what})",
                retry_after=max(retry_after or 0.0, BLOCKED_WAIT),
                hint="wait; if it lasts, sign in to the account and read what Meta says",
                **common,
            )
        if error.code == PUBLISHING_LIMIT:
            return RateLimited(
                f"{platform}: the account reached its daily publishing limit ({what})",
                retry_after=max(retry_after or 0.0, PUBLISHING_LIMIT_WAIT),
                hint="posts wait until the 24-hour window frees a place",
                **common,
            )
        return RateLimited(
            f"{platform}: rate limited during {what}",
            retry_after=retry_after,
            hint="wait until the limit resets",
            **common,
        )
    words = f"{platform}: {what} was refused ({response.status_code}"
    words += f": {said})" if said else ")"
    return cls(words, hint=HINTS.get(cls), **common)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
