"""Pure rules of the HTTP layer: rate-limit headers, status classification, transport errors."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
import requests

from scheduler.platforms.base import (
    OPEN_GATE,
    AuthFailed,
    Forbidden,
    Invalid,
    OutcomeUnknown,
    PublishError,
    RateLimited,
    Transient,
)
from scheduler.platforms.http import HttpClient

NOW = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())


def _response(status: int, body: bytes = b'{"error": "nope"}') -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = "application/json"
    return response


CLIENT = HttpClient(
    platform="p",
    base_url="http://127.0.0.1:9",
    timeout=1,
    account="a",
    gate=OPEN_GATE,
)


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
        client = HttpClient(
            platform="p",
            base_url=f"http://127.0.0.1:{port}",
            timeout=1,
            account="a",
            gate=OPEN_GATE,
        )
        with pytest.raises(Transient, match="cannot reach") as info:
            client.request("POST", "/x", creates=True)
    assert isinstance(info.value.__cause__, requests.ConnectionError)


def test_an_unusable_address_is_a_configuration_error() -> None:
    from scheduler.errors import ConfigError

    client = HttpClient(
        platform="p",
        base_url="http://exa mple",
        timeout=1,
        account="a",
        gate=OPEN_GATE,
    )
    with pytest.raises(ConfigError, match="not a usable address"):
        client.request("GET", "/x")
