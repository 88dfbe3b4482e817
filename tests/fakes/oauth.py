"""The authorisation-code side of a fake platform: a sign-in page that approves at once and
a token endpoint that checks what a real one checks (RFC 6749 and RFC 7636).

The authorize endpoint answers a 302 to the redirect address with a one-time code and the
given ``state``; the token endpoint wants that code once, the same redirect address and
client, and a verifier whose S256 challenge is the one sent to the authorize endpoint.
``deny`` makes the sign-in page answer ``error=access_denied`` instead. A platform that
does not take PKCE from every app (``pkce=False``) ignores the challenge; its token endpoint
checks the client secret instead (the caller's part). ``MetaSignIn`` puts Meta's sign-in and
its second, long-lived exchange on the Graph fakes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

from tests.fakes.base import Request, Response, route


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str


class CodeGrants:
    def __init__(self, pkce: bool = True) -> None:
        self.pkce = pkce
        self._lock = threading.Lock()
        self.pending: dict[str, Grant] = {}
        self.redeemed: list[Grant] = []
        self.deny = False
        self.authorize_queries: list[dict[str, str]] = []

    def authorize(self, request: Request, known_client: str | None = None) -> Response:
        q = {k: v[0] for k, v in request.query.items()}
        self.authorize_queries.append(q)
        redirect = q.get("redirect_uri", "")
        if q.get("response_type") != "code" or not redirect:
            return Response(400, {"error": "invalid_request"})
        if known_client is not None and q.get("client_id") != known_client:
            return Response(400, {"error": "invalid_client"})
        if self.pkce and (q.get("code_challenge_method") != "S256" or not q.get("code_challenge")):
            return Response(400, {"error": "invalid_request", "error_description": "PKCE"})
        answer: dict[str, str] = {"state": q.get("state", "")}
        if self.deny:
            answer["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(16)
            with self._lock:
                self.pending[code] = Grant(
                    q.get("client_id", ""),
                    redirect,
                    q.get("code_challenge", ""),
                    q.get("scope", ""),
                )
            answer["code"] = code
        return Response(302, None, {"Location": f"{redirect}?{urlencode(answer)}"})

    def redeem(self, form: dict[str, str], client_id: str) -> Grant | None:
        """The grant for a valid authorization_code request, once; None when refused."""
        with self._lock:
            grant = self.pending.pop(form.get("code", ""), None)
        if grant is None or grant.client_id != client_id:
            return None
        if form.get("redirect_uri") != grant.redirect_uri:
            return None
        if self.pkce:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
                return None
        self.redeemed.append(grant)
        return grant


def basic_client(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


SHORT_SECONDS = 3600
LONG_SECONDS = 60 * 24 * 3600


class MetaSignIn:
    """Meta's sign-in on a fake Graph host: the authorization window (Facebook's dialog
    under a version, Threads' and Instagram's at ``/oauth/authorize``), the code exchanged
    at ``oauth/access_token`` (a form POST, or Facebook's GET) for an hour-long token, and
    that token traded at ``access_token`` (Facebook: ``oauth/access_token`` again) for a
    60-day one with the app's secret. A mixin listed before ``FakeServer``, so its routes
    come first; the fake says which grant its long-lived exchange takes and which query
    field carries the short token, and ``issued`` is told of the long-lived token."""

    long_grant = "ig_exchange_token"
    long_token_param = "access_token"

    def sign_in_setup(
        self, client_id: str = "990602627938098", secret: str = "meta-app-secret"
    ) -> None:
        self.client_id = client_id
        self.client_secret = secret
        self.grants = CodeGrants(pkce=False)
        self.token_forms: list[dict[str, str]] = []
        self.long_queries: list[dict[str, str]] = []
        self.short_tokens: list[str] = []
        self.long_token: str | None = None

    def issued(self, token: str) -> None:  # the fake now takes this token
        raise NotImplementedError

    @route("GET", "/{version}/dialog/oauth")
    def meta_dialog(self, request: Request) -> Response:
        return self.grants.authorize(request, known_client=self.client_id)

    @route("GET", "/oauth/authorize")
    def meta_authorize(self, request: Request) -> Response:
        return self.grants.authorize(request, known_client=self.client_id)

    @route("POST", "/oauth/access_token")
    def meta_code(self, request: Request) -> Response:
        return self._code({k: v[0] for k, v in request.form().items()})

    @route("GET", "/{version}/oauth/access_token")
    def meta_graph_token(self, request: Request) -> Response:
        query = {k: v[0] for k, v in request.query.items()}
        if query.get("grant_type") == "fb_exchange_token":
            return self._long(query)
        return self._code(query)

    @route("GET", "/access_token")
    def meta_long(self, request: Request) -> Response:
        return self._long({k: v[0] for k, v in request.query.items()})

    def _code(self, form: dict[str, str]) -> Response:
        self.token_forms.append(form)
        # Facebook's code exchange names no grant type; Threads' and Instagram's do.
        if form.get("grant_type", "authorization_code") != "authorization_code":
            return Response(400, {"error": {"message": "unsupported grant", "code": 100}})
        if form.get("client_secret") != self.client_secret:
            return Response(400, {"error": {"message": "Invalid client_secret", "code": 101}})
        if self.grants.redeem(form, form.get("client_id", "")) is None:
            return Response(400, {"error": {"message": "Invalid verification code", "code": 100}})
        short = f"short-{len(self.grants.redeemed)}-{secrets.token_hex(4)}"
        self.short_tokens.append(short)
        return Response(200, {"access_token": short, "user_id": 1, "expires_in": SHORT_SECONDS})

    def _long(self, query: dict[str, str]) -> Response:
        self.long_queries.append(query)
        if query.get("grant_type") != self.long_grant:
            return Response(400, {"error": {"message": "unsupported grant", "code": 100}})
        if query.get("client_secret") != self.client_secret:
            return Response(400, {"error": {"message": "Invalid client_secret", "code": 101}})
        if query.get(self.long_token_param) not in self.short_tokens:
            return Response(400, {"error": {"message": "Invalid OAuth access token", "code": 190}})
        self.long_token = f"long-{secrets.token_hex(8)}"
        self.issued(self.long_token)
        body = {"access_token": self.long_token, "token_type": "bearer"}
        return Response(200, {**body, "expires_in": LONG_SECONDS})
