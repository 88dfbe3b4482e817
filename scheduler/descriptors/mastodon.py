"""Mastodon (and servers speaking its API): sources in docs/platforms.md."""

from __future__ import annotations

from datetime import timedelta

from scheduler.descriptors.base import Connect, Dedupe, Descriptor, Quota, RateLimits, register
from scheduler.descriptors.setting import Setting
from scheduler.text.base import MediaLimits
from scheduler.text.mastodon import mastodon_length

# Who sees a status: the values of the API's ``visibility``.
VISIBILITIES = ("public", "unlisted", "private", "direct")

MASTODON = register(
    Descriptor(
        name="mastodon",
        label="Mastodon",
        counter=lambda text, url_length: mastodon_length(text, None, url_length),
        unit="characters",
        max_chars=500,  # the default; an instance may allow more (``max_chars``)
        media=MediaLimits(max_media=4, max_image_bytes=16_777_216, max_alt_chars=1500),
        content_warning=True,
        cw_expected=True,
        language=True,
        visibility=True,
        settings=("instance", "max_chars", "visibility"),
        setting_rules=(
            Setting("max_chars", number=(1, 100_000)),
            # The account's default for posts that do not say (a post's own wins).
            Setting("visibility", choices=VISIBILITIES),
        ),
        limit_setting="max_chars",
        required=(("instance", "e.g. instance: https://mastodon.social"),),
        endpoint_setting="instance",
        dedupe=Dedupe(
            key="Idempotency-Key header",
            window=timedelta(hours=1),
            lookup=True,
            # Every instance keeps its own clock, often on a small volunteer-run server.
            clock_margin=timedelta(minutes=10),
        ),
        rate_limits=RateLimits(
            reset_header="X-RateLimit-Reset",
            reset_format="iso8601",
            headers=("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"),
            # Some forks send the reset as Unix seconds; the reader takes either.
            windows=(("x-ratelimit", "the server's rate limit"),),
            quotas=(
                # Requests of every kind and uploads: the headers report these, not the ledger.
                Quota(300, timedelta(minutes=5), "account", "requests", counts=None),
                Quota(30, timedelta(minutes=30), "account", "media uploads", counts=None),
                Quota(300, timedelta(hours=3), "account", "statuses"),
            ),
        ),
        colour="#563acc",
        colour_tags=True,
        publisher="scheduler.platforms.mastodon:create",
        # The narrow scopes the publisher needs; an app registers per server. PKCE (S256
        # only) since Mastodon 4.3; older servers ignore the parameters.
        connect=Connect(
            kind="oauth",
            scopes=("write:statuses", "write:media", "read:accounts"),
            register_path="/api/v1/apps",
            authorize_path="/oauth/authorize",
            token_path="/oauth/token",
            client_auth="post",
        ),
    )
)
