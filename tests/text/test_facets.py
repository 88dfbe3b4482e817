"""Bluesky facets: UTF-8 byte offsets, start inclusive, end exclusive, never overlapping."""

from __future__ import annotations

import pytest

from scheduler.draft import Facet
from scheduler.text import facets


def spans(text: str) -> list[tuple[str, str, str]]:
    data = text.encode("utf-8")
    return [(f.kind, data[f.start : f.end].decode("utf-8"), f.value) for f in facets(text)]


def test_bluesky_docs_example() -> None:
    text = (
        "\u2728 example mentioning @atproto.com to share the URL "
        "\U0001f468\u200d\u2764\ufe0f\u200d\U0001f468 https://en.wikipedia.org/wiki/CBOR."
    )
    assert facets(text) == (
        Facet("mention", 23, 35, "atproto.com"),
        Facet("link", 74, 108, "https://en.wikipedia.org/wiki/CBOR"),
    )


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "#MentalHealthAwarenessWeek",
            [("tag", "#MentalHealthAwarenessWeek", "MentalHealthAwarenessWeek")],
        ),
        ("Día uno #SaludMental.", [("tag", "#SaludMental", "SaludMental")]),
        ("#123 is not a tag", []),
        ("a#b is not a tag", []),
        ("email jo@samaritans.org", []),
        ("hi @lou.bsky.social!", [("mention", "@lou.bsky.social", "lou.bsky.social")]),
        (
            "(https://example.org/a_(b))",
            [("link", "https://example.org/a_(b)", "https://example.org/a_(b)")],
        ),
        (
            "see https://example.org/#top",
            [("link", "https://example.org/#top", "https://example.org/#top")],
        ),
        (
            "日本 #タグ https://例え.jp/パス",
            [("tag", "#タグ", "タグ"), ("link", "https://例え.jp/パス", "https://例え.jp/パス")],
        ),
    ],
)
def test_facet_table(text: str, want: list[tuple[str, str, str]]) -> None:
    assert spans(text) == want
