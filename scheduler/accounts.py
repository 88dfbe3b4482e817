"""AccountSpec: an account as a campaign names it, with its non-secret settings.

It lives below both the campaign model (which builds specs from campaign files) and the
platforms (which build publishers from them), so neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """An account as the campaign names it, with its non-secret settings."""

    name: str
    platform: str
    # e.g. {"instance": "https://mastodon.example"}, {"handle": "x.bsky.social",
    # "service": "https://bsky.social"}, {"username": "mhaw"}; never secrets.
    settings: dict[str, str] = field(default_factory=dict)
