"""What the Bluesky publisher sends for one part: the ``app.bsky.feed.post`` record, built
once for the publisher and for the sandbox standing in for Bluesky."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from scheduler.platforms import atproto
from scheduler.platforms.base import PartResult, PublishRequest


def post_record(
    request: PublishRequest,
    index: int,
    reply: tuple[dict[str, str], dict[str, str]] | None,
    resolve: Callable[[str], str | None],
    blobs: list[dict[str, Any]],
) -> dict[str, Any]:
    """The ``app.bsky.feed.post`` record of part ``index``: ``reply`` is (root, parent),
    ``resolve`` turns a mentioned handle into a DID, ``blobs`` are the uploaded images."""
    part = request.parts[index]
    embed: dict[str, Any] | None
    if blobs:
        embed = atproto.images_embed(
            [
                atproto.image_entry(blob, m.alt, m.width, m.height)
                for blob, m in zip(blobs, part.media, strict=True)
            ]
        )
    else:
        # One embed per post: a card only goes with a part without images.
        embed = atproto.link_card(request, index)
    return atproto.post_record(
        text=part.text,
        created_at=atproto.part_instant(request.created_at, part.idempotency_key, index),
        facets=atproto.facet_objects(list(part.facets) or atproto.find_facets(part.text), resolve),
        langs=[request.language] if request.language else None,
        labels=request.labels,
        reply=reply,
        embed=embed,
    )


def sandbox_body(
    request: PublishRequest, index: int, earlier: Sequence[PartResult], handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """What this publisher would send for part ``index``, for the sandbox's outbox: the
    record under its record key, with a stand-in blob for each image and a stand-in DID."""
    part = request.parts[index]
    rkey = atproto.record_key(request.created_at, part.idempotency_key, index)
    reply = None
    if index > 0:
        first, parent = earlier[0], earlier[index - 1]
        reply = (
            atproto.strong_ref(first.remote_id, first.extra.get("cid", "")),
            atproto.strong_ref(parent.remote_id, parent.extra.get("cid", "")),
        )
    blobs = [{"$type": "blob", "mimeType": m.mime, "size": m.size} for m in part.media]
    record = post_record(request, index, reply, lambda h: f"did:sandbox:{h}", blobs)
    uri = f"at://did:sandbox:{handle}/{atproto.POST_COLLECTION}/{rkey}"
    body = {"collection": atproto.POST_COLLECTION, "rkey": rkey, "record": record}
    return body, {"uri": uri, "rkey": rkey, "cid": f"cid-{rkey}"}
