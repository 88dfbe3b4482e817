"""X (Twitter): weighted length per twitter-text v3.

The weights, the URL extraction (scheme-less domains included) and the emoji list come from
the ``twitter-text-parser`` package (module ``twitter_text``). Its ``parse_tweet`` runs a
regular expression of every emoji across the whole text, about a millisecond per post; this
module applies the same rules but tries the emoji expression only where an emoji can start,
which keeps checking a thousand posts fast. ``tests/text`` compares the two on many texts.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


def _char_class(codepoints: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in codepoints
    )


@dataclass(frozen=True)
class _Tables:
    extract_urls: Any
    emoji: Any  # the package's compiled expression of every emoji sequence
    starts: frozenset[int]  # code points an emoji sequence can begin with
    # Characters that need a look: heavy (outside the light ranges), or a possible emoji.
    notable: re.Pattern[str]
    light_ranges: tuple[tuple[int, int], ...]
    light: int
    heavy: int
    scale: int
    url_length: int


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    # Imported here: the package builds large expressions at import (about 0.2 s). It reads
    # its emoji table through pkg_resources, whose deprecation warning would otherwise land
    # in every command's output; the table itself is all it uses.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
        from twitter_text import extract_urls_with_indices
        from twitter_text.config import config
        from twitter_text.regexp.emoji import emoji, emoji_list

    options = config["defaults"]
    starts = frozenset(int(e.codepoint.split()[0], 16) for e in emoji_list)
    weights = {r["weight"] for r in options["ranges"]}
    assert len(weights) == 1, "every v3 range has the same weight"
    light_ranges = sorted((r["start"], r["end"]) for r in options["ranges"])
    heavy_ranges: list[tuple[int, int]] = []
    previous = 0
    for lo, hi in light_ranges:
        if lo > previous:
            heavy_ranges.append((previous, lo - 1))
        previous = hi + 1
    heavy_ranges.append((previous, 0x10FFFF))
    light_starts = sorted(
        c for c in starts if any(lo <= c <= hi for lo, hi in light_ranges) and c > 0x7F
    )
    ascii_starts = "".join(re.escape(chr(c)) for c in sorted(starts) if c <= 0x7F)
    # ASCII emoji starts (digits, '#', '*') only begin a keycap sequence, which needs
    # U+FE0F or U+20E3 after them; looking only there keeps digits cheap.
    pattern = f"[{_char_class(heavy_ranges)}]"
    if light_starts:
        pattern += f"|[{_char_class([(c, c) for c in light_starts])}]"
    if ascii_starts:
        pattern += f"|[{ascii_starts}](?=[\ufe0f\u20e3])"
    return _Tables(
        extract_urls_with_indices,
        emoji,
        starts,
        re.compile(pattern),
        tuple(light_ranges),
        weights.pop(),
        options["default_weight"],
        options["scale"],
        options["transformed_url_length"],
    )


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each URL in ``text`` as X finds them, in order."""
    spans = (tuple(u["indices"]) for u in _tables().extract_urls(text))
    return sorted((int(a), int(b)) for a, b in spans)


def weighted_length(text: str) -> int:
    """The twitter-text v3 weighted length of ``text``."""
    t = _tables()
    normalized = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    total = t.light * len(normalized)
    skip_until = 0
    urls = t.extract_urls(normalized)
    for url in urls:
        start, end = url["indices"]
        total += t.url_length * t.scale - t.light * (end - start)
    spans = [tuple(u["indices"]) for u in urls]
    for m in t.notable.finditer(normalized):
        i = m.start()
        if i < skip_until or any(a <= i < b for a, b in spans):
            continue
        cp = ord(normalized[i])
        if cp in t.starts:
            e = t.emoji.match(normalized, i)
            if e is not None:
                total += t.heavy - t.light * (e.end() - i)
                skip_until = e.end()
                continue
        if not any(lo <= cp <= hi for lo, hi in t.light_ranges):
            total += t.heavy - t.light
    return total // t.scale
