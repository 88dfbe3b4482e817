"""Instagram (professional accounts, the Content Publishing API): sources in docs/platforms.md.

Both ways in work with the same calls: Instagram Login on graph.instagram.com (the default)
and Facebook Login on graph.facebook.com (an account's ``api`` setting). Either way the
account is named by its Instagram user id (``user_id``), and every path carries the Graph
API version (the account's ``version``, else ``API_VERSION``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scheduler.descriptors.base import (
    Connect,
    Dedupe,
    Descriptor,
    LongLived,
    Quota,
    RateLimits,
    register,
)
from scheduler.descriptors.facebook import FACEBOOK_LOGIN
from scheduler.descriptors.setting import Setting
from scheduler.text.base import MediaLimits

# The Graph API version in every path. Meta keeps a version for about two years; an account
# may name a newer one with its ``version`` setting.
API_VERSION = "v23.0"
# Instagram Login's host; Facebook Login's is https://graph.facebook.com.
INSTAGRAM_LOGIN_HOST = "https://graph.instagram.com"
# How many posts the Content Publishing API publishes for one account in a rolling 24 hours
# (``content_publishing_limit`` reports the same figure); a carousel is one post.
POSTS_PER_DAY = 50
# How long the publisher asks about a container before the attempt gives up (the next one
# asks the same container): Meta asks to poll about once a minute for at most five minutes.
# An account's ``container_wait`` setting changes it.
CONTAINER_WAIT = 300

# Facebook Login's host serves the same calls to an Instagram account linked to a Page.
FACEBOOK_LOGIN_HOST = "https://graph.facebook.com"
# There the person signs in with Facebook Login, as for a Page, and grants Instagram's
# Facebook Login permissions: publishing (with the Page's engagement), the first comment,
# and the list of Pages the linked account is found through.
INSTAGRAM_ON_FACEBOOK_LOGIN = replace(
    FACEBOOK_LOGIN,
    scopes=(
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_comments",
        "pages_read_engagement",
        "pages_show_list",
    ),
)

INSTAGRAM = register(
    Descriptor(
        name="instagram",
        label="Instagram",
        # Meta gives a caption 2,200 characters without saying how it counts them: code
        # points, which count an emoji of several code points as several, err on the side of
        # refusing a caption Instagram would take.
        counter=lambda text, url_length: len(text),
        unit="characters",
        max_chars=2200,
        # Instagram took its limit from 30 hashtags a post to 5 in December 2025 (announced
        # by its head and its @Creators account); Meta's API reference still reads 30 in the
        # copies we found. The smaller is what we check: a caption with more would either be
        # refused or lose its tags.
        max_hashtags=5,
        max_mentions=20,
        needs_media=True,
        media_by_url=True,  # Meta fetches each image from the operator's public media host
        media_first=True,  # the image (or carousel), then the caption under it
        first_comment=True,  # POST /{media-id}/comments
        # A carousel takes up to 10 images; feed images are JPEG only. Meta says "less than
        # 8 MiB"; publishing tools say 8 MB, the smaller, which is what we check.
        media=MediaLimits(
            max_media=10,
            max_image_bytes=8_000_000,
            max_alt_chars=1000,
            mimes=("image/jpeg",),
        ),
        threads=False,  # a post is one caption; replies are comments, not posts
        # No content warning field: render puts "CW: ..." as the caption's first line, and
        # the care lint expects one on hard topics, as readers there do.
        cw_expected=True,
        settings=("user_id", "username", "api", "version", "container_wait"),
        setting_rules=(Setting("container_wait", number=(10, 3600)),),
        required=(("user_id", "e.g. user_id: '17841400008460056'"),),
        endpoint_setting="api",
        default_endpoint=INSTAGRAM_LOGIN_HOST,
        identity_setting="username",
        # No idempotency key: the container id is kept in the ledger before publishing, its
        # status says whether it was published, and the account's media can be listed.
        dedupe=Dedupe(key=None, lookup=True),
        rate_limits=RateLimits(
            reset_header="Retry-After",
            reset_format="seconds",
            headers=("Retry-After", "X-Business-Use-Case-Usage", "X-App-Usage"),
            usage=(
                ("X-Business-Use-Case-Usage", "Instagram's business use case limit"),
                ("X-App-Usage", "the app's Graph API limit"),
            ),
            quotas=(Quota(POSTS_PER_DAY, timedelta(hours=24), "account"),),
        ),
        publisher="scheduler.platforms.instagram:create",
        # Long-lived tokens last 60 days; Instagram Login's can be refreshed once a day old.
        token_lifetime=timedelta(days=60),
        # Business Login for Instagram with the app's Instagram app id and secret (no PKCE):
        # the code is exchanged on api.instagram.com for an hour-long token, then that on
        # graph.instagram.com for a 60-day one (ig_exchange_token).
        connect=Connect(
            kind="oauth",
            # Publishing, and the first comment (a comment needs its own permission).
            scopes=(
                "instagram_business_basic",
                "instagram_business_content_publish",
                "instagram_business_manage_comments",
            ),
            authorize_base="https://www.instagram.com",
            authorize_path="/oauth/authorize",
            token_base="https://api.instagram.com",
            token_path="/oauth/access_token",
            client_auth="post",
            pkce=False,
            long_lived=LongLived(
                path="/access_token", grant="ig_exchange_token", base=INSTAGRAM_LOGIN_HOST
            ),
            note=(
                "the address the browser comes back to must be among the Instagram app's "
                "OAuth redirect URIs; if Meta refuses an http://127.0.0.1 address there, "
                "store the token by hand instead"
            ),
            elsewhere=((FACEBOOK_LOGIN_HOST, INSTAGRAM_ON_FACEBOOK_LOGIN),),
        ),
        colour="#c13584",  # 5.1:1 against white
        poll_for=CONTAINER_WAIT,
        poll_setting="container_wait",
    )
)
