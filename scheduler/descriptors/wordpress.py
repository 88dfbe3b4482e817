"""WordPress (a site's REST API, with an Application Password): sources in docs/platforms.md.

WordPress takes stories, not social posts: a title, an HTML body, an excerpt, one featured
image with its alt text, categories and tags by name, and a slug.
"""

from __future__ import annotations

from scheduler.descriptors.base import (
    Connect,
    Dedupe,
    Descriptor,
    RateLimits,
    count_graphemes,
    register,
)
from scheduler.text.base import MediaLimits

# Where the REST API is: ``pretty`` under /wp-json/ (a site with pretty permalinks), ``plain``
# through ``/?rest_route=`` (a site without them, and PHP's built-in server).
PERMALINKS = ("pretty", "plain")
# The statuses a post of ours can have on the site, read by a lookup: every one that holds
# its slug (WordPress renames a second post with the same slug whatever the first's status).
LOOKUP_STATUSES = ("publish", "future", "draft", "pending", "private")
# The longest slug WordPress keeps (``post_name`` is 200 characters; it cuts longer ones).
MAX_SLUG = 200

WORDPRESS = register(
    Descriptor(
        name="wordpress",
        label="WordPress",
        counter=count_graphemes,
        unit="characters",
        # ``post_content`` is a LONGTEXT: no limit a story reaches. This one only catches a
        # runaway template.
        max_chars=200_000,
        # One featured image. PHP's default upload limit is 2 MB, which many hosts keep; the
        # image types are those WordPress accepts for upload by default.
        media=MediaLimits(
            max_media=1,
            max_image_bytes=2_097_152,
            max_alt_chars=1000,
            mimes=("image/png", "image/jpeg", "image/gif", "image/webp"),
        ),
        threads=False,
        posts=False,
        stories=True,
        settings=("site", "username", "permalinks"),
        required=(
            ("site", "e.g. site: https://blog.example.org"),
            ("username", "e.g. username: campaign-bot (the user the Application Password is for)"),
        ),
        endpoint_setting="site",
        identity_setting="username",
        # No idempotency key: a deterministic slug, looked up (any status) after a lost
        # answer and before every create.
        dedupe=Dedupe(key="slug", lookup=True),
        # Core sets no rate limits; hosts and security plugins answer 429, some with
        # Retry-After in seconds.
        rate_limits=RateLimits(
            reset_header="Retry-After", reset_format="seconds", headers=("Retry-After",)
        ),
        publisher="scheduler.platforms.wordpress:create",
        # An Application Password: 24 letters and digits, shown in groups of four.
        connect=Connect(
            kind="app_password",
            secret_field="app_password",
            password_pattern=r"^[A-Za-z0-9]{24}$",
            password_shape="abcd efgh ijkl mnop qrst uvwx",
            password_where="Users -> Profile -> Application Passwords on the site",
        ),
    )
)
