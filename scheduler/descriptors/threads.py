"""Threads (Meta): sources in docs/platforms.md. No publisher yet: previews and ``check`` use
these facts, and ``accounts check`` and the daemon say the platform cannot be sent to."""

from __future__ import annotations

from datetime import timedelta

from scheduler.descriptors.base import Descriptor, Quota, RateLimits, register
from scheduler.text.base import MediaLimits
from scheduler.text.threads import threads_length

register(
    Descriptor(
        name="threads",
        label="Threads",
        counter=lambda text, url_length: threads_length(text),
        unit="characters",
        max_chars=500,
        media=MediaLimits(max_media=10, max_image_bytes=8_000_000, max_alt_chars=1000),
        identity_setting="username",
        settings=("username",),
        # Replies are counted apart (a quota of their own), so only a thread's first part counts.
        rate_limits=RateLimits(
            quotas=(Quota(250, timedelta(hours=24), "account", counts="first part"),)
        ),
        preview_only=True,
    )
)
