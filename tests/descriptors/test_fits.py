"""The one rule for "fits the platform" (table tests), and what previews show of it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler import descriptors
from scheduler.descriptors.fits import MediaFacts, card_sent, part_count, part_misfits
from scheduler.draft import Draft, LinkCard, Media, Part
from scheduler.web.preview import draft_view

PNG = MediaFacts("walk.png", "image/png", 1000, "A path by the river")
GIF = MediaFacts("wave.gif", "image/gif", 1000, "A hand waving")


@pytest.mark.parametrize(
    ("platform", "text", "cw", "media", "kinds"),
    [
        ("mastodon", "a" * 500, None, [], []),
        ("mastodon", "a" * 490, "ten chars!", [], []),
        ("mastodon", "a" * 491, "ten chars!", [], ["length"]),
        ("x", "a" * 280, "a warning X has no field for", [], []),
        ("bluesky", "é" * 300, None, [], []),
        ("bluesky", "👨‍👩‍👧‍👦" * 121, None, [], ["bytes"]),
        ("bluesky", "hi", None, [PNG] * 5, ["media_count"]),
        ("x", "hi", None, [GIF, PNG], ["gif_mix"]),
        ("x", "hi", None, [MediaFacts("a.tiff", "image/tiff", 1, "")], ["mime"]),
        ("bluesky", "hi", None, [MediaFacts("b.png", "image/png", 1_000_001, "")], ["size"]),
        ("x", "hi", None, [MediaFacts("c.png", "image/png", 1, "a" * 1001)], ["alt"]),
        ("threads", "a" * 500, None, [], []),
        ("threads", "a" * 497 + "😀", None, [], ["length"]),  # an emoji counts its 4 bytes
    ],
)
def test_part_misfits(
    platform: str, text: str, cw: str | None, media: list[MediaFacts], kinds: list[str]
) -> None:
    found = part_misfits(descriptors.get(platform), 0, text, media, cw)
    assert [m.kind for m in found] == kinds


def test_the_content_warning_counts_in_every_part_it_is_sent_with() -> None:
    mastodon = descriptors.get("mastodon")
    assert part_count(mastodon, "a" * 10, "cw").used == 12
    assert part_misfits(mastodon, 1, "a" * 499, [], "cw")[0].part == 1


@pytest.mark.parametrize(
    ("platform", "parts", "sent"),
    [
        ("bluesky", [("See https://example.org", 0)], True),
        ("bluesky", [("See https://example.org", 1)], False),  # one embed: the images win
        ("bluesky", [("First", 1), ("See https://example.org", 0)], True),  # carried by part 2
        ("bluesky", [("First", 1), ("Second", 0)], False),  # no part names it: the first
        ("mastodon", [("See https://example.org", 1)], True),
        ("sandbox", [("See https://example.org", 1)], True),
    ],
)
def test_card_sent(platform: str, parts: list[tuple[str, int]], sent: bool) -> None:
    assert card_sent(descriptors.get(platform), "https://example.org", parts) is sent


def _draft(platform: str, media: tuple[Media, ...]) -> Draft:
    return Draft(
        campaign="c",
        post_id="p",
        account="a",
        platform=platform,
        due=datetime(2026, 5, 11, 8, tzinfo=UTC),
        timezone="Europe/London",
        parts=(Part(text="Our walk: https://example.org/walk", media=media),),
        link=LinkCard("https://example.org/walk", "The walk"),
    )


def test_previews_show_a_card_only_where_it_is_sent() -> None:
    image = Media("walk.png", "0" * 64, "image/png", 10, "A path by the river")
    assert draft_view(_draft("bluesky", ())).link_url == "https://example.org/walk"
    assert draft_view(_draft("bluesky", (image,))).link_url is None
    assert draft_view(_draft("mastodon", (image,))).link_url == "https://example.org/walk"
