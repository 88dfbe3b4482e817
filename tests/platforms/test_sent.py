"""Whether a failed request can have reached the platform: one rule for every publisher."""

from __future__ import annotations

import pytest
import requests
import urllib3.exceptions

from scheduler.platforms.sent import never_sent


def _refused() -> BaseException:
    pool = urllib3.HTTPConnectionPool("127.0.0.1", 9)
    reason = urllib3.exceptions.NewConnectionError(pool, "Connection refused")  # type: ignore[arg-type]
    retry = urllib3.exceptions.MaxRetryError(pool, "/x", reason)
    return requests.exceptions.ConnectionError(retry)


def _chained(cause: BaseException) -> BaseException:
    try:
        raise requests.exceptions.ConnectionError("failed") from cause
    except requests.exceptions.ConnectionError as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "not_sent"),
    [
        (_refused(), True),
        (requests.exceptions.ConnectTimeout("connect timed out"), True),
        (_chained(ConnectionRefusedError(111, "refused")), True),
        (requests.exceptions.ReadTimeout("read timed out"), False),  # it may have arrived
        (_chained(ConnectionResetError(104, "reset")), False),
        (requests.exceptions.ChunkedEncodingError("dropped"), False),
    ],
)
def test_never_sent(exc: BaseException, not_sent: bool) -> None:
    assert never_sent(exc) is not_sent
