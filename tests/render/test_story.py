"""Stories rendered from campaign files: templates first, then Markdown with raw HTML off,
a deterministic slug, the care lint reading every text of the story."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from scheduler.campaign.story import default_slug
from scheduler.care import CarePolicy, Linter
from scheduler.draft import Draft
from scheduler.render import render_campaign
from scheduler.render.story import story_html

HEADER = """\
id: stories
title: Stories
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  blog: {platform: wordpress, site: "https://blog.example.org", username: bot}
  masto: {platform: mastodon, instance: "https://mastodon.example"}
care: {locale: en-GB}
vars: {guest: Lou}
posts:
"""


def drafts(tmp_path: Path, posts: str) -> list[Draft]:
    (tmp_path / "campaign.yaml").write_text(HEADER + posts, encoding="utf-8")
    return render_campaign(load_campaign(tmp_path))


@pytest.mark.parametrize(
    ("title", "post_id", "slug"),
    [
        ("Running alongside: Lou's story", "d1", "running-alongside-lous-story"),
        ("Lou’s story", "d1", "lous-story"),
        ("Crème brûlée & café", "d1", "creme-brulee-cafe"),
        ("¡¿!?", "day-1-story", "day-1-story"),
        ("word " * 40, "d1", "-".join(["word"] * 16)),  # cut at a word, at most 80
        ("日本語", "d1", "d1"),
    ],
)
def test_default_slug(title: str, post_id: str, slug: str) -> None:
    assert default_slug(title, post_id) == slug
    assert len(slug) <= 80


@pytest.mark.parametrize(
    ("markdown", "has", "has_not"),
    [
        ("**bold**", "<strong>bold</strong>", None),
        ("<script>alert(1)</script>", "&lt;script&gt;", "<script>"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))", 'href="javascript'),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<table>", None),
        ('<img src=x onerror="alert(1)">', "&lt;img", "<img"),
    ],
)
def test_markdown_is_rendered_and_raw_html_is_text(
    markdown: str, has: str, has_not: str | None
) -> None:
    html = story_html(markdown)
    assert has in html
    assert has_not is None or has_not not in html


def test_byline_and_warning_are_escaped_first_paragraphs() -> None:
    html = story_html("Body.", byline="By <Lou>", cw="mh & ed")
    assert html.startswith('<p class="content-warning"><strong>CW: mh &amp; ed</strong></p>')
    assert '<p class="byline">By &lt;Lou&gt;</p>' in html


def test_a_story_goes_to_the_site_and_a_post_to_the_rest(tmp_path: Path) -> None:
    made = drafts(
        tmp_path,
        """\
  - id: story
    kind: story
    at: 2026-05-11 07:30
    title: "{{ guest }}'s story"
    byline: "Words by {{ guest }}"
    excerpt: "{{ guest }} on running."
    categories: [Guest stories]
    tags: [running]
    body: |
      ## Running

      {{ guest }} runs.
  - id: social
    at: 2026-05-11 08:30
    text: Read it on the blog.
""",
    )
    by_post = {d.post_id: d for d in made}
    assert [(d.post_id, d.account) for d in made] == [("story", "blog"), ("social", "masto")]
    story = by_post["story"].story
    assert story is not None
    assert story.title == "Lou's story" and story.slug == "lous-story"
    assert "<h2>Running</h2>" in story.html and "<p>Lou runs.</p>" in story.html
    assert story.categories == ("Guest stories",) and story.tags == ("running",)
    text = by_post["story"].parts[0].text
    assert text.startswith("Lou's story\n\nWords by Lou\n\nLou on running.\n\n## Running")
    assert by_post["social"].story is None


def test_the_care_lint_reads_the_story(tmp_path: Path) -> None:
    made = drafts(
        tmp_path,
        """\
  - id: story
    kind: story
    at: 2026-05-11 07:30
    title: After my suicide attempt
    body: I want to tell you what happened next.
""",
    )
    findings = Linter(CarePolicy(locale="en-GB")).lint_all(made)
    rules = {f.rule for f in findings}
    assert any(r.startswith("sm-") for r in rules), rules  # a support line and a warning
