"""Platform publishers behind one protocol, chosen by name.

The registry maps a platform name to ``"module:factory"`` and imports the module only when
a publisher is built, so that ``check``, ``preview`` and ``plan`` never import tweepy or
requests.
"""

from __future__ import annotations

import importlib

from scheduler.errors import UsageError
from scheduler.platforms.base import AccountSpec, PlatformContext, Publisher, PublisherFactory

REGISTRY: dict[str, str] = {
    "sandbox": "scheduler.platforms.sandbox:create",
    "x": "scheduler.platforms.x:create",
    "mastodon": "scheduler.platforms.mastodon:create",
    "bluesky": "scheduler.platforms.bluesky:create",
}


def factory_for(platform: str) -> PublisherFactory:
    try:
        target = REGISTRY[platform]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UsageError(
            f"unknown platform {platform!r}", hint=f"known platforms: {known}"
        ) from None
    module_name, _, attr = target.partition(":")
    factory: PublisherFactory = getattr(importlib.import_module(module_name), attr)
    return factory


def build_publisher(spec: AccountSpec, context: PlatformContext) -> Publisher:
    return factory_for(spec.platform)(spec, context)
