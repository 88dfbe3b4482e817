"""Where an account's credential goes: the one rule for platform endpoints, and destinations.

Every platform endpoint (a Mastodon instance, a Bluesky service, the X API base, and any
platform added later) passes ``endpoint``: https to any host, plain http only to a loopback
host, since the credential travels with every call. No credentials, query or fragment in it.

A ``Destination`` is where an account's posts and credential go: the platform, the origin of
its endpoint (scheme, host and port) and who the account is there (a handle or username, when
the campaign names one). It is part of what reviewers approve, and the ledger binds each
account's credential to the origin an operator confirmed (``scheduler accounts confirm``).

This module sits at the bottom (it imports nothing from the package): the settings, the
campaign model and the publishers each translate ``UnsafeEndpoint`` into their own error.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost",)
EXAMPLE = "https://host.example"


class UnsafeEndpoint(ValueError):
    """An endpoint the rule refuses; ``str()`` says why and what to write instead.

    The message repeats only the scheme and host: a path or query may carry a key.
    """


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 (bracketed or not) or localhost."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint(value: str) -> str:
    """``value`` as a checked base URL without a trailing slash; UnsafeEndpoint if refused.

    https anywhere; plain http only to a loopback host. The scheme and host are lower-cased.
    """
    raw = value.strip()
    if "@" in raw:  # userinfo (or something that could pass for it): never echoed
        raise UnsafeEndpoint("must be a bare base URL, without credentials in it")
    try:
        parts = urlsplit(raw)
        host, _port = parts.hostname or "", parts.port  # a malformed port raises
    except ValueError:
        raise UnsafeEndpoint(f"is not a base URL such as {EXAMPLE}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host or any(c.isspace() for c in raw):
        raise UnsafeEndpoint(f"is not a base URL such as {EXAMPLE}")
    shown = f"{scheme}://{host}"
    if parts.query or parts.fragment:
        raise UnsafeEndpoint(f"({shown}) must be a bare base URL, without a query or fragment")
    if scheme == "http" and not is_loopback(host):
        raise UnsafeEndpoint(
            f"({shown}) uses plain http to a host that is not loopback: "
            "use https, or http only to 127.0.0.1, ::1 or localhost"
        )
    netloc = parts.netloc.lower()
    return f"{scheme}://{netloc}{parts.path}".rstrip("/")


def origin(value: str) -> str:
    """The scheme, host and port of a checked endpoint: what a credential is bound to."""
    parts = urlsplit(endpoint(value))
    scheme = parts.scheme
    port = parts.port
    default = {"http": 80, "https": 443}[scheme]
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + (f":{port}" if port and port != default else "")


@dataclass(frozen=True, slots=True)
class Destination:
    """Where one account's posts (and its credential) go."""

    platform: str
    host: str | None  # an origin (scheme://host[:port]); None for a local outbox
    identity: str | None = None  # handle or username, without @, when the campaign names it

    def describe(self) -> str:
        who = f"@{self.identity} " if self.identity else ""
        where = f"at {self.host}" if self.host else "(local)"
        return f"{self.platform} {who}{where}".replace("  ", " ")

    def to_data(self) -> dict[str, Any]:
        return {"platform": self.platform, "host": self.host, "identity": self.identity}

    @classmethod
    def from_data(cls, data: Any) -> Destination | None:
        if not isinstance(data, dict) or "platform" not in data:
            return None
        return cls(str(data["platform"]), data.get("host"), data.get("identity"))
