"""X (Twitter): weighted length per twitter-text v3.

The weights, the URL extraction (scheme-less domains included) and the emoji list come from
the ``twitter-text-parser`` package (module ``twitter_text``). Its ``parse_tweet`` runs a
regular expression of every emoji across the whole text, about a millisecond per post; this
module applies the same rules but tries the emoji expression only where an emoji can start,
which keeps checking a thousand posts fast. ``tests/text`` compares the two on many texts.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from scheduler.text.base import Count, MediaLimits

LIMIT = 280


@lru_cache(maxsize=1)
def _tables() -> tuple[Any, Any, frozenset[int], list[tuple[int, int, int]], int, int, int]:
    # Imported here: the package builds large expressions at import (about 0.2 s).
    from twitter_text import extract_urls_with_indices
    from twitter_text.config import config
    from twitter_text.regexp.emoji import emoji, emoji_list

    options = config["defaults"]
    starts = frozenset(int(e.codepoint.split()[0], 16) for e in emoji_list)
    ranges = [(r["start"], r["end"], r["weight"]) for r in options["ranges"]]
    return (
        extract_urls_with_indices,
        emoji,
        starts,
        ranges,
        options["default_weight"],
        options["scale"],
        options["transformed_url_length"],
    )


def weighted_length(text: str) -> int:
    """The twitter-text v3 weighted length of ``text``."""
    extract_urls, emoji, starts, ranges, default_weight, scale, url_length = _tables()
    normalized = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    urls = {u["indices"][0]: u["indices"][1] for u in extract_urls(normalized)}
    total = 0
    i = 0
    n = len(normalized)
    while i < n:
        end = urls.get(i)
        if end is not None:
            total += url_length * scale
            i = end
            continue
        cp = ord(normalized[i])
        if cp in starts:
            m = emoji.match(normalized, i)
            if m is not None:
                total += default_weight
                i = m.end()
                continue
        weight = default_weight
        for lo, hi, w in ranges:
            if lo <= cp <= hi:
                weight = w
                break
        total += weight
        i += 1
    return total // scale


class XRules:
    platform = "x"
    supports_cw = False
    media = MediaLimits(max_media=4, max_image_bytes=5_000_000, max_alt_chars=1000)

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit

    def count(self, text: str, content_warning: str | None = None) -> Count:
        return Count(weighted_length(text), self.limit, "weighted characters")
