"""Platform counting and AT Protocol building blocks (table tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler import descriptors
from scheduler.platforms import atproto
from scheduler.platforms.base import Invalid, MediaUpload, PartRequest
from scheduler.platforms.rules import check_part
from scheduler.text import byte_limit, gif_mix, mastodon_length

FAMILY = "👨‍👩‍👧‍👦"


@pytest.mark.parametrize(
    ("platform", "text", "cw", "expected"),
    [
        ("mastodon", "hello", None, 5),
        ("mastodon", "hello", "CW", 7),  # the CW counts
        ("mastodon", "see https://example.org/a/very/long/path/indeed", None, 27),
        ("mastodon", "hi @someone@mastodon.example", None, 11),  # remote mention as @user
        ("mastodon", FAMILY, None, 1),  # one grapheme
        ("bluesky", FAMILY + " ok", None, 4),
        ("bluesky", "see https://example.org/a/very/long/path", None, 40),  # URLs in full
        ("x", "a" * 10, None, 10),
        ("x", "界", None, 2),
        ("x", "see https://example.org/a/very/long/path", None, 27),
        ("x", FAMILY, None, 2),
    ],
)
def test_length(platform: str, text: str, cw: str | None, expected: int) -> None:
    assert descriptors.get(platform).length(text, cw) == expected


def test_mastodon_url_length_follows_the_instance() -> None:
    assert mastodon_length("https://example.org/x", None, url_length=30) == 30


def test_check_part_names_count_limit_and_part() -> None:
    with pytest.raises(Invalid, match=r"part 2 is 301 characters long; bluesky allows 300"):
        check_part(descriptors.get("bluesky"), PartRequest(text="a" * 301), 1)
    with pytest.raises(Invalid, match="3003 bytes long; bluesky allows 3000"):
        check_part(descriptors.get("bluesky").with_limit(5000), PartRequest(text="€" * 1001), 0)


def test_check_part_media(tmp_path: Path) -> None:
    image = MediaUpload(file=tmp_path / "a.png", mime="image/png", alt="", size=10, sha256="")
    big = MediaUpload(file=tmp_path / "b.png", mime="image/png", alt="", size=2_000_000, sha256="")
    with pytest.raises(Invalid, match="5 images; mastodon allows 4"):
        check_part(descriptors.get("mastodon"), PartRequest(text="", media=(image,) * 5), 0)
    with pytest.raises(Invalid, match=r"b\.png is 2000000 bytes; bluesky allows 1000000"):
        check_part(descriptors.get("bluesky"), PartRequest(text="", media=(big,)), 0)
    tiff = MediaUpload(file=tmp_path / "c.tiff", mime="image/tiff", alt="", size=1, sha256="")
    with pytest.raises(Invalid, match="image/tiff"):
        check_part(descriptors.get("x"), PartRequest(text="", media=(tiff,)), 0)


@pytest.mark.parametrize(
    ("mimes", "problem"),
    [
        ([], None),
        (["image/gif"], None),
        (["image/png", "image/jpeg"], None),
        (["image/gif", "image/gif"], "2 GIFs"),
        (["image/png", "image/gif"], "a GIF and 1 other image"),
        (["image/gif", "image/png", "image/webp", "image/png"], "a GIF and 3 other images"),
    ],
)
def test_a_gif_goes_alone(mimes: list[str], problem: str | None) -> None:
    assert gif_mix(mimes) == problem


@pytest.mark.parametrize(
    ("platform", "mime", "limit"),
    [
        ("x", "image/png", 5_000_000),
        ("x", "image/gif", 15_000_000),
        ("mastodon", "image/gif", 16_777_216),
        ("bluesky", "image/gif", 1_000_000),
    ],
)
def test_size_limit_per_type(platform: str, mime: str, limit: int) -> None:
    media = descriptors.get(platform).media
    assert byte_limit(mime, media.max_image_bytes, media.max_gif_bytes) == limit


def test_tid_matches_the_documented_example() -> None:
    instant, _ = atproto.decode_tid("3k4duaz5vfs2b")
    assert instant.replace(microsecond=0) == datetime(2023, 8, 7, 5, 31, 12, tzinfo=UTC)
    micros, clock = 1_691_386_272_411_000, 7
    assert atproto.decode_tid(atproto.encode_tid(micros, clock))[1] == clock
    assert not atproto.is_tid("3k4duaz5vfs2")  # 12 characters
    assert not atproto.is_tid("kk4duaz5vfs2b")  # top bit set


def test_record_keys_are_stable_ordered_and_distinct() -> None:
    due = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
    first = atproto.record_key(due, "key-a", 0)
    assert first == atproto.record_key(due, "key-a", 0)
    assert atproto.is_tid(first)
    assert atproto.record_key(due, "key-b", 1) > first  # thread parts sort in order
    assert atproto.record_key(due, "key-c", 0) != first  # a changed post: another key
    instant, _ = atproto.decode_tid(first)
    assert instant == atproto.part_instant(due, "key-a", 0)  # createdAt matches the key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "✨ example mentioning @atproto.com to share the URL 👨‍❤️‍👨 "
            "https://en.wikipedia.org/wiki/CBOR.",
            [
                ("mention", 23, 35, "atproto.com"),
                ("link", 74, 108, "https://en.wikipedia.org/wiki/CBOR"),
            ],
        ),
        ("#MHAW and #123 (numbers only are not tags)", [("tag", 0, 5, "MHAW")]),
        ("café #santé", [("tag", 6, 13, "santé")]),
        ("mail me@example.org", []),
        ("(https://example.org/a_(b))", [("link", 1, 26, "https://example.org/a_(b)")]),
    ],
)
def test_facets_use_utf8_byte_offsets(text: str, expected: list[tuple[str, int, int, str]]) -> None:
    assert atproto.find_facets(text) == expected


def test_unresolvable_mentions_stay_plain_text() -> None:
    facets = [("mention", 0, 6, "a.bsky"), ("mention", 7, 13, "b.bsky"), ("tag", 14, 16, "x")]
    out = atproto.facet_objects(facets, lambda h: "did:plc:a" if h == "a.bsky" else None)
    assert [f["features"][0]["$type"] for f in out] == [
        "app.bsky.richtext.facet#mention",
        "app.bsky.richtext.facet#tag",
    ]


@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(
                ["#MHAW", "@mind.org.uk", "https://example.org/a?b=c", " ", "\n", "é", FAMILY]
            ),
        ),
        max_size=12,
    )
)
def test_facets_always_point_at_their_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    data = text.encode("utf-8")
    last_end = 0
    for kind, start, end, value in atproto.find_facets(text):
        assert last_end <= start < end <= len(data)  # ordered, never overlapping
        last_end = end
        shown = data[start:end].decode("utf-8")  # offsets fall on character boundaries
        expected = {"link": value, "mention": "@" + value, "tag": "#" + value}[kind]
        assert shown == expected
