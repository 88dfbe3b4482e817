"""Bluesky's rich text facets (links, mentions, hashtags) with UTF-8 byte offsets, start
inclusive, end exclusive, as ``app.bsky.richtext.facet`` wants them."""

from __future__ import annotations

import re

from scheduler.draft import Facet
from scheduler.text.graphemes import graphemes
from scheduler.text.urls import find_urls

TAG_MAX_GRAPHEMES = 64

_MENTION = re.compile(
    r"(?:^|(?<=[\s(\[{\"'\u201c\u2018]))@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_TAG = re.compile(
    r"(?:^|(?<=\s))[#\uff03]((?!\ufe0f)[^\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]+)"
)
_TAG_TRAILING = ".,;:!?'\"\u2019\u201d)]}"


def facets(text: str) -> tuple[Facet, ...]:
    """Link, mention and tag facets of ``text``, ordered by position, never overlapping."""
    found: list[tuple[int, int, str, str]] = []  # code point spans first
    for start, end in find_urls(text):
        found.append((start, end, "link", text[start:end]))
    for m in _MENTION.finditer(text):
        found.append((m.start(), m.end(), "mention", m.group(1).lower()))
    for m in _TAG.finditer(text):
        tag = m.group(1).rstrip(_TAG_TRAILING)
        if not tag or tag.isdigit() or graphemes(tag) > TAG_MAX_GRAPHEMES:
            continue
        found.append((m.start(), m.start() + 1 + len(tag), "tag", tag))
    found.sort()
    out: list[Facet] = []
    last_end = -1
    for start, end, kind, value in found:
        if start < last_end:
            continue  # e.g. a '#' inside a URL's fragment: the link wins
        last_end = end
        out.append(Facet(kind, _byte_offset(text, start), _byte_offset(text, end), value))
    return tuple(out)


def _byte_offset(text: str, index: int) -> int:
    prefix = text[:index]
    return index if prefix.isascii() else len(prefix.encode("utf-8"))
