"""Threads counts graphemes, except that an emoji counts as its UTF-8 length, which is what
Meta's documentation describes; it errs on the side of refusing."""

from __future__ import annotations

import regex

from scheduler.text.graphemes import graphemes

_EMOJI = regex.compile(r"(?:\p{Extended_Pictographic}|\p{Regional_Indicator})\X*|\X")
_EMOJI_START = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}")


def threads_length(text: str) -> int:
    if text.isascii():
        return graphemes(text)
    total = 0
    for cluster in _EMOJI.findall(text):
        if _EMOJI_START.match(cluster[0]):
            total += len(cluster.encode("utf-8"))
        else:
            total += 1
    return total
