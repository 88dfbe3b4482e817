"""AccountSpec: an account as a campaign names it, with its non-secret settings.

It lives below both the campaign model (which builds specs from campaign files) and the
platforms (which build publishers from them), so neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduler.destination import Destination, UnsafeEndpoint, endpoint, origin
from scheduler.errors import ConfigError


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """An account as the campaign names it, with its non-secret settings."""

    name: str
    platform: str
    # e.g. {"instance": "https://mastodon.example"}, {"handle": "x.bsky.social",
    # "service": "https://bsky.social"}, {"username": "mhaw"}; never secrets.
    settings: dict[str, str] = field(default_factory=dict)


# Which setting names a platform's endpoint, its default, and who the account is there.
# (Platforms without an endpoint setting here, such as the sandbox, post to no host.)
ENDPOINT_SETTING: dict[str, str] = {"mastodon": "instance", "bluesky": "service", "x": "api_base"}
DEFAULT_ENDPOINT: dict[str, str] = {"bluesky": "https://bsky.social", "x": "https://api.x.com"}
IDENTITY_SETTING: dict[str, str] = {"bluesky": "handle", "x": "username", "threads": "username"}


def endpoint_for(spec: AccountSpec, override: str | None = None) -> str | None:
    """The account's endpoint (base URL), checked by the one rule; None for a local platform.

    ``override`` is an operator's setting (``SCHEDULER_X_API_BASE``) that wins over the
    campaign's. A ConfigError names the account when the rule refuses the address.
    """
    setting = ENDPOINT_SETTING.get(spec.platform)
    raw = override or (spec.settings.get(setting) if setting else None)
    raw = raw or DEFAULT_ENDPOINT.get(spec.platform)
    if not raw:
        return None
    if "://" not in raw:
        raw = "https://" + raw
    try:
        return endpoint(raw)
    except UnsafeEndpoint as exc:
        raise ConfigError(
            f"account {spec.name!r}: {setting or 'endpoint'} {exc}",
            hint="fix the account's address in the campaign",
        ) from None


def destination_of(spec: AccountSpec) -> Destination:
    """Where the campaign sends this account's posts (what reviewers approve)."""
    base = endpoint_for(spec)
    setting = IDENTITY_SETTING.get(spec.platform)
    identity = spec.settings.get(setting) if setting else None
    return Destination(
        platform=spec.platform,
        host=origin(base) if base else None,
        identity=identity.removeprefix("@") if identity else None,
    )
