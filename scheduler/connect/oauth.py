"""The OAuth 2.0 authorisation-code flow with PKCE S256 (RFC 7636), as a command line runs it.

The verifier never leaves this process except to the token endpoint; the browser sees only
its SHA-256 challenge. Platform facts (paths, scopes, whether it takes PKCE) come from the
descriptor; without PKCE the client secret, sent only to the token endpoint, proves the
exchange.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from requests.auth import HTTPBasicAuth

from scheduler import redact
from scheduler.connect.loopback import LoopbackReceiver
from scheduler.errors import ConfigError
from scheduler.platforms.base import AuthFailed, Transient
from scheduler.settings import Secret

Opener = Callable[[str], object]
Say = Callable[[str], None]


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        # 64 random bytes make an 86-character verifier, inside RFC 7636's 43..128.
        verifier = secrets.token_urlsafe(64)
        return cls(verifier, challenge(verifier))


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: Secret | None = None


@dataclass(frozen=True)
class Tokens:
    access_token: Secret
    refresh_token: Secret | None
    expires_in: float | None


def post_json(
    session: requests.Session,
    url: str,
    what: str,
    *,
    data: Mapping[str, str],
    auth: HTTPBasicAuth | None = None,
    platform: str,
    timeout: float,
    method: str = "POST",
) -> dict[str, Any]:
    """POST a form (or GET with the same fields as the query, where the platform wants
    that); the JSON answer, or our error saying which step failed (no secrets)."""
    fields = dict(data)
    try:
        if method == "GET":
            response = session.get(url, params=fields, auth=auth, timeout=timeout)
        else:
            response = session.post(url, data=fields, auth=auth, timeout=timeout)
    except requests.RequestException as exc:
        raise Transient(
            f"{platform}: cannot reach the server to {what} ({type(exc).__name__})",
            platform=platform,
        ) from exc
    if response.status_code in (400, 401, 403):
        raise AuthFailed(
            f"{platform}: the server refused to {what} (HTTP {response.status_code})",
            platform=platform,
            hint="run the command again; if it keeps failing, check the app's settings",
        )
    if response.status_code >= 300:
        raise Transient(
            f"{platform}: the server could not {what} (HTTP {response.status_code})",
            platform=platform,
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise ConfigError(f"{platform}: the answer to {what} is not JSON") from exc
    if not isinstance(body, dict):
        raise ConfigError(f"{platform}: the answer to {what} is not a JSON object")
    return body


def authorize(
    *,
    authorize_url: str,
    token_url: str,
    client: Client | Callable[[str], Client],
    scopes: tuple[str, ...],
    session: requests.Session,
    platform: str,
    open_browser: Opener,
    say: Say,
    timeout: float,
    port: int = 0,
    http_timeout: float = 30.0,
    client_auth: str = "basic",
    pkce: bool = True,
    token_method: str = "POST",
) -> Tokens:
    """Run the flow: (register the app for the loopback address,) send the person to sign
    in, take the code at the loopback receiver and exchange it with the verifier (or, for a
    platform that does not take PKCE from every app, with the client secret alone)."""
    state = secrets.token_urlsafe(24)
    proof = Pkce.new() if pkce else None
    if proof is not None:
        redact.register(proof.verifier)
    with LoopbackReceiver(state, port) as receiver:
        redirect_uri = receiver.redirect_uri
        app = client(redirect_uri) if callable(client) else client
        if app.client_secret:
            redact.register(app.client_secret.reveal())
            redact.register_pair(app.client_id, app.client_secret.reveal())
        query = {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
        }
        if proof is not None:
            query.update(code_challenge=proof.challenge, code_challenge_method="S256")
        url = authorize_url + "?" + urlencode(query)
        say("Open this address in a browser to sign in and authorise the scheduler:")
        say(f"  {url}")
        say(f"Waiting up to {timeout:.0f} s for the browser to come back...")
        open_browser(url)
        code = receiver.wait(timeout)
        redact.register(code)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": app.client_id,
    }
    if proof is not None:
        form["code_verifier"] = proof.verifier
    auth = None
    if app.client_secret and client_auth == "post":
        form["client_secret"] = app.client_secret.reveal()
    elif app.client_secret:
        auth = HTTPBasicAuth(app.client_id, app.client_secret.reveal())
    body = post_json(
        session,
        token_url,
        "exchange the code for a token",
        data=form,
        auth=auth,
        platform=platform,
        timeout=http_timeout,
        method=token_method,
    )
    return tokens_of(body, platform)


def exchange_long_lived(
    session: requests.Session,
    url: str,
    params: Mapping[str, str],
    *,
    platform: str,
    timeout: float,
) -> Tokens:
    """Trade a short-lived token for a long-lived one: a GET whose query holds the client
    secret and the short token, both registered with ``redact`` before this is called, and
    never put in our errors (which name only the step and the status)."""
    body = post_json(
        session,
        url,
        "exchange the token for a long-lived one",
        data=params,
        platform=platform,
        timeout=timeout,
        method="GET",
    )
    return tokens_of(body, platform)


def tokens_of(body: Mapping[str, Any], platform: str) -> Tokens:
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise AuthFailed(f"{platform}: the token answer has no access token", platform=platform)
    refresh = body.get("refresh_token")
    redact.register(access, refresh if isinstance(refresh, str) else None)
    expires = body.get("expires_in")
    return Tokens(
        access_token=Secret(access),
        refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
        expires_in=float(expires) if isinstance(expires, int | float) else None,
    )
