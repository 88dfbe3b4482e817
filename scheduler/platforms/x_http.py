"""The HTTP session every X call goes through, and the redaction of X secrets in logs.

tweepy's ``Client`` hard-codes ``https://api.twitter.com`` and passes no timeout, but its
``session`` is a plain, replaceable ``requests.Session``. We give it one whose adapters
(1) add our timeout to every request that has none and (2) send tweepy's hard-coded host to
the account's configured API base (``https://api.x.com`` by default; a loopback fake in
tests). Our own media and token calls use the same session, so they get the same timeout.

tweepy logs request headers at DEBUG (with OAuth 2.0 that is the bearer token), and
requests-oauthlib logs the signed OAuth 1.0a header: ``install_redaction`` puts the one
redaction (``scheduler.redact``) on those loggers and registers the account's secrets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from scheduler.descriptors.x import X
from scheduler.platforms.base import CREATE, OPEN_GATE, READ, WRITE, RequestGate
from scheduler.redact import filter_loggers, register

PLATFORM = X.name
TWEEPY_HOST = "https://api.twitter.com"
DEFAULT_API_BASE = X.default_endpoint or ""


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


def install_redaction(secrets: Iterable[str] = ()) -> None:
    """Register X secrets with the one redaction and filter every logger that may print them."""
    register(*secrets)
    filter_loggers(LOGGERS)
