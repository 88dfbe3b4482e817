"""The one redaction: registered values, their encoded forms, and credential shapes."""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote

import pytest

from scheduler.credentials import CredentialStore
from scheduler.redact import MASK, filter_loggers, redact, register, register_pair

CLIENT_ID = "client-id-visible-42"
CLIENT_SECRET = "cs-Zq81-SECRET-client"
PASSWORD = "app-pw-REDACT-ME-1234"


@pytest.fixture(autouse=True, scope="module")
def _registered() -> None:
    register(PASSWORD, "s+cr/t=value&more")
    register_pair(CLIENT_ID, CLIENT_SECRET)


BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()

CASES = [
    # (text, what must be gone, what must stay)
    (f"Authorization: Basic {BASIC}", [BASIC], ["Authorization"]),
    (f"echo: {BASIC}", [BASIC], ["echo"]),  # the bare base64 form, no scheme
    (f"echo: {BASIC.rstrip('=')}", [BASIC.rstrip("=")], []),
    ("Authorization: Bearer abcdefghijklmnop", ["abcdefghijklmnop"], ["Authorization"]),
    ("'authorization': 'OAuth oauth_nonce=\"1\", oauth_signature=\"zz\"'", ["oauth_nonce"], []),
    ("bearer tok-123456789 refused", ["tok-123456789"], ["refused"]),
    (f"login failed for {PASSWORD}", [PASSWORD], ["login failed"]),
    (f"form password={quote('s+cr/t=value&more', safe='')}", ["s%2Bcr"], ["form"]),
    ("GET /cb?access_token=qwerty123&state=ok", ["qwerty123"], ["state=ok"]),
    ("https://h.example/x?refresh_token=rt-999&x=1", ["rt-999"], ["x=1"]),
    ('{"accessJwt": "eyJ.abc.def", "did": "did:plc:x"}', ["eyJ.abc.def"], ["did:plc:x"]),
    ("{'client_secret': 'cs-other-999'}", ["cs-other-999"], []),
    ("refresh_token: rt-plain-777 expired", ["rt-plain-777"], ["expired"]),
    ("postgresql://u:hunter22@db.example/ledger", ["hunter22"], ["u:", "db.example"]),
    ("https://tok-in-userinfo@pds.example/x", ["tok-in-userinfo"], ["pds.example"]),
    ("https://hooks.slack.com/services/T0/B0/XXXX", ["T0/B0/XXXX"], ["hooks.slack.com"]),
    (f"{base64.b64encode(('id:' + PASSWORD).encode()).decode()}", ["aWQ6"], []),
    (
        "https://b.s3.example/k.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
        "AKIAUNREGISTERED%2F20260511%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=3600"
        "&X-Amz-Security-Token=sess-tok-42&X-Amz-Signature=0a1b2c3d4e5f",
        ["AKIAUNREGISTERED", "sess-tok-42", "0a1b2c3d4e5f"],
        ["b.s3.example/k.png", "X-Amz-Expires=3600"],
    ),
]


@pytest.mark.parametrize(("text", "gone", "kept"), CASES)
def test_redact(text: str, gone: list[str], kept: list[str]) -> None:
    clean = redact(text)
    for value in gone:
        assert value not in clean, clean
    for value in kept:
        assert value in clean, clean
    assert MASK in clean


@pytest.mark.parametrize(
    "text",
    [
        "the access token expired",
        "token: expired, password: wrong",
        "x: the token endpoint answered without an access token",
        "https://mastodon.social/@mhaw/123",
        "http://127.0.0.1:8080/@user",
        "postgresql://scheduler@postgres:5432/scheduler",
        "content_hash d1:0123456789abcdef0123456789abcdef",
        "reply to @mind.org.uk, password reset tips",
    ],
)
def test_ordinary_text_stays(text: str) -> None:
    assert redact(text) == text


def test_short_values_are_not_registered() -> None:
    register("abc")
    assert redact("abc abc") == "abc abc"


def test_none_and_empty() -> None:
    assert redact(None) == "" and redact("") == ""


def test_the_credential_store_registers_what_it_hands_out() -> None:
    store = CredentialStore(
        {
            "SCHEDULER_SECRET_ACC_CLIENT_ID": "store-client-id-7",
            "SCHEDULER_SECRET_ACC_CLIENT_SECRET": "store-client-secret-7",
        },
        None,
    )
    store.fields("acc")
    pair = base64.b64encode(b"store-client-id-7:store-client-secret-7").decode()
    assert "store-client-secret-7" not in redact("said store-client-secret-7")
    assert pair not in redact(f"Basic {pair} / {pair}")
    # The client id names the app; it is not masked on its own.
    assert "store-client-id-7" in redact("client store-client-id-7")


def test_errors_are_scrubbed_as_they_are_made() -> None:
    from scheduler.errors import SchedulerError

    exc = SchedulerError(f"refused: Basic {BASIC}", hint=f"was {PASSWORD}")
    assert BASIC not in str(exc) and PASSWORD not in str(exc)


def test_the_log_filter(caplog: pytest.LogCaptureFixture) -> None:
    filter_loggers(["tests.redact"])
    with caplog.at_level(logging.DEBUG, logger="tests.redact"):
        logging.getLogger("tests.redact").debug("headers %s", {"Authorization": f"Basic {BASIC}"})
    assert BASIC not in caplog.text and MASK in caplog.text
