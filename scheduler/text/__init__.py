"""Per-platform text rules: counting against limits, and entities (Bluesky facets).

Pure functions and small rule objects; nothing here touches the network or files.
"""

from __future__ import annotations

from scheduler.text.base import GIF, Count, MediaLimits, TextRules, byte_limit, gif_mix
from scheduler.text.bluesky import BlueskyRules, facets
from scheduler.text.graphemes import graphemes, utf8_len
from scheduler.text.mastodon import MastodonRules, mastodon_length
from scheduler.text.simple import LinkedInRules, ThreadsRules, UnlimitedRules, threads_length
from scheduler.text.x import XRules, weighted_length

__all__ = [
    "GIF",
    "BlueskyRules",
    "Count",
    "LinkedInRules",
    "MastodonRules",
    "MediaLimits",
    "TextRules",
    "ThreadsRules",
    "UnlimitedRules",
    "XRules",
    "byte_limit",
    "facets",
    "gif_mix",
    "graphemes",
    "mastodon_length",
    "rules_for",
    "threads_length",
    "utf8_len",
    "weighted_length",
]


def rules_for(platform: str, max_chars: int | None = None) -> TextRules:
    """The rules of ``platform``; ``max_chars`` overrides the limit (a Mastodon instance's)."""
    if platform == "x":
        return XRules() if max_chars is None else XRules(max_chars)
    if platform == "mastodon":
        return MastodonRules() if max_chars is None else MastodonRules(max_chars)
    if platform == "bluesky":
        return BlueskyRules()
    if platform == "linkedin":
        return LinkedInRules()
    if platform == "threads":
        return ThreadsRules()
    return UnlimitedRules() if max_chars is None else UnlimitedRules(max_chars)
