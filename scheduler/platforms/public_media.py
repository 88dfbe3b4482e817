"""Where a platform that fetches images itself finds them.

Instagram and Threads do not take image bytes: a container names an ``image_url`` that the
platform downloads while it builds the post. The operator chooses where that URL points (an
S3-compatible bucket, or the review site's own https address); a publisher only asks for a
URL and never knows which.
"""

from __future__ import annotations

from typing import Protocol

from scheduler.platforms.base import MediaUpload


class PublicMedia(Protocol):
    """A public home for the images of approved drafts."""

    def url_for(self, upload: MediaUpload, *, account: str) -> str:
        """A public https URL answering with exactly ``upload``'s bytes and type for long
        enough for the platform to fetch it (an hour at least).

        The URL is checked before it is returned: fetched, and its bytes and Content-Type
        compared with ``upload``. Raises Transient when the host cannot be reached or answers
        wrongly (the publish is tried again later; nothing was sent to the platform), and
        ConfigError when the host is not usable as configured.
        """
        ...
