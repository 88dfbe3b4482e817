"""Grapheme clusters (what a reader sees as one character), via the ``regex`` module's ``\\X``."""

from __future__ import annotations

import regex

_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> int:
    if text.isascii():
        # ASCII has no combining marks; only CR LF forms one cluster of two code points.
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))
