"""A story on the review pages: its HTML is untrusted, shown only escaped into a sandboxed
frame, never as markup of the page."""

from __future__ import annotations

from dataclasses import replace

from scheduler.draft import Draft, Story
from scheduler.web.preview import draft_view
from scheduler.web.site import templates
from tests.web.drafts import make_draft

HOSTILE = '<p>Hello</p><script>alert(1)</script><img src=x onerror="alert(2)">'


def test_the_story_html_goes_only_into_a_sandboxed_frame() -> None:
    story = Story(
        title="Lou <b>&</b> Sam",
        html=HOSTILE,
        slug="lou-and-sam",
        excerpt="Two runners",
        categories=("Guest stories",),
        tags=("running",),
        byline="Words by Lou",
    )
    draft = replace(make_draft(), story=story, content_hash="")
    page = (
        templates()
        .get_template("_preview.html")
        .render(v=draft_view(draft), when=lambda at: at.isoformat())
    )
    assert "<script>" not in page and "onerror=" not in page.replace("onerror=&#34;", "")
    assert 'sandbox=""' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Lou &lt;b&gt;&amp;&lt;/b&gt; Sam" in page
    assert "lou-and-sam" in page and "Guest stories" in page and "Words by Lou" in page


def test_the_story_is_covered_by_the_hash() -> None:
    base = replace(make_draft(), story=Story(title="T", html="<p>a</p>", slug="s"), content_hash="")
    for changed in (
        Story(title="T2", html="<p>a</p>", slug="s"),
        Story(title="T", html="<p>b</p>", slug="s"),
        Story(title="T", html="<p>a</p>", slug="s2"),
        Story(title="T", html="<p>a</p>", slug="s", excerpt="e"),
        Story(title="T", html="<p>a</p>", slug="s", tags=("x",)),
        Story(title="T", html="<p>a</p>", slug="s", categories=("x",)),
    ):
        other = replace(base, story=changed, content_hash="")
        assert other.content_hash != base.content_hash, changed
    assert replace(base, story=None, content_hash="").content_hash == make_draft().content_hash


def test_a_story_survives_the_ledger_payload() -> None:
    story = Story("T", "<p>a</p>", "s", "e", ("c",), ("t1", "t2"), "By Lou")
    draft = replace(make_draft(), story=story, content_hash="")
    again = Draft.from_payload(draft.to_payload())
    assert again == draft and again.content_hash == draft.content_hash
