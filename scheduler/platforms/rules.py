"""A publisher's pre-flight: the one rule of ``scheduler.descriptors.fits``, worded as
``Invalid`` with the count and the limit, so that a post the platform would refuse fails
before anything is sent, not as an HTTP 422.
"""

from __future__ import annotations

from scheduler.descriptors import Descriptor
from scheduler.descriptors.fits import MediaFacts, Misfit, part_misfits
from scheduler.platforms.base import Invalid, PartRequest, PublishRequest


def _message(misfit: Misfit, descriptor: Descriptor, name: str, where: str) -> str:
    n = misfit.part + 1
    kind = misfit.kind
    if kind == "thread":
        return f"part {n}: {where} has no threads; a post there is one part"
    if kind == "length":
        return f"part {n} is {misfit.used} characters long; {where} allows {misfit.limit}"
    if kind == "bytes":
        return f"part {n} is {misfit.used} bytes long; {where} allows {misfit.limit}"
    if kind in ("hashtags", "mentions"):
        what = "hashtags" if kind == "hashtags" else "@mentions"
        return f"part {n} has {misfit.used} {what}; {where} allows {misfit.limit}"
    if kind == "no_media":
        return f"part {n} has no image; every {where} post needs one"
    if kind == "media_count":
        return f"part {n} has {misfit.used} images; {where} allows {misfit.limit}"
    if kind == "gif_mix":
        return f"part {n} has {misfit.used}; {where} takes a GIF only on its own"
    if kind == "size":
        return f"part {n}: {name} is {misfit.used} bytes; {where} allows {misfit.limit}"
    if kind == "alt":
        return (
            f"part {n}: the alt text of {name} is {misfit.used} characters; "
            f"{where} allows {misfit.limit}"
        )
    return f"part {n}: {name} is {misfit.used}; {where} takes {', '.join(descriptor.media.mimes)}"


_HINTS = {
    "thread": "make it one post, or add a variant for the platform",
    "length": "shorten the text or split it into a thread",
    "gif_mix": "give each GIF a thread part of its own",
    "hashtags": "use fewer hashtags",
    "mentions": "mention fewer accounts",
    "no_media": "add an image with alt text",
}


def check_part(
    descriptor: Descriptor,
    part: PartRequest,
    index: int,
    content_warning: str | None = None,
    *,
    where: str | None = None,
) -> None:
    """Raise Invalid when the part breaks one of the platform's rules (``where`` names the
    server whose limit it is, e.g. a Mastodon instance). The content warning is the post's:
    where the platform has a field for it, it is sent, and counted, with every part."""
    media = [MediaFacts(m.file.name, m.mime, m.size, m.alt) for m in part.media]
    found = part_misfits(descriptor, index, part.text, media, content_warning)
    if not found:
        return
    misfit = found[0]
    name = media[misfit.media].name if misfit.media is not None else ""
    place = where if where is not None and misfit.kind == "length" else descriptor.name
    raise Invalid(
        _message(misfit, descriptor, name, place),
        platform=descriptor.name,
        part_index=index,
        hint=_HINTS.get(misfit.kind),
    )


def check_request(
    descriptor: Descriptor, request: PublishRequest, *, where: str | None = None
) -> None:
    """``check_part`` for every part of ``request`` not yet published: a publisher's
    preflight, the same rule ``check`` applied."""
    for index in range(len(request.done), len(request.parts)):
        check_part(descriptor, request.parts[index], index, request.content_warning, where=where)
