"""LinkedIn (3000 characters) and Threads (500 characters).

Neither platform publishes an exact counting rule. LinkedIn is counted in code points;
Threads is counted in graphemes except that an emoji counts as its UTF-8 length, which is
what Meta's documentation describes. Both err on the side of refusing.
"""

from __future__ import annotations

import regex

from scheduler.text.base import Count, MediaLimits
from scheduler.text.graphemes import graphemes

_EMOJI = regex.compile(r"(?:\p{Extended_Pictographic}|\p{Regional_Indicator})\X*|\X")


class LinkedInRules:
    platform = "linkedin"
    supports_cw = False
    media = MediaLimits(max_media=4, max_image_bytes=8_000_000, max_alt_chars=1000)

    def __init__(self, limit: int = 3000) -> None:
        self.limit = limit

    def count(self, text: str, content_warning: str | None = None) -> Count:
        return Count(len(text), self.limit, "characters")


def threads_length(text: str) -> int:
    if text.isascii():
        return graphemes(text)
    total = 0
    for cluster in _EMOJI.findall(text):
        first = cluster[0]
        if regex.match(r"\p{Extended_Pictographic}|\p{Regional_Indicator}", first):
            total += len(cluster.encode("utf-8"))
        else:
            total += 1
    return total


class ThreadsRules:
    platform = "threads"
    supports_cw = False
    media = MediaLimits(max_media=10, max_image_bytes=8_000_000, max_alt_chars=1000)

    def __init__(self, limit: int = 500) -> None:
        self.limit = limit

    def count(self, text: str, content_warning: str | None = None) -> Count:
        return Count(threads_length(text), self.limit, "characters")


class UnlimitedRules:
    """A sandbox account not standing in for a platform: only a generous sanity limit."""

    platform = "sandbox"
    supports_cw = True
    media = MediaLimits(max_media=4, max_image_bytes=16_777_216, max_alt_chars=1500)

    def __init__(self, limit: int = 5000) -> None:
        self.limit = limit

    def count(self, text: str, content_warning: str | None = None) -> Count:
        used = graphemes(text) + (graphemes(content_warning) if content_warning else 0)
        return Count(used, self.limit, "characters")
