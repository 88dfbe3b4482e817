"""Bluesky (AT Protocol): sources in docs/platforms.md."""

from __future__ import annotations

import re
from datetime import timedelta

from scheduler.descriptors.base import (
    Connect,
    Dedupe,
    Descriptor,
    Quota,
    RateLimits,
    count_graphemes,
    register,
)
from scheduler.descriptors.setting import Setting, SettingRefused
from scheduler.text.base import MediaLimits

# A handle is a domain name: labels of letters, digits and hyphens, and a top-level name.
_HANDLE = re.compile(r"(?=.{3,253}\Z)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,}")


def _handle(value: str) -> str:
    if not _HANDLE.fullmatch(value):
        raise SettingRefused(
            f"handle {value!r} is not a Bluesky handle", "e.g. yourname.bsky.social"
        )
    return value


BLUESKY = register(
    Descriptor(
        name="bluesky",
        label="Bluesky",
        counter=count_graphemes,
        unit="graphemes",
        max_chars=300,
        max_bytes=3000,
        # The lexicon allows 2,000,000 bytes an image, but older servers and the docs say
        # 1,000,000: the smaller holds everywhere.
        media=MediaLimits(max_media=4, max_image_bytes=1_000_000, max_alt_chars=2000),
        link_cards=True,
        card_beside_images=False,  # a post has one embed: images or a card
        language=True,
        labels=("sexual", "nudity", "porn", "graphic-media"),
        facets=True,
        identity_setting="handle",
        # A post's page on the Bluesky app; the record key is a TID, always 13 characters.
        post_address="https://bsky.app/profile/{who}/post/{id}",
        post_id_max=13,
        settings=("handle", "service"),
        setting_rules=(Setting("handle", check=_handle),),
        required=(("handle", "e.g. handle: yourname.bsky.social"),),
        endpoint_setting="service",
        default_endpoint="https://bsky.social",
        # A deterministic record key: a second create of the same post is refused.
        dedupe=Dedupe(key="record key (rkey)", window=None, lookup=True),
        rate_limits=RateLimits(
            reset_header="RateLimit-Reset",
            reset_format="epoch",
            headers=(
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "RateLimit-Policy",
            ),
            # The reset may also count seconds from now (the IETF draft's form).
            windows=(("ratelimit", "the server's rate limit"),),
            quotas=(
                # A created record costs 3 points; every part is one record.
                Quota(5000, timedelta(hours=1), "account", "write points", cost=3),
                Quota(35_000, timedelta(hours=24), "account", "write points", cost=3),
            ),
        ),
        colour="#0a56d6",
        publisher="scheduler.platforms.bluesky:create",
        connect=Connect(
            kind="app_password",
            secret_field="app_password",
            # Bluesky shows an app password as four groups of four letters and digits.
            password_pattern=r"^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$",
            password_shape="xxxx-xxxx-xxxx-xxxx",
            password_where="Settings -> Privacy and security -> App passwords",
        ),
    )
)
