"""Public media: where platforms that fetch images from a URL (Instagram, Threads) find them.

``PublicMedia`` (the protocol publishers use, from ``scheduler.platforms.public_media``) has
two implementations, chosen by the operator's ``SCHEDULER_MEDIA_*`` settings (``config``):

* ``s3.S3Media``: an S3-compatible bucket, presigned URLs that expire;
* ``site.SiteMedia``: the review site's own https address, which serves the media of approved
  drafts only (``scheduler.web.public_media``).

Both name files by content (``names``) and check every URL before handing it out (``verify``).
"""

from __future__ import annotations

from scheduler.platforms.public_media import PublicMedia

__all__ = ["PublicMedia"]
