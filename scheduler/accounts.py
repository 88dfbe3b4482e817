"""AccountSpec: an account as a campaign names it, with its non-secret settings.

It lives below both the campaign model (which builds specs from campaign files) and the
platforms (which build publishers from them), so neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# How long before a token runs out a person is told to renew it (tokens that live 60 days,
# like LinkedIn's, are renewed by hand in the developer portal).
EXPIRY_NOTICE = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """An account as the campaign names it, with its non-secret settings."""

    name: str
    platform: str
    # e.g. {"instance": "https://mastodon.example"}, {"handle": "x.bsky.social",
    # "service": "https://bsky.social"}, {"username": "mhaw"}; never secrets.
    settings: dict[str, str] = field(default_factory=dict)
