"""LinkedIn: sources in docs/platforms.md. No publisher yet: previews and ``check`` use these
facts, and ``accounts check`` and the daemon say the platform cannot be sent to."""

from __future__ import annotations

from scheduler.descriptors.base import Descriptor, register
from scheduler.text.base import MediaLimits

register(
    Descriptor(
        name="linkedin",
        label="LinkedIn",
        # No published counting rule: code points, which errs on the side of refusing.
        counter=lambda text, url_length: len(text),
        unit="characters",
        max_chars=3000,
        media=MediaLimits(max_media=4, max_image_bytes=8_000_000, max_alt_chars=1000),
        threads=False,
        settings=("author",),
        preview_only=True,
    )
)
