"""Pure rules of the HTTP layer: rate-limit headers, status classification, transport errors."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
import requests

from scheduler.platforms.base import (
    AuthFailed,
    Forbidden,
    Invalid,
    OutcomeUnknown,
    PublishError,
    RateLimited,
    Transient,
)
from scheduler.platforms.http import (
    HttpClient,
    bluesky_retry_after,
    mastodon_retry_after,
    parse_epoch_reset,
    parse_iso_reset,
    parse_retry_after,
    x_retry_after,
)

NOW = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-05-11T08:05:00.000000Z", 300.0),
        ("2026-05-11T08:05:00.123456Z", 300.123456),
        ("2026-05-11T09:05:00+01:00", 300.0),
        ("2026-05-11T08:05:00", 300.0),  # no zone: taken as UTC
        ("2026-05-11T07:00:00Z", 0.0),  # already past: no wait, never negative
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_reset(value: str | None, expected: float | None) -> None:
    assert parse_iso_reset(value, NOW) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(str(EPOCH + 90), 90.0), (f"{EPOCH + 90}.5", 90.5), (str(EPOCH - 5), 0.0), ("x", None)],
)
def test_epoch_reset(value: str, expected: float | None) -> None:
    assert parse_epoch_reset(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Mon, 11 May 2026 08:02:00 GMT", 120.0),
        ("next week", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("platform", "headers", "expected"),
    [
        ("mastodon", {"X-RateLimit-Reset": "2026-05-11T08:05:00.000Z"}, 300.0),
        ("mastodon", {"x-ratelimit-reset": "2026-05-11T08:01:00Z"}, 60.0),
        ("mastodon", {"X-RateLimit-Reset": str(EPOCH + 30)}, 30.0),  # forks sending epochs
        ("mastodon", {}, None),  # servers without headers
        ("bluesky", {"Retry-After": "45", "RateLimit-Reset": str(EPOCH + 300)}, 45.0),
        ("bluesky", {"RateLimit-Reset": str(EPOCH + 300)}, 300.0),
        ("bluesky", {}, None),
        ("x", {"x-rate-limit-reset": str(EPOCH + 900), "x-rate-limit-remaining": "0"}, 900.0),
        (
            "x",
            {
                "x-rate-limit-reset": str(EPOCH + 900),
                "x-rate-limit-remaining": "10",
                "x-user-limit-24hour-reset": str(EPOCH + 7200),
                "x-user-limit-24hour-remaining": "0",
            },
            7200.0,
        ),
    ],
)
def test_platform_rate_headers(platform: str, headers: dict[str, str], expected: float) -> None:
    parse = {"mastodon": mastodon_retry_after, "bluesky": bluesky_retry_after, "x": x_retry_after}
    assert parse[platform](headers, NOW) == expected


def _response(status: int, body: bytes = b'{"error": "nope"}') -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = "application/json"
    return response


CLIENT = HttpClient(platform="p", base_url="http://127.0.0.1:9", timeout=1)


@pytest.mark.parametrize(
    ("status", "creates", "expected"),
    [
        (400, False, Invalid),
        (401, True, AuthFailed),
        (403, True, Forbidden),
        (404, True, Invalid),
        (413, True, Invalid),
        (422, True, Invalid),
        (429, True, RateLimited),
        (500, True, OutcomeUnknown),  # the create may be stored before the failure
        (500, False, Transient),
        (502, True, OutcomeUnknown),
        (503, True, Transient),  # refused before doing anything
        (504, True, OutcomeUnknown),
        (504, False, Transient),
    ],
)
def test_status_classification(status: int, creates: bool, expected: type[PublishError]) -> None:
    error = CLIENT.failure(_response(status), what="posting", creates=creates, retry_after=12)
    assert type(error) is expected
    assert error.status == status  # type: ignore[attr-defined]
    assert error.platform_message == "nope"  # type: ignore[attr-defined]
    if expected is RateLimited:
        assert error.retry_after == 12  # type: ignore[attr-defined]


def test_classification_ignores_the_wording() -> None:
    """Mastodon localises `error`; the same status means the same class in any language."""
    english = CLIENT.failure(_response(422, b'{"error": "Validation failed"}'), what="w")
    german = CLIENT.failure(_response(422, b'{"error": "Validierung fehlgeschlagen"}'), what="w")
    assert type(english) is type(german) is Invalid


def test_html_error_pages_are_not_quoted() -> None:
    error = CLIENT.failure(_response(502, b"<html><body>Bad gateway</body></html>"), what="w")
    assert error.platform_message == "502"  # type: ignore[attr-defined]


def test_refused_connection_is_transient_even_for_a_create() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        client = HttpClient(platform="p", base_url=f"http://127.0.0.1:{port}", timeout=1)
        with pytest.raises(Transient, match="cannot reach") as info:
            client.request("POST", "/x", creates=True)
    assert isinstance(info.value.__cause__, requests.ConnectionError)


def test_an_unusable_address_is_a_configuration_error() -> None:
    from scheduler.errors import ConfigError

    client = HttpClient(platform="p", base_url="http://exa mple", timeout=1)
    with pytest.raises(ConfigError, match="not a usable address"):
        client.request("GET", "/x")
