"""Images and GIFs for X posts through the v2 media endpoints (tweepy 4.17 only has v1.1).

A still image is one multipart ``POST /2/media/upload`` (``media`` bytes, ``media_category=
tweet_image``) answering ``{"data": {"id", "media_key", "expires_after_secs", ...}}``. A GIF
goes through the chunked upload with ``media_category=tweet_gif`` (``x_chunked``), which X
requires for animated GIFs; every GIF takes that way, since nothing here looks at frames.
Either way the alt text follows through ``POST /2/media/metadata`` with ``{"id", "metadata":
{"alt_text": {"text"}}}``.

All of it is signed like the account's other calls (OAuth 1.0a or the OAuth 2.0 bearer with
``media.write``). Repeating an upload only leaves an unused media id behind, which X deletes
when it expires, so a failure here is never an OutcomeUnknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from requests.auth import AuthBase

from scheduler.platforms.base import MediaUpload
from scheduler.platforms.x_chunked import MAX_PROCESSING_WAIT, upload_chunked
from scheduler.text import GIF

ONE_SHOT_CATEGORY = "tweet_image"


@dataclass(frozen=True, slots=True)
class Uploaded:
    id: str  # what a post's media_ids carry
    key: str  # the media key X shows in a post's attachments ("3_<id>", "16_<id>"), or ""


def upload_media(
    session: requests.Session,
    api_base: str,
    auth: AuthBase,
    media: MediaUpload,
    check: Callable[[requests.Response], None],
    clock: Any,
    *,
    max_wait: float = MAX_PROCESSING_WAIT,
) -> Uploaded:
    """Upload one image or GIF, wait until X can use it, and set its alt text.

    ``check`` raises for a non-2xx answer; requests and JSON errors and the chunked upload's
    processing errors propagate to the caller, which classifies them.
    """
    if media.mime == GIF:
        media_id, key = upload_chunked(
            session, api_base, auth, media, check, clock, max_wait=max_wait
        )
        uploaded = Uploaded(media_id, key)
    else:
        uploaded = upload_image(session, api_base, auth, media, check)
    if media.alt:
        response = session.post(
            f"{api_base.rstrip('/')}/2/media/metadata",
            json={"id": uploaded.id, "metadata": {"alt_text": {"text": media.alt}}},
            auth=auth,
        )
        check(response)
    return uploaded


def upload_image(
    session: requests.Session,
    api_base: str,
    auth: AuthBase,
    media: MediaUpload,
    check: Callable[[requests.Response], None],
) -> Uploaded:
    """Upload one still image in one request (no alt text)."""
    data = media.file.read_bytes()
    response = session.post(
        f"{api_base.rstrip('/')}/2/media/upload",
        files={"media": (media.file.name, data, media.mime)},
        data={"media_category": ONE_SHOT_CATEGORY, "media_type": media.mime},
        auth=auth,
    )
    check(response)
    body: Any = response.json()
    return Uploaded(str(body["data"]["id"]), str(body["data"].get("media_key") or ""))
