"""The authorisation-code side of a fake platform: a sign-in page that approves at once and
a token endpoint that checks what a real one checks (RFC 6749 and RFC 7636).

The authorize endpoint answers a 302 to the redirect address with a one-time code and the
given ``state``; the token endpoint wants that code once, the same redirect address and
client, and a verifier whose S256 challenge is the one sent to the authorize endpoint.
``deny`` makes the sign-in page answer ``error=access_denied`` instead. A platform that
does not take PKCE from every app (``pkce=False``) ignores the challenge; its token endpoint
checks the client secret instead (the caller's part).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

from tests.fakes.base import Request, Response


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
