"""A Threads account's renewed token, kept in the publishers' state folder.

Threads' long-lived tokens last 60 days and may be exchanged for a fresh one once they are a
day old (``GET /refresh_access_token?grant_type=th_refresh_token``). The operator's stored
credential is the first token; each renewal is written to
``<state_dir>/threads-<account>.token.json`` (mode 600, whole or not at all), and the
publisher reads that file first from then on, so a renewed token is never lost to a restart.
The file names (by a hash) the stored credential its chain of renewals began from: when the
operator stores another token (the account was reconnected), that one wins over the file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from scheduler.platforms.statefile import write_private

# Meta refreshes a token only once it is at least this old.
MIN_AGE = timedelta(hours=24)


class Token:
    """The token in use; never shown by ``repr`` (a publisher's attributes may be logged)."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Token(<hidden>)"


@dataclass(frozen=True, slots=True)
class RenewedToken:
    token: str
    renewed_at: datetime
    expires_at: datetime | None
    source: str = ""  # ``fingerprint`` of the stored credential the renewals began from

    def __repr__(self) -> str:
        return f"RenewedToken(renewed_at={self.renewed_at.isoformat()})"


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_path(state_dir: Path, account: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", account)
    return Path(state_dir) / f"threads-{name}.token.json"


def load(path: Path) -> RenewedToken | None:
    """The renewed token kept at ``path``; None when there is none (or it cannot be read,
    when the operator's credential is used again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        expires = data.get("expires_at")
        return RenewedToken(
            token=str(data["access_token"]),
            renewed_at=datetime.fromisoformat(data["renewed_at"]),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            source=str(data.get("source") or ""),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(path: Path, renewed: RenewedToken) -> None:
    data = {
        "access_token": renewed.token,
        "renewed_at": renewed.renewed_at.isoformat(),
        "expires_at": renewed.expires_at.isoformat() if renewed.expires_at else None,
        "source": renewed.source,
    }
    write_private(path, json.dumps(data).encode("utf-8"))
