"""Full ``http(s)://`` URLs in text, as Mastodon and Bluesky find them.

Trailing sentence punctuation is not part of a URL ("see https://x.org/a." ends at "a"), and
a closing bracket is only kept when the URL opened one.
"""

from __future__ import annotations

import re

_URL = re.compile(r"(?<![\w@/])https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\u2019\u201d\"*"


def find_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) code point spans of each URL."""
    spans: list[tuple[int, int]] = []
    for m in _URL.finditer(text):
        start, end = m.span()
        while end > start:
            last = text[end - 1]
            unbalanced = last == ")" and text.count("(", start, end) < text.count(")", start, end)
            if last in _TRAILING or unbalanced:
                end -= 1
            else:
                break
        if text[start:end].rstrip("/").lower().split("://", 1)[1]:
            spans.append((start, end))
    return spans
