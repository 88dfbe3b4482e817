"""Meta's Graph API errors and usage headers: the pure rules, table-driven."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from scheduler.clock import FixedClock
from scheduler.descriptors import RateLimits
from scheduler.platforms import ratelimit
from scheduler.platforms.base import (
    OPEN_GATE,
    AuthFailed,
    Duplicate,
    Forbidden,
    Invalid,
    OutcomeUnknown,
    PublishError,
    RateLimited,
    Transient,
)
from scheduler.platforms.graph import GraphError, classify, failure, graph_error
from scheduler.platforms.http import HttpClient

NOW = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "subcode", "transient", "creates", "expected"),
    [
        (190, None, None, False, AuthFailed),
        (190, 463, None, True, AuthFailed),
        (102, None, None, False, AuthFailed),
        (100, 460, None, False, AuthFailed),  # password changed, whatever the code
        (4, None, None, False, RateLimited),
        (17, None, None, True, RateLimited),
        (32, None, None, False, RateLimited),
        (613, None, None, False, RateLimited),
        (341, None, None, False, RateLimited),
        (80001, None, None, False, RateLimited),
        (80002, None, None, False, RateLimited),
        (368, None, None, True, RateLimited),
        (506, None, None, True, Duplicate),
        (10, None, None, False, Forbidden),
        (200, None, None, False, Forbidden),
        (299, None, None, False, Forbidden),
        (3, None, None, False, Forbidden),
        (1, None, None, False, Transient),
        (1, None, None, True, OutcomeUnknown),
        (2, None, None, True, OutcomeUnknown),
        (-1, 2207001, None, False, Transient),
        (-2, 2207003, None, True, OutcomeUnknown),
        (100, None, None, False, Invalid),
        (1609005, None, None, True, Invalid),
        (36000, 2207004, False, True, None),  # unknown to us: the status decides
        (12345, None, True, False, Transient),  # is_transient says so
        (9, 2207042, None, True, RateLimited),  # Instagram's daily publishing limit
        (-2, 2207020, None, True, Transient),  # an expired container: nothing published
        (12345, None, True, True, OutcomeUnknown),
    ],
)
def test_classify(
    code: int,
    subcode: int | None,
    transient: bool | None,
    creates: bool,
    expected: type[PublishError] | None,
) -> None:
    error = GraphError(code=code, subcode=subcode, transient=transient)
    assert classify(error, creates=creates) is expected


def _response(
    status: int, body: object, headers: dict[str, str] | None = None
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if not isinstance(body, bytes) else body
    response.headers.update(headers or {})
    response.reason = "x"
    return response


def _http() -> HttpClient:
    return HttpClient(
        platform="facebook",
        base_url="https://graph.example",
        timeout=1.0,
        account="page",
        gate=OPEN_GATE,
    )


def test_graph_error_reads_the_shape_and_ignores_other_bodies() -> None:
    body = {
        "error": {
            "message": "Invalid OAuth access token.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
            "is_transient": False,
            "fbtrace_id": "Abc",
        }
    }
    error = graph_error(_response(400, body))
    assert error == GraphError(
        code=190,
        subcode=463,
        type="OAuthException",
        message="Invalid OAuth access token.",
        transient=False,
        trace="Abc",
    )
    assert error.words == "code 190/463: Invalid OAuth access token."
    assert graph_error(_response(502, b"<html>bad gateway</html>")) is None
    assert graph_error(_response(400, {"error": "nope"})) is None


USAGE = RateLimits(usage=(("X-Business-Use-Case-Usage", "Meta's business use case limit"),))


def test_failure_uses_the_code_not_the_status() -> None:
    clock = FixedClock(NOW)
    throttled = _response(
        400,
        {"error": {"code": 80001, "message": "There have been too many calls to this Page"}},
        {
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    "123": [
                        {"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}
                    ]
                }
            )
        },
    )
    error = failure(_http(), throttled, what="posting", clock=clock, limits=USAGE, creates=True)
    assert isinstance(error, RateLimited) and error.retry_after == 7 * 60
    blocked = _response(400, {"error": {"code": 368, "message": "blocked"}})
    error = failure(_http(), blocked, what="posting", clock=clock, limits=USAGE, creates=True)
    assert isinstance(error, RateLimited) and error.retry_after == 3600
    expired = _response(400, {"error": {"code": 190, "message": "Error validating access token"}})
    error = failure(_http(), expired, what="posting", clock=clock, limits=USAGE)
    assert isinstance(error, AuthFailed) and "reconnect" in (error.hint or "")
    # No Graph body: the status decides (a 5xx on a create may have made the post).
    gateway = _response(502, b"<html>bad gateway</html>")
    error = failure(_http(), gateway, what="posting", clock=clock, limits=USAGE, creates=True)
    assert isinstance(error, OutcomeUnknown)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"call_count": 28, "total_time": 25, "total_cputime": 25}', (28.0, None)),
        (
            '{"1": [{"type": "pages", "call_count": 100, "total_cputime": 25,'
            ' "total_time": 25, "estimated_time_to_regain_access": 19}]}',
            (100.0, 19.0),
        ),
        (
            '{"1": [{"type": "instagram", "call_count": 5, "estimated_time_to_regain_access": 0}]}',
            (5.0, None),
        ),
        ('{"acc_id_util_pct": 99.5}', (99.5, None)),
        ("not json", None),
        ("[1, 2]", None),
        ('{"type": "pages"}', None),
    ],
)
def test_usage_headers(value: str, expected: tuple[float, float | None] | None) -> None:
    assert ratelimit.usage(value) == expected


def test_a_spent_usage_header_is_a_spent_window() -> None:
    headers = {
        "x-business-use-case-usage": json.dumps(
            {"9": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 19}]}
        )
    }
    read = ratelimit.read(headers, NOW, USAGE)
    assert read.spent_until() == (NOW + timedelta(minutes=19), "Meta's business use case limit")
    below = {"X-Business-Use-Case-Usage": json.dumps({"9": [{"call_count": 40}]})}
    assert ratelimit.read(below, NOW, USAGE).spent_until() is None
