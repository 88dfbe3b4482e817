"""Random tokens, their stored hashes, and CSRF tokens derived from a session.

Invite and session tokens are 256 random bits. Only their SHA-256 is stored: a copy of the
database signs nobody in. The CSRF token of a session is an HMAC of the session token, so it
needs no storage and changes with every new session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_CSRF_LABEL = b"scheduler-review-csrf-v1"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_for(token: str) -> str:
    """The CSRF token that goes with a session (or a pre-sign-in) token."""
    return hmac.new(token.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality; a missing value never matches."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
