"""Threads' length: Meta says "text posts are limited to 500 characters" and "emojis are
counted as the number of UTF-8 bytes". What a character is otherwise it does not say, so a
grapheme counts 1; an emoji (a cluster starting with a pictograph or a regional indicator)
counts as its UTF-8 length, the literal reading of that sentence and the stricter one
(docs/platforms.md says what stays unconfirmed)."""

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
