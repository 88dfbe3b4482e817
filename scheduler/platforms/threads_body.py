"""What the Threads API is sent for one part: the media containers, shared by the publisher
and the sandbox standing in for Threads.

A part becomes one container (``POST /{user}/threads``): ``TEXT`` without images, ``IMAGE``
with one, ``CAROUSEL`` with several, whose items are containers of their own made first
(``is_carousel_item``). Images are named by a public URL Meta fetches, each with its
``alt_text``. A later part of a thread replies to the one before (``reply_to_id``); every part
carries the post's ``reply_control``; the campaign's link goes as ``link_attachment`` on the
part that names it (else the first), and only on a part without images.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scheduler.descriptors.fits import card_carrier
from scheduler.platforms.base import MediaUpload, PartResult, PublishRequest

TEXT = "TEXT"
IMAGE = "IMAGE"
CAROUSEL = "CAROUSEL"


def item_body(url: str, media: MediaUpload) -> dict[str, Any]:
    """One image of a carousel, made before the carousel's own container."""
    return {"media_type": IMAGE, "image_url": url, "alt_text": media.alt, "is_carousel_item": True}


def link_for(request: PublishRequest, index: int) -> str | None:
    """The link attachment of part ``index``: the campaign's link, on the part naming its URL
    (else the first), where that part has no images."""
    if request.link is None:
        return None
    carrier = card_carrier(request.link.url, [p.text for p in request.parts])
    if carrier != index or request.parts[index].media:
        return None
    return request.link.url


def post_body(
    request: PublishRequest,
    index: int,
    parent: str | None,
    image_urls: Sequence[str],
    children: Sequence[str] = (),
) -> dict[str, Any]:
    """The container of part ``index``: ``image_urls`` for a single image, ``children`` (the
    items' container ids, in order) for a carousel."""
    part = request.parts[index]
    body: dict[str, Any]
    if len(part.media) > 1:
        body = {"media_type": CAROUSEL, "children": ",".join(children)}
    elif part.media:
        body = {"media_type": IMAGE, "image_url": image_urls[0], "alt_text": part.media[0].alt}
    else:
        body = {"media_type": TEXT}
    if part.text:
        body["text"] = part.text
    link = link_for(request, index)
    if link is not None:
        body["link_attachment"] = link
    if parent is not None:
        body["reply_to_id"] = parent
    if request.reply_settings:
        body["reply_control"] = request.reply_settings
    return body


def sandbox_body(
    request: PublishRequest, index: int, earlier: Sequence[PartResult], handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The container as the publisher would make it; an image's file name stands for its
    public URL and for its item's container id, and the items go under ``uploads``."""
    part = request.parts[index]
    parent = earlier[index - 1].remote_id if index > 0 else None
    names = [m.file.name for m in part.media]
    body = post_body(request, index, parent, names, names)
    if len(part.media) > 1:
        body["uploads"] = [item_body(m.file.name, m) for m in part.media]
    return body, {}
