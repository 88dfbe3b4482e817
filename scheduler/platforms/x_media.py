"""Images for X posts through the v2 media endpoints (tweepy 4.17 only has v1.1 upload).

One image is one multipart ``POST /2/media/upload`` (``media`` bytes, ``media_category=
tweet_image``) answering ``{"data": {"id", "media_key", "expires_after_secs", ...}}``, then its
alt text through ``POST /2/media/metadata`` with ``{"id", "metadata": {"alt_text": {"text"}}}``.
Both are signed like the account's other calls (OAuth 1.0a or the OAuth 2.0 bearer with
``media.write``). Repeating an upload only leaves an unused media id behind, which X deletes
when it expires, so a failure here is never an OutcomeUnknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from requests.auth import AuthBase

from scheduler.platforms.base import MediaUpload

ONE_SHOT_CATEGORY = "tweet_image"


def upload_image(
    session: requests.Session,
    api_base: str,
    auth: AuthBase,
    media: MediaUpload,
    check: Callable[[requests.Response], None],
) -> str:
    """Upload one image and set its alt text; returns the media id.

    ``check`` raises for a non-2xx answer; requests and JSON errors propagate to the caller,
    which classifies them.
    """
    base = api_base.rstrip("/")
    data = media.file.read_bytes()
    response = session.post(
        f"{base}/2/media/upload",
        files={"media": (media.file.name, data, media.mime)},
        data={"media_category": ONE_SHOT_CATEGORY, "media_type": media.mime},
        auth=auth,
    )
    check(response)
    body: Any = response.json()
    media_id = str(body["data"]["id"])
    if media.alt:
        response = session.post(
            f"{base}/2/media/metadata",
            json={"id": media_id, "metadata": {"alt_text": {"text": media.alt}}},
            auth=auth,
        )
        check(response)
    return media_id
