"""The HTTP session every X call goes through, and the redaction of X secrets in logs.

tweepy's ``Client`` hard-codes ``https://api.twitter.com`` and passes no timeout, but its
``session`` is a plain, replaceable ``requests.Session``. We give it one whose adapters
(1) add our timeout to every request that has none and (2) send tweepy's hard-coded host to
the account's configured API base (``https://api.x.com`` by default; a loopback fake in
tests). Our own media and token calls use the same session, so they get the same timeout.

tweepy logs request headers at DEBUG (with OAuth 2.0 that is the bearer token), and
requests-oauthlib logs the signed OAuth 1.0a header: ``install_redaction`` puts a filter on
those loggers that masks authorisation headers, token fields and every secret value the
publishers registered.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from scheduler.descriptors.x import X
from scheduler.platforms.base import CREATE, OPEN_GATE, READ, WRITE, RequestGate

PLATFORM = X.name
TWEEPY_HOST = "https://api.twitter.com"
DEFAULT_API_BASE = X.default_endpoint or ""
MASK = "***"


class _XAdapter(HTTPAdapter):
    def __init__(
        self,
        timeout: tuple[float, float],
        rewrite_to: str | None = None,
        *,
        account: str = "",
        gate: RequestGate = OPEN_GATE,
    ) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.rewrite_to = rewrite_to
        self.account = account
        self.gate = gate

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        if self.rewrite_to is not None and url.startswith(TWEEPY_HOST):
            request.url = self.rewrite_to + url[len(TWEEPY_HOST) :]
        kind = request_kind(request.method or "GET", url)
        # Every X call (tweepy's and ours) comes through here: the one place to ask the gate.
        self.gate.before(self.account, PLATFORM, kind)
        response = super().send(
            request,
            stream=stream,
            timeout=self.default_timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )
        self.gate.after(self.account, PLATFORM, kind, response.status_code, response.headers)
        return response


def request_kind(method: str, url: str) -> str:
    """What an X call does: creating a post (what quotas count), reading, or another write."""
    if method.upper() in ("GET", "HEAD"):
        return READ
    path = urlsplit(url).path.rstrip("/")
    return CREATE if method.upper() == "POST" and path.endswith("/2/tweets") else WRITE


def build_session(
    api_base: str, timeout: float, *, account: str = "", gate: RequestGate = OPEN_GATE
) -> requests.Session:
    """A session with a timeout on every call, each call passing the account's ``gate``;
    tweepy's host is sent to ``api_base``."""
    session = requests.Session()
    pair = (timeout, timeout)
    plain = _XAdapter(pair, account=account, gate=gate)
    session.mount("http://", plain)
    session.mount("https://", plain)
    base = api_base.rstrip("/")
    if base != TWEEPY_HOST:
        session.mount(
            TWEEPY_HOST + "/", _XAdapter(pair, rewrite_to=base, account=account, gate=gate)
        )
    return session


# --- redaction ----------------------------------------------------------------------------

_PATTERNS = [
    # "Authorization: Bearer abc", "'Authorization': 'OAuth oauth_token=...'"
    re.compile(
        r"(?P<keep>authorization['\"]?\s*[:=]\s*['\"]?)(?P<secret>[^'\"\r\n}]+)", re.IGNORECASE
    ),
    re.compile(r"(?P<keep>\bbearer\s+)(?P<secret>[A-Za-z0-9._~+/=%-]+)", re.IGNORECASE),
    re.compile(
        r"(?P<keep>\boauth_(?:token|signature|consumer_key|verifier)=['\"]?)"
        r"(?P<secret>[^'\"&,\s]+)",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?P<keep>\b(?:access_token|refresh_token|client_secret|code_verifier)['\"]?"
        r"\s*[:=]\s*['\"]?)(?P<secret>[^'\"&,\s}]+)",
        re.IGNORECASE,
    ),
]

LOGGERS = (
    "tweepy",
    "tweepy.client",
    "tweepy.api",
    "tweepy.auth",
    "urllib3",
    "urllib3.connectionpool",
    "requests_oauthlib",
    "requests_oauthlib.oauth1_auth",
    "requests_oauthlib.oauth2_session",
    "oauthlib",
    "oauthlib.oauth1.rfc5849",
    "oauthlib.oauth1.rfc5849.signature",
    "scheduler.platforms.x",
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for value in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m["keep"] + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets masked; never drops a record."""

    def __init__(self) -> None:
        super().__init__("x-redaction")
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add_secrets(self, values: Iterable[str]) -> None:
        with self._lock:
            self._secrets.update(v for v in values if v)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not a leak
            return True
        with self._lock:
            secrets = tuple(self._secrets)
        clean = redact(message, secrets)
        if clean != message:
            record.msg = clean
            record.args = None
        return True


_FILTER = RedactingFilter()
_installed = False
_install_lock = threading.Lock()


def install_redaction(secrets: Iterable[str] = ()) -> RedactingFilter:
    """Mask X secrets in every logger that may print them; idempotent."""
    global _installed
    _FILTER.add_secrets(secrets)
    with _install_lock:
        if not _installed:
            for name in LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
            _installed = True
    return _FILTER
