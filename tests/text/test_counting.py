"""Table tests for every platform's counting rule, at and around each limit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import descriptors
from scheduler.text import (
    graphemes,
    mastodon_length,
    threads_length,
    weighted_length,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # ZWJ family of four
THUMB = "\U0001f44d\U0001f3fd"  # thumbs up, medium skin tone
FLAG = "\U0001f1ec\U0001f1e7"  # GB flag: two regional indicators
KEYCAP = "1\ufe0f\u20e3"
E_ACUTE_NFD = "e\u0301"

X_CASES = [
    ("empty", "", 0),
    ("ascii", "hello world", 11),
    ("latin accent, composed", "café", 4),
    ("latin accent, decomposed: NFC first", "cafe\u0301", 4),
    ("CJK counts 2", "日本語", 6),
    ("hangul counts 2", "한국어", 6),
    ("one emoji", "\U0001f600", 2),
    ("ZWJ family is one emoji", FAMILY, 2),
    ("skin tone sequence", THUMB, 2),
    ("flag", FLAG, 2),
    ("keycap", KEYCAP, 2),
    ("url with scheme is 23", "https://www.samaritans.org/how-we-can-help/contact-samaritan/", 23),
    ("short url is still 23", "http://a.co", 23),
    ("scheme-less domain is a url", "mind.org.uk", 23),
    ("text and url", "Mind: mind.org.uk", 29),
    ("curly quotes are light", "\u201chi\u201d", 4),
    ("en dash is light", "a\u2013b", 3),
    ("ellipsis is heavy", "\u2026", 2),
    ("newline", "a\nb", 3),
    ("CRLF counts as one newline", "a\r\nb", 3),
    ("280 ascii", "a" * 280, 280),
    ("140 CJK", "字" * 140, 280),
    ("mixed at the limit", "a" * 278 + "\U0001f600", 280),
]


@pytest.mark.parametrize(("name", "text", "want"), X_CASES, ids=[c[0] for c in X_CASES])
def test_x_weighted_length(name: str, text: str, want: int) -> None:
    assert weighted_length(text) == want


@pytest.mark.parametrize(
    ("text", "ok"),
    [("a" * 280, True), ("a" * 281, False), ("字" * 140, True), ("字" * 140 + "a", False)],
)
def test_x_limit(text: str, ok: bool) -> None:
    assert descriptors.get("x").count(text).ok is ok


# The package's own parse_tweet is the reference; ours must agree on any text.
ALPHABET = st.sampled_from(
    [
        *"ab .,:/#*@019\n\r",
        "\u00a9",
        "\u00ae",
        "\ufe0f",
        "\u20e3",
        "\u200d",
        "\U0001f44d",
        "\U0001f3fd",
        "\u65e5",
        "\u00e9",
        "\u0301",
        "\u2019",
        "\u2032",
        "\u2764",
        "\U0001f1ec",
        "\U0001f1e7",
        "x.com",
        "https://",
        "mind.org.uk/a",
        "\U0001f468\u200d\U0001f469",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_x_agrees_with_twitter_text(text: str) -> None:
    from twitter_text import parse_tweet

    assert weighted_length(text) == parse_tweet(text).weightedLength


MASTODON_CASES = [
    ("ascii", "hello", None, 5),
    ("cw counts", "hello", "mh", 7),
    ("emoji family is one grapheme", FAMILY, None, 1),
    ("flag is one grapheme", FLAG, None, 1),
    ("decomposed accent is one grapheme", E_ACUTE_NFD, None, 1),
    ("CJK is one each", "日本語", None, 3),
    ("url counts 23", "see https://www.samaritans.org/how-we-can-help/", None, 27),
    ("url trailing full stop is text", "see https://a.example/x.", None, 28),
    ("scheme-less domain counts in full", "mind.org.uk", None, 11),
    ("remote mention counts as local", "hi @lou@mastodon.social", None, 7),
    ("local mention", "hi @lou", None, 7),
    ("email address is not a mention", "jo@samaritans.org", None, 17),
]


@pytest.mark.parametrize(
    ("name", "text", "cw", "want"), MASTODON_CASES, ids=[c[0] for c in MASTODON_CASES]
)
def test_mastodon_length(name: str, text: str, cw: str | None, want: int) -> None:
    assert mastodon_length(text, cw) == want


@pytest.mark.parametrize(
    ("text", "cw", "limit", "ok"),
    [
        ("a" * 500, None, 500, True),
        ("a" * 501, None, 500, False),
        ("a" * 498, "cw", 500, True),
        ("a" * 499, "cw", 500, False),
        ("a" * 501, None, 1000, True),  # an instance with a higher limit
        (FAMILY * 500, None, 500, True),
    ],
)
def test_mastodon_limit(text: str, cw: str | None, limit: int, ok: bool) -> None:
    assert descriptors.get("mastodon").with_limit(limit).count(text, cw).ok is ok


@pytest.mark.parametrize(
    ("text", "graphemes_used", "bytes_used", "ok"),
    [
        ("a" * 300, 300, 300, True),
        ("a" * 301, 301, 301, False),
        (FAMILY * 300, 300, 7500, False),  # under 300 graphemes, over 3000 bytes
        (FAMILY * 120, 120, 3000, True),
        (FAMILY * 121, 121, 3025, False),
        ("é" * 300, 300, 600, True),
        ("https://example.org/" + "a" * 290, 310, 310, False),  # URLs count in full
    ],
)
def test_bluesky_limits(text: str, graphemes_used: int, bytes_used: int, ok: bool) -> None:
    count = descriptors.get("bluesky").count(text)
    assert (count.used, count.extra_used, count.ok) == (graphemes_used, bytes_used, ok)


def test_linkedin_and_threads() -> None:
    assert descriptors.get("linkedin").count("a" * 3000).ok
    assert not descriptors.get("linkedin").count("a" * 3001).ok
    assert descriptors.get("threads").count("a" * 500).ok
    assert not descriptors.get("threads").count("a" * 501).ok
    assert threads_length("\U0001f600") == 4  # an emoji counts as its UTF-8 length
    assert threads_length("日本") == 2


def test_graphemes() -> None:
    assert graphemes("") == 0
    assert graphemes("a\r\nb") == 3
    assert graphemes(FAMILY + THUMB + FLAG + KEYCAP + E_ACUTE_NFD) == 5


def test_count_text() -> None:
    assert str(descriptors.get("x").count("hi")) == "2/280 weighted characters"
    assert str(descriptors.get("bluesky").count("hé")) == "2/300 graphemes, 3/3000 bytes"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("\U0001f44b", 4),  # waving hand: one emoji, 4 UTF-8 bytes
        ("\U0001f1ec\U0001f1e7", 8),  # a flag: two regional indicators
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467", 18),  # a family: one ZWJ sequence
        ("\u2764\ufe0f", 6),  # a heart with its variation selector
        ("café", 4),  # an accented letter is one character, not its two bytes
        ("hi \U0001f44b!", 8),
    ],
)
def test_threads_counts_an_emoji_as_its_utf8_bytes(text: str, length: int) -> None:
    assert threads_length(text) == length
