"""What a WordPress site is sent for one story, shared by the publisher and the sandbox
standing in for WordPress; and how a post on the site is recognised as ours.

The title and excerpt are plain text in the campaign, but a site reads both as HTML: they
are escaped here, so that "Lou & Sam" reaches readers as written. The body is the HTML the
render made, followed by the story's key in an HTML comment: readers never see it, and it
is how a lookup tells our post from another post that happens to hold the same slug.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from scheduler.platforms.base import Invalid, PartResult, PublishRequest, Story

MARK = "campaign-scheduler story"


def story_of(request: PublishRequest) -> Story:
    """The request's story; Invalid for a request that is not one (a social post)."""
    if request.story is None:
        raise Invalid(
            "wordpress: a site takes stories, not social posts",
            platform="wordpress",
            part_index=0,
            hint="make the post kind: story with a title and a body",
        )
    return request.story


def key_comment(key: str) -> str:
    """The HTML comment that carries the story's key on the site."""
    return f"<!-- {MARK} {key} -->"


def is_ours(post: dict[str, Any], key: str) -> bool:
    """Whether a post read with ``context=edit`` carries the story's key."""
    content = post.get("content")
    raw = content.get("raw") if isinstance(content, dict) else None
    return isinstance(raw, str) and key_comment(key) in raw


def post_body(
    request: PublishRequest,
    media_id: int | str | None,
    categories: Sequence[int | str],
    tags: Sequence[int | str],
) -> dict[str, Any]:
    """The body of ``POST /wp/v2/posts``: published now (the scheduler keeps the time, not
    WordPress's visit-driven cron), under the story's own slug, with term ids read back
    from the site (an unknown tag id would clear the post's tags without an error)."""
    story = story_of(request)
    key = request.parts[0].idempotency_key
    body: dict[str, Any] = {
        "title": escape(story.title, quote=False),
        "content": story.html.rstrip("\n") + "\n" + key_comment(key) + "\n",
        "excerpt": escape(story.excerpt or "", quote=False),
        "status": "publish",
        "slug": story.slug,
        "comment_status": "closed",  # a campaign does not moderate comments on the site
    }
    if categories:
        body["categories"] = list(categories)
    if tags:
        body["tags"] = list(tags)
    if media_id is not None:
        body["featured_media"] = media_id
    return body


def sandbox_body(
    request: PublishRequest, index: int, earlier: Sequence[PartResult], handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The story as the publisher would send it; the image's name stands for its media id
    and each term's name for its id. The featured image's alt text, which the publisher
    sets on the media item, is shown beside."""
    story = story_of(request)
    media = request.parts[0].media
    body = post_body(request, media[0].file.name if media else None, story.categories, story.tags)
    extra = {"alt_text": media[0].alt} if media else {}
    return body, extra
