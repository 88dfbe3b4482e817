"""Counting text the ways platforms count it, and entities (Bluesky facets).

Pure functions; nothing here touches the network or files, and nothing here knows which
platform uses which count: each platform's descriptor (``scheduler.descriptors``) says that.
"""

from __future__ import annotations

from scheduler.text.base import GIF, Count, MediaLimits, byte_limit, gif_mix
from scheduler.text.bluesky import facets
from scheduler.text.graphemes import graphemes, utf8_len
from scheduler.text.mastodon import mastodon_length
from scheduler.text.threads import threads_length
from scheduler.text.x import weighted_length

__all__ = [
    "GIF",
    "Count",
    "MediaLimits",
    "byte_limit",
    "facets",
    "gif_mix",
    "graphemes",
    "mastodon_length",
    "threads_length",
    "utf8_len",
    "weighted_length",
]
