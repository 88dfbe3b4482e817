"""How one text is prepared for the rules: links, mentions and hashtags masked, hashtags
spelled out after the text, idioms set aside, offsets kept."""

from __future__ import annotations

import pytest

from scheduler.care.lexicon import lexicon_for
from scheduler.care.text import _blanked, analyse, find_urls, split_camel


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("no links here", []),
        ("see https://mind.org.uk/help now", ["https://mind.org.uk/help"]),
        ("HTTP://EXAMPLE.ORG and www.beat.co", ["HTTP://EXAMPLE.ORG", "www.beat.co"]),
        ("call samaritans.org today", ["samaritans.org"]),
        ("visit nhs.uk/mental-health.", ["nhs.uk/mental-health."]),
        ("beat.org.uk, or mind.org.uk", ["beat.org.uk", "mind.org.uk"]),
        ("email jo@samaritans.org", []),  # an address, not a link
        ("the file notes.txt and v1.2", []),
        ("https://www.mind.org.uk", ["https://www.mind.org.uk"]),  # www. inside: one link
        ("a.orgy of words", []),  # the domain must end at a word's end
        ("end.", []),
        # a character whose lower case is longer ("İ") does not shift what is found
        ("İİ see samaritans.org today", ["samaritans.org"]),
        ("İstanbul: https://example.org/x ok", ["https://example.org/x"]),
    ],
)
def test_find_urls(raw: str, expected: list[str]) -> None:
    assert [raw[start:end] for start, end in find_urls(raw)] == expected


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("MentalHealthAwarenessWeek", ("Mental", "Health", "Awareness", "Week")),
        ("MHAW2026", ("MHAW", "2026")),
        ("EDAwareness", ("ED", "Awareness")),
        ("mental_health", ("mental", "health")),
        ("suicideprevention", ("suicideprevention",)),
        ("Day6", ("Day", "6")),
    ],
)
def test_split_camel(body: str, words: tuple[str, ...]) -> None:
    assert split_camel(body) == words


@pytest.mark.parametrize(
    ("raw", "masked", "spelled"),
    [
        # links, mentions and hashtags turn to spaces of the same length
        ("Talk to @mind@mastodon.social today", ["@mind@mastodon.social"], []),
        ("See https://x.org/@me now", ["https://x.org/@me"], []),
        ("Go #MentalHealth #Day6", ["#MentalHealth", "#Day6"], ["Mental Health", "Day 6"]),
        # a '#' after a word character, '&' or '/' is not a hashtag
        ("C# and R&#D and a/#b", [], []),
        ("x#tag #ok", ["#ok"], ["ok"]),
        ("#first at the start", ["#first"], ["first"]),
        # an e-mail address is not a mention
        ("write to jo@samaritans.org", [], []),
        # idioms are set aside
        ("You're killing it!", ["killing it"], []),
        ("I'm dying to see you", ["dying to"], []),
    ],
)
def test_analyse_view(raw: str, masked: list[str], spelled: list[str]) -> None:
    main = raw
    for piece in masked:
        main = main.replace(piece, " " * len(piece))
    text = analyse(raw, lexicon_for("en"))
    assert text.view[: text.main_len] == main
    assert text.view[text.main_len :].split("\n")[1:] == spelled
    assert text.lower == text.view.lower()
    for tag in text.hashtags:
        # a hashtag's spelled words map back to the hashtag itself
        assert text.excerpt(tag.view) == "#" + tag.body


def test_curly_apostrophes_read_as_straight_ones() -> None:
    text = analyse("I don’t know, I didn`t", lexicon_for("en"))
    assert text.view == "I don't know, I didn't"
    assert text.raw == "I don’t know, I didn`t"


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("abcdef", [(1, 3)], "a  def"),
        ("abcdef", [(1, 3), (2, 5)], "a    f"),  # overlapping (a mention inside a link)
        ("abcdef", [(2, 5), (1, 3)], "a    f"),
        ("ab\ncd", [(0, 5)], "  \n  "),  # newlines stay: sentences still end there
        ("abc", [], "abc"),
    ],
)
def test_blanked(text: str, spans: list[tuple[int, int]], expected: str) -> None:
    assert _blanked(text, spans) == expected


def test_topic_words_in_hashtags_and_text_are_found() -> None:
    text = analyse("Walking with #SuicidePrevention and #EDAwarenessWeek", lexicon_for("en"))
    suicide = [text.excerpt(span) for span in text.gates["suicide"]]
    ed = [text.excerpt(span) for span in text.gates["ed"]]
    assert suicide == ["#SuicidePrevention"]
    assert ed == ["#EDAwarenessWeek"]


def test_a_masked_word_is_not_scanned() -> None:
    # "suicide" inside a link is not the post talking about suicide
    lex = lexicon_for("en")
    assert analyse("https://example.org/suicide-prevention", lex).gates["suicide"] == []
    assert analyse("We talk about suicide prevention", lex).gates["suicide"]
