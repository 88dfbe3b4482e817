"""LinkedIn (member and organisation posts through the versioned REST API): sources in
docs/platforms.md."""

from __future__ import annotations

from collections.abc import Mapping

from scheduler.descriptors.base import Connect, Dedupe, Descriptor, RateLimits, register
from scheduler.text.base import MediaLimits

# The ``LinkedIn-Version`` every request carries (YYYYMM). LinkedIn serves each monthly
# version for at least a year and then answers 426; an account may name a newer one with its
# ``version`` setting. 202607 is served until mid 2027 (LinkedIn's migrations table).
API_VERSION = "202607"
ORGANIZATION = "urn:li:organization:"


def _scopes(settings: Mapping[str, str]) -> tuple[str, ...]:
    """Posting as a page needs w_organization_social (and the page's admin signing in);
    posting as a member, w_member_social. Asking for only the one needed means an app
    without the Community Management product can still connect a member."""
    author = settings.get("author") or ""
    posting = "w_organization_social" if author.startswith(ORGANIZATION) else "w_member_social"
    return ("openid", "profile", posting)


LINKEDIN = register(
    Descriptor(
        name="linkedin",
        label="LinkedIn",
        # The Posts API documents no counting rule beyond "3,000 characters" for
        # commentary: code points, which errs on the side of refusing. Escaping for the
        # little text format is added after counting and is not what readers see.
        counter=lambda text, url_length: len(text),
        unit="characters",
        max_chars=3000,
        media=MediaLimits(
            max_media=4,
            max_image_bytes=8_000_000,
            max_alt_chars=1000,
            mimes=("image/png", "image/jpeg", "image/gif"),
        ),
        threads=False,  # a post has no reply chain of its own author's posts
        link_cards=True,  # content.article: the link with a title and a description
        card_beside_images=False,  # a post's content is images or an article, not both
        settings=("author", "version", "api"),
        required=(("author", "e.g. author: urn:li:organization:2414183"),),
        endpoint_setting="api",
        default_endpoint="https://api.linkedin.com",
        # No idempotency key; a repeated commentary is refused with DUPLICATE_POST naming
        # the earlier post, and an author's posts can be listed newest first.
        dedupe=Dedupe(key=None, lookup=True),
        # Daily quotas are per app and shown only in the developer portal: none declared.
        rate_limits=RateLimits(
            reset_header="Retry-After", reset_format="seconds", headers=("Retry-After",)
        ),
        publisher="scheduler.platforms.linkedin:create",
        # The 3-legged OAuth code flow with the operator's app (its client id and secret).
        # PKCE is only for apps LinkedIn enables it for on request, so the client secret
        # proves the exchange, sent in the form. openid and profile let the token say which
        # member signed in; an access token lasts 60 days (its expires_in is stored).
        connect=Connect(
            kind="oauth",
            scopes=("openid", "profile", "w_member_social"),
            scopes_for=_scopes,
            authorize_base="https://www.linkedin.com",
            authorize_path="/oauth/v2/authorization",
            token_base="https://www.linkedin.com",
            token_path="/oauth/v2/accessToken",
            client_auth="post",
            pkce=False,
        ),
    )
)
