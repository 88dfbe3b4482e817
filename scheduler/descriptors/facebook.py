"""Facebook Pages (posts as a Page through the Graph API's Pages endpoints): sources in
docs/platforms.md."""

from __future__ import annotations

from scheduler.descriptors.base import (
    Connect,
    Dedupe,
    Descriptor,
    LongLived,
    RateLimits,
    register,
)
from scheduler.text.base import MediaLimits

# The Graph API version in every path. Meta keeps a version for at least two years after the
# next one ships; an account may name a newer one with its ``version`` setting.
API_VERSION = "v24.0"

# The permissions a Page token needs to post, read the Page's posts back and check the Page.
PERMISSIONS = ("pages_manage_posts", "pages_read_engagement", "pages_show_list")

# Facebook Login takes http redirects only to localhost, and only while the app is in
# development mode ("Enforce HTTPS"): what the person is told before signing in.
LOOPBACK_NOTE = (
    "Facebook Login sends the browser back to http://127.0.0.1 only while the Meta app is "
    "in development mode (and the address is among its Valid OAuth Redirect URIs); a live "
    "app must use an https redirect, so store the token by hand instead"
)

# Facebook Login's manual flow with the operator's app: the dialog on www.facebook.com, the
# code exchanged (a GET, client secret in the query) on graph.facebook.com, then the
# hour-long user token traded for a 60-day one (fb_exchange_token), which the publisher
# turns into the Page's token.
FACEBOOK_LOGIN = Connect(
    kind="oauth",
    scopes=PERMISSIONS,
    authorize_base="https://www.facebook.com",
    authorize_path=f"/{API_VERSION}/dialog/oauth",
    token_base="https://graph.facebook.com",
    token_path=f"/{API_VERSION}/oauth/access_token",
    client_auth="post",
    pkce=False,
    token_method="GET",
    long_lived=LongLived(
        path=f"/{API_VERSION}/oauth/access_token",
        grant="fb_exchange_token",
        token_param="fb_exchange_token",
        client_id=True,
    ),
    note=LOOPBACK_NOTE,
)

FACEBOOK = register(
    Descriptor(
        name="facebook",
        label="Facebook",
        # Meta documents no counting rule for a post's ``message``; 63,206 characters is the
        # limit its composer enforces, counted here in code points (the stricter reading).
        counter=lambda text, url_length: len(text),
        unit="characters",
        max_chars=63_206,
        media=MediaLimits(
            # Several photos go out as one post (``attached_media``); Meta states no maximum
            # for a Page post, and ten keeps a post as readable as the other platforms allow.
            max_media=10,
            # The Photo reference: static images "less than 10 MB" (JPEG, PNG, GIF, BMP, TIFF).
            max_image_bytes=10_000_000,
            # ``alt_text_custom`` states no limit; 1,000 is what the other platforms allow.
            max_alt_chars=1000,
            mimes=("image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff"),
        ),
        threads=False,  # a Page post has no reply chain of its own posts
        link_cards=True,  # ``link``: Facebook builds the card from the page it names
        card_beside_images=False,  # a post is photos or a link, not both
        # No content warning field, no language, no visibility: a warning goes first in the text.
        settings=("page", "version", "api"),
        required=(("page", "e.g. page: '104233215612345' (the Page's id)"),),
        endpoint_setting="api",
        default_endpoint="https://graph.facebook.com",
        # No idempotency key. A lost answer is settled by reading the Page's published posts;
        # a repeated message is refused as 506 (duplicate), which may be ours.
        dedupe=Dedupe(key=None, lookup=True),
        # Meta's usage headers (JSON percentages); no published per-Page post quota.
        rate_limits=RateLimits(
            reset_header="Retry-After",
            reset_format="seconds",
            headers=("Retry-After", "X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage"),
            usage=(
                ("X-App-Usage", "Meta's hourly limit for the app"),
                ("X-Page-Usage", "Meta's limit for the Page"),
                ("X-Business-Use-Case-Usage", "Meta's limit for the Page's business use"),
            ),
        ),
        publisher="scheduler.platforms.facebook:create",
        connect=FACEBOOK_LOGIN,
        colour="#0b5fcc",  # 6.2:1 against white
        colour_tags=True,  # Facebook shows hashtags as links
    )
)
