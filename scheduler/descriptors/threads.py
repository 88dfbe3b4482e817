"""Threads (Meta): sources in docs/platforms.md."""

from __future__ import annotations

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
from scheduler.descriptors.setting import Setting
from scheduler.text.base import MediaLimits
from scheduler.text.threads import threads_length

# The Graph API version every path starts with.
API_VERSION = "v1.0"

# Who may reply: the campaign's ``reply_settings`` values (X's words too, where they mean
# the same) and the ``reply_control`` each is sent as.
REPLY_VALUES = (
    ("everyone", "everyone"),
    ("following", "accounts_you_follow"),
    ("accounts_you_follow", "accounts_you_follow"),
    ("mentionedUsers", "mentioned_only"),
    ("mentioned_only", "mentioned_only"),
    ("followers_only", "followers_only"),
    ("parent_post_author_only", "parent_post_author_only"),
)

THREADS = register(
    Descriptor(
        name="threads",
        label="Threads",
        # "Text posts are limited to 500 characters" and "emojis are counted as the number
        # of UTF-8 bytes": the counter takes the stricter reading of that sentence.
        counter=lambda text, url_length: threads_length(text),
        unit="characters",
        max_chars=500,
        media=MediaLimits(
            max_media=20,  # a carousel takes 2 to 20 items; one image is a post of its own
            max_image_bytes=8_000_000,
            max_alt_chars=1000,
            mimes=("image/jpeg", "image/png"),  # the formats Meta names as supported
        ),
        # The first URL of a text post becomes its preview; ``link_attachment`` names it,
        # and only a post without images takes one.
        link_cards=True,
        card_beside_images=False,
        # Images are fetched by Meta from a public address (the operator's media host).
        media_by_url=True,
        reply_settings=True,
        reply_values=REPLY_VALUES,
        identity_setting="username",
        # ``user_id``: the Threads user id (``me`` stands for the token's own when absent);
        # ``api``: another host speaking the same API (graph.threads.com, or a test server).
        settings=("username", "user_id", "api", "reply_settings"),
        setting_rules=(Setting("reply_settings", choices=tuple(v for v, _ in REPLY_VALUES)),),
        endpoint_setting="api",
        default_endpoint="https://graph.threads.net",
        # A container is asked about until it is built, for up to five minutes (Meta
        # suggests once a minute for no more than five).
        poll_for=300.0,
        # No idempotency key: a container is staged, then published; a lost answer is settled
        # by the container's status, then the account's own posts.
        # Ten minutes, as the Threads lookup has had from the start (Meta's clock).
        dedupe=Dedupe(key=None, lookup=True, clock_margin=timedelta(minutes=10)),
        rate_limits=RateLimits(
            # Meta's Graph usage headers (JSON percentages); Threads' own pages do not name
            # them, so both are read when they come.
            usage=(
                ("X-App-Usage", "Meta's app rate limit"),
                ("X-Business-Use-Case-Usage", "Threads' rate limit for the account"),
            ),
            # Replies are counted apart, so a thread's first part counts toward the posts
            # and each later part (a reply to the one before) toward the replies.
            quotas=(
                Quota(250, timedelta(hours=24), "account", counts="first part"),
                Quota(1000, timedelta(hours=24), "account", "replies", counts="replies"),
            ),
        ),
        publisher="scheduler.platforms.threads:create",
        # The Authorization Window with the app's Threads app id and secret (no PKCE); the
        # code is exchanged for an hour-long token, then that for a 60-day one
        # (th_exchange_token), which the publisher renews from then on.
        connect=Connect(
            kind="oauth",
            scopes=("threads_basic", "threads_content_publish", "threads_manage_replies"),
            authorize_base="https://threads.com",
            authorize_path="/oauth/authorize",
            token_path="/oauth/access_token",
            client_auth="post",
            pkce=False,
            long_lived=LongLived(path="/access_token", grant="th_exchange_token"),
            note=(
                "the address the browser comes back to must be among the Threads app's "
                "redirect callback URLs; if Meta refuses an http://127.0.0.1 address there, "
                "store the token by hand instead"
            ),
        ),
    )
)
