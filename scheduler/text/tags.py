"""Hashtags and @mentions in a caption, counted as a platform that limits how many a post
may carry (Instagram: 30 and 20) finds them.

A tag starts at ``#`` after the start, whitespace or punctuation that is not a word
character, and runs over word characters (letters of any script, digits, underscores); a
mention is ``@`` then a username (letters, digits, ``.`` and ``_``). An ``@`` inside an email
address or a ``#`` inside a URL is neither.
"""

from __future__ import annotations

import re

from scheduler.text.urls import find_urls

_TAG = re.compile(r"(?<![\w#&])#(\w+)")
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?)")


def _outside_urls(text: str) -> str:
    """``text`` with every URL blanked out, offsets kept."""
    for start, end in find_urls(text):
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def hashtags(text: str) -> list[str]:
    """The hashtags of ``text`` in order (without ``#``); a tag of digits only is none."""
    return [m.group(1) for m in _TAG.finditer(_outside_urls(text)) if not m.group(1).isdigit()]


def mentions(text: str) -> list[str]:
    """The usernames ``text`` @mentions, in order (without ``@``)."""
    return [m.group(1) for m in _MENTION.finditer(_outside_urls(text))]
