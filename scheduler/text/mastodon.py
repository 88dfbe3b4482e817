"""Mastodon: graphemes of the content warning plus the text; every http(s) URL counts 23;
a remote mention ``@user@domain`` counts as ``@user``."""

from __future__ import annotations

import re

from scheduler.text.graphemes import graphemes
from scheduler.text.urls import find_urls

URL_LENGTH = 23
_REMOTE_MENTION = re.compile(r"(?<![\w/])(@\w+(?:[.\-]\w+)*)@[\w.\-]+\.\w+", re.UNICODE)


def mastodon_length(
    text: str, content_warning: str | None = None, url_length: int = URL_LENGTH
) -> int:
    """Each URL counts ``url_length`` (an instance's characters_reserved_per_url)."""
    spans = find_urls(text)
    if spans:
        pieces: list[str] = []
        last = 0
        for start, end in spans:
            pieces.append(text[last:start])
            pieces.append("u" * url_length)  # any word character
            last = end
        pieces.append(text[last:])
        text = "".join(pieces)
    text = _REMOTE_MENTION.sub(r"\1", text)
    return graphemes(text) + (graphemes(content_warning) if content_warning else 0)
