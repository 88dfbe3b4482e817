"""What the Pages API is sent for one Page post, shared by the publisher and the sandbox
standing in for Facebook.

Three shapes, by the part's photos:

* none: ``POST /{page-id}/feed`` with ``message`` and, for a link post, ``link`` (Facebook
  builds the card itself from the page the link names; a title or description we hold is
  not sent, as the API no longer takes them);
* one: ``POST /{page-id}/photos`` with the photo's bytes as the multipart ``source``, the
  text as ``message`` and the alt text as ``alt_text_custom``;
* several: each photo uploaded the same way with ``published=false`` (nothing is shown),
  then ``POST /{page-id}/feed`` naming them in order in ``attached_media[i]``.

Every call sends form fields, as Meta's guides show them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from scheduler.platforms.base import MediaUpload, PartResult, PublishRequest


def feed_body(request: PublishRequest, media_ids: Sequence[str] = ()) -> dict[str, str]:
    """The form fields of ``POST /{page-id}/feed`` for the request's single part, its photos
    (if several) already uploaded unpublished as ``media_ids``: each attached as Meta
    documents it, ``attached_media[i]`` holding ``{"media_fbid": id}`` as JSON, in order."""
    body = {"message": request.parts[0].text}
    for index, media_id in enumerate(media_ids):
        body[f"attached_media[{index}]"] = json.dumps({"media_fbid": media_id})
    if not media_ids and request.link is not None:
        body["link"] = request.link.url
    return body


def photo_fields(media: MediaUpload, *, message: str | None) -> dict[str, str]:
    """The form fields sent with one photo's bytes: with ``message`` it is the post itself;
    without, an unpublished photo for a post of several."""
    fields = {"alt_text_custom": media.alt} if media.alt else {}
    if message is None:
        fields["published"] = "false"
    else:
        fields["message"] = message
    return fields


def sandbox_body(
    request: PublishRequest, index: int, earlier: Sequence[PartResult], handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The post's create call as the publisher would send it; a photo's file name stands for
    its bytes (one photo) or for the id Facebook gives it (several)."""
    media = request.parts[index].media
    if len(media) == 1:
        fields: dict[str, Any] = photo_fields(media[0], message=request.parts[index].text)
        return {**fields, "source": media[0].file.name}, {}
    return feed_body(request, [m.file.name for m in media]), {}
