"""GIFs for X posts: the v2 chunked media upload, and waiting for X to process the file.

X takes an animated GIF only through the chunked upload with ``media_category=tweet_gif``
(the one-shot upload is for still images). The steps, as X's v2 API reference documents them:

1. ``POST /2/media/upload/initialize`` with JSON ``{"media_type", "total_bytes",
   "media_category"}`` answers ``{"data": {"id", "media_key", "expires_after_secs"}}``;
2. ``POST /2/media/upload/{id}/append``, multipart ``media`` (the bytes) and ``segment_index``
   (0 to 999), once per segment, in order;
3. ``POST /2/media/upload/{id}/finalize`` answers the media object; when it carries
   ``processing_info``, X is still working on the file;
4. ``GET /2/media/upload?command=STATUS&media_id={id}`` until ``processing_info.state`` is
   ``succeeded`` (or ``failed``, with ``error.name``/``error.message``), asking again after
   ``check_after_secs`` each time.

X's quickstart page also shows the older form, ``command=INIT|APPEND|FINALIZE`` as fields
of ``POST /2/media/upload``. We use the dedicated paths: they are the ones in X's API
reference (the OpenAPI X's own SDKs are generated from), and X announced them in 2025 as the
replacement of the ``command`` form. STATUS has only the ``command`` form, so it keeps it.

Failures, and what they mean (a repeated upload only leaves an unused media id, which X
deletes when it expires, so nothing here can be an unknown outcome):

* a 5xx or a lost connection on an APPEND: the segment is sent again in place (X documents
  that segments may be retried one by one; the same ``segment_index`` replaces the first
  copy), up to ``APPEND_TRIES`` times with a short pause on the injected clock; after that
  the error goes up and is classified as Transient, so the next attempt starts over;
* processing ``failed``: ProcessingFailed, classified as Invalid with X's own words;
* still processing after ``max_wait`` seconds (on the injected clock): ProcessingTooSlow,
  classified as Transient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
import tweepy
from requests.auth import AuthBase

from scheduler.descriptors.x import X
from scheduler.platforms.base import MediaUpload

GIF_CATEGORY = "tweet_gif"
# 1 MiB: a 15 MB GIF is 15 segments, far below X's 5 MB segment cap and 1,000 segments, and a
# segment that fails costs little to send again.
CHUNK_BYTES = 1 << 20
MAX_SEGMENTS = 1000
APPEND_TRIES = 3
APPEND_PAUSE = 2.0  # seconds before the second try of a segment; doubled for the third
# Processing a GIF takes X seconds. The bound keeps one part well inside the daemon's
# 5-minute lease; a longer wait is a Transient failure, retried later with a fresh upload.
MAX_PROCESSING_WAIT = X.poll_for
DEFAULT_CHECK_AFTER = 2.0  # when X names no interval
MIN_CHECK_AFTER = 1.0


class MediaProcessingError(Exception):
    """X took the bytes but could not make a usable media item of them."""

    def __init__(self, message: str, *, file: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.detail = detail  # X's own words, when it gave any


class ProcessingFailed(MediaProcessingError):
    """X reports ``state: failed``; the same file will fail again."""


class ProcessingTooSlow(MediaProcessingError):
    """X was still processing the file when our wait ran out."""


Check = Callable[[requests.Response], None]


def upload_chunked(
    session: requests.Session,
    api_base: str,
    auth: AuthBase,
    media: MediaUpload,
    check: Check,
    clock: Any,
    *,
    category: str = GIF_CATEGORY,
    chunk_bytes: int = CHUNK_BYTES,
    max_wait: float = MAX_PROCESSING_WAIT,
) -> tuple[str, str]:
    """Upload ``media`` in segments and wait until X has processed it: (media id, media key).

    ``check`` raises for a non-2xx answer; ``clock`` (scheduler.clock.Clock) paces the retries
    and the polling, so nothing here waits in real time under a test clock.
    """
    base = api_base.rstrip("/") + "/2/media/upload"
    data = media.file.read_bytes()
    response = session.post(
        f"{base}/initialize",
        json={"media_type": media.mime, "total_bytes": len(data), "media_category": category},
        auth=auth,
    )
    check(response)
    created = response.json()["data"]
    media_id = str(created["id"])
    media_key = str(created.get("media_key") or "")

    size = max(chunk_bytes, -(-len(data) // MAX_SEGMENTS))
    for index, start in enumerate(range(0, len(data), size)):
        _append(
            session,
            f"{base}/{media_id}/append",
            auth,
            data[start : start + size],
            index,
            check,
            clock,
        )

    response = session.post(f"{base}/{media_id}/finalize", auth=auth)
    check(response)
    final = response.json().get("data") or {}
    media_key = str(final.get("media_key") or media_key)
    info = final.get("processing_info")
    if info:
        _await_processing(
            session, base, auth, media_id, media.file.name, info, check, clock, max_wait
        )
    return media_id, media_key


def _append(
    session: requests.Session,
    url: str,
    auth: AuthBase,
    segment: bytes,
    index: int,
    check: Check,
    clock: Any,
) -> None:
    for attempt in range(APPEND_TRIES):
        try:
            response = session.post(
                url,
                files={"media": ("segment", segment, "application/octet-stream")},
                data={"segment_index": str(index)},
                auth=auth,
            )
            check(response)
            return
        except (tweepy.TwitterServerError, requests.ConnectionError, requests.Timeout):
            if attempt + 1 == APPEND_TRIES:
                raise
            clock.sleep(APPEND_PAUSE * 2**attempt)


def _await_processing(
    session: requests.Session,
    base: str,
    auth: AuthBase,
    media_id: str,
    name: str,
    info: dict[str, Any],
    check: Check,
    clock: Any,
    max_wait: float,
) -> None:
    started = clock.monotonic()
    while True:
        state = str(info.get("state") or "")
        if state == "succeeded":
            return
        if state == "failed":
            error = info.get("error") or {}
            words = [str(error[k]) for k in ("name", "message") if error.get(k)]
            detail = ": ".join(words) or None
            raise ProcessingFailed(
                f"X could not process {name}" + (f": {detail}" if detail else ""),
                file=name,
                detail=detail,
            )
        # pending, in_progress, or a state X may add later: wait as X asks, within our bound.
        wait = _seconds(info.get("check_after_secs"))
        waited = clock.monotonic() - started
        if waited + wait > max_wait:
            raise ProcessingTooSlow(
                f"X was still processing {name} after {waited:.0f} s "
                f"(state {state or 'unknown'}, next look in {wait:.0f} s)",
                file=name,
            )
        clock.sleep(wait)
        response = session.get(base, params={"command": "STATUS", "media_id": media_id}, auth=auth)
        check(response)
        data = response.json().get("data") or {}
        # No processing_info any more means there is nothing left to wait for.
        info = data.get("processing_info") or {"state": "succeeded"}


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return DEFAULT_CHECK_AFTER
    return max(MIN_CHECK_AFTER, float(value))
