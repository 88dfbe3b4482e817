"""Renewed tokens: where a publisher that exchanges its long-lived token for a fresh one
(``base.Renewable``) keeps the new one, and when the daemon should ask it to.

The token an operator stores with the credentials is the first of a chain; each renewal
writes the next one to ``<state>/tokens/<account>.json`` (mode 600, written whole or not at
all), and from then on the publisher reads that file first. An operator who reconnects the
account stores a new token with the credentials again: it wins when it lasts longer than the
renewed one, so a dead chain never hides a fresh token. A chain that names (by a hash) the
stored token it began from is also set aside as soon as a different token is stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scheduler.credentials import CredentialStore
from scheduler.errors import ConfigError
from scheduler.platforms.statefile import locked, write_private
from scheduler.redact import register
from scheduler.settings import Secret

__all__ = [
    "Secret",
    "Token",
    "current",
    "expiry",
    "fingerprint",
    "load",
    "path_for",
    "renewal_due",
    "save",
]

FOLDER = "tokens"
# Renew once fewer than this many days remain: a week before anyone is warned, so that a
# daemon stopped for a few days still renews in time.
RENEW_WITHIN = timedelta(days=14)
# Meta refuses to refresh a token less than a day old.
MIN_AGE = timedelta(hours=24)
# After a failed renewal, the daemon waits this long before asking again.
RETRY_AFTER = timedelta(hours=6)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class Token:
    """An account's access token, when it runs out and when it was issued (None: unknown)."""

    value: Secret
    expires_at: datetime | None
    issued_at: datetime | None = None
    renewed: bool = False  # from the state folder (a renewal), not from the credentials
    source: str = ""  # ``fingerprint`` of the stored token the renewals began from, if known

    def __repr__(self) -> str:
        return f"Token(expires_at={self.expires_at!r}, renewed={self.renewed})"


def fingerprint(token: str) -> str:
    """A stored token's hash: names the start of a chain without keeping the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def path_for(state_dir: Path, account: str) -> Path:
    return state_dir / FOLDER / f"{_UNSAFE.sub('_', account)}.json"


def load(state_dir: Path, account: str) -> Token | None:
    """The renewed token of ``account``; None when there is none. ConfigError when the file
    cannot be read (a person must look: the account's token is in it)."""
    path = path_for(state_dir, account)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"account {account!r}: cannot read the renewed token in {path} ({type(exc).__name__})",
            hint="remove the file and store a new token with the credentials",
        ) from None
    value = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise ConfigError(
            f"account {account!r}: {path} holds no token",
            hint="remove the file and store a new token with the credentials",
        )
    register(value)
    return Token(
        Secret(value),
        _instant(data.get("expires_at")),
        _instant(data.get("issued_at")),
        renewed=True,
        source=str(data.get("source") or ""),
    )


def save(state_dir: Path, account: str, token: Token) -> None:
    """Keep ``token`` as the account's current one. OSError when it cannot be written."""
    register(token.value.reveal())
    path = path_for(state_dir, account)
    data = {
        "access_token": token.value.reveal(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "issued_at": token.issued_at.isoformat() if token.issued_at else None,
        "source": token.source,
    }
    with locked(path):
        write_private(path, json.dumps(data).encode())


def adopt(state_dir: Path, account: str, old_name: str) -> None:
    """Move a renewed token an earlier release kept elsewhere in the state folder (Threads:
    ``threads-{}.token.json``, ``{}`` the account) into the account's file, once, so that an
    upgrade does not fall back to a token the renewal made stale. An unreadable old file is
    left for a person (the operator's token is used meanwhile)."""
    old = state_dir / old_name.format(_UNSAFE.sub("_", account))
    if not old.exists() or path_for(state_dir, account).exists():
        return
    try:
        data = json.loads(old.read_text(encoding="utf-8"))
        value = data["access_token"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    if not isinstance(value, str) or not value:
        return
    issued = data.get("issued_at", data.get("renewed_at"))
    token = Token(
        Secret(value),
        _instant(data.get("expires_at")),
        _instant(issued),
        renewed=True,
        source=str(data.get("source") or ""),
    )
    save(state_dir, account, token)
    old.unlink()


def current(
    credentials: CredentialStore, state_dir: Path, account: str, field: str = "access_token"
) -> Token:
    """The token to use: the renewed one, unless a person reconnected the account (the
    credentials hold another token than the chain began from or, when the chain does not
    say, one that lasts longer). ConfigError when there is none at all."""
    renewed = load(state_dir, account)
    given = credentials.fields(account).get(field)
    if given is None and renewed is not None:
        return renewed
    value = credentials.require(account, field)[field]
    stored = Token(value, credentials.expires_at(account))
    if renewed is None or renewed.value.reveal() == value.reveal():
        return renewed or stored
    if renewed.source:
        # The chain names its start: the same token stored, the chain goes on; another one
        # stored, the account was reconnected since.
        return renewed if renewed.source == fingerprint(value.reveal()) else stored
    if stored.expires_at is not None and (
        renewed.expires_at is None or stored.expires_at > renewed.expires_at
    ):
        return stored
    return renewed


def expiry(credentials: CredentialStore, state_dir: Path, account: str) -> datetime | None:
    """When the account's current token runs out, as far as anyone recorded it."""
    renewed = load(state_dir, account)
    given = credentials.expires_at(account)
    if renewed is None:
        return given
    stored = credentials.fields(account).get("access_token")
    if renewed.source and stored is not None:
        # As ``current`` decides: the chain goes on, or the account was reconnected since.
        return renewed.expires_at if fingerprint(stored.reveal()) == renewed.source else given
    if renewed.expires_at is None or (given is not None and given > renewed.expires_at):
        return given
    return renewed.expires_at


def renewal_due(token: Token, now: datetime, lifetime: timedelta | None) -> bool:
    """Whether to renew now: fewer than RENEW_WITHIN left, not run out, and at least MIN_AGE
    old (from its issue time, else from its lifetime counted back from its expiry; a token
    of unknown age is taken to be old enough)."""
    expires = token.expires_at
    if expires is None or expires <= now or expires - now > RENEW_WITHIN:
        return False
    issued = token.issued_at
    if issued is None and lifetime is not None:
        issued = expires - lifetime
    return issued is None or now - issued >= MIN_AGE


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
