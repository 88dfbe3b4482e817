"""Whether a draft fits its platform: the one rule ``check``, ``preview``, the pages and every
publisher's own pre-flight apply, so that a draft that passes ``check`` is never refused by
our own code later.

The answer is a list of ``Misfit``s with the figures; each caller words them for its reader
(``check`` at file:line, a publisher as ``Invalid``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.descriptors.base import Descriptor
from scheduler.draft import Draft, LinkCard
from scheduler.text.base import GIF, Count, byte_limit, gif_mix
from scheduler.text.tags import hashtags, mentions


@dataclass(frozen=True, slots=True)
class MediaFacts:
    """What the rule needs to know of one image."""

    name: str
    mime: str
    size: int
    alt: str


@dataclass(frozen=True, slots=True)
class Misfit:
    part: int  # index of the part in its thread
    # "thread" | "length" | "bytes" | "hashtags" | "mentions" | "no_media" | "media_count"
    # | "gif_mix" | "mime" | "size" | "alt"
    kind: str
    used: int | str = 0  # the part's figure (for gif_mix, what is mixed, e.g. "2 GIFs")
    limit: int = 0
    media: int | None = None  # index of the image within the part
    count: Count | None = None  # for "length" and "bytes"


def part_count(descriptor: Descriptor, text: str, content_warning: str | None) -> Count:
    """One part's count against its limits. The content warning counts in every part where
    the platform has a field for it: the publisher sends it with each one."""
    return descriptor.count(text, content_warning)


def media_misfits(descriptor: Descriptor, part: int, index: int, media: MediaFacts) -> list[Misfit]:
    """What is wrong with one image on ``descriptor``'s platform."""
    limits = descriptor.media
    found: list[Misfit] = []
    if media.mime not in limits.mimes:
        found.append(Misfit(part, "mime", media.mime, media=index))
    limit = byte_limit(media.mime, limits.max_image_bytes, limits.max_gif_bytes)
    if media.size > limit:
        found.append(Misfit(part, "size", media.size, limit, media=index))
    if len(media.alt) > limits.max_alt_chars:
        found.append(Misfit(part, "alt", len(media.alt), limits.max_alt_chars, media=index))
    return found


def part_misfits(
    descriptor: Descriptor,
    part: int,
    text: str,
    media: Sequence[MediaFacts],
    content_warning: str | None = None,
) -> list[Misfit]:
    """Everything about one part that its platform would refuse, in the order a person would
    fix it: the text, then the images."""
    found: list[Misfit] = []
    if part > 0 and not descriptor.threads:
        found.append(Misfit(part, "thread", part + 1))
    count = part_count(descriptor, text, content_warning)
    if count.used > count.limit:
        found.append(Misfit(part, "length", count.used, count.limit, count=count))
    elif not count.ok and count.extra_used is not None and count.extra_limit is not None:
        found.append(Misfit(part, "bytes", count.extra_used, count.extra_limit, count=count))
    if descriptor.max_hashtags is not None:
        tags = len(hashtags(text))
        if tags > descriptor.max_hashtags:
            found.append(Misfit(part, "hashtags", tags, descriptor.max_hashtags))
    if descriptor.max_mentions is not None:
        named = len(mentions(text))
        if named > descriptor.max_mentions:
            found.append(Misfit(part, "mentions", named, descriptor.max_mentions))
    if descriptor.needs_media and not media:
        found.append(Misfit(part, "no_media"))
    if len(media) > descriptor.media.max_media:
        found.append(Misfit(part, "media_count", len(media), descriptor.media.max_media))
    mix = gif_mix([m.mime for m in media]) if descriptor.media.gif_alone else None
    if mix is not None:
        found.append(Misfit(part, "gif_mix", mix))
    for index, item in enumerate(media):
        found.extend(media_misfits(descriptor, part, index, item))
    return found


def is_gif_limit(descriptor: Descriptor, mime: str) -> bool:
    """Whether ``mime`` has a size limit of its own on this platform (X's GIFs)."""
    return mime == GIF and descriptor.media.max_gif_bytes is not None


def card_sent(descriptor: Descriptor, url: str, parts: Sequence[tuple[str, int]]) -> bool:
    """Whether the campaign's link card goes out with the post, given each part's text and
    number of images. It goes with the first part naming its URL (else the first part); a
    platform with one embed per post (images or a card) drops it beside images. Platforms
    that build a card from the URL in the text show one as well."""
    if descriptor.card_beside_images or not parts:
        return True
    return parts[card_carrier(url, [text for text, _ in parts])][1] == 0


def card_carrier(url: str, texts: Sequence[str]) -> int:
    """The part a link card goes with: the first naming its URL, else the first."""
    return next((i for i, text in enumerate(texts) if url in text), 0)


def link_shown(descriptor: Descriptor, draft: Draft) -> LinkCard | None:
    """The draft's link card if it goes out with the post: previews show only what is sent."""
    link = draft.link
    if link is None:
        return None
    parts = [(part.text, len(part.media)) for part in draft.parts]
    return link if card_sent(descriptor, link.url, parts) else None
