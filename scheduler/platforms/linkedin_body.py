"""What LinkedIn's Posts API is sent for one post: the little text of its commentary and
the post body, shared by the publisher and the sandbox standing in for LinkedIn.

``commentary`` is "little" text: mentions (``@[Name](urn)``) and hashtag templates
(``{hashtag|#|tag}``) are markup, and every reserved character must be backslash-escaped,
even where it starts no element; LinkedIn cuts the post off at the first one that is not.
The scheduler sends plain text, so every reserved character is escaped, once, here; a
``#tag`` written in a campaign reaches readers as the same text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from scheduler.platforms.base import PartResult, PublishRequest

# The reserved characters of the little text grammar.
RESERVED = "\\|{}@[]()<>#*_~"
_RESERVED = re.compile("[" + re.escape(RESERVED) + "]")


def little_text(text: str) -> str:
    """``text`` as little text that LinkedIn shows exactly as written."""
    return _RESERVED.sub(lambda m: "\\" + m.group(0), text)


def post_body(request: PublishRequest, author: str, media_ids: Sequence[str]) -> dict[str, Any]:
    """The body of ``POST /rest/posts`` for the request's single part, its images already
    uploaded as ``media_ids`` (in order)."""
    part = request.parts[0]
    body: dict[str, Any] = {
        "author": author,
        "commentary": little_text(part.text),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    images = [
        {"id": image, "altText": media.alt}
        for image, media in zip(media_ids, part.media, strict=True)
    ]
    if len(images) == 1:
        body["content"] = {"media": images[0]}
    elif images:
        body["content"] = {"multiImage": {"images": images}}
    elif request.link is not None:
        article: dict[str, Any] = {"source": request.link.url}
        if request.link.title:
            article["title"] = request.link.title
        if request.link.description:
            article["description"] = request.link.description
        body["content"] = {"article": article}
    return body


def sandbox_body(
    request: PublishRequest, index: int, earlier: Sequence[PartResult], handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The post as the publisher would send it; an image's name stands for its URN."""
    media_ids = [m.file.name for m in request.parts[index].media]
    return post_body(request, handle, media_ids), {}
