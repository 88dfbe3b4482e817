"""Previews: entities, thread parts, media and alt text, CW, counts, and the diff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.draft import LinkCard, Part
from scheduler.web.preview import Segment, describe, diff, draft_view, segments
from scheduler.web.site import templates
from tests.web.drafts import facet, make_draft, media


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words", [("text", "plain words")]),
        (
            "see https://mind.org.uk/help. thanks",
            [("text", "see "), ("link", "https://mind.org.uk/help"), ("text", ". thanks")],
        ),
        (
            "#MHAW and #Run2026!",
            [("tag", "#MHAW"), ("text", " and "), ("tag", "#Run2026"), ("text", "!")],
        ),
        (
            "thanks @runtalkrun@mastodon.social",
            [("text", "thanks "), ("mention", "@runtalkrun@mastodon.social")],
        ),
        ("mail a@b.org, not a mention", [("text", "mail a@b.org, not a mention")]),
        ("C#sharp is not a tag", [("text", "C#sharp is not a tag")]),
    ],
)
def test_entities_are_found_in_plain_text(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(s.kind, s.text) for s in segments(text)] == expected


def test_only_web_links_get_an_href() -> None:
    assert segments("https://mind.org.uk")[0].href == "https://mind.org.uk"
    text = "x"
    bad = segments(text, (facet(text, "x", "link", "javascript:alert(1)"),))
    assert bad == (Segment("link", "x", None),)


def test_bluesky_facets_use_utf8_byte_offsets() -> None:
    text = "💙 Run Talk Run #MHAW https://runtalkrun.com"
    fs = (
        facet(text, "#MHAW", "tag", "MHAW"),
        facet(text, "https://runtalkrun.com", "link", "https://runtalkrun.com"),
    )
    got = segments(text, fs)
    assert [(s.kind, s.text) for s in got] == [
        ("text", "💙 Run Talk Run "),
        ("tag", "#MHAW"),
        ("text", " "),
        ("link", "https://runtalkrun.com"),
    ]


def test_a_thread_with_media_cw_and_card() -> None:
    draft = make_draft(
        parts=(Part("One", media=(media(),)), Part("Two")),
        content_warning="eating disorders",
        link=LinkCard("https://www.mind.org.uk", "Mind", "Support"),
        language="en",
    )
    view = draft_view(draft)
    assert view.is_thread and [p.number for p in view.parts] == [1, 2]
    assert view.parts[0].media[0].alt == "Worn running shoes by a door"
    assert view.parts[0].media[0].url == "/media/mhaw/images/shoes.png"
    assert view.content_warning == "eating disorders"
    assert view.link_title == "Mind"
    assert view.due_local.utcoffset() == timedelta(hours=1)  # BST in May


def test_counts_against_the_platform_limit() -> None:
    over = draft_view(make_draft(platform="x", account="x-main", text="a" * 281))
    assert (over.parts[0].count, over.parts[0].limit, over.parts[0].over) == (281, 280, True)
    assert over.over_limit
    fits = draft_view(make_draft(platform="bluesky", account="bsky", text="a" * 300))
    assert (fits.parts[0].count, fits.parts[0].limit, fits.parts[0].over) == (300, 300, False)


def test_diff_shows_changed_lines_only_when_something_changed() -> None:
    before = make_draft(text="Line one\nLine two")
    after = make_draft(text="Line one\nLine 2", due=before.due + timedelta(hours=1))
    assert diff(before, before) == ()
    changed = [(d.kind, d.text) for d in diff(before, after) if d.kind != "same"]
    assert ("removed", "Line two") in changed and ("added", "Line 2") in changed
    assert any(k == "added" and t.startswith("time: Mon 11 May 2026 10:00") for k, t in changed)


def test_describe_names_alt_text_and_parts() -> None:
    draft = make_draft(parts=(Part("One", media=(media(),)), Part("Two")))
    lines = describe(draft)
    assert "--- part 2 ---" in lines
    assert "image images/shoes.png: alt: Worn running shoes by a door" in lines


def _rendered(view: object) -> str:
    from scheduler.web.site import templates

    template = templates().get_template("_preview.html")
    return template.render(v=view, when=lambda at: at.isoformat())


def test_instagram_shows_the_images_first_in_order_then_the_caption() -> None:
    photos = tuple(media(f"images/walk{i}.jpg", f"Photo {i} of the walk") for i in (1, 2, 3))
    draft = make_draft(
        account="mhaw-instagram", platform="instagram", parts=(Part("Our walk #MHAW", photos),)
    )
    page = _rendered(draft_view(draft))
    order = [page.index(f"Image {i} of 3") for i in (1, 2, 3)]
    assert order == sorted(order) and order[-1] < page.index("Our walk")
    assert 'class="carousel"' in page and "preview-instagram" in page
    for i in (1, 2, 3):
        assert f"Photo {i} of the walk" in page  # each image's alt text is shown


def test_other_platforms_keep_the_text_first() -> None:
    page = _rendered(draft_view(make_draft(parts=(Part("Words first", (media(),)),))))
    assert page.index("Words first") < page.index("Worn running shoes by a door")
    assert "Image 1 of" not in page


def test_a_facebook_page_post_shows_its_photos_in_order_with_their_alt_text() -> None:
    """The review page shows a Page post as Facebook lays it out: the text, then the photos
    in the order they are attached, each with its alt text, in the Page post's style."""
    photos = (media("images/a.png", "First: the start line"), media("images/b.png", "Second"))
    draft = make_draft(
        account="mhaw-facebook", platform="facebook", parts=(Part("Saturday", media=photos),)
    )
    html = templates().get_template("_preview.html").render(v=draft_view(draft), when=str)
    assert 'class="preview preview-facebook"' in html
    assert "Facebook" in html and "/ 63206 characters" in html
    first, second = html.index("First: the start line"), html.index("Second</figcaption>")
    assert html.index("Saturday") < first < second
    assert 'alt="First: the start line"' in html
