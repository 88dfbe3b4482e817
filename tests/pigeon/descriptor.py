"""Pigeon Post's facts. ``register()`` makes the platform known, ``unregister()`` forgets
it again, so that other tests see only the shipped platforms."""

from __future__ import annotations

from datetime import timedelta

from scheduler import descriptors
from scheduler.descriptors import Dedupe, Descriptor, Quota, RateLimits
from scheduler.descriptors.base import count_graphemes
from scheduler.text.base import MediaLimits

PIGEON = Descriptor(
    name="pigeon",
    label="Pigeon Post",
    counter=count_graphemes,
    unit="characters",
    max_chars=200,  # what a bird carries
    media=MediaLimits(max_media=2, max_image_bytes=1_000_000, max_alt_chars=500),
    settings=("loft",),
    required=(("loft", "e.g. loft: https://loft.example"),),
    endpoint_setting="loft",
    dedupe=Dedupe(key="Idempotency-Key header", lookup=True),
    rate_limits=RateLimits(
        reset_header="Retry-After",
        reset_format="seconds",
        headers=("Retry-After",),
        quotas=(Quota(60, timedelta(hours=1), "account"),),
    ),
    publisher="tests.pigeon.publisher:create",
)


def register() -> None:
    descriptors.register(PIGEON)


def unregister() -> None:
    descriptors.unregister(PIGEON.name)
