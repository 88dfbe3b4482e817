"""Each platform's text and media rules, and the length a platform would count for a post.

Publishers check a part against these rules before sending anything, so that a post the
platform would refuse fails as ``Invalid`` with the count and the limit, not as an HTTP 422.
The counting follows PLATFORMS.md: X weighted length (twitter-text v3), Mastodon graphemes
with URLs as 23 and remote mentions as ``@user`` plus the content warning, Bluesky graphemes
and UTF-8 bytes with URLs counted in full.
"""

from __future__ import annotations

from dataclasses import replace

from scheduler.platforms.base import Invalid, PartRequest, PlatformRules, Quota

# One counting implementation for check and publish: a draft that passes check is never
# refused by the publisher's own length check, and the other way round.
from scheduler.text import (
    BlueskyRules,
    MastodonRules,
    TextRules,
    XRules,
    byte_limit,
    gif_mix,
    graphemes,
    mastodon_length,
    weighted_length,
)


def _from_text(
    rules: TextRules, limit: int, *, quotas: tuple[Quota, ...] = (), **features: bool
) -> PlatformRules:
    """A platform's publisher rules, with the media limits ``check`` applies: a draft that
    passes check is never refused by the publisher's own media check, and the other way."""
    media = rules.media
    return PlatformRules(
        platform=rules.platform,
        max_chars=limit,
        max_media=media.max_media,
        max_image_bytes=media.max_image_bytes,
        max_alt_chars=media.max_alt_chars,
        image_mimes=media.mimes,
        max_gif_bytes=media.max_gif_bytes,
        gif_alone=media.gif_alone,
        supports_cw=rules.supports_cw,
        quotas=quotas,
        **features,
    )


HOUR = 3600.0
DAY = 24 * HOUR

# Publishing quotas, per account over a rolling window, counted from the ledger so that a
# burst is spread out instead of refused. X: 300 posts per 3 h per account, and per 24 h by
# the API tier the account names (`tier` setting; the tier figures are X's rate-limit page's
# per-user limits for POST /2/tweets, not confirmed from a primary source). Mastodon: 300
# statuses per 3 h per account (the server's RateLimiter). Bluesky: write points, a post
# costing 3. Instagram (50 per 24 h) and Threads (250 posts and 1000 replies per 24 h)
# declare theirs here when they arrive.
X_QUOTAS = (
    Quota("posts per 3 hours", 300, 3 * HOUR),
    Quota("posts per 24 hours on the free tier", 17, DAY, tier="free"),
    Quota("posts per 24 hours on the basic tier", 100, DAY, tier="basic"),
)
MASTODON_QUOTAS = (Quota("posts per 3 hours", 300, 3 * HOUR),)
BLUESKY_QUOTAS = (
    Quota("write points per hour", 5000, HOUR, cost=3),
    Quota("write points per day", 35_000, DAY, cost=3),
)

RULES: dict[str, PlatformRules] = {
    "x": _from_text(XRules(), 280, quotas=X_QUOTAS),
    "mastodon": _from_text(MastodonRules(), 500, quotas=MASTODON_QUOTAS, supports_language=True),
    # Bluesky's lexicon allows 2,000,000 bytes an image, but older servers and the docs say
    # 1,000,000; the text rules use the smaller.
    "bluesky": _from_text(
        BlueskyRules(),
        300,
        quotas=BLUESKY_QUOTAS,
        supports_language=True,
        supports_labels=True,
    ),
    "sandbox": PlatformRules(
        platform="sandbox",
        max_chars=10_000,
        max_media=4,
        max_image_bytes=50_000_000,
        max_alt_chars=5000,
        supports_cw=True,
        supports_language=True,
        supports_labels=True,
    ),
}

BLUESKY_MAX_BYTES = 3000
MASTODON_URL_LENGTH = 23


def rules_for(platform: str, *, max_chars: int | None = None) -> PlatformRules:
    base = RULES.get(platform, RULES["sandbox"])
    return base if max_chars is None else replace(base, max_chars=max_chars)


def length(
    platform: str, text: str, content_warning: str | None = None, *, url_length: int = 23
) -> int:
    """The length ``platform`` counts for one part (with its CW where the platform counts it)."""
    if platform == "x":
        return weighted_length(text)
    if platform == "mastodon":
        return mastodon_length(text, content_warning, url_length)
    return graphemes(text)


def check_part(
    rules: PlatformRules,
    part: PartRequest,
    index: int,
    content_warning: str | None = None,
    *,
    url_length: int = 23,
    where: str | None = None,
) -> None:
    """Raise Invalid when the part breaks one of the platform's rules (``where`` names the
    server whose limit it is, e.g. a Mastodon instance)."""
    platform = rules.platform
    # Mastodon repeats the CW on every part of a thread and counts it in each.
    cw = content_warning if rules.supports_cw else None
    counted = length(platform, part.text, cw, url_length=url_length)
    if counted > rules.max_chars:
        raise Invalid(
            f"part {index + 1} is {counted} characters long; "
            f"{where or platform} allows {rules.max_chars}",
            platform=platform,
            part_index=index,
            hint="shorten the text or split it into a thread",
        )
    if platform == "bluesky":
        size = len(part.text.encode("utf-8"))
        if size > BLUESKY_MAX_BYTES:
            raise Invalid(
                f"part {index + 1} is {size} bytes long; bluesky allows {BLUESKY_MAX_BYTES}",
                platform=platform,
                part_index=index,
            )
    if len(part.media) > rules.max_media:
        raise Invalid(
            f"part {index + 1} has {len(part.media)} images; {platform} allows {rules.max_media}",
            platform=platform,
            part_index=index,
        )
    mix = gif_mix([m.mime for m in part.media]) if rules.gif_alone else None
    if mix is not None:
        raise Invalid(
            f"part {index + 1} has {mix}; {platform} takes a GIF only on its own",
            platform=platform,
            part_index=index,
            hint="give each GIF a thread part of its own",
        )
    for media in part.media:
        name = media.file.name
        limit = byte_limit(media.mime, rules.max_image_bytes, rules.max_gif_bytes)
        if media.size > limit:
            raise Invalid(
                f"part {index + 1}: {name} is {media.size} bytes; {platform} allows {limit}",
                platform=platform,
                part_index=index,
            )
        if len(media.alt) > rules.max_alt_chars:
            raise Invalid(
                f"part {index + 1}: the alt text of {name} is {len(media.alt)} characters; "
                f"{platform} allows {rules.max_alt_chars}",
                platform=platform,
                part_index=index,
            )
        if media.mime not in rules.image_mimes:
            raise Invalid(
                f"part {index + 1}: {name} is {media.mime}; {platform} takes "
                f"{', '.join(rules.image_mimes)}",
                platform=platform,
                part_index=index,
            )
