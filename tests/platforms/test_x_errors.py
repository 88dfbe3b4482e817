"""Table tests: how each failure of an X call is classified (PLATFORMS.md 1.6, 1.7)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests
import tweepy
from urllib3.exceptions import MaxRetryError, NewConnectionError

from scheduler.platforms.base import (
    AuthFailed,
    Duplicate,
    Forbidden,
    Invalid,
    OutcomeUnknown,
    RateLimited,
    Transient,
)
from scheduler.platforms.x_chunked import ProcessingFailed, ProcessingTooSlow
from scheduler.platforms.x_errors import classify, raise_for_status

NOW = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())


def response(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.reason = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        429: "Too Many Requests",
    }.get(status, "Status")
    r._content = b"<html>oops</html>" if body is None else json.dumps(body).encode()
    r.headers.update(headers or {})
    return r


def http_error(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> Exception:
    try:
        raise_for_status(response(status, body, headers))
    except tweepy.HTTPException as exc:
        return exc
    raise AssertionError("no exception")


DUP = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
TOO_LONG = {
    "detail": "Your Tweet text is too long.",
    "type": "about:blank",
    "title": "Bad Request",
    "status": 400,
}
NOT_PERMITTED = {
    "title": "Forbidden",
    "detail": "You are not permitted to perform this action.",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
    "status": 403,
}
CAPPED = {
    "title": "UsageCapExceeded",
    "detail": "Usage cap exceeded",
    "type": "https://api.twitter.com/2/problems/usage-capped",
    "status": 429,
}
RESET = {"x-rate-limit-reset": str(EPOCH + 120)}


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/2/tweets", reason))  # type: ignore[arg-type]


CASES = [
    # (exception, action, expected class, expected platform message fragment)
    (http_error(400, TOO_LONG), "create", Invalid, "too long"),
    (
        http_error(
            401,
            {
                "title": "Unauthorized",
                "detail": "Unauthorized",
                "type": "about:blank",
                "status": 401,
            },
        ),
        "create",
        AuthFailed,
        "Unauthorized",
    ),
    (http_error(403, DUP), "create", Duplicate, "duplicate content"),
    (http_error(403, NOT_PERMITTED), "create", Forbidden, "not permitted"),
    (
        http_error(
            404,
            {
                "title": "Not Found Error",
                "detail": "Could not find tweet",
                "type": "about:blank",
                "status": 404,
            },
        ),
        "create",
        Invalid,
        "Could not find",
    ),
    (
        http_error(
            429,
            {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            },
            RESET,
        ),
        "create",
        RateLimited,
        "Too Many",
    ),
    (http_error(429, CAPPED, RESET), "read", RateLimited, "Usage cap"),
    (
        http_error(
            500,
            {"title": "Internal Server Error", "detail": "x", "type": "about:blank", "status": 500},
        ),
        "create",
        OutcomeUnknown,
        None,
    ),
    (http_error(503), "create", OutcomeUnknown, "503"),
    (http_error(503), "upload", Transient, "503"),
    (http_error(503), "read", Transient, "503"),
    (
        http_error(
            400,
            {
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid.",
            },
        ),
        "token",
        AuthFailed,
        "invalid_request",
    ),
    (http_error(409), "create", Transient, None),
    (http_error(413), "upload", Invalid, None),
    (requests.ReadTimeout("read timed out"), "create", OutcomeUnknown, "ReadTimeout"),
    (
        requests.ConnectionError("Connection aborted: RemoteDisconnected"),
        "create",
        OutcomeUnknown,
        "ConnectionError",
    ),
    (requests.ConnectTimeout("connect timed out"), "create", Transient, "ConnectTimeout"),
    (refused(), "create", Transient, "ConnectionError"),
    (requests.ReadTimeout("read timed out"), "upload", Transient, None),
    (requests.ConnectionError("reset"), "read", Transient, None),
    (requests.ConnectionError("reset"), "token", Transient, None),
    (ValueError("no JSON"), "create", OutcomeUnknown, None),
    (KeyError("data"), "read", Transient, None),
    (
        ProcessingFailed(
            "X could not process a.gif: InvalidMedia: Unsupported GIF format",
            file="a.gif",
            detail="InvalidMedia: Unsupported GIF format",
        ),
        "upload",
        Invalid,
        "Unsupported GIF format",
    ),
    (ProcessingTooSlow("X was still processing a.gif", file="a.gif"), "upload", Transient, None),
]


@pytest.mark.parametrize(("exc", "action", "expected", "said"), CASES)
def test_classification(exc: Exception, action: str, expected: type, said: str | None) -> None:
    err = classify(exc, action=action, now=NOW, part_index=1)  # type: ignore[arg-type]
    assert type(err) is expected
    assert err.platform == "x"
    assert err.retryable == (expected in (RateLimited, Transient))
    if said is not None:
        assert said in (err.platform_message or "")
        assert said in str(err)
    if isinstance(exc, tweepy.HTTPException):
        assert err.status == exc.response.status_code


def test_retry_after_comes_from_the_reset_header() -> None:
    err = classify(http_error(429, None, RESET), action="create", now=NOW)
    assert isinstance(err, RateLimited) and err.retry_after == 120


def test_a_spent_daily_cap_outlasts_the_window() -> None:
    headers = {
        **RESET,
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": str(EPOCH + 80_000),
    }
    err = classify(http_error(429, CAPPED, headers), action="create", now=NOW)
    assert isinstance(err, RateLimited) and err.retry_after == 80_000
    assert err.hint and "usage cap" in err.hint


def test_429_without_headers_has_no_retry_after() -> None:
    err = classify(http_error(429), action="create", now=NOW)
    assert isinstance(err, RateLimited) and err.retry_after is None


def test_non_json_error_body_keeps_the_status_line() -> None:
    err = classify(http_error(502), action="create", now=NOW)
    assert err.platform_message == "502 Status"
