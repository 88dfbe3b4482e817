"""X (formerly Twitter): sources in docs/platforms.md."""

from __future__ import annotations

from datetime import timedelta

from scheduler.descriptors.base import Connect, Dedupe, Descriptor, Quota, RateLimits, register
from scheduler.descriptors.setting import Setting
from scheduler.text.base import MediaLimits
from scheduler.text.x import weighted_length


def _weighted(text: str, url_length: int) -> int:
    # twitter-text v3 fixes what a URL weighs; the platform's own figure, not ours.
    return weighted_length(text)


# Who may reply: the values of the create-post request's ``reply_settings``.
REPLY_SETTINGS = ("following", "mentionedUsers", "subscribers", "verified")

X = register(
    Descriptor(
        name="x",
        label="X",
        counter=_weighted,
        unit="weighted characters",
        max_chars=280,
        media=MediaLimits(
            max_media=4,
            max_image_bytes=5_000_000,
            max_alt_chars=1000,
            max_gif_bytes=15_000_000,
            gif_alone=True,
        ),
        reply_settings=True,
        reply_values=tuple((v, v) for v in REPLY_SETTINGS),
        identity_setting="username",
        # A post's page; ids are unsigned 64-bit numbers, at most 20 digits.
        post_address="https://x.com/{who}/status/{id}",
        post_id_max=20,
        settings=("username", "reply_settings", "tier"),
        setting_rules=(
            Setting("reply_settings", choices=REPLY_SETTINGS),
            # The API tier of the app: it picks the daily cap among the quotas below.
            Setting("tier", choices=("free", "basic", "pro", "enterprise", "pay-per-use")),
        ),
        default_endpoint="https://api.x.com",
        # No idempotency key: a lost answer is settled by looking at the account's posts.
        dedupe=Dedupe(key=None, lookup=True),
        rate_limits=RateLimits(
            reset_header="x-rate-limit-reset",
            reset_format="epoch",
            headers=(
                "x-rate-limit-limit",
                "x-rate-limit-remaining",
                "x-rate-limit-reset",
                "x-user-limit-24hour-limit",
                "x-user-limit-24hour-remaining",
                "x-user-limit-24hour-reset",
                "x-app-limit-24hour-limit",
                "x-app-limit-24hour-remaining",
                "x-app-limit-24hour-reset",
            ),
            windows=(
                ("x-rate-limit", "X's rate limit"),
                ("x-user-limit-24hour", "X's 24-hour limit for the user"),
                ("x-app-limit-24hour", "X's 24-hour limit for the app"),
            ),
            quotas=(
                Quota(100, timedelta(minutes=15), "user"),
                Quota(300, timedelta(hours=3), "account", "posts and reposts"),
                Quota(10_000, timedelta(hours=24), "app", counts=None),  # every account's
                # The daily cap of the API tier the account's ``tier`` setting names.
                Quota(17, timedelta(hours=24), "user", tier="free"),
                Quota(100, timedelta(hours=24), "user", tier="basic"),
            ),
        ),
        colour="#0f1419",
        # A GIF's processing is asked about for up to a minute (x_chunked).
        poll_for=60.0,
        publisher="scheduler.platforms.x:create",
        # OAuth 2.0 with PKCE; offline.access is what brings a refresh token. People sign in
        # on twitter.com; the token endpoint is on the API host.
        connect=Connect(
            kind="oauth",
            scopes=("tweet.read", "tweet.write", "users.read", "media.write", "offline.access"),
            authorize_base="https://twitter.com",
            authorize_path="/i/oauth2/authorize",
            token_path="/2/oauth2/token",
            token_store="publisher",
        ),
    )
)
