"""How a failed X call becomes one of our PublishErrors.

tweepy raises its own HTTP exceptions (BadRequest ... TwitterServerError) but lets the raw
``requests`` exceptions through, and our media and token calls use ``requests`` directly. Both
land here. What a failure means depends on the call:

* ``create``: ``POST /2/tweets``. X has no idempotency key, so anything that may have reached
  the server without a clear refusal (5xx, a read timeout, a connection lost mid-request, an
  unreadable 2xx) is an OutcomeUnknown that must be reconciled before another attempt.
* ``upload``/``read``/``token``: repeating them cannot post anything, so the same failures are
  Transient.

A 403 "duplicate content" answer is classified Duplicate here; the publisher reconciles it
(it usually means an earlier attempt went through).

A GIF that X took but could not process (``x_chunked.ProcessingFailed``) is Invalid: the
same file fails again. One still processing when our wait ran out (``ProcessingTooSlow``)
is Transient: the next attempt uploads it afresh.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

import requests
import tweepy

from scheduler.descriptors.x import X
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
from scheduler.platforms.sent import never_sent
from scheduler.platforms.x_chunked import MediaProcessingError, ProcessingFailed
from scheduler.redact import redact, register

Action = Literal["create", "upload", "read", "token"]

PLATFORM = "x"
DUPLICATE_MARKER = "duplicate content"
USAGE_CAPPED = "usage-capped"

_WHAT = {
    "create": "posting",
    "upload": "uploading an image",
    "read": "reading the account",
    "token": "refreshing the access token",
}


def raise_for_status(response: requests.Response) -> None:
    """Raise tweepy's exception for a non-2xx answer, as tweepy's own calls would."""
    code = response.status_code
    if 200 <= code < 300:
        return
    exc_type: type[tweepy.HTTPException]
    if code == 400:
        exc_type = tweepy.BadRequest
    elif code == 401:
        exc_type = tweepy.Unauthorized
    elif code == 403:
        exc_type = tweepy.Forbidden
    elif code == 404:
        exc_type = tweepy.NotFound
    elif code == 429:
        reset = response.headers.get("x-rate-limit-reset")
        raise tweepy.TooManyRequests(
            response, reset_time=int(reset) if reset and reset.isdigit() else None
        )
    elif code >= 500:
        exc_type = tweepy.TwitterServerError
    else:
        exc_type = tweepy.HTTPException
    raise exc_type(response)


def platform_message(exc: BaseException) -> str | None:
    """X's own words for a failure: the problem detail or the errors' messages."""
    if isinstance(exc, tweepy.HTTPException):
        body = _body(exc.response)
        if isinstance(body, dict) and isinstance(body.get("error_description"), str):
            # OAuth 2.0 token errors: {"error": "invalid_request", "error_description": ...}
            return f"{body.get('error', 'error')}: {body['error_description']}"
        messages = [str(m) for m in exc.api_messages if m]
        if messages:
            return "; ".join(messages)
        if isinstance(body, dict):
            for key in ("detail", "title", "error_description", "error"):
                if isinstance(body.get(key), str) and body[key]:
                    return str(body[key])
        return f"{exc.response.status_code} {exc.response.reason}"
    if isinstance(exc, requests.RequestException):
        return type(exc).__name__
    if isinstance(exc, MediaProcessingError):
        return exc.detail
    return None


def _body(response: Any) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError, AttributeError):
        return None


def _problem_type(response: Any) -> str:
    body = _body(response)
    return str(body.get("type", "")) if isinstance(body, dict) else ""


def classify(
    exc: BaseException,
    *,
    action: Action,
    now: datetime,
    part_index: int | None = None,
    secrets: Iterable[str] = (),
) -> PublishError:
    """The PublishError for ``exc``; the caller raises it ``from exc``.

    ``secrets`` are masked in the platform's message: servers echo what they were sent.
    """
    what = _WHAT[action]
    where = f" part {part_index + 1}" if part_index is not None and action == "create" else ""
    said = platform_message(exc)
    if said is not None:
        register(*secrets)
        said = redact(said)
    kw: dict[str, Any] = {"platform": PLATFORM, "platform_message": said, "part_index": part_index}
    quoted = f": {said}" if said else ""

    if isinstance(exc, MediaProcessingError):
        if isinstance(exc, ProcessingFailed):
            return Invalid(
                f"x: {exc.message}",
                hint="check that the file opens as a GIF; X takes GIFs of at most 15 MB",
                **kw,
            )
        return Transient(f"x: {exc.message}", **kw)

    if isinstance(exc, tweepy.HTTPException):
        status = exc.response.status_code
        kw["status"] = status
        if isinstance(exc, tweepy.TooManyRequests):
            # A spent 24-hour cap outlasts the 15-minute window: the later reset wins.
            wait = ratelimit.wait(exc.response.headers, now, X.rate_limits)
            capped = USAGE_CAPPED in _problem_type(exc.response)
            return RateLimited(
                f"x: rate limited while {what}{where}{quoted}",
                retry_after=wait,
                hint="X's usage cap for this app is spent" if capped else None,
                **kw,
            )
        if isinstance(exc, tweepy.Unauthorized):
            return AuthFailed(
                f"x: the credentials were refused while {what}{quoted}",
                hint="reconnect the X account (new access token)",
                **kw,
            )
        if isinstance(exc, tweepy.Forbidden):
            if said and DUPLICATE_MARKER in said.lower():
                return Duplicate(f"x: X already has this text{where}{quoted}", **kw)
            return Forbidden(
                f"x: not permitted while {what}{where}{quoted}",
                hint="check the app's permissions (Read and Write) and the account's standing",
                **kw,
            )
        if isinstance(exc, tweepy.TwitterServerError):
            if action == "create":
                return OutcomeUnknown(
                    f"x: server error {status} while {what}{where}; the post may exist{quoted}",
                    **kw,
                )
            return Transient(f"x: server error {status} while {what}{quoted}", **kw)
        if action == "token" and status in (400, 401):
            return AuthFailed(
                f"x: the refresh token was refused{quoted}",
                hint="reconnect the X account: authorise the app again to get new tokens",
                **kw,
            )
        if status in (408, 409, 425):
            return Transient(f"x: X asked to try again ({status}) while {what}{quoted}", **kw)
        return Invalid(f"x: X refused{where} ({status}) while {what}{quoted}", **kw)

    if isinstance(exc, requests.RequestException):
        if action != "create" or never_sent(exc):
            return Transient(f"x: network error while {what}: {type(exc).__name__}", **kw)
        return OutcomeUnknown(
            f"x: no answer while {what}{where} ({type(exc).__name__}); the post may exist", **kw
        )

    if action == "create":
        # Whatever went wrong happened after the request left: it may have been applied.
        return OutcomeUnknown(
            f"x: unreadable answer while {what}{where} ({type(exc).__name__}); the post may exist",
            **kw,
        )
    return Transient(f"x: unexpected answer while {what}: {type(exc).__name__}", **kw)
