"""The fake X's v2 media endpoints: one-shot images, chunked GIFs with processing, alt text.

Mixed into FakeX (tests/fakes/x.py), whose lock, auth check and rate headers it uses.

* ``POST /2/media/upload``: one still image (``media_category=tweet_image``), ready at once;
* ``POST /2/media/upload/initialize`` (JSON ``media_type``, ``total_bytes``,
  ``media_category``), ``POST /2/media/upload/{id}/append`` (multipart ``media`` +
  ``segment_index``), ``POST /2/media/upload/{id}/finalize``: segments of at most 5 MB, indices
  0-999, a later copy of a segment replacing the first; FINALIZE reassembles the segments in
  index order and refuses them unless they are exactly ``0..n-1`` and add up to
  ``total_bytes``. A ``tweet_gif`` must be a GIF (else processing fails, as X's would);
* ``GET /2/media/upload?command=STATUS&media_id=``: ``processing_info`` with ``state``,
  ``check_after_secs`` and, on failure, ``error {code, name, message}``;
* ``POST /2/media/metadata``: alt text.

Processing, for tests to set: ``processing_polls`` STATUS answers until the final state (0:
FINALIZE answers ready, without ``processing_info``); ``processing_error`` makes the final
state ``failed`` with that (name, message). Each poll's time on the fake's clock is kept in
``Media.polls``, and a poll sooner than the ``check_after_secs`` announced before it is
counted in ``early_polls``. A post may only use media whose processing succeeded, and a GIF
only on its own.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.fakes.base import Request, Response, route

UPLOAD = "/2/media/upload"
INITIALIZE = "/2/media/upload/initialize"
APPEND = "/2/media/upload/{id}/append"
FINALIZE = "/2/media/upload/{id}/finalize"
METADATA = "/2/media/metadata"

IMAGE_BYTES = 5_242_880  # X's own limits, in its error messages: 5 MiB and 15 MiB
GIF_BYTES = 15_728_640
SEGMENT_BYTES = 5_242_880
CHECK_AFTER = 3


def invalid_request(message: str) -> dict[str, Any]:
    return {
        "errors": [{"message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


@dataclass
class Media:
    id: str
    data: bytes
    mime: str
    category: str
    alt: str | None = None
    key: str = ""
    total_bytes: int = 0
    segments: dict[int, bytes] = field(default_factory=dict)
    state: str = "succeeded"  # uploading | pending | in_progress | succeeded | failed
    polls_left: int = 0
    error: tuple[str, str] | None = None
    polls: list[datetime] = field(default_factory=list)
    next_poll: datetime | None = None


class XMediaRoutes:
    # Provided by FakeX.
    _state: threading.RLock
    _authorised: Any
    _unauthorised: Any
    _limits: Any
    now: Any

    def _reset_media(self) -> None:
        self.media: dict[str, Media] = {}
        self.processing_polls = 1
        self.processing_error: tuple[str, str] | None = None
        self.early_polls = 0
        if not hasattr(self, "_media_ids"):
            self._media_ids = itertools.count(1_880_000_000_000_000_000)

    def media_usable(self, media_ids: list[str]) -> str | None:
        """Why a post may not carry these media ids, or None. Call with ``_state`` held."""
        found = [self.media.get(m) for m in media_ids]
        if any(m is None or m.state != "succeeded" for m in found):
            return "Your media IDs are invalid."
        if len(found) > 1 and any(m is not None and m.category == "tweet_gif" for m in found):
            return "A GIF cannot be posted together with other media."
        return None

    def _body(self, media: Media, **extra: Any) -> dict[str, Any]:
        return {
            "data": {
                "id": media.id,
                "media_key": media.key,
                "size": len(media.data),
                "expires_after_secs": 86_400,
                **extra,
            }
        }

    def _processing(self, media: Media) -> dict[str, Any]:
        info: dict[str, Any] = {"state": media.state}
        if media.state in ("pending", "in_progress"):
            info["check_after_secs"] = CHECK_AFTER
            info["progress_percent"] = 0 if media.state == "pending" else 50
        if media.state == "failed" and media.error is not None:
            info["error"] = {"code": 1, "name": media.error[0], "message": media.error[1]}
        return info

    # --- one-shot images --------------------------------------------------------------------

    @route("POST", UPLOAD)
    def upload(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()  # type: ignore[no-any-return]
        form = request.form()
        data = (form.get("media") or [None])[0]
        category = (form.get("media_category") or [""])[0]
        mime = (form.get("media_type") or ["application/octet-stream"])[0]
        if not isinstance(data, bytes) or not data:
            return Response(400, invalid_request("media is required"))
        if category != "tweet_image":
            return Response(400, invalid_request(f"media_category {category!r} needs chunks"))
        if len(data) > IMAGE_BYTES:
            return Response(400, invalid_request(f"File size exceeds {IMAGE_BYTES} bytes."))
        with self._state:
            media_id = str(next(self._media_ids))
            media = Media(media_id, data, str(mime), str(category), key=f"3_{media_id}")
            self.media[media.id] = media
        return Response(200, self._body(media, image={"image_type": media.mime}), self._limits())

    # --- chunked ----------------------------------------------------------------------------

    @route("POST", INITIALIZE)
    def initialize(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()  # type: ignore[no-any-return]
        body = request.json() or {}
        mime, category = str(body.get("media_type", "")), str(body.get("media_category", ""))
        total = body.get("total_bytes")
        if not isinstance(total, int) or total <= 0:
            return Response(400, invalid_request("total_bytes must be a positive integer"))
        if category == "tweet_gif" and mime != "image/gif":
            return Response(400, invalid_request("tweet_gif takes image/gif"))
        limit = GIF_BYTES if category == "tweet_gif" else IMAGE_BYTES
        if total > limit:
            return Response(400, invalid_request(f"File size exceeds {limit} bytes."))
        with self._state:
            media_id = str(next(self._media_ids))
            prefix = "16" if category == "tweet_gif" else "3"
            media = Media(
                media_id,
                b"",
                mime,
                category,
                key=f"{prefix}_{media_id}",
                total_bytes=total,
                state="uploading",
            )
            self.media[media_id] = media
        body = {"data": {"id": media_id, "media_key": media.key, "expires_after_secs": 86_400}}
        return Response(200, body, self._limits())

    def _uploading(self, request: Request) -> Media | Response:
        if not self._authorised(request):
            return self._unauthorised()  # type: ignore[no-any-return]
        media = self.media.get(request.params["id"])
        if media is None:
            return Response(400, invalid_request("Unknown media id."))
        if media.state != "uploading":
            return Response(400, invalid_request("This upload is already finalized."))
        return media

    @route("POST", APPEND)
    def append(self, request: Request) -> Response:
        with self._state:
            media = self._uploading(request)
            if isinstance(media, Response):
                return media
            form = request.form()
            data = (form.get("media") or [None])[0]
            raw_index = str((form.get("segment_index") or [""])[0])
            if not isinstance(data, bytes) or not data:
                return Response(400, invalid_request("media is required"))
            if not raw_index.isdigit() or not 0 <= int(raw_index) <= 999:
                return Response(400, invalid_request("segment_index must be 0 to 999"))
            if len(data) > SEGMENT_BYTES:
                return Response(400, invalid_request("Segment is larger than 5 MB."))
            media.segments[int(raw_index)] = data
        return Response(200, {"data": {"expires_at": 1_900_000_000}}, self._limits())

    @route("POST", FINALIZE)
    def finalize(self, request: Request) -> Response:
        with self._state:
            media = self._uploading(request)
            if isinstance(media, Response):
                return media
            indices = sorted(media.segments)
            if indices != list(range(len(indices))):
                return Response(400, invalid_request(f"Segments {indices} are not 0..n-1."))
            data = b"".join(media.segments[i] for i in indices)
            if len(data) != media.total_bytes:
                return Response(
                    400,
                    invalid_request(f"{len(data)} bytes uploaded, {media.total_bytes} announced."),
                )
            media.data, media.segments = data, {}
            media.error = self.processing_error
            if media.category == "tweet_gif" and not data.startswith(b"GIF8"):
                media.error = ("InvalidMedia", "Unsupported GIF format")
            media.polls_left = self.processing_polls
            if media.polls_left > 0:
                media.state = "pending"
                media.next_poll = self.now() + timedelta(seconds=CHECK_AFTER)
                extra = {"processing_info": self._processing(media)}
            else:
                media.state = "failed" if media.error else "succeeded"
                extra = {"processing_info": self._processing(media)} if media.error else {}
        return Response(200, self._body(media, **extra), self._limits())

    @route("GET", UPLOAD)
    def status(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()  # type: ignore[no-any-return]
        if request.arg("command") != "STATUS":
            return Response(400, invalid_request("command must be STATUS"))
        with self._state:
            media = self.media.get(request.arg("media_id") or "")
            if media is None or media.state == "uploading":
                return Response(400, invalid_request("Unknown media id."))
            now = self.now()
            media.polls.append(now)
            if media.next_poll is not None and now < media.next_poll:
                self.early_polls += 1
            if media.polls_left > 0:
                media.polls_left -= 1
                if media.polls_left > 0:
                    media.state = "in_progress"
                else:
                    media.state = "failed" if media.error else "succeeded"
            media.next_poll = now + timedelta(seconds=CHECK_AFTER)
            body = self._body(media, processing_info=self._processing(media))
        return Response(200, body, self._limits())

    # --- alt text ---------------------------------------------------------------------------

    @route("POST", METADATA)
    def metadata(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()  # type: ignore[no-any-return]
        body = request.json() or {}
        media_id = str(body.get("id", ""))
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        with self._state:
            media = self.media.get(media_id)
            if media is None or media.state != "succeeded":
                return Response(400, invalid_request("Unknown media id."))
            if not isinstance(alt, str) or len(alt) > 1000:
                return Response(400, invalid_request("alt_text.text must be 1 to 1000 chars"))
            media.alt = alt
        data = {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}
        return Response(200, {"data": data}, self._limits())
