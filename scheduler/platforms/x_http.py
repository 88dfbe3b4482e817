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

import requests
from requests.adapters import HTTPAdapter

from scheduler.descriptors.x import X
from scheduler.redact import filter_loggers, register

TWEEPY_HOST = "https://api.twitter.com"
DEFAULT_API_BASE = X.default_endpoint or ""


class _XAdapter(HTTPAdapter):
    def __init__(self, timeout: tuple[float, float], rewrite_to: str | None = None) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.rewrite_to = rewrite_to

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
        return super().send(
            request,
            stream=stream,
            timeout=self.default_timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


def build_session(api_base: str, timeout: float) -> requests.Session:
    """A session with a timeout on every call; tweepy's host is sent to ``api_base``."""
    session = requests.Session()
    pair = (timeout, timeout)
    plain = _XAdapter(pair)
    session.mount("http://", plain)
    session.mount("https://", plain)
    base = api_base.rstrip("/")
    if base != TWEEPY_HOST:
        session.mount(TWEEPY_HOST + "/", _XAdapter(pair, rewrite_to=base))
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
