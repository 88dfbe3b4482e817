"""Public media on the review site's own https address.

The review server (``scheduler serve``) answers ``GET /media/<sha256>.<ext>`` with a file only
while a draft that shows it is approved as it stands (``scheduler.web.public_media``); this
side only makes that URL and checks, before a publisher uses it, that it answers with the
approved bytes. Nothing is uploaded: the daemon and the review server read the same campaign
folder and the same ledger.

The base is the address the platforms reach the review server at, through the operator's
https proxy. Plain http is accepted only for a loopback host (``destination.endpoint``), which
is for tests: Instagram and Threads fetch only from the public internet.
"""

from __future__ import annotations

import requests

from scheduler.destination import UnsafeEndpoint, endpoint
from scheduler.errors import ConfigError
from scheduler.media.names import public_name
from scheduler.media.verify import Preflight
from scheduler.platforms.base import MediaUpload

MEDIA_PATH = "/media/"


class SiteMedia:
    """``PublicMedia`` served by the review site at ``base`` (e.g. https://review.example.org)."""

    def __init__(
        self, base: str, *, timeout: float = 30.0, session: requests.Session | None = None
    ) -> None:
        try:
            self.base = endpoint(base)
        except UnsafeEndpoint as exc:
            raise ConfigError(f"the review site's public address {exc}") from None
        self._preflight = Preflight(self.base, timeout=timeout, session=session)

    def reachable(self, *, account: str) -> None:
        """Transient unless the site answers at all (a name it cannot know: any status)."""
        self._preflight.answers(self.base + MEDIA_PATH + "0" * 64 + ".png", account=account)

    def url_for(self, upload: MediaUpload, *, account: str) -> str:
        url = self.base + MEDIA_PATH + public_name(upload.sha256, upload.mime)
        self._preflight.check(url, upload, account=account)
        return url
